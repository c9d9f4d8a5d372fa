"""Clients that behave as Tandem's own would across a failover: they retry, resume, and count.

A ``Sender`` posts numbered messages over HTTPS and repeats a post that got no answer
with the same ``client_id`` (so a retry cannot make a duplicate). A ``Reader`` holds a
WebSocket, and when it drops asks for a new ticket and resubscribes from the last
sequence number it saw. Both keep the figures the failover log prints.
"""

import asyncio
import contextlib
import json
import ssl
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

RETRYABLE_STATUS = {502, 503, 504}


@dataclass
class Member:
    id: uuid.UUID
    pseudonym: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(http: httpx.AsyncClient, pseudonym: str) -> Member:
    response = await http.post(
        "/api/auth/register",
        json={"pseudonym": pseudonym, "password": "correct horse battery", "client": "api"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Member(uuid.UUID(body["account"]["id"]), pseudonym, body["token"])


async def request_with_retry(
    http: httpx.AsyncClient, method: str, url: str, *, attempts: int = 40, **kwargs: Any
) -> tuple[httpx.Response, int]:
    """The answer, and how many tries it took (a dead process answers 502 or nothing)."""
    for attempt in range(1, attempts + 1):
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TransportError:
            await asyncio.sleep(0.1)
            continue
        if response.status_code not in RETRYABLE_STATUS:
            return response, attempt
        await asyncio.sleep(0.1)
    raise AssertionError(f"{method} {url} did not succeed in {attempts} tries")


@dataclass
class Sender:
    http: httpx.AsyncClient
    member: Member
    room_id: uuid.UUID
    sent: list[str] = field(default_factory=list)
    retries: int = 0
    repeated_answers: int = 0

    async def post(self, body: str, client_id: str | None = None) -> int:
        client_id = client_id or f"sender-{uuid.uuid4().hex}"
        response, attempts = await request_with_retry(
            self.http,
            "POST",
            f"/api/rooms/{self.room_id}/messages",
            json={"client_id": client_id, "body": body},
            headers=self.member.auth,
        )
        assert response.status_code in (200, 201), response.text
        self.retries += attempts - 1
        if response.status_code == 200:
            # The first try had reached a process and been stored before it died.
            self.repeated_answers += 1
        self.sent.append(body)
        seq: int = response.json()["message"]["seq"]
        return seq


@dataclass
class Reader:
    """One member's WebSocket through nginx, resumed from her last seq after every drop."""

    name: str
    http: httpx.AsyncClient
    member: Member
    room_id: uuid.UUID
    ws_url: str
    ssl_context: ssl.SSLContext
    origin: str
    received: list[tuple[int, str]] = field(default_factory=list)
    frames_seen: int = 0
    duplicates: int = 0
    gaps: int = 0
    reconnects: int = 0
    connection_ids: list[str] = field(default_factory=list)
    subscribed_at: list[float] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _ws: Any = None

    @property
    def last_seq(self) -> int:
        return self.received[-1][0] if self.received else 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def send(self, client_id: str, body: str) -> None:
        await self._ws.send(
            json.dumps(
                {"type": "send", "room_id": str(self.room_id), "client_id": client_id, "body": body}
            )
        )

    async def wait_for(self, seq: int, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.last_seq < seq:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name} reached seq {self.last_seq}, not {seq}")
            await asyncio.sleep(0.02)

    async def _run(self) -> None:
        first = True
        while True:
            if not first:
                self.reconnects += 1
                await asyncio.sleep(0.1)
            first = False
            self.connected.clear()
            try:
                await self._session()
            except (ConnectionClosed, InvalidStatus, OSError, TimeoutError, AssertionError):
                continue

    async def _session(self) -> None:
        response, _ = await request_with_retry(
            self.http, "POST", "/api/ws-tickets", headers=self.member.auth
        )
        assert response.status_code == 201, response.text
        ticket = response.json()["ticket"]
        async with connect(
            f"{self.ws_url}?ticket={ticket}",
            ssl=self.ssl_context,
            origin=self.origin,  # type: ignore[arg-type]
            compression=None,
            open_timeout=5,
            close_timeout=1,
        ) as ws:
            self._ws = ws
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            self.connection_ids.append(hello["connection_id"])
            await ws.send(
                json.dumps({"type": "subscribe", "rooms": {str(self.room_id): self.last_seq}})
            )
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "subscribed":
                    self.subscribed_at.append(asyncio.get_running_loop().time())
                    self.connected.set()
                elif frame["type"] == "message":
                    self._on_message(frame["seq"], frame["body"])

    def _on_message(self, seq: int, body: str) -> None:
        self.frames_seen += 1
        if seq <= self.last_seq:
            self.duplicates += 1
            return
        if seq != self.last_seq + 1:
            self.gaps += 1
        self.received.append((seq, body))
