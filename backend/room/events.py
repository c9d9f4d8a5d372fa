"""Typed realtime events, and the one function that publishes them: after the commit.

Services call ``publish_on_commit(session, event)``; the event leaves when (and only if)
the transaction that made the change commits, so nobody hears of a message that was
never stored (zulip's ``send_event_on_commit``). The broker is found from the database
the session writes to, so service functions called from another domain need no extra
argument.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.room.broker import Broker

_PENDING_KEY = "tandem.room.events"
_brokers: dict[str, Broker] = {}


def bind_broker(database_url: str, broker: Broker) -> None:
    """Events committed to this database go to this broker (one per process and database)."""
    _brokers[_normalise(database_url)] = broker


def unbind_broker(database_url: str, broker: Broker) -> None:
    if _brokers.get(_normalise(database_url)) is broker:
        del _brokers[_normalise(database_url)]


def _normalise(url: str) -> str:
    return url.split("://", 1)[-1]


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class MessageEvent:
    """A new message; ``message`` is its MessagePublic as JSON-ready data."""

    room_id: uuid.UUID
    seq: int
    author_id: uuid.UUID | None
    message: dict[str, Any]
    kind: Literal["message"] = "message"


@dataclass(frozen=True)
class MessageUpdatedEvent:
    """An edit or a deletion of a message already sent."""

    room_id: uuid.UUID
    seq: int
    author_id: uuid.UUID | None
    message: dict[str, Any]
    kind: Literal["message_updated"] = "message_updated"


@dataclass(frozen=True)
class MemberAddedEvent:
    room_id: uuid.UUID
    account_id: uuid.UUID
    kind: Literal["member_added"] = "member_added"


@dataclass(frozen=True)
class MemberRemovedEvent:
    """She no longer reads the room: removed, left, or her invitation was withdrawn."""

    room_id: uuid.UUID
    account_id: uuid.UUID
    # "removed" by a moderator closes her sockets; "left" and "declined" only unsubscribe.
    reason: Literal["removed", "left", "declined"] = "removed"
    kind: Literal["member_removed"] = "member_removed"


@dataclass(frozen=True)
class TypingEvent:
    room_id: uuid.UUID
    account_id: uuid.UUID
    pseudonym: str
    # Blocked either way with her: they do not see her typing.
    hidden_from: tuple[uuid.UUID, ...] = ()
    kind: Literal["typing"] = "typing"


@dataclass(frozen=True)
class AccountChangedEvent:
    """What she may do changed (a restriction applied or lifted, roles, duress): every
    process checks her open sockets again now, not at the next revalidation round."""

    account_id: uuid.UUID
    kind: Literal["account_changed"] = "account_changed"


RoomEvent = (
    MessageEvent
    | MessageUpdatedEvent
    | MemberAddedEvent
    | MemberRemovedEvent
    | TypingEvent
    | AccountChangedEvent
)


def encode(event: RoomEvent) -> bytes:
    data = {k: getattr(event, k) for k in event.__dataclass_fields__}
    return dumps(data).encode()


def decode(payload: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload)
    return data


def publish_on_commit(session: AsyncSession, event: RoomEvent) -> None:
    session.sync_session.info.setdefault(_PENDING_KEY, []).append(event)


def publish_now(database_url: str, event: RoomEvent) -> None:
    """For events that change nothing stored (typing)."""
    broker = _brokers.get(_normalise(database_url))
    if broker is not None:
        broker.publish(encode(event))


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[RoomEvent] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    broker = _brokers.get(_normalise(engine.url.render_as_string(hide_password=False)))
    if broker is None:
        return
    for item in pending:
        broker.publish(encode(item))


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: Any) -> None:
    # A savepoint rolling back keeps the outer transaction's events.
    if previous.parent is None:
        session.info.pop(_PENDING_KEY, None)
