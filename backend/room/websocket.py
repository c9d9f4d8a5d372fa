"""The /ws protocol: one hub per process, one Connection per socket (docs/realtime.md).

Delivery is decided in memory: each connection holds, per subscribed room, the last
sequence number it was sent. Live events that would skip a number make the connection
fetch the gap from the database first, so a client sees every message once and in
order whatever the broker did. What a connection may read is checked again on every
inbound frame (in the database), on every delivery (in memory), immediately when a
moderator removes her (through the broker), and every ``ws_revalidate_seconds`` for
sessions ended, roles taken away and memberships changed elsewhere.
"""

import asyncio
import contextlib
import json
import logging
import secrets
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Coroutine
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError
from sqlmodel import col, select
from starlette.types import Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol as WebsocketsProtocol
from websockets.protocol import State as WebsocketsState

from backend.auth import service as auth_service
from backend.auth.capabilities import Grants
from backend.auth.dependencies import SESSION_COOKIE, Actor
from backend.auth.lookup import LiveSession, SignedInAccount, held, live, signed_in
from backend.auth.models import Account, AuthSession
from backend.core import metrics
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.errors import NotFound, TandemError
from backend.core.middleware import SERVER_SEND_KEY
from backend.core.time import utc_now
from backend.room import events, rules
from backend.room import live as room_live
from backend.room import messages as room_messages
from backend.room.access import access_room_by_id
from backend.room.broker import Broker
from backend.room.models import RoomKind
from backend.room.schemas import (
    FeedResumeFrame,
    MessagePublic,
    PingFrame,
    ReadFrame,
    SendFrame,
    SubscribeFrame,
    TypingFrame,
    UnsubscribeFrame,
    client_frame_adapter,
)
from backend.safety import service as safety_service
from moderation.restrictions import Effect

log = logging.getLogger("tandem.room.ws")

# Close codes (docs/realtime.md). 4xxx are Tandem's own.
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_RESTART = 1012
CLOSE_UNAUTHENTICATED = 4001
CLOSE_ACCESS_CHANGED = 4004
CLOSE_SLOW_CONSUMER = 4008
CLOSE_TOO_MANY_CONNECTIONS = 4013
CLOSE_FLOOD = 4029

FILL_PAGE = 500
# Shared by every socket that has blocked no one (most), instead of an empty set each.
NO_ONE: frozenset[uuid.UUID] = frozenset()
# Feed items (notifications) sent on resume before the client is told to page over HTTP.
FEED_BACKLOG = 200
FEED_PAGE = 100
REVALIDATE_CHUNK = 500
# A round of revalidation is spread over this many turns of ws_revalidate_seconds / N.
REVALIDATE_SLICES = 10
# Refused frames in a row, past the burst, before a flooding socket is closed.
FLOOD_STRIKES = 50


async def _await(awaitable: Awaitable[None]) -> None:
    await awaitable


async def _finish(coroutine: Coroutine[Any, Any, None], awaited: Any) -> None:
    """Drive a coroutine that was started by hand and is waiting on ``awaited`` (what it
    yielded) to its end, as a Task would; errors and cancellation reach it as usual."""
    while True:
        try:
            if awaited is None:
                await asyncio.sleep(0)
                result = None
            else:
                # A future yielded to a Task is marked as waited on; the Task clears the mark
                # before waiting itself (asyncio.Task.__step). So do we, or awaiting it again
                # fails with "await wasn't used with future".
                awaited._asyncio_future_blocking = False
                result = await awaited
        except BaseException as exc:  # cancellation too: the coroutine decides what it means
            try:
                awaited = coroutine.throw(exc)
            except StopIteration:
                return
        else:
            try:
                awaited = coroutine.send(result)
            except StopIteration:
                return


