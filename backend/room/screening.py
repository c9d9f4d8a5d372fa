"""Where a message is screened before it is stored: the rooms domain asks, the safeguarding
domain (above it) answers. The screen is provided in the database's runtime context
(backend/core/context.py), so service functions called from anywhere find it without an
extra argument.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.context import Slot, context_of
from backend.core.errors import Unavailable
from backend.room.models import RoomKind


@dataclass(frozen=True)
class Draft:
    """A member's message about to be stored."""

    room_id: uuid.UUID
    room_kind: RoomKind
    author_id: uuid.UUID
    text: str


# Told the stored message's sequence number, in the same transaction (flags, evidence).
AfterStore = Callable[[AsyncSession, int], Awaitable[None]]


@dataclass(frozen=True)
class Screened:
    text: str
    after_store: AfterStore | None = None


class MessageScreen(Protocol):
    async def __call__(self, session: AsyncSession, draft: Draft) -> Screened:
        """The text to store (the draft's, or with parts withheld), and what to record
        once it has its number. Runs before the room is locked: posting in a busy room
        must not wait on it."""
        ...


SCREEN: Slot[MessageScreen] = Slot("message screen")


async def screen(session: AsyncSession, draft: Draft) -> Screened:
    """Fails closed: where nothing screens messages for this database, none is stored."""
    found = context_of(session).get(SCREEN)
    if found is None:
        raise Unavailable(
            "Messages cannot be checked right now, so they are not sent. Please try again later."
        )
    return await found(session, draft)
