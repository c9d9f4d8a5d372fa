"""Rate limits and abuse bounds, with the `limits` library: one limiter per process.

Counts live in the process's memory by default and in Redis when ``TANDEM_REDIS_URL`` is
set, so several app processes share them. Every limit is a moving window: "20/hour" is
at most 20 in any 60 minutes. docs/decisions/0003-throttling.md.

Routes call ``await ratelimit.hit(request, "reports", str(actor.account.id))``: past the
limit it raises a 429 with a sentence a person understands and ``Retry-After``.
"""

import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from types import ModuleType
from typing import Any, Protocol, TypeVar

import limits.aio.storage.memory as _limits_memory
from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from backend.core.config import Settings
from backend.core.dependencies import client_key
from backend.core.errors import TooManyAttempts
from backend.core.time import utc_now

log = logging.getLogger("tandem.ratelimit")
T = TypeVar("T")


class _TandemClock:
    """The in-memory storage reads ``time.time()``: make it read Tandem's clock, so tests
    move time instead of sleeping (core/time.py), as for every other rule. Redis counts
    keep the real time: they are shared with other processes."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def time(self) -> float:
        return utc_now().timestamp()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


setattr(_limits_memory, "time", _TandemClock(time))  # noqa: B010 - replaces a module

# What a person reads when she hits a limit. Neutral words: a phone may be checked.
MESSAGES: dict[str, str] = {
    "registration": "Too many new accounts from here. Please wait a while before trying again.",
    "referrals": "You made many invitations in a short time. Please wait a while.",
    "messages": "You are sending messages very fast. Please wait a moment.",
    "reports": "You sent many reports in a short time. Please wait a while before the next.",
}


def limits_of(settings: Settings) -> dict[str, RateLimitItem]:
    return {
        "registration": parse(settings.rate_limit_registration),
        "referrals": parse(settings.rate_limit_referrals),
        "messages": parse(settings.rate_limit_messages),
        "reports": parse(settings.rate_limit_reports),
    }


def window(limit: int, seconds: int) -> RateLimitItem:
    """``limit`` per ``seconds``, for limits set in code rather than by name."""
    return RateLimitItemPerSecond(limit, seconds)


class RateLimiter:
    """The process's limiter: a moving window over memory or Redis storage.

    When Redis does not answer, counts fall back to this process's memory (each process
    then counts alone, as without Redis) rather than refusing people or failing: the
    community stays usable through a Redis outage, as its rooms do.
    """

    def __init__(
        self, storage: Storage, items: dict[str, RateLimitItem], *, shared: bool = False
    ) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage()) if shared else None
        self.items = items

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimiter":
        if settings.redis_url:
            storage = RedisStorage(
                "async+" + settings.redis_url,
                implementation="redispy",
                key_prefix="tandem",
                wrap_exceptions=True,
                socket_connect_timeout=1.0,
                socket_timeout=1.0,
            )
            return cls(storage, limits_of(settings), shared=True)
        return cls(MemoryStorage(), limits_of(settings))

    async def _strategy(self, use: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        try:
            return await use(self.strategy)
        except StorageError:
            if self.fallback is None:
                raise
            log.warning("rate limits: Redis does not answer; counting in this process")
            return await use(self.fallback)

    async def allow(self, item: RateLimitItem, name: str, key: str) -> bool:
        """Count one more and answer whether it was within the limit."""
        return await self._strategy(lambda s: s.hit(item, name, key))

    async def is_exhausted(self, item: RateLimitItem, name: str, key: str) -> bool:
        return not await self._strategy(lambda s: s.test(item, name, key))

    async def retry_after(self, item: RateLimitItem, name: str, key: str) -> int:
        """Whole seconds until one more is allowed (0: allowed now)."""
        stats = await self._strategy(lambda s: s.get_window_stats(item, name, key))
        if stats.remaining > 0:
            return 0
        return max(1, math.ceil(stats.reset_time - utc_now().timestamp()))

    async def clear(self, item: RateLimitItem, name: str, key: str) -> None:
        await self._strategy(lambda s: s.clear(item, name, key))

    async def hit(self, name: str, key: str) -> None:
        """Count one ``name`` for ``key``; past the limit, a 429 with Retry-After."""
        item = self.items[name]
        if not await self.allow(item, name, key):
            raise TooManyAttempts(
                MESSAGES[name],
                code="rate_limited",
                headers={"Retry-After": str(await self.retry_after(item, name, key))},
            )

    async def close(self) -> None:
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()


def per_client(name: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A route dependency: ``dependencies=[Depends(per_client("registration"))]``."""

    async def limit(request: Request) -> None:
        await hit(request, name, await client_key(request))

    limit.__name__ = f"limit_{name}_per_client"
    return limit


class _HasApp(Protocol):
    @property
    def app(self) -> Any: ...


async def hit(owner: _HasApp, name: str, key: str) -> None:
    """``await ratelimit.hit(request, "reports", str(account_id))`` from a route or socket."""
    limiter: RateLimiter = owner.app.state.rate_limiter
    await limiter.hit(name, key)
