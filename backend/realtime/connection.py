"""One socket: what it follows, what it is sent, and how it stops (docs/realtime.md)."""

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections import deque
from collections.abc import Coroutine, Hashable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from backend.core import metrics
from backend.core.middleware import SERVER_SEND_KEY
from backend.realtime import rules
from backend.realtime.bus import dumps
from backend.realtime.stream import Stream
from backend.realtime.wire import Outgoing, Wire, _await, _finish

if TYPE_CHECKING:
    from backend.realtime.hub import Hub

log = logging.getLogger("tandem.realtime")

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

# Shared by every socket that has blocked no one (most), instead of an empty set each.
NO_ONE: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class Identity:
    """Who opened the socket, as the authenticator found her at the handshake.

    ``grants`` is the auth domain's value, carried and replaced by the domains' handlers
    and revalidation; realtime itself never looks inside it.
    """

    account_id: uuid.UUID
    pseudonym: str
    session_id: uuid.UUID
    grants: Any
    blocked: AbstractSet[uuid.UUID] = NO_ONE


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
        "grants",
        "hub",
        "id",
        "pseudonym",
        "server_send",
        "session_id",
        "streams",
        "strikes",
        "tasks",
        "websocket",
        "wire",
        "writer",
    )

    def __init__(self, hub: "Hub", websocket: WebSocket, identity: Identity) -> None:
        self.id = secrets.token_hex(6)
        self.hub = hub
        self.websocket = websocket
        self.server_send: Send = websocket.scope.get(SERVER_SEND_KEY) or websocket.send
        self.wire = Wire.of(self.server_send)
        self.account_id = identity.account_id
        self.pseudonym = identity.pseudonym
        self.session_id = identity.session_id
        self.grants: Any = identity.grants
        # Authors whose messages this reader sees folded (she blocked them).
        self.blocked: AbstractSet[uuid.UUID] = identity.blocked or NO_ONE
        self.streams: dict[Hashable, Stream] = {}
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
        """A stream's frame: straight to the wire when nothing is waiting before it."""
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
        self.offer(dumps(data))

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

    # Following streams

    def follow(self, stream: Stream, *, topic: bool) -> None:
        """Follow ``stream`` from ``stream.last``; the caller then calls ``fill`` for
        what was stored between reading the head and now. ``topic``: its frames come to
        everyone following the key (a room), not to her account alone (her feed)."""
        self.drop_stream(stream.key)
        self.streams[stream.key] = stream
        if topic:
            self.hub.join_topic(self, stream.key)

    def deliver(self, key: Hashable, out: Outgoing) -> None:
        stream = self.streams.get(key)
        if stream is None or self.closing:
            return
        if stream.filling:
            stream.pending.append(out)
            if len(stream.pending) > self.hub.settings.ws_send_queue_frames:
                self.close(CLOSE_SLOW_CONSUMER, "Too slow to keep up; reconnect and resume.")
            return
        if out.seq <= stream.last:
            return
        if out.seq == stream.last + 1:
            stream.last = out.seq
            self.offer_message(out)
            return
        stream.pending.append(out)
        self.fill(stream)

    def deliver_change(self, key: Hashable, out: Outgoing, about: int | None) -> None:
        """A frame about what the stream holds (an edit of message ``about``, a read mark
        about all of it: None): now if she has what it is about, after the catch-up if she
        is catching up, not at all if it is about a frame she will read fresh anyway."""
        stream = self.streams.get(key)
        if stream is None or self.closing:
            return
        if about is not None and about <= stream.last:
            self.offer(out.for_reader(self.blocked))
        elif stream.filling:
            stream.pending_unsequenced.append(out)
        elif about is None:
            self.offer(out.for_reader(self.blocked))

    def fill(self, stream: Stream) -> None:
        if stream.filling or self.closing:
            return
        stream.filling = True
        self.spawn(self._fill(stream))

    async def _fill(self, stream: Stream) -> None:
        """Send what the source has after ``stream.last``, then what arrived meanwhile."""
        source = stream.source
        try:
            while True:
                page = await source.page_after(
                    self.hub.db, self.account_id, stream.key, stream.last, source.page_size
                )
                if self.closing or self.streams.get(stream.key) is not stream:
                    return
                for out in page:
                    if out.seq <= stream.last:
                        continue
                    # Waits for room in the queue: a backlog never counts as falling behind.
                    await self.offer_in_turn(out.for_reader(self.blocked))
                    stream.last = out.seq
                if len(page) == source.page_size:
                    continue
                ready, gap = stream.take_pending()
                for out in ready:
                    self.offer(out.for_reader(self.blocked))
                if gap:
                    continue
                changes, stream.pending_unsequenced = stream.pending_unsequenced, []
                for out in changes:
                    self.offer(out.for_reader(self.blocked))
                stream.filling = False
                return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("catching connection %s up on %s failed", self.id, stream.key)
            self.close(CLOSE_RESTART, "Please reconnect.")

    def drop_stream(self, key: Hashable) -> None:
        self.streams.pop(key, None)
        self.hub.leave_topic(self, key)
