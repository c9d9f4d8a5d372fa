"""The protocol's own limits, the same for every stream. Pure: no I/O."""

from collections.abc import Iterable
from urllib.parse import urlsplit


def is_too_far_behind(last_seq: int, head_seq: int, limit: int) -> bool:
    return head_seq - last_seq > limit


def is_allowed_origin(
    origin: str | None, *, host: str | None, secure: bool, allowed: Iterable[str]
) -> bool:
    """A browser always sends Origin; tools without one authenticate by ticket or token.

    Starlette's CORS middleware does not look at WebSocket handshakes, so this is the only
    thing that stops another site from opening a socket with a member's cookie.
    """
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    if origin in {o.strip().lower().rstrip("/") for o in allowed}:
        return True
    if not host:
        return False
    parts = urlsplit(origin)
    expected_scheme = "https" if secure else "http"
    return parts.scheme == expected_scheme and parts.netloc == host.lower()


class TokenBucket:
    """A per-connection frame budget; the caller passes the time (seconds, monotonic)."""

    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_seconds(self) -> float:
        return max(0.0, (1.0 - self.tokens) / self.rate)
