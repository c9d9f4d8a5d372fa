"""The rooms' realtime events, and the one function rooms publish them with: after the
commit (backend/realtime/bus.py). The hub's handlers for them are in room/realtime.py."""

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.realtime import bus


@bus.event_kind("message")
@dataclass(frozen=True)
class MessageEvent(bus.Event):
    """A new message; ``message`` is its MessagePublic as JSON-ready data."""

    room_id: uuid.UUID
    seq: int
    author_id: uuid.UUID | None
    message: dict[str, Any]


@bus.event_kind("message_updated")
@dataclass(frozen=True)
class MessageUpdatedEvent(bus.Event):
    """An edit or a deletion of a message already sent."""

    room_id: uuid.UUID
    seq: int
    author_id: uuid.UUID | None
    message: dict[str, Any]


@bus.event_kind("member_added")
@dataclass(frozen=True)
class MemberAddedEvent(bus.Event):
    room_id: uuid.UUID
    account_id: uuid.UUID


@bus.event_kind("member_removed")
@dataclass(frozen=True)
class MemberRemovedEvent(bus.Event):
    """She no longer reads the room: removed, left, or her invitation was withdrawn."""

    room_id: uuid.UUID
    account_id: uuid.UUID
    # "removed" by a moderator closes her sockets; "left" and "declined" only unsubscribe.
    reason: Literal["removed", "left", "declined"] = "removed"


@bus.event_kind("typing")
@dataclass(frozen=True)
class TypingEvent(bus.Event):
    room_id: uuid.UUID
    account_id: uuid.UUID
    pseudonym: str
    # Blocked either way with her: they do not see her typing.
    hidden_from: tuple[uuid.UUID, ...] = ()


RoomEvent = MessageEvent | MessageUpdatedEvent | MemberAddedEvent | MemberRemovedEvent


def publish_on_commit(session: AsyncSession, event: RoomEvent) -> None:
    bus.publish_on_commit(session, event)
