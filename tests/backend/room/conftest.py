"""Real servers for realtime tests: uvicorn on 127.0.0.1 in a thread, real sockets."""

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.auth.capabilities import Role
from backend.core.config import Settings
from backend.main import create_app
from backend.realtime.bus import BROKER
from tests.conftest import Person, make_settings, person_with


class LiveServer:
    def __init__(
        self, settings: Settings, send_buffer: int | None = None, *, deflate: bool = False
    ) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer is not None:
            # Accepted sockets inherit it: no kernel autotuning hiding a slow reader.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            ws_max_size=settings.ws_max_frame_bytes,
            ws_per_message_deflate=deflate,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


StartServer = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
async def start_server(
    tmp_path: Path, database_url: str, app: FastAPI
) -> AsyncIterator[StartServer]:
    """Start a live server on the test's database, with settings overrides."""
    servers: list[LiveServer] = []

    async def start(
        send_buffer: int | None = None, *, deflate: bool = False, **overrides: Any
    ) -> LiveServer:
        settings = make_settings(tmp_path, database_url, **overrides)
        server = LiveServer(settings, send_buffer, deflate=deflate)
        await asyncio.to_thread(server.start)
        servers.append(server)
        # What the test's own app commits reaches the live server's sockets, as a second
        # process's would through Redis: both stand for one community on one database.
        app.state.db.context.provide(BROKER, server.app.state.runtime.broker)
        return server

    yield start
    for server in servers:
        await asyncio.to_thread(server.stop)


@pytest.fixture
async def server(start_server: StartServer) -> LiveServer:
    return await start_server()


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


@dataclass
class Room:
    id: uuid.UUID
    moderator: Person


async def make_room(
    http: httpx.AsyncClient,
    owner: Person,
    kind: str = "support_group",
    name: str = "Tuesday circle",
) -> uuid.UUID:
    response = await http.post("/api/rooms", json={"kind": kind, "name": name}, headers=owner.auth)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def join(http: httpx.AsyncClient, person: Person, room_id: uuid.UUID) -> None:
    response = await http.post(f"/api/rooms/{room_id}/join", headers=person.auth)
    assert response.status_code == 200, response.text


async def post(
    http: httpx.AsyncClient,
    person: Person,
    room_id: uuid.UUID,
    body: str,
    client_id: str | None = None,
) -> dict[str, Any]:
    response = await http.post(
        f"/api/rooms/{room_id}/messages",
        json={"client_id": client_id or uuid.uuid4().hex, "body": body},
        headers=person.auth,
    )
    assert response.status_code in (200, 201), response.text
    message: dict[str, Any] = response.json()["message"]
    return message


async def ticket(http: httpx.AsyncClient, person: Person) -> str:
    response = await http.post("/api/ws-tickets", headers=person.auth)
    assert response.status_code == 201, response.text
    value: str = response.json()["ticket"]
    return value


class Socket:
    """A websockets client connection with helpers to read frames by type."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        return frame

    async def recv_type(self, *types: str, timeout: float = 5) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            frame = await self.recv(timeout=max(left, 0.01))
            if frame["type"] in types:
                return frame

    async def messages(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count:
            left = deadline - asyncio.get_running_loop().time()
            frame = await self.recv(timeout=max(left, 0.01))
            if frame["type"] == "message":
                found.append(frame)
        return found

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Frames arriving within a short while (expected: none of a given kind)."""
        frames: list[dict[str, Any]] = []
        try:
            while True:
                frames.append(await self.recv(timeout=seconds))
        except TimeoutError:
            return frames

    async def subscribe(self, rooms: dict[uuid.UUID, int]) -> None:
        await self.send({"type": "subscribe", "rooms": {str(k): v for k, v in rooms.items()}})
        for _ in rooms:
            frame = await self.recv_type("subscribed", "error")
            assert frame["type"] == "subscribed", frame

    async def drain(self, timeout: float = 5) -> list[dict[str, Any]]:
        """Every frame until the server closes the connection."""
        frames: list[dict[str, Any]] = []
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(timeout):
                async for raw in self.ws:
                    frames.append(json.loads(raw))
        return frames

    async def close_code(self, timeout: float = 5) -> int | None:
        """Read until the server closes; the close code it sent."""
        try:
            async with asyncio.timeout(timeout):
                async for _ in self.ws:
                    pass
        except Exception:  # noqa: S110 - a dropped connection reads as "no code" below
            pass
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()


async def open_socket(
    server: LiveServer, http: httpx.AsyncClient, person: Person, **kwargs: Any
) -> Socket:
    value = await ticket(http, person)
    kwargs.setdefault("compression", None)
    ws = await connect(f"{server.ws_url}?ticket={value}", open_timeout=5, close_timeout=2, **kwargs)
    sock = Socket(ws)
    hello = await sock.recv()
    assert hello["type"] == "hello", hello
    return sock


async def people(app: FastAPI, http: httpx.AsyncClient) -> tuple[Person, Person, Person]:
    """Ioana facilitates; Lina and Joy are members."""
    ioana = await person_with(app, http, "Ioana", Role.FACILITATOR, Role.ACTIVE_MEMBER)
    lina = await person_with(app, http, "Lina", Role.MEMBER)
    joy = await person_with(app, http, "Joy", Role.MEMBER)
    return ioana, lina, joy
