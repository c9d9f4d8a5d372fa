"""Typed realtime events and the one way they leave a process: after the commit.

Services call ``publish_on_commit(session, event)``; the event leaves when (and only if)
the transaction that made the change commits, so nobody hears of a message that was
never stored (zulip's ``send_event_on_commit``). The broker is the one this process
provided for the session's database (backend/core/context.py), so service functions
called from another domain need no extra argument.

Each domain declares its events as frozen dataclasses decorated with ``@event_kind``;
the receiving hub decodes a payload back into that type, never into a bare dict.
"""

import json
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.context import RuntimeContext, Slot, context_of
from backend.realtime.broker import Broker

BROKER: Slot[Broker] = Slot("broker")
_PENDING_KEY = "tandem.realtime.events"


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json, separators=(",", ":"), ensure_ascii=False)


class Event:
    """What every event has: its ``kind``, the name it travels under."""

    kind: ClassVar[str]


E = TypeVar("E", bound=Event)
# How to turn one JSON field back into its declared type.
_Decode = Callable[[Any], Any]
_registry: dict[str, tuple[type[Event], tuple[tuple[str, _Decode], ...]]] = {}


def _same(value: Any) -> Any:
    return value


def _optional_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def _uuid_tuple(value: Any) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(item) for item in value)


def _decoder_for(annotation: Any) -> _Decode:
    if annotation is uuid.UUID:
        return uuid.UUID
    if annotation == uuid.UUID | None:
        return _optional_uuid
    if typing.get_origin(annotation) is tuple and typing.get_args(annotation)[:1] == (uuid.UUID,):
        return _uuid_tuple
    if isinstance(annotation, types.UnionType) and uuid.UUID in typing.get_args(annotation):
        raise TypeError(f"no decoder for {annotation}")
    return _same


def event_kind(name: str) -> Callable[[type[E]], type[E]]:
    """Register a frozen dataclass as the event travelling under ``name``."""

    def register(cls: type[E]) -> type[E]:
        if name in _registry and _registry[name][0] is not cls:
            raise ValueError(f"two events are called {name!r}")
        cls.kind = name
        hints = typing.get_type_hints(cls)
        decoders = tuple((f.name, _decoder_for(hints[f.name])) for f in fields(cls))  # type: ignore[arg-type]  # a dataclass, checked by fields()
        _registry[name] = (cls, decoders)
        return cls

    return register


def encode(item: Event) -> bytes:
    data = {name: getattr(item, name) for name, _ in _registry[item.kind][1]}
    data["kind"] = item.kind
    return dumps(data).encode()


def decode(payload: bytes) -> Event:
    """The event a payload carries, typed; KeyError for a kind nobody registered."""
    data = json.loads(payload)
    cls, decoders = _registry[data["kind"]]
    return cls(**{name: decode_field(data[name]) for name, decode_field in decoders})


def publish_on_commit(session: AsyncSession, item: Event) -> None:
    session.sync_session.info.setdefault(_PENDING_KEY, []).append(item)


def publish_now(context: RuntimeContext, item: Event) -> None:
    """For events that change nothing stored (typing)."""
    broker = context.get(BROKER)
    if broker is not None:
        broker.publish(encode(item))


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[Event] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    broker = context_of(session).get(BROKER)
    if broker is None:
        # A session on a database no process serves (a CLI command): the rows are stored,
        # and any server's sockets find them when they next catch up.
        return
    for item in pending:
        broker.publish(encode(item))


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: Any) -> None:
    # A savepoint rolling back keeps the outer transaction's events.
    if previous.parent is None:
        session.info.pop(_PENDING_KEY, None)


@event_kind("account_changed")
@dataclass(frozen=True)
class AccountChangedEvent(Event):
    """What she may do changed (a restriction applied or lifted, roles, duress): every
    process checks her open sockets again now, not at the next revalidation round."""

    account_id: uuid.UUID


@event_kind("account_frame")
@dataclass(frozen=True)
class AccountFrameEvent(Event):
    """A frame for one account's sockets that follow the stream called ``stream``.

    ``seq`` orders the stream per account, so a socket that misses one fetches it from
    the stream's source (realtime/stream.py); ``None`` for a frame outside the sequence
    (read marks).
    """

    account_id: uuid.UUID
    stream: str
    seq: int | None
    frame: dict[str, Any]


__all__ = [
    "BROKER",
    "AccountChangedEvent",
    "AccountFrameEvent",
    "Event",
    "decode",
    "dumps",
    "encode",
    "event_kind",
    "publish_now",
    "publish_on_commit",
]
