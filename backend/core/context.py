"""The long-lived parts a session's code may need, reachable from the session itself.

A service deep in another domain (a message screened, an event published, a push queued)
finds what this process built for its database through the session it already has, not
through a registry keyed by database URL: two apps on one URL (tests, a CLI command
beside a server) no longer share each other's parts, and a part that was never provided
is an error where it must be one (screening fails closed) instead of a silent skip.
"""

from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")

CONTEXT_KEY = "tandem.context"


class Slot(Generic[T]):
    """A typed name for one part: ``BROKER = Slot[Broker]("broker")``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class Missing(LookupError):
    pass


class RuntimeContext:
    """What one process provides for one database: filled once at start-up."""

    def __init__(self) -> None:
        self._parts: dict[Slot[Any], Any] = {}

    def provide(self, slot: Slot[T], value: T) -> None:
        self._parts[slot] = value

    def withdraw(self, slot: Slot[T]) -> None:
        self._parts.pop(slot, None)

    def get(self, slot: Slot[T]) -> T | None:
        found: T | None = self._parts.get(slot)
        return found

    def require(self, slot: Slot[T]) -> T:
        found = self.get(slot)
        if found is None:
            raise Missing(f"nothing provides {slot.name} for this database")
        return found


_EMPTY = RuntimeContext()


def context_of(session: AsyncSession | Session) -> RuntimeContext:
    """The context of the database this session was opened on (empty for a session made
    elsewhere, whose parts are all missing)."""
    info = session.sync_session.info if isinstance(session, AsyncSession) else session.info
    context = info.get(CONTEXT_KEY)
    return context if isinstance(context, RuntimeContext) else _EMPTY
