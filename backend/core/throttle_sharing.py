"""Login and registration throttles shared between app processes through Redis pub/sub.

Each process keeps its own ``FailureCounter``s (the checks stay synchronous and local)
and publishes every failure and every clearing it makes on one channel; every other
process applies them to its own counters. So each process counts the whole community's
failures and the configured limit holds whatever the number of processes, give or take
the milliseconds a message takes. Nothing is stored in Redis. When Redis is away the
counters go on locally (as without Redis) and catch up with new changes once it is back:
a throttle is a brake, not a record.
"""

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

from backend.core.throttle import FailureCounter

log = logging.getLogger("tandem.throttle")

CHANNEL = "tandem:throttle"
QUEUE_LIMIT = 10_000
RECONNECT_MAX_S = 2.0


class RedisThrottleSharing:
    def __init__(self, url: str, counters: dict[str, FailureCounter]) -> None:
        self.url = url
        self.counters = counters
        # Tells this process's own messages apart when they come back.
        self.origin = secrets.token_hex(8)
        self._outbox: asyncio.Queue[bytes] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.subscribed = asyncio.Event()
        for name, counter in counters.items():
            counter.on_change = self._sender(name)

    def _sender(self, name: str) -> Any:
        def send(change: str, key: str) -> None:
            if self._outbox is None:
                return
            payload = json.dumps({"o": self.origin, "c": name, "op": change, "k": key})
            with contextlib.suppress(asyncio.QueueFull):
                self._outbox.put_nowait(payload.encode())

        return send

    def _client(self) -> Any:
        import redis.asyncio as redis_asyncio

        return redis_asyncio.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=0
        )

    async def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._outbox = asyncio.Queue(QUEUE_LIMIT)
        self._tasks = [
            loop.create_task(self._publish(self._outbox)),
            loop.create_task(self._listen()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await task
        self._tasks = []
        self._outbox = None
        for counter in self.counters.values():
            counter.on_change = None

    async def _publish(self, outbox: asyncio.Queue[bytes]) -> None:
        delay = 0.1
        while True:
            client = self._client()
            try:
                while True:
                    payload = await outbox.get()
                    await client.publish(CHANNEL, payload)
                    delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: this change stays local
                log.warning("throttle sharing: publish failed (%s)", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                delay = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._apply(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                log.warning("throttle sharing: subscription lost (%s)", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _apply(self, data: bytes | str) -> None:
        try:
            change = json.loads(data)
            if change["o"] == self.origin:
                return
            counter = self.counters.get(change["c"])
            if counter is not None:
                counter.apply(str(change["op"]), str(change["k"]))
        except (ValueError, KeyError, TypeError):
            log.warning("throttle sharing: a malformed message was ignored")
