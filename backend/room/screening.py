"""Where a message is screened before it is stored: the rooms domain asks, the safeguarding
domain (above it) answers. Screens are registered per database, like brokers, so service
functions called from anywhere find them without an extra argument.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

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


_screens: dict[str, MessageScreen] = {}


def _key(database_url: str) -> str:
    return database_url.split("://", 1)[-1]


def bind_screen(database_url: str, screen: MessageScreen) -> None:
    _screens[_key(database_url)] = screen


def unbind_screen(database_url: str) -> None:
    _screens.pop(_key(database_url), None)


async def screen(session: AsyncSession, draft: Draft) -> Screened:
    bind = session.get_bind()
    url = bind.engine.url.render_as_string(hide_password=False)
    found = _screens.get(_key(url))
    if found is None:
        return Screened(draft.text)
    return await found(session, draft)
