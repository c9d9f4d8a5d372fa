"""Counting failures in a moving window, to slow down password guessing.

The counts are kept by the process's rate limiter (core/ratelimit.py): in memory by
default, in Redis when configured, so several app processes share them and the limit is
the configured one however many processes serve (docs/decisions/0003-throttling.md).
"""

from datetime import timedelta

from backend.core.ratelimit import RateLimiter, window


class FailureCounter:
    """``limit`` failures per ``window`` and key; ``name`` keeps counters apart."""

    def __init__(self, limiter: RateLimiter, name: str, limit: int, period: timedelta) -> None:
        self.limiter = limiter
        self.name = name
        self.limit = limit
        self.item = window(limit, int(period.total_seconds()))

    async def is_blocked(self, key: str) -> bool:
        return await self.limiter.is_exhausted(self.item, self.name, key)

    async def retry_after_seconds(self, key: str) -> int:
        return await self.limiter.retry_after(self.item, self.name, key)

    async def add_failure(self, key: str) -> None:
        await self.limiter.allow(self.item, self.name, key)

    async def clear(self, key: str) -> None:
        await self.limiter.clear(self.item, self.name, key)
