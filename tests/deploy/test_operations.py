"""What an operator reads: /metrics, the JSON log lines, /readyz with Redis."""

import asyncio
import io
import json
import logging
import re
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.core.config import Settings
from backend.core.logs import DropHandshakeLines, JsonFormatter
from backend.main import create_app
from deploy.topology import DEPLOY, Process, TopologyUnavailable, find_binary, wait_for_port
from tests.backend.room.conftest import LiveServer, open_socket
from tests.conftest import PASSWORD, make_settings, person_with

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
REDIS_PORT = 18177


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{wanted}}}" if wanted else "")) + r" (\S+)$"
    found = re.search("^" + pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
async def metered(tmp_path: Path, database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(tmp_path, database_url, metrics_enabled=True))
    yield application
    await application.state.db.dispose()


@pytest.fixture
async def metered_client(metered: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=metered, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        yield http


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the tandem loggers write, formatted as `tandem serve` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tandem")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestMetrics:
    async def test_off_by_default(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/metrics")).status_code == 404

    async def test_requests_are_counted_by_route_template(
        self, metered: FastAPI, metered_client: httpx.AsyncClient
    ) -> None:
        before = (await metered_client.get("/metrics")).text
        ioana = await person_with(metered, metered_client, "Ioana", Role.FACILITATOR)
        room = await metered_client.post(
            "/api/rooms", json={"kind": "support_group", "name": "Circle"}, headers=ioana.auth
        )
        room_id = room.json()["id"]
        for _ in range(3):
            await metered_client.get(f"/api/rooms/{room_id}/messages", headers=ioana.auth)
        response = await metered_client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = response.text
        labels = {"method": "GET", "route": "/api/rooms/{room_id}/messages", "status": "200"}
        counted = metric(text, "tandem_http_requests_total", **labels)
        assert counted - metric(before, "tandem_http_requests_total", **labels) == 3
        assert (
            metric(
                text,
                "tandem_http_request_duration_seconds_count",
                method="GET",
                route="/api/rooms/{room_id}/messages",
            )
            >= 3
        )
        assert "# TYPE tandem_http_request_duration_seconds histogram" in text
        # Labels are templates: no id of a room or a person, no pseudonym.
        assert UUID_PATTERN.search(text) is None
        assert "Ioana" not in text

    async def test_sockets_and_messages_are_counted(
        self, metered: FastAPI, tmp_path: Path, database_url: str
    ) -> None:
        server = LiveServer(make_settings(tmp_path, database_url, metrics_enabled=True))
        await asyncio.to_thread(server.start)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                ioana = await person_with(metered, http, "Ioana", Role.FACILITATOR)
                lina = await person_with(metered, http, "Lina", Role.MEMBER)
                created = await http.post(
                    "/api/rooms", json={"kind": "support_group", "name": "C"}, headers=ioana.auth
                )
                room_id = uuid.UUID(created.json()["id"])
                await http.post(f"/api/rooms/{room_id}/join", headers=lina.auth)
                before = (await http.get("/metrics")).text
                sockets = [await open_socket(server, http, p) for p in (ioana, lina)]
                for sock in sockets:
                    await sock.subscribe({room_id: 0})
                await http.post(
                    f"/api/rooms/{room_id}/messages",
                    json={"client_id": "m1", "body": "hello"},
                    headers=ioana.auth,
                )
                for sock in sockets:
                    await sock.messages(1)
                text = (await http.get("/metrics")).text
                assert metric(text, "tandem_ws_connections") == 2
                assert metric(text, "tandem_ws_rooms") == 1
                assert (
                    metric(text, "tandem_ws_connections_opened_total")
                    - metric(before, "tandem_ws_connections_opened_total")
                    == 2
                )
                assert (
                    metric(text, "tandem_room_messages_total")
                    - metric(before, "tandem_room_messages_total")
                    == 1
                )
                assert (
                    metric(text, "tandem_room_message_deliveries_total")
                    - metric(before, "tandem_room_message_deliveries_total")
                    == 2
                )
                assert "tandem_ws_slow_consumer_closes_total" in text
                assert metric(text, "tandem_broker_dropped_total") == 0
                for sock in sockets:
                    await sock.close()
        finally:
            await asyncio.to_thread(server.stop)


class TestJsonLogs:
    async def test_one_line_per_request_with_its_id_and_nothing_personal(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        log_lines: io.StringIO,
    ) -> None:
        ioana = await person_with(app, client, "Ioana", Role.FACILITATOR)
        room = await client.post(
            "/api/rooms", json={"kind": "support_group", "name": "Circle"}, headers=ioana.auth
        )
        posted = await client.post(
            f"/api/rooms/{room.json()['id']}/messages",
            json={"client_id": "m1", "body": "a sentence only the room may read"},
            headers=ioana.auth,
        )
        assert posted.status_code == 201
        access = [line for line in parsed(log_lines) if line["logger"] == "tandem.access"]
        mine = [line for line in access if line["request_id"] == posted.headers["x-request-id"]]
        assert mine == [
            {
                "ts": mine[0]["ts"],
                "level": "info",
                "logger": "tandem.access",
                "msg": "request",
                "request_id": posted.headers["x-request-id"],
                "method": "POST",
                "route": "/api/rooms/{room_id}/messages",
                "status": 201,
                "duration_ms": mine[0]["duration_ms"],
            }
        ]
        everything = log_lines.getvalue()
        for private in ("Ioana", "a sentence only", room.json()["id"], "127.0.0.1"):
            assert private not in everything

    async def test_the_proxys_request_id_is_kept_and_a_strange_one_replaced(
        self, client: httpx.AsyncClient, log_lines: io.StringIO
    ) -> None:
        kept = await client.get("/healthz", headers={"X-Request-ID": "0123456789abcdef"})
        assert kept.headers["x-request-id"] == "0123456789abcdef"
        replaced = await client.get("/healthz", headers={"X-Request-ID": "<script> x"})
        assert replaced.headers["x-request-id"] != "<script> x"
        ids = [line["request_id"] for line in parsed(log_lines)]
        assert ids == ["0123456789abcdef", replaced.headers["x-request-id"]]

    async def test_client_address_only_when_asked_for(
        self, tmp_path: Path, database_url: str, log_lines: io.StringIO
    ) -> None:
        app = create_app(make_settings(tmp_path, database_url, log_client_address=True))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            await http.get("/healthz")
        await app.state.db.dispose()
        assert parsed(log_lines)[-1]["client"] == "203.0.113.9"

    def test_an_errors_text_stays_out_of_the_log(self) -> None:
        pseudonym = "".join(["Li", "na"])  # not in the source lines a traceback quotes
        try:
            raise ValueError(f"INSERT ... ('{pseudonym}', 'her message')")
        except ValueError:
            record = logging.LogRecord(
                "tandem.errors", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
            )
        line = json.loads(JsonFormatter().format(record))
        assert line["error"] == "ValueError"
        assert "Lina" not in json.dumps(line)
        assert "test_an_errors_text_stays_out_of_the_log" in line["trace"]

    def test_uvicorns_handshake_lines_with_address_and_ticket_are_dropped(self) -> None:
        record = logging.LogRecord(
            "uvicorn.error",
            logging.INFO,
            __file__,
            1,
            '%s - "WebSocket %s" [accepted]',
            ("127.0.0.1:5000", "/ws?ticket=abc"),
            None,
        )
        assert DropHandshakeLines().filter(record) is False


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[Process]:
    try:
        binary = find_binary("redis-server", "/usr/bin/redis-server")
    except TopologyUnavailable as exc:
        pytest.skip(str(exc))
    argv = [binary, str(DEPLOY / "redis" / "tandem.conf"), "--port", str(REDIS_PORT)]
    argv += ["--dir", str(tmp_path)]
    process = Process("redis", argv, {}, tmp_path / "redis.log")
    process.start(tmp_path)
    wait_for_port(REDIS_PORT, 10, process.popen)
    yield process
    process.stop()


class TestReadiness:
    async def test_redis_is_checked_when_configured(
        self, tmp_path: Path, database_url: str, redis_process: Process
    ) -> None:
        settings: Settings = make_settings(
            tmp_path,
            database_url,
            redis_url=f"redis://127.0.0.1:{REDIS_PORT}/0",
            metrics_enabled=True,
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
                ready = await http.get("/readyz")
                assert ready.status_code == 200
                assert ready.json() == {"status": "ready", "database": "ok", "broker": "ok"}
                assert metric((await http.get("/metrics")).text, "tandem_broker_up") == 1
                redis_process.stop()
                down = await http.get("/readyz")
                assert down.status_code == 503
                assert down.json()["error"]["message"] == "The message broker does not answer."
                assert metric((await http.get("/metrics")).text, "tandem_broker_up") == 0
        finally:
            await app.state.db.dispose()


class TestSharedThrottles:
    async def test_failed_logins_on_two_processes_add_up(
        self, tmp_path: Path, database_url: str, redis_process: Process
    ) -> None:
        """Five failures allowed per account: three on A and two on B block her on both."""
        settings = make_settings(
            tmp_path, database_url, redis_url=f"redis://127.0.0.1:{REDIS_PORT}/0"
        )
        servers = [LiveServer(settings), LiveServer(settings)]
        for server in servers:
            await asyncio.to_thread(server.start)
        try:
            a, b = servers
            async with (
                httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
                httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
            ):
                await person_with(a.app, on_a, "Lina", Role.MEMBER)

                async def log_in(http: httpx.AsyncClient, password: str) -> int:
                    response = await http.post(
                        "/api/auth/login",
                        json={"pseudonym": "Lina", "password": password, "client": "api"},
                    )
                    return response.status_code

                for http in (on_a, on_b, on_a, on_b, on_a):
                    assert await log_in(http, "not her password") == 401
                # The count lives in Redis: B sees A's failures at once.
                # Blocked everywhere, even with the right password.
                assert await log_in(on_b, PASSWORD) == 429
                assert await log_in(on_a, PASSWORD) == 429
        finally:
            for server in servers:
                await asyncio.to_thread(server.stop)
