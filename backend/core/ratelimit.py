"""Rate limits and abuse bounds, with the `limits` library: one limiter per process.

Counts live in the process's memory by default and in Redis when ``TANDEM_REDIS_URL`` is
set, so several app processes share them. Every limit is a moving window: "20/hour" is
at most 20 in any 60 minutes. docs/decisions/0003-throttling.md.

Routes call ``await ratelimit.hit(request, "reports", str(actor.account.id))``: past the
limit it raises a 429 with a sentence a person understands and ``Retry-After``.
"""

import bisect
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MovingWindowSupport, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from backend.core.config import Settings
from backend.core.dependencies import client_key
from backend.core.errors import TooManyAttempts
from backend.core.time import utc_now

log = logging.getLogger("tandem.ratelimit")
T = TypeVar("T")


def tandem_time() -> float:
    return utc_now().timestamp()


class ClockedMemoryStorage(Storage, MovingWindowSupport):
    """Moving windows in this process's memory, on Tandem's clock (core/time.py), so tests
    move time instead of sleeping, as for every other rule. Redis counts keep Redis's time:
    they are shared with other processes.

    A storage of our own through ``limits``' extension points: its ``MemoryStorage`` reads
    the module's ``time.time()`` and takes no clock (docs/decisions/0003-throttling.md).
    The window arithmetic is the library's. Nothing here awaits, so each call is atomic
    on the event loop and needs no lock.
    """

    SWEEP_SECONDS = 1.0

    def __init__(self, clock: Callable[[], float] = tandem_time) -> None:
        super().__init__()
        self.clock = clock
        # Per key, the times of the entries in its window, newest first, and the window.
        self.events: dict[str, tuple[int, list[float]]] = {}
        self.next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self.clock()
        self._sweep(now)
        _expiry, times = self.events.setdefault(key, (expiry, []))
        # Full when the entry ``amount`` before the limit is still inside the window.
        if len(times) > limit - amount and times[limit - amount] >= now - expiry:
            return False
        times[:0] = [now] * amount
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(the oldest entry's time inside the window, how many entries it holds)."""
        now = self.clock()
        _expiry, times = self.events.get(key, (expiry, []))
        inside = bisect.bisect_left(times, -(now - expiry), key=lambda atime: -atime)
        return (times[inside - 1] if inside else now), inside

    async def clear(self, key: str) -> None:
        self.events.pop(key, None)

    async def reset(self) -> int | None:
        count = len(self.events)
        self.events.clear()
        return count

    async def check(self) -> bool:
        return True

    # Tandem counts in moving windows only (RateLimiter below); fixed windows are not kept.
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("moving windows only")

    async def get(self, key: str) -> int:
        raise NotImplementedError("moving windows only")

    async def get_expiry(self, key: str) -> float:
        raise NotImplementedError("moving windows only")

    def _sweep(self, now: float) -> None:
        """Entries past their window go, at most once a second: under a flood of distinct
        keys memory holds one entry per request in the window, as the library's storage."""
        if now < self.next_sweep:
            return
        self.next_sweep = now + self.SWEEP_SECONDS
        for key, (expiry, times) in list(self.events.items()):
            # Kept while ``acquire_entry`` still counts them: a sweep never changes an answer.
            kept = bisect.bisect_right(times, -(now - expiry), key=lambda atime: -atime)
            if kept:
                del times[kept:]
            else:
                del self.events[key]


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
        self.fallback = MovingWindowRateLimiter(ClockedMemoryStorage()) if shared else None
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
        return cls(ClockedMemoryStorage(), limits_of(settings))

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
