"""The connections of one process, and what each domain taught it at start-up.

The hub knows sockets, streams, topics and accounts, never rooms or notifications: a
domain registers the events it handles, the frames clients may send it, and (one of
them) how open sockets are checked again. Delivery is decided in memory; what a
connection may read is checked again on every inbound frame (by the frame's handler),
immediately when an account changes (through the broker), and every
``ws_revalidate_seconds`` for sessions ended, roles taken away and memberships changed.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel
from starlette.websockets import WebSocket

from backend.core.config import Settings
from backend.core.db import Database
from backend.core.schemas import Input
from backend.realtime.broker import Broker
from backend.realtime.bus import AccountChangedEvent, AccountFrameEvent, Event, decode
from backend.realtime.connection import CLOSE_RESTART, Connection, Identity
from backend.realtime.wire import Outgoing

log = logging.getLogger("tandem.realtime")

REVALIDATE_CHUNK = 500
# A round of revalidation is spread over this many turns of ws_revalidate_seconds / N.
REVALIDATE_SLICES = 10

E = TypeVar("E", bound=Event)
F = TypeVar("F", bound=BaseModel)


class Authenticator(Protocol):
    async def __call__(self, hub: "Hub", websocket: WebSocket) -> Identity | None:
        """Who opens this socket, from its ticket, bearer token or cookie; None refuses."""
        ...


class Revalidator(Protocol):
    async def __call__(self, hub: "Hub", connections: Sequence[Connection]) -> None:
        """Check these open sockets against the database now and act on what changed."""
        ...


FrameHandler = Callable[[Connection, Any], Awaitable[None]]


@dataclass(frozen=True)
class FrameRoute:
    model: type[BaseModel]
    handle: FrameHandler
    # Fields whose value an error about this frame echoes back (room_id, client_id).
    echo: tuple[str, ...] = ()


class PingFrame(Input):
    type: Literal["ping"]


async def _pong(connection: Connection, _frame: PingFrame) -> None:
    connection.offer_data({"type": "pong"})


class Hub:
    def __init__(self, settings: Settings, db: Database, broker: Broker) -> None:
        self.settings = settings
        self.db = db
        self.broker = broker
        self.topics: dict[Hashable, set[Connection]] = {}
        self.accounts: dict[uuid.UUID, set[Connection]] = {}
        self.frames: dict[str, FrameRoute] = {"ping": FrameRoute(PingFrame, _pong)}
        # What the hello frame tells a client about limits, by the domains that set them.
        self.limits: dict[str, int] = {}
        self.authenticator: Authenticator | None = None
        self.revalidator: Revalidator | None = None
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            AccountChangedEvent: self._on_account_changed,
            AccountFrameEvent: self._on_account_frame,
        }
        self._started = False
        self._start_lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._revalidator_task: asyncio.Task[None] | None = None

    # What the domains register

    def handle_event(self, kind: type[E], handler: Callable[[E], None]) -> None:
        if kind in self._handlers:
            raise ValueError(f"{kind.__name__} already has a handler")
        self._handlers[kind] = handler

    def handle_frame(
        self,
        frame_type: str,
        model: type[F],
        handler: Callable[[Connection, F], Awaitable[None]],
        *,
        echo: tuple[str, ...] = (),
    ) -> None:
        if frame_type in self.frames:
            raise ValueError(f"the {frame_type!r} frame already has a handler")
        self.frames[frame_type] = FrameRoute(model, handler, echo)

    # Life cycle

    async def ensure_started(self) -> None:
        if self._started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._started:
                return
            await self.broker.start(self.on_event, self.on_reconnected)
            self._revalidator_task = asyncio.get_running_loop().create_task(
                self._revalidate_forever()
            )
            self._started = True

    async def stop(self) -> None:
        for connections in list(self.accounts.values()):
            for connection in list(connections):
                connection.close(CLOSE_RESTART, "The server is restarting; reconnect.", flush=True)
        if self._revalidator_task is not None:
            self._revalidator_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._revalidator_task
        self.broker.unsubscribe(self.on_event)
        for task in list(self._tasks):
            task.cancel()
        self._started = False

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Registry

    def connection_count(self, account_id: uuid.UUID) -> int:
        return len(self.accounts.get(account_id, ()))

    def register(self, connection: Connection) -> None:
        self.accounts.setdefault(connection.account_id, set()).add(connection)

    def unregister(self, connection: Connection) -> None:
        mine = self.accounts.get(connection.account_id)
        if mine is not None:
            mine.discard(connection)
            if not mine:
                del self.accounts[connection.account_id]
        for key in list(connection.streams):
            self.leave_topic(connection, key)

    def join_topic(self, connection: Connection, key: Hashable) -> None:
        self.topics.setdefault(key, set()).add(connection)

    def leave_topic(self, connection: Connection, key: Hashable) -> None:
        members = self.topics.get(key)
        if members is not None:
            members.discard(connection)
            if not members:
                del self.topics[key]

    def all_connections(self) -> list[Connection]:
        return [c for group in self.accounts.values() for c in group]

    def of_account(self, account_id: uuid.UUID) -> list[Connection]:
        return list(self.accounts.get(account_id, ()))

    def following(self, key: Hashable) -> list[Connection]:
        return list(self.topics.get(key, ()))

    # Events from the broker (on this loop, in publication order)

    def on_event(self, payload: bytes) -> None:
        try:
            item = decode(payload)
            handler = self._handlers.get(type(item))
            if handler is None:
                log.warning("no handler for %s events", item.kind)
                return
            handler(item)
        except Exception:
            log.exception("could not handle a realtime event")

    def _on_account_changed(self, item: AccountChangedEvent) -> None:
        connections = [c for c in self.accounts.get(item.account_id, ()) if not c.closing]
        if connections:
            self.spawn(self.revalidate(connections))

    def _on_account_frame(self, item: AccountFrameEvent) -> None:
        out = Outgoing(item.frame["type"], item.frame)
        for connection in self.of_account(item.account_id):
            if item.seq is None:
                connection.deliver_change(item.stream, out, None)
            else:
                connection.deliver(item.stream, out)

    def on_reconnected(self) -> None:
        """The broker was away: events may be lost. Catch every stream up."""
        for connection in self.all_connections():
            if connection.closing:
                continue
            for stream in list(connection.streams.values()):
                connection.fill(stream)

    # Revalidation

    async def _revalidate_forever(self) -> None:
        """Check every connection once per ``ws_revalidate_seconds``, a slice at a time:
        a thousand sockets checked at once stopped the event loop for 40 ms each second,
        which every room on the process felt as latency."""
        interval = self.settings.ws_revalidate_seconds / REVALIDATE_SLICES
        round_: list[Connection] = []
        slice_size = 1
        while True:
            await asyncio.sleep(interval)
            if not round_:
                round_ = self.all_connections()
                slice_size = max(1, -(-len(round_) // REVALIDATE_SLICES))
            chunk, round_ = round_[:slice_size], round_[slice_size:]
            try:
                await self.revalidate(chunk)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("revalidating connections failed")

    async def revalidate(self, only: list[Connection] | None = None) -> None:
        if self.revalidator is None:
            return
        everyone = self.all_connections() if only is None else only
        connections = [c for c in everyone if not c.closing]
        for start in range(0, len(connections), REVALIDATE_CHUNK):
            await self.revalidator(self, connections[start : start + REVALIDATE_CHUNK])
