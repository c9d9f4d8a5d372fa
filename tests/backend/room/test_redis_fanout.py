"""Two real app processes sharing one community through a real redis-server."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect

from backend.core.config import Settings
from tests.backend.room.conftest import Socket, join, make_room, people, post, ticket
from tests.conftest import Person

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the Redis tests, but redis-server is not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return found


class RedisServer:
    def __init__(self, tmp_path: Path) -> None:
        self.binary = _redis_binary()
        self.port = _free_port()
        self.dir = tmp_path / "redis"
        self.dir.mkdir(exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class AppProcess:
    def __init__(self, settings: Settings, redis_url: str, log: Path) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "TANDEM_DATABASE_URL": settings.database_url,
            "TANDEM_SECRET_KEY_FILE": str(settings.secret_key_file),
            "TANDEM_REDIS_URL": redis_url,
            "TANDEM_ENVIRONMENT": "test",
            "TANDEM_ARGON2_MEMORY_KIB": "1024",
            "TANDEM_ARGON2_TIME_COST": "1",
            "TANDEM_ARGON2_PARALLELISM": "1",
        }
        tandem = Path(sys.executable).parent / "tandem"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [str(tandem), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the app process did not start; see {log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def two_processes(
    app: FastAPI, settings: Settings, redis_server: RedisServer, tmp_path: Path
) -> Iterator[tuple[AppProcess, AppProcess]]:
    first = AppProcess(settings, redis_server.url, tmp_path / "a.log")
    try:
        second = AppProcess(settings, redis_server.url, tmp_path / "b.log")
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


async def _socket(process: AppProcess, http: httpx.AsyncClient, person: Person) -> Socket:
    value = await ticket(http, person)
    ws = await connect(f"{process.ws_url}?ticket={value}", compression=None, close_timeout=2)
    sock = Socket(ws)
    assert (await sock.recv())["type"] == "hello"
    return sock


class TestRedisFanOut:
    async def test_a_message_posted_on_one_process_reaches_a_socket_on_the_other(
        self, app: FastAPI, two_processes: tuple[AppProcess, AppProcess]
    ) -> None:
        a, b = two_processes
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
            httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
        ):
            ioana, lina, _ = await people(app, on_a)
            room = await make_room(on_a, ioana)
            await join(on_a, lina, room)
            lina_on_b = await _socket(b, on_b, lina)
            ioana_on_a = await _socket(a, on_a, ioana)
            await lina_on_b.subscribe({room: 0})
            await ioana_on_a.subscribe({room: 0})
            await post(on_a, ioana, room, "posted through A")
            assert [m["body"] for m in await lina_on_b.messages(1)] == ["posted through A"]
            await lina_on_b.send(
                {"type": "send", "room_id": str(room), "client_id": "b1", "body": "sent on B"}
            )
            got = await ioana_on_a.messages(2)
            assert [(m["seq"], m["body"]) for m in got] == [
                (1, "posted through A"),
                (2, "sent on B"),
            ]
            assert (await on_a.get("/readyz")).json()["broker"] == "ok"
            await lina_on_b.close()
            await ioana_on_a.close()

    async def test_redis_restart_loses_nothing_stored(
        self,
        app: FastAPI,
        two_processes: tuple[AppProcess, AppProcess],
        redis_server: RedisServer,
    ) -> None:
        a, b = two_processes
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
            httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
        ):
            ioana, lina, _ = await people(app, on_a)
            room = await make_room(on_a, ioana)
            await join(on_a, lina, room)
            lina_on_b = await _socket(b, on_b, lina)
            await lina_on_b.subscribe({room: 0})
            await post(on_a, ioana, room, "before the outage")
            assert len(await lina_on_b.messages(1)) == 1

            redis_server.stop()
            for i in range(3):
                await post(on_a, ioana, room, f"during the outage {i}")
            assert (await on_a.get("/readyz")).status_code == 503
            redis_server.start()
            await post(on_a, ioana, room, "after the outage")

            got = await lina_on_b.messages(4, timeout=15)
            assert [m["seq"] for m in got] == [2, 3, 4, 5]
            assert got[-1]["body"] == "after the outage"
            assert [f for f in await lina_on_b.quiet(0.3) if f["type"] == "message"] == []
            history = await on_b.get(f"/api/rooms/{room}/messages", headers=lina.auth)
            assert [m["seq"] for m in history.json()] == [1, 2, 3, 4, 5]
            await lina_on_b.close()