def text_frame(text: str) -> bytes:
    """A text frame as a server sends it: unmasked, uncompressed, in one piece."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class Wire:
    """The socket's transport under uvicorn's websockets-sansio protocol, written to
    directly while it takes data (docs/decisions/0010-direct-writes.md).

    Through ASGI a delivery costs a coroutine, a frame built for this socket alone and a
    write; here it is a write of bytes built once for the whole room. ``Wire.of`` checks
    everything it relies on and answers None otherwise (another server, compression, an
    upgrade that changed the protocol object); frames then go through ASGI ``send``.
    """

    __slots__ = ("_conn", "_protocol", "_transport", "_writable")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._conn = protocol.conn
        self._transport = protocol.transport
        self._writable = protocol.writable

    @classmethod
    def of(cls, server_send: Send) -> "Wire | None":
        protocol = getattr(server_send, "__self__", None)
        if type(protocol).__name__ != "WebSocketsSansIOProtocol":
            return None
        conn = getattr(protocol, "conn", None)
        if not (
            isinstance(conn, WebsocketsProtocol)
            and not conn.extensions
            and isinstance(getattr(protocol, "transport", None), asyncio.WriteTransport)
            and isinstance(getattr(protocol, "writable", None), asyncio.Event)
            and isinstance(getattr(protocol, "close_sent", None), bool)
        ):
            return None
        return cls(protocol)

    def write(self, frame: bytes) -> bool:
        """Write now if the socket is open and below its high-water mark; else False."""
        if (
            self._writable.is_set()
            and self._conn.state is WebsocketsState.OPEN
            and not self._protocol.close_sent
            and not self._transport.is_closing()
        ):
            self._transport.write(frame)
            return True
        return False


class Outgoing:
    """A message frame encoded once (text and wire bytes), the folded variant only if
    someone needs it."""

    __slots__ = ("_collapsed", "_frames", "author_id", "data", "seq", "text")

    def __init__(self, frame_type: str, message: dict[str, Any]) -> None:
        self.data = {"type": frame_type, **message}
        self.seq: int = message["seq"]
        author = message.get("author")
        self.author_id = uuid.UUID(author["id"]) if author else None
        self.text = events.dumps(self.data)
        self._collapsed: str | None = None
        self._frames: dict[str, bytes] = {}

    def for_reader(self, blocked: AbstractSet[uuid.UUID]) -> str:
        if self.author_id is None or self.author_id not in blocked:
            return self.text
        if self._collapsed is None:
            self._collapsed = events.dumps({**self.data, "collapsed": True})
        return self._collapsed

    def frame(self, text: str) -> bytes:
        framed = self._frames.get(text)
        if framed is None:
            framed = self._frames[text] = text_frame(text)
        return framed


@dataclass
class Cursor:
    last: int
    filling: bool = False
    pending: list[Outgoing] = field(default_factory=list)
    pending_updates: list[Outgoing] = field(default_factory=list)
    # The ``last`` seen behind the room's head at the previous revalidation.
    behind_at: int | None = None


@dataclass
class FeedCursor:
    """Where a socket stands in her account feed (notifications), like a room's Cursor."""

    last: int
    filling: bool = True
    pending: list[tuple[int | None, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FeedPage:
    head: int
    unread: int
    # Oldest first; each frame carries its "seq".
    frames: list[dict[str, Any]]


class FeedSource(Protocol):
    """Reads an account feed for resume. Implemented by a domain above rooms
    (backend.notification), handed to the Hub when the app is built."""

    async def page_after(
        self, db: Database, account_id: uuid.UUID, after: int, limit: int
    ) -> FeedPage: ...


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Connection:
    # Thousands are held at once: no per-instance dict, and the backlog and task set only
    # once needed (an empty deque alone is 760 bytes).
    __slots__ = (
        "account_id",
        "backlog",
        "backlog_bound",
        "blocked",
        "bucket",
        "closing",
        "cursors",
        "feed",
        "grants",
        "hub",
        "id",
        "kinds",
        "pseudonym",
        "server_send",
        "session_id",
        "strikes",
        "tasks",
        "websocket",
        "wire",
        "writer",
    )

    def __init__(
        self,
        hub: "Hub",
        websocket: WebSocket,
        account: SignedInAccount,
        auth_session: LiveSession,
        grants: Grants,
        blocked: AbstractSet[uuid.UUID],
    ) -> None:
        self.id = secrets.token_hex(6)
        self.hub = hub
        self.websocket = websocket
        self.server_send: Send = websocket.scope.get(SERVER_SEND_KEY) or websocket.send
        self.wire = Wire.of(self.server_send)
        self.account_id = account.id
        self.pseudonym = account.pseudonym
        self.session_id = auth_session.id
        self.grants = grants
        self.blocked = blocked
        self.cursors: dict[uuid.UUID, Cursor] = {}
        self.kinds: dict[uuid.UUID, RoomKind] = {}
        self.feed: FeedCursor | None = None
        # Frames waiting behind a send that could not finish at once; see _send_now.
        self.backlog: deque[str | _Close] | None = None
        self.backlog_bound = hub.settings.ws_send_queue_frames
        self.closing = False
        self.tasks: set[asyncio.Task[None]] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.bucket = rules.TokenBucket(
            hub.settings.ws_frames_per_second, hub.settings.ws_frame_burst, time.monotonic()
        )
        self.strikes = 0

    # Sending

    def offer(self, text: str) -> None:
        """Send a frame without waiting; a backlog past its bound means a slow consumer."""
        if self.closing:
            return
        backlog = self.backlog
        if self.writer is None or backlog is None:
            self._send_now({"type": "websocket.send", "text": text})
        elif len(backlog) < self.backlog_bound:
            backlog.append(text)
        else:
            self.close(CLOSE_SLOW_CONSUMER, "Too slow to keep up; reconnect and resume.")

    def offer_message(self, out: Outgoing) -> None:
        """A room's message: straight to the wire when nothing is waiting before it."""
        text = out.for_reader(self.blocked)
        wire = self.wire
        nothing_waiting = self.writer is None and not self.closing
        if wire is not None and nothing_waiting and wire.write(out.frame(text)):
            return
        self.offer(text)

    async def offer_in_turn(self, text: str) -> None:
        """Send a frame, first waiting for the backlog to empty if it is full: for catching
        up from the database, where a long backlog is not falling behind."""
        while self.writer is not None and len(self.backlog or ()) >= self.backlog_bound:
            await asyncio.wait({self.writer})
        self.offer(text)

    def offer_data(self, data: dict[str, Any]) -> None:
        self.offer(events.dumps(data))

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.offer_data({"type": "error", "code": code, "message": message, **extra})

    def _send_now(self, message: dict[str, Any]) -> None:
        """Run the ASGI send in the caller's turn of the event loop.

        A socket that takes data (the usual case) is written to at once, so one message to
        a room of a thousand costs a thousand writes and no task switches. Only when the
        send has to wait (the socket's buffer is full) does a writer task take over: it
        finishes this send, then the backlog, in order, and ends when the backlog is empty.
        This is what asyncio's eager tasks (Python 3.12+) do; we support 3.11.
        """
        # Data frames go straight to the server's send; closing goes through Starlette,
        # which keeps the socket's state.
        send = self.server_send if message["type"] == "websocket.send" else self.websocket.send
        pending = send(message)
        # ASGI only promises an awaitable; servers give a coroutine, which can be stepped.
        coroutine = pending if isinstance(pending, Coroutine) else _await(pending)
        try:
            awaited = coroutine.send(None)
        except StopIteration:
            return
        except (WebSocketDisconnect, RuntimeError, OSError):
            # The peer went away; the reader notices and cleans up.
            self._stop_sending()
            return
        if self.backlog is None:
            self.backlog = deque()
        self.writer = asyncio.get_running_loop().create_task(self._write_on(coroutine, awaited))

    async def _write_on(self, started: Coroutine[Any, Any, None], awaited: Any) -> None:
        try:
            await _finish(started, awaited)
            send = self.server_send
            backlog = self.backlog or deque()
            while backlog:
                item = backlog.popleft()
                if isinstance(item, _Close):
                    backlog.clear()
                    await self.websocket.send(
                        {"type": "websocket.close", "code": item.code, "reason": item.reason}
                    )
                    return
                await send({"type": "websocket.send", "text": item})
        except (WebSocketDisconnect, RuntimeError, OSError):
            # The peer went away; the reader notices and cleans up.
            self._stop_sending()
        finally:
            if self.writer is asyncio.current_task():
                self.writer = None

    def _stop_sending(self) -> None:
        self.closing = True
        if self.backlog is not None:
            self.backlog.clear()
        self.hub.unregister(self)

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        if self.tasks is None:
            self.tasks = set()
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def close(self, code: int, reason: str, *, flush: bool = False) -> None:
        """Stop deliveries now and close the socket, after what is queued when ``flush``."""
        if self.closing:
            return
        self.closing = True
        if code == CLOSE_SLOW_CONSUMER:
            metrics.WS_SLOW_CONSUMERS.inc()
        self.hub.unregister(self)
        for task in list(self.tasks or ()):
            task.cancel()
        backlog = self.backlog
        if flush:
            if self.writer is None or backlog is None:
                self._send_now({"type": "websocket.close", "code": code, "reason": reason})
                return
            if len(backlog) < self.backlog_bound:
                backlog.append(_Close(code, reason))
                return
        if backlog is not None:
            backlog.clear()
        if self.writer is not None:
            self.writer.cancel()
        # A slow reader's socket may not take the close frame until she reads again: send it
        # from a task of its own; the hub has forgotten her already.
        self.hub.spawn(self._close_now(code, reason))

    async def _close_now(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.send({"type": "websocket.close", "code": code, "reason": reason})

    # Receiving room traffic

    def deliver(self, room_id: uuid.UUID, out: Outgoing) -> None:
        cursor = self.cursors.get(room_id)
        if cursor is None or self.closing:
            return
        if cursor.filling:
            cursor.pending.append(out)
            if len(cursor.pending) > self.hub.settings.ws_send_queue_frames:
                self.close(CLOSE_SLOW_CONSUMER, "Too slow to keep up; reconnect and resume.")
            return
        if out.seq <= cursor.last:
            return
        if out.seq == cursor.last + 1:
            cursor.last = out.seq
            self.offer_message(out)
            return
        cursor.pending.append(out)
        self.fill(room_id, cursor)

    def deliver_update(self, room_id: uuid.UUID, out: Outgoing) -> None:
        cursor = self.cursors.get(room_id)
        if cursor is None or self.closing:
            return
        if out.seq <= cursor.last:
            self.offer(out.for_reader(self.blocked))
        elif cursor.filling:
            cursor.pending_updates.append(out)

    def fill(self, room_id: uuid.UUID, cursor: Cursor) -> None:
        if cursor.filling or self.closing:
            return
        cursor.filling = True
        self.spawn(self._fill(room_id, cursor))

    async def _fill(self, room_id: uuid.UUID, cursor: Cursor) -> None:
        """Send what the database has after ``cursor.last``, then what arrived meanwhile."""
        try:
            while True:
                async with self.hub.db.session(write=False) as session:
                    rows = await room_messages.messages_after(
                        session, room_id, after=cursor.last, limit=FILL_PAGE
                    )
                if self.closing or self.cursors.get(room_id) is not cursor:
                    return
                for message in rows:
                    if message.seq <= cursor.last:
                        continue
                    out = Outgoing("message", message.model_dump(mode="json"))
                    # Waits for room in the queue: a backlog never counts as falling behind.
                    await self.offer_in_turn(out.for_reader(self.blocked))
                    cursor.last = message.seq
                if len(rows) == FILL_PAGE:
                    continue
                pending = sorted(cursor.pending, key=lambda o: o.seq)
                cursor.pending = []
                gap = False
                for index, out in enumerate(pending):
                    if out.seq <= cursor.last:
                        continue
                    if out.seq != cursor.last + 1:
                        cursor.pending = pending[index:]
                        gap = True
                        break
                    cursor.last = out.seq
                    self.offer(out.for_reader(self.blocked))
                if gap:
                    continue
                updates, cursor.pending_updates = cursor.pending_updates, []
                for out in updates:
                    self.offer(out.for_reader(self.blocked))
                cursor.filling = False
                return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("catching connection %s up on room %s failed", self.id, room_id)
            self.close(CLOSE_RESTART, "Please reconnect.")

    # Receiving her feed

    def deliver_feed(self, seq: int | None, text: str) -> None:
        cursor = self.feed
        if cursor is None or self.closing:
            return
        if cursor.filling:
            cursor.pending.append((seq, text))
            return
        if seq is None:
            self.offer(text)
            return
        if seq <= cursor.last:
            return
        if seq == cursor.last + 1:
            cursor.last = seq
            self.offer(text)
            return
        cursor.pending.append((seq, text))
        cursor.filling = True
        self.spawn(self._fill_feed(cursor))

    async def _fill_feed(self, cursor: FeedCursor) -> None:
        """Send what the feed holds after ``cursor.last``, then what arrived meanwhile."""
        source = self.hub.feed_source
        try:
            while source is not None:
                page = await source.page_after(self.hub.db, self.account_id, cursor.last, FEED_PAGE)
                if self.closing or self.feed is not cursor:
                    return
                for frame in page.frames:
                    if frame["seq"] <= cursor.last:
                        continue
                    await self.offer_in_turn(events.dumps(frame))
                    cursor.last = frame["seq"]
                if len(page.frames) == FEED_PAGE:
                    continue
                pending, cursor.pending = cursor.pending, []
                gap = False
                for index, (seq, text) in enumerate(pending):
                    if seq is None:
                        self.offer(text)
                    elif seq == cursor.last + 1:
                        cursor.last = seq
                        self.offer(text)
                    elif seq > cursor.last:
                        cursor.pending = pending[index:]
                        gap = True
                        break
                if gap:
                    continue
                break
            cursor.filling = False
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("catching connection %s up on its feed failed", self.id)
            self.close(CLOSE_RESTART, "Please reconnect.")

    def drop_room(self, room_id: uuid.UUID) -> None:
        self.cursors.pop(room_id, None)
        self.kinds.pop(room_id, None)
        self.hub.leave_room(self, room_id)


class Hub:
    """The connections of this process, by room and by account."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        broker: Broker,
        feed_source: FeedSource | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.broker = broker
        self.feed_source = feed_source
        self.rooms: dict[uuid.UUID, set[Connection]] = {}
        self.accounts: dict[uuid.UUID, set[Connection]] = {}
        self._started = False
        self._start_lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._revalidator: asyncio.Task[None] | None = None

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
            self._revalidator = asyncio.get_running_loop().create_task(self._revalidate_forever())
            self._started = True

    async def stop(self) -> None:
        for connections in list(self.accounts.values()):
            for connection in list(connections):
                connection.close(CLOSE_RESTART, "The server is restarting; reconnect.", flush=True)
        if self._revalidator is not None:
            self._revalidator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._revalidator
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
        for room_id in list(connection.cursors):
            self.leave_room(connection, room_id)

    def join_room(self, connection: Connection, room_id: uuid.UUID) -> None:
        self.rooms.setdefault(room_id, set()).add(connection)

    def leave_room(self, connection: Connection, room_id: uuid.UUID) -> None:
        members = self.rooms.get(room_id)
        if members is not None:
            members.discard(connection)
            if not members:
                del self.rooms[room_id]

    def all_connections(self) -> list[Connection]:
        return [c for group in self.accounts.values() for c in group]

    # Events from the broker (on this loop, in publication order)

    def on_event(self, payload: bytes) -> None:
        try:
            data = events.decode(payload)
            kind = data["kind"]
            if kind == "account_changed":
                account_id = uuid.UUID(data["account_id"])
                connections = [c for c in self.accounts.get(account_id, ()) if not c.closing]
                if connections:
                    self.spawn(self.revalidate(connections))
                return
            if kind == "account_frame":
                text = events.dumps(data["frame"])
                for connection in list(self.accounts.get(uuid.UUID(data["account_id"]), ())):
                    connection.deliver_feed(data["seq"], text)
                return
            room_id = uuid.UUID(data["room_id"])
            if kind == "message":
                self._on_message(room_id, Outgoing("message", data["message"]))
            elif kind == "message_updated":
                out = Outgoing("message_updated", data["message"])
                for connection in list(self.rooms.get(room_id, ())):
                    connection.deliver_update(room_id, out)
            elif kind == "member_removed":
                self._on_member_removed(room_id, uuid.UUID(data["account_id"]), data["reason"])
            elif kind == "member_added":
                frame = events.dumps({"type": "room_added", "room_id": str(room_id)})
                for connection in list(self.accounts.get(uuid.UUID(data["account_id"]), ())):
                    connection.offer(frame)
            elif kind == "typing":
                self._on_typing(room_id, data)
        except Exception:
            log.exception("could not handle a room event")

    def _on_message(self, room_id: uuid.UUID, out: Outgoing) -> None:
        metrics.ROOM_MESSAGES.inc()
        connections = self.rooms.get(room_id)
        if not connections:
            return
        metrics.ROOM_DELIVERIES.inc(len(connections))
        for connection in list(connections):
            connection.deliver(room_id, out)

    def _on_member_removed(self, room_id: uuid.UUID, account_id: uuid.UUID, reason: str) -> None:
        frame = events.dumps({"type": "removed", "room_id": str(room_id), "reason": reason})
        for connection in list(self.accounts.get(account_id, ())):
            if room_id not in connection.cursors:
                if reason == "removed":
                    connection.offer(frame)
                continue
            connection.drop_room(room_id)
            connection.offer(frame)
            if reason == "removed":
                connection.close(
                    CLOSE_ACCESS_CHANGED,
                    "Your access to a room changed; reconnect and subscribe again.",
                    flush=True,
                )

    def _on_typing(self, room_id: uuid.UUID, data: dict[str, Any]) -> None:
        typer = uuid.UUID(data["account_id"])
        hidden = {uuid.UUID(a) for a in data.get("hidden_from", ())}
        frame = events.dumps(
            {
                "type": "typing",
                "room_id": str(room_id),
                "account_id": str(typer),
                "pseudonym": data["pseudonym"],
            }
        )
        for connection in list(self.rooms.get(room_id, ())):
            if connection.account_id != typer and connection.account_id not in hidden:
                connection.offer(frame)

    def on_reconnected(self) -> None:
        """The broker was away: events may be lost. Catch every subscribed room up."""
        for room_id, connections in list(self.rooms.items()):
            for connection in list(connections):
                cursor = connection.cursors.get(room_id)
                if cursor is not None:
                    connection.fill(room_id, cursor)
        for connection in self.all_connections():
            feed = connection.feed
            if feed is not None and not feed.filling and not connection.closing:
                feed.filling = True
                connection.spawn(connection._fill_feed(feed))

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
        everyone = self.all_connections() if only is None else only
        connections = [c for c in everyone if not c.closing]
        for start in range(0, len(connections), REVALIDATE_CHUNK):
            chunk = connections[start : start + REVALIDATE_CHUNK]
            room_ids = list({r for c in chunk for r in c.cursors})
            async with self.db.session(write=False) as session:
                state = await room_live.load_live_state(
                    session,
                    self.settings,
                    session_ids=list({c.session_id for c in chunk}),
                    account_ids=list({c.account_id for c in chunk}),
                    room_ids=room_ids,
                )
            checked = set(room_ids)
            for connection in chunk:
                self._apply(connection, state, checked)

    def _apply(
        self, connection: Connection, state: room_live.LiveState, checked: set[uuid.UUID]
    ) -> None:
        if connection.closing:
            return
        if connection.session_id not in state.live_sessions:
            connection.close(CLOSE_UNAUTHENTICATED, "Your session has ended. Please sign in again.")
            return
        grants = state.grants.get(connection.account_id, connection.grants)
        if connection.session_id in state.duress_sessions:
            # A duress session's view never widens, whatever her roles are.
            grants = connection.grants
        connection.grants = grants
        connection.blocked = state.blocked.get(connection.account_id, NO_ONE)
        for room_id, cursor in list(connection.cursors.items()):
            if room_id not in checked:
                # Subscribed while the state was loading: checked by the subscribe itself.
                continue
            kind = state.kinds.get(room_id)
            member = state.members.get((connection.account_id, room_id))
            if kind is None or not rules.can_read(kind, member, grants):
                connection.drop_room(room_id)
                connection.offer_data(
                    {"type": "removed", "room_id": str(room_id), "reason": "access_changed"}
                )
                connection.close(
                    CLOSE_ACCESS_CHANGED,
                    "Your access to a room changed; reconnect and subscribe again.",
                    flush=True,
                )
                return
            head = state.heads.get(room_id, 0)
            if cursor.filling or cursor.last >= head:
                cursor.behind_at = None
            elif cursor.behind_at == cursor.last:
                # Behind for a whole round with nothing arriving: an event was lost.
                connection.fill(room_id, cursor)
                cursor.behind_at = None
            else:
                cursor.behind_at = cursor.last


# The endpoint


async def _authenticate(
    hub: Hub, websocket: WebSocket
) -> tuple[SignedInAccount, LiveSession, Grants, AbstractSet[uuid.UUID]] | None:
    ticket = websocket.query_params.get("ticket")
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    token = token or websocket.cookies.get(SESSION_COOKIE)
    account: SignedInAccount
    auth_session: LiveSession
    if ticket:
        async with hub.db.session(write=True) as session:
            redeemed = await room_live.redeem_ws_ticket(session, hub.settings, ticket)
            if redeemed is None:
                return None
            account, auth_session = signed_in(redeemed[0]), live(redeemed[1])
            role_grants = await auth_service.list_role_grants(session, account.id)
            grants = auth_service.grants_of(
                role_grants, account.restrictions, duress=auth_session.duress
            )
    elif token:
        found = await auth_service.resolve_session(
            websocket.app.state.session_lookup, hub.settings, token
        )
        if found is None:
            return None
        account, auth_session = found.account, found.session
        grants = auth_service.grants_of(
            found.roles, account.restrictions, duress=auth_session.duress
        )
    else:
        return None
    async with hub.db.session(write=False) as session:
        blocked = await room_messages.blocked_by(session, account.id) or NO_ONE
    return account, auth_session, grants, blocked


async def serve_websocket(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    settings = hub.settings
    if not rules.is_allowed_origin(
        websocket.headers.get("origin"),
        host=websocket.headers.get("host"),
        secure=websocket.url.scheme == "wss",
        allowed=settings.ws_allowed_origins,
    ):
        # Before accepting: the handshake is refused with 403 and nothing is read.
        await websocket.close(code=CLOSE_POLICY)
        return
    await hub.ensure_started()
    identity = await _authenticate(hub, websocket)
    if identity is None:
        await websocket.accept()
        await websocket.close(CLOSE_UNAUTHENTICATED, "Please sign in again.")
        return
    account, auth_session, grants, blocked = identity
    if hub.connection_count(account.id) >= settings.ws_max_connections_per_account:
        await websocket.accept()
        await websocket.close(CLOSE_TOO_MANY_CONNECTIONS, "Too many open connections.")
        return
    connection = Connection(hub, websocket, account, auth_session, grants, blocked)
    hub.register(connection)
    try:
        await websocket.accept()
        connection.offer_data(
            {
                "type": "hello",
                "connection_id": connection.id,
                "account_id": str(account.id),
                "pseudonym": account.pseudonym,
                "limits": {
                    "max_frame_bytes": settings.ws_max_frame_bytes,
                    "max_message_chars": rules.MAX_MESSAGE_CHARS,
                    "frames_per_second": settings.ws_frames_per_second,
                    "frame_burst": settings.ws_frame_burst,
                    "backlog_limit": settings.ws_backlog_limit,
                },
            }
        )
        await _read_forever(connection)
    finally:
        if not connection.closing:
            connection.closing = True
            hub.unregister(connection)
        for task in list(connection.tasks or ()):
            task.cancel()
        if connection.writer is not None and not connection.writer.done():
            # Let a queued close frame go out; then stop writing.
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(connection.writer), timeout=0.5)
            connection.writer.cancel()


async def _read_forever(connection: Connection) -> None:
    websocket = connection.websocket
    limit = connection.hub.settings.ws_max_frame_bytes
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if connection.closing:
            continue
        text = message.get("text")
        if text is None:
            connection.error("binary_not_accepted", "Send frames as JSON text.")
            continue
        if len(text) > limit or len(text.encode()) > limit:
            connection.close(CLOSE_TOO_BIG, f"Frames are at most {limit} bytes.")
            continue
        now = time.monotonic()
        if not connection.bucket.take(now):
            connection.strikes += 1
            if connection.strikes > FLOOD_STRIKES:
                connection.close(CLOSE_FLOOD, "Too many frames.")
                continue
            connection.error(
                "rate_limited",
                "You are sending too fast; this frame was not processed.",
                retry_after_ms=int(connection.bucket.wait_seconds() * 1000) + 1,
            )
            continue
        connection.strikes = 0
        await _handle_frame(connection, text)


def _frame_error_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors():
        # The first element names the frame type the union matched; the field follows.
        parts = [str(p) for p in error.get("loc", ())[1:] if not isinstance(p, int)]
        loc = ".".join(parts) or "type"
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "This field is required."
        fields.setdefault(loc, message)
    return fields


async def _handle_frame(connection: Connection, text: str) -> None:
    try:
        raw = json.loads(text)
    except ValueError:
        connection.error("invalid_json", "The frame is not valid JSON.")
        return
    try:
        frame = client_frame_adapter.validate_python(raw)
    except ValidationError as exc:
        echo = {}
        if isinstance(raw, dict) and isinstance(raw.get("client_id"), str):
            echo["client_id"] = raw["client_id"][:64]
        connection.error(
            "invalid_frame", "The frame needs attention.", fields=_frame_error_fields(exc), **echo
        )
        return
    if isinstance(frame, PingFrame):
        connection.offer_data({"type": "pong"})
        return
    try:
        if isinstance(frame, SubscribeFrame):
            await _subscribe(connection, frame)
        elif isinstance(frame, UnsubscribeFrame):
            for room_id in frame.room_ids:
                connection.drop_room(room_id)
            connection.offer_data(
                {"type": "unsubscribed", "room_ids": [str(r) for r in frame.room_ids]}
            )
        elif isinstance(frame, SendFrame):
            await _send(connection, frame)
        elif isinstance(frame, ReadFrame):
            async with connection.hub.db.session(write=True) as session:
                actor = await _current_actor(connection, session, write=True)
                if actor is not None:
                    room = await room_messages.mark_read(session, actor, frame.room_id, frame.seq)
                    connection.offer_data(
                        {
                            "type": "read_marker",
                            "room_id": str(room.id),
                            "seq": room.last_read_seq,
                        }
                    )
        elif isinstance(frame, TypingFrame):
            await _typing(connection, frame)
        elif isinstance(frame, FeedResumeFrame):
            await _resume_feed(connection, frame)
    except TandemError as exc:
        extra: dict[str, Any] = {}
        for name in ("room_id", "client_id"):
            value = getattr(frame, name, None)
            if value is not None:
                extra[name] = str(value)
        connection.error(exc.code, exc.message, fields=exc.fields, **extra)


async def _current_actor(connection: Connection, session: Any, *, write: bool) -> Actor | None:
    """Check the session and roles again, for this frame; close the socket if they ended."""
    hub = connection.hub
    # One query for both: this runs for every frame.
    found = (
        await session.exec(
            select(AuthSession, Account)
            .join(Account, col(Account.id) == col(AuthSession.account_id))
            .where(AuthSession.id == connection.session_id)
        )
    ).first()
    now = utc_now()
    if found is None or not room_live.is_session_live(found[0], hub.settings, now):
        connection.close(CLOSE_UNAUTHENTICATED, "Your session has ended. Please sign in again.")
        return None
    auth_session, account = found
    if auth_service.needs_touch(auth_session, now):
        if write:
            # This frame's transaction holds SQLite's write lock: a second writer would wait.
            await auth_service.touch_session(session, auth_session.id)
        else:
            # Afterwards, not inside this read: a second session opened while holding the
            # first starved the pool when many sockets subscribed at once (a restart).
            hub.spawn(_touch_session(hub.db, auth_session.id))
    role_grants = await auth_service.list_role_grants(session, account.id)
    connection.grants = auth_service.grants_of(
        role_grants, account.restrictions, duress=auth_session.duress
    )
    return Actor(
        account=signed_in(account),
        session=live(auth_session),
        grants=connection.grants,
        role_grants=[held(g) for g in role_grants],
    )


async def _touch_session(db: Database, session_id: uuid.UUID) -> None:
    try:
        async with db.session(write=True) as session:
            await auth_service.touch_session(session, session_id)
    except Exception:
        # Only "last seen" is lost; the next frame tries again.
        log.exception("could not note a session as seen")


async def _subscribe(connection: Connection, frame: SubscribeFrame) -> None:
    hub = connection.hub
    limit = hub.settings.ws_backlog_limit
    accepted: list[tuple[uuid.UUID, RoomKind, int, int]] = []
    # Edits and deletions she missed, per room; None = too many, reload the history.
    changed: dict[uuid.UUID, list[MessagePublic] | None] = {}
    server_time = utc_now()
    async with hub.db.session(write=False) as session:
        actor = await _current_actor(connection, session, write=False)
        if actor is None:
            return
        for room_id, last in frame.rooms.items():
            try:
                access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
            except NotFound:
                # The same answer for a room that does not exist and one that is not hers.
                connection.error("not_found", "No such room.", room_id=str(room_id))
                continue
            head = access.room.last_seq
            held = min(last, head)
            accepted.append((room_id, access.kind, held, head))
            if frame.changes_since is not None and held > 0:
                changed[room_id] = await room_messages.changes_since(
                    session, room_id, up_to_seq=held, since=frame.changes_since, limit=limit
                )
    if connection.closing:
        return
    for room_id, kind, last, head in accepted:
        connection.drop_room(room_id)
        behind = rules.is_too_far_behind(last, head, limit)
        cursor = Cursor(last=head if behind else last)
        connection.cursors[room_id] = cursor
        connection.kinds[room_id] = kind
        hub.join_room(connection, room_id)
        connection.offer_data(
            {
                "type": "subscribed",
                "room_id": str(room_id),
                "last_seq": last,
                "head_seq": head,
                "server_time": server_time.isoformat(),
            }
        )
        if room_id in changed:
            updates = changed[room_id]
            if updates is None:
                connection.offer_data(
                    {
                        "type": "changes_too_many",
                        "room_id": str(room_id),
                        "message": "Many messages changed meanwhile; reload the history.",
                    }
                )
            else:
                for update in updates:
                    out = Outgoing("message_updated", update.model_dump(mode="json"))
                    connection.offer(out.for_reader(connection.blocked))
        if behind:
            connection.offer_data(
                {
                    "type": "too_far_behind",
                    "room_id": str(room_id),
                    "from_seq": last + 1,
                    "to_seq": head,
                    "message": "Page the missed messages over HTTP; live messages follow.",
                }
            )
        # Messages stored between reading the head and joining the room come from here.
        connection.fill(room_id, cursor)


async def _resume_feed(connection: Connection, frame: FeedResumeFrame) -> None:
    hub = connection.hub
    if hub.feed_source is None:
        connection.error("not_found", "There is no notification feed here.")
        return
    async with hub.db.session(write=False) as session:
        if await _current_actor(connection, session, write=False) is None:
            return
    first = await hub.feed_source.page_after(hub.db, connection.account_id, frame.after_seq, 0)
    if connection.closing:
        return
    last = min(frame.after_seq, first.head)
    behind = first.head - last > FEED_BACKLOG
    # Live items arriving from here on wait in the cursor until the fill has caught up.
    cursor = FeedCursor(last=first.head if behind else last)
    connection.feed = cursor
    connection.offer_data(
        {
            "type": "notifications_subscribed",
            "last_seq": last,
            "head_seq": first.head,
            "unread": first.unread,
        }
    )
    if behind:
        connection.offer_data(
            {
                "type": "notifications_too_far_behind",
                "from_seq": last + 1,
                "to_seq": first.head,
                "message": "Page the missed notifications over HTTP; new ones follow.",
            }
        )
    connection.spawn(connection._fill_feed(cursor))


async def _send(connection: Connection, frame: SendFrame) -> None:
    async with connection.hub.db.session(write=True) as session:
        actor = await _current_actor(connection, session, write=True)
        if actor is None:
            return
        message, duplicate = await room_messages.post_message(
            session,
            actor,
            frame.room_id,
            client_id=frame.client_id,
            body=frame.body,
            reply_to=frame.reply_to,
            content_warning=frame.content_warning,
        )
    connection.offer_data(
        {
            "type": "ack",
            "client_id": frame.client_id,
            "room_id": str(frame.room_id),
            "seq": message.seq,
            "message_id": str(message.id),
            "duplicate": duplicate,
        }
    )


async def _typing(connection: Connection, frame: TypingFrame) -> None:
    hub = connection.hub
    async with hub.db.session(write=False) as session:
        actor = await _current_actor(connection, session, write=False)
        if actor is None:
            return
        access = await access_room_by_id(session, actor.account.id, actor.grants, frame.room_id)
        if access.view is None or not access.view.is_active:
            return
        if actor.grants.restricted(Effect.HIDDEN):
            return
        hidden = await safety_service.blocked_either_way(session, actor.account.id)
    events.publish_now(
        hub.db.url,
        events.TypingEvent(
            frame.room_id, actor.account.id, actor.account.pseudonym, tuple(sorted(hidden))
        ),
    )
