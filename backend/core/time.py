"""One clock for the whole application, so tests can move time instead of sleeping."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utc_now() -> datetime:
    return _clock()


@contextmanager
def frozen_clock(start: datetime) -> Iterator["MovableClock"]:
    """Replace the clock for the duration of a block; the yielded clock can be advanced."""
    global _clock
    clock = MovableClock(start)
    previous = _clock
    _clock = clock.now
    try:
        yield clock
    finally:
        _clock = previous


class MovableClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock keeps aware UTC times")
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current += timedelta(**delta)
