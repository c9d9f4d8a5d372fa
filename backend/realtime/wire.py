"""Bytes on the socket: frames built once, and the direct path to uvicorn's transport."""

import asyncio
import uuid
from collections.abc import Awaitable, Coroutine
from collections.abc import Set as AbstractSet
from typing import Any

from starlette.types import Send
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol as WebsocketsProtocol
from websockets.protocol import State as WebsocketsState

from backend.realtime.bus import dumps


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
        # 0 for a frame outside any sequence (a read mark): delivered by deliver_change.
        self.seq: int = message.get("seq", 0)
        author = message.get("author")
        self.author_id = uuid.UUID(author["id"]) if author else None
        self.text = dumps(self.data)
        self._collapsed: str | None = None
        self._frames: dict[str, bytes] = {}

    def for_reader(self, blocked: AbstractSet[uuid.UUID]) -> str:
        if self.author_id is None or self.author_id not in blocked:
            return self.text
        if self._collapsed is None:
            self._collapsed = dumps({**self.data, "collapsed": True})
        return self._collapsed

    def frame(self, text: str) -> bytes:
        framed = self._frames.get(text)
        if framed is None:
            framed = self._frames[text] = text_frame(text)
        return framed
