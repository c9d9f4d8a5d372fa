"""Fan-out between the processes that serve one community.

Every process publishes realtime events to one channel and hears all of them; each process's
hub then picks the local connections an event is for. The broker is a best-effort
transport: messages are stored before they are published and carry a per-room sequence
number, so a receiver that misses an event (Redis restarting, a full queue) fetches the
gap from the database. Only ``realtime/bus.py`` publishes.
"""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

log = logging.getLogger("tandem.realtime.broker")

Deliver = Callable[[bytes], None]
Reconnected = Callable[[], None]


class Broker(ABC):
    @abstractmethod
    def publish(self, payload: bytes) -> None:
        """Hand an event over; never blocks and never raises (the message is stored)."""

    @abstractmethod
    async def start(self, deliver: Deliver, reconnected: Reconnected) -> None:
        """Call ``deliver`` on this event loop for every event, ``reconnected`` after an outage."""

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def ping(self) -> bool: ...

    @abstractmethod
    def unsubscribe(self, deliver: Deliver) -> None:
        """Stop calling ``deliver`` (a hub that shuts down)."""


class InProcessBroker(Broker):
    """The embedded default: one process, no server."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, Deliver]] = []

    def publish(self, payload: bytes) -> None:
        for loop, deliver in list(self._subscribers):
            if loop.is_closed():
                continue
            # call_soon keeps the order events were published in, and is safe when the
            # publisher runs on another loop (a CLI command, a test's own loop).
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, payload)

    async def start(self, deliver: Deliver, reconnected: Reconnected) -> None:
        self._subscribers.append((asyncio.get_running_loop(), deliver))

    def unsubscribe(self, deliver: Deliver) -> None:
        self._subscribers = [(lp, d) for lp, d in self._subscribers if d is not deliver]

    async def stop(self) -> None:
        self._subscribers.clear()

    async def ping(self) -> bool:
        return True


class RedisBroker(Broker):
    """Redis pub/sub on one channel. Publishing goes through one queue and one task, so
    events leave in the order they were committed."""

    RECONNECT_MIN_S = 0.1
    RECONNECT_MAX_S = 2.0
    QUEUE_LIMIT = 50_000

    def __init__(self, url: str, channel: str = "tandem:rooms") -> None:
        self.url = url
        self.channel = channel
        self._outbox: asyncio.Queue[bytes] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._deliver: Deliver | None = None
        self._reconnected: Reconnected | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0

    def _client(self) -> Any:
        import redis.asyncio as redis_asyncio

        return redis_asyncio.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=0
        )

    def publish(self, payload: bytes) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.warning("event published outside an event loop; receivers will catch up")
            return
        if self._outbox is None or self._loop is not loop:
            self._loop = loop
            self._outbox = asyncio.Queue(self.QUEUE_LIMIT)
            self._publisher = loop.create_task(self._publish_loop(self._outbox))
        try:
            self._outbox.put_nowait(payload)
        except asyncio.QueueFull:
            # Stored already; receivers notice the gap in sequence numbers and fetch it.
            self.dropped += 1

    async def _publish_loop(self, outbox: asyncio.Queue[bytes]) -> None:
        client = self._client()
        delay = self.RECONNECT_MIN_S
        try:
            while True:
                payload = await outbox.get()
                while True:
                    try:
                        await client.publish(self.channel, payload)
                        delay = self.RECONNECT_MIN_S
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # Redis away: retry, then give up on this one
                        log.warning("redis publish failed (%s); retrying", exc)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self.RECONNECT_MAX_S)
                        if outbox.qsize() > 1000:
                            self.dropped += 1
                            break
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def start(self, deliver: Deliver, reconnected: Reconnected) -> None:
        self._deliver = deliver
        self._reconnected = reconnected
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        delay = self.RECONNECT_MIN_S
        first = True
        while True:
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if not first and self._reconnected is not None:
                    self._reconnected()
                first = False
                delay = self.RECONNECT_MIN_S
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        data = message["data"]
                        if self._deliver is not None:
                            self._deliver(data if isinstance(data, bytes) else str(data).encode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                first = False
                log.warning("redis subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.RECONNECT_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()

    def unsubscribe(self, deliver: Deliver) -> None:
        if self._deliver is deliver:
            self._deliver = None

    async def stop(self) -> None:
        if self._outbox is not None and self._loop is asyncio.get_running_loop():
            # Give queued events a moment to leave (a CLI command about to exit).
            for _ in range(20):
                if self._outbox.empty():
                    break
                await asyncio.sleep(0.05)
        for task in (self._listener, self._publisher):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                    await task
        self._listener = self._publisher = None
        self._outbox = None

    async def ping(self) -> bool:
        client = self._client()
        try:
            return bool(await asyncio.wait_for(client.ping(), timeout=2))
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()


def build_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
