"""Counting failures in a sliding window, to slow down password guessing.

Kept in the process's memory. With several app processes and Redis configured, each
process also tells the others of every failure and every clearing (backend/core/
throttle_sharing.py), so each holds the whole community's count and the configured limit
holds across processes (docs/decisions/0003-throttling.md).
"""

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from backend.core.time import utc_now


class FailureCounter:
    def __init__(self, limit: int, window: timedelta, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[datetime]] = {}
        # Called with ("fail" | "clear", key) for changes made here, not for applied ones.
        self.on_change: Callable[[str, str], None] | None = None

    def _recent(self, key: str) -> deque[datetime]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        cutoff = utc_now() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def is_blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def retry_after_seconds(self, key: str) -> int:
        failures = self._recent(key)
        if len(failures) < self.limit:
            return 0
        return max(1, int((failures[0] + self.window - utc_now()).total_seconds()) + 1)

    def add_failure(self, key: str) -> None:
        self._add(key)
        if self.on_change is not None:
            self.on_change("fail", key)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
        if self.on_change is not None:
            self.on_change("clear", key)

    def apply(self, change: str, key: str) -> None:
        """A change another process made (never passed on again)."""
        if change == "fail":
            self._add(key)
        elif change == "clear":
            self._failures.pop(key, None)

    def _add(self, key: str) -> None:
        if key not in self._failures and len(self._failures) >= self.max_keys:
            # Bound memory under a flood of distinct keys: forget the oldest key.
            self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(key, deque()).append(utc_now())
