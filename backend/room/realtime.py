"""Rooms on /ws: the frames a client sends about rooms, the room events the hub hears,
how a room's missed messages are read, and how open sockets are checked again.

``install(hub)`` teaches a hub all of it at start-up (backend/main.py). Each frame
rebuilds her Actor through auth (auth/realtime.py), so a session ended or a role taken
away stops the next frame, not the next revalidation round.
"""

import logging
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select
from starlette.websockets import WebSocket

from backend.auth import realtime as auth_realtime
from backend.auth.capabilities import Grants, Role, grants_from_roles
from backend.auth.models import Account, AuthSession, RoleGrant
from backend.auth.rules import is_session_live
from backend.core import metrics
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.errors import NotFound
from backend.core.time import utc_now
from backend.realtime import bus
from backend.realtime import rules as realtime_rules
from backend.realtime.connection import (
    CLOSE_ACCESS_CHANGED,
    CLOSE_UNAUTHENTICATED,
    NO_ONE,
    Connection,
    Identity,
)
from backend.realtime.hub import Hub
from backend.realtime.stream import Stream
from backend.realtime.wire import Outgoing
from backend.room import events, rules
from backend.room import messages as room_messages
from backend.room.access import access_room_by_id
from backend.room.models import Room, RoomKind, RoomMember
from backend.room.schemas import (
    MessagePublic,
    ReadFrame,
    SendFrame,
    SubscribeFrame,
    TypingFrame,
    UnsubscribeFrame,
)
from backend.safety import service as safety_service
from backend.safety.models import Block
from moderation import restrictions as restriction_effects
from moderation.restrictions import Effect

log = logging.getLogger("tandem.room.realtime")

FILL_PAGE = 500


class RoomMessages:
    """Every room stream's source: a room's messages after a number, from the database."""

    page_size = FILL_PAGE

    async def page_after(
        self, db: Database, account_id: uuid.UUID, key: Hashable, after: int, limit: int
    ) -> Sequence[Outgoing]:
        if not isinstance(key, uuid.UUID):
            return []
        async with db.session(write=False) as session:
            rows = await room_messages.messages_after(session, key, after=after, limit=limit)
        return [Outgoing("message", message.model_dump(mode="json")) for message in rows]


ROOM_MESSAGES = RoomMessages()


def install(hub: Hub) -> None:
    hub.authenticator = authenticate
    hub.revalidator = revalidate
    hub.limits["max_message_chars"] = rules.MAX_MESSAGE_CHARS
    hub.handle_frame("subscribe", SubscribeFrame, _subscribe)
    hub.handle_frame("unsubscribe", UnsubscribeFrame, _unsubscribe)
    hub.handle_frame("send", SendFrame, _send, echo=("room_id", "client_id"))
    hub.handle_frame("read", ReadFrame, _read, echo=("room_id",))
    hub.handle_frame("typing", TypingFrame, _typing, echo=("room_id",))
    hub.handle_event(events.MessageEvent, lambda item: _on_message(hub, item))
    hub.handle_event(events.MessageUpdatedEvent, lambda item: _on_message_updated(hub, item))
    hub.handle_event(events.MemberAddedEvent, lambda item: _on_member_added(hub, item))
    hub.handle_event(events.MemberRemovedEvent, lambda item: _on_member_removed(hub, item))
    hub.handle_event(events.TypingEvent, lambda item: _on_typing(hub, item))


# The handshake


async def authenticate(hub: Hub, websocket: WebSocket) -> Identity | None:
    actor = await auth_realtime.identify(hub, websocket)
    if actor is None:
        return None
    async with hub.db.session(write=False) as session:
        blocked = await room_messages.blocked_by(session, actor.account.id) or NO_ONE
    return Identity(
        account_id=actor.account.id,
        pseudonym=actor.account.pseudonym,
        session_id=actor.session.id,
        grants=actor.grants,
        blocked=blocked,
    )


# Each frame (auth_realtime.actor_for_frame checks her session again)


async def _subscribe(connection: Connection, frame: SubscribeFrame) -> None:
    hub = connection.hub
    limit = hub.settings.ws_backlog_limit
    accepted: list[tuple[uuid.UUID, int, int]] = []
    # Edits and deletions she missed, per room; None = too many, reload the history.
    changed: dict[uuid.UUID, list[MessagePublic] | None] = {}
    server_time = utc_now()
    actor = await auth_realtime.actor_for_frame(connection)
    if actor is None:
        return
    async with hub.db.session(write=False) as session:
        for room_id, last in frame.rooms.items():
            try:
                access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
            except NotFound:
                # The same answer for a room that does not exist and one that is not hers.
                connection.error("not_found", "No such room.", room_id=str(room_id))
                continue
            head = access.room.last_seq
            held = min(last, head)
            accepted.append((room_id, held, head))
            if frame.changes_since is not None and held > 0:
                changed[room_id] = await room_messages.changes_since(
                    session, room_id, up_to_seq=held, since=frame.changes_since, limit=limit
                )
    if connection.closing:
        return
    for room_id, last, head in accepted:
        behind = realtime_rules.is_too_far_behind(last, head, limit)
        stream = Stream(room_id, ROOM_MESSAGES, last=head if behind else last)
        connection.follow(stream, topic=True)
        connection.offer_data(
            {
                "type": "subscribed",
                "room_id": str(room_id),
                "last_seq": last,
                "head_seq": head,
                "server_time": server_time.isoformat(),
            }
        )
        if room_id in changed:
            updates = changed[room_id]
            if updates is None:
                connection.offer_data(
                    {
                        "type": "changes_too_many",
                        "room_id": str(room_id),
                        "message": "Many messages changed meanwhile; reload the history.",
                    }
                )
            else:
                for update in updates:
                    out = Outgoing("message_updated", update.model_dump(mode="json"))
                    connection.offer(out.for_reader(connection.blocked))
        if behind:
            connection.offer_data(
                {
                    "type": "too_far_behind",
                    "room_id": str(room_id),
                    "from_seq": last + 1,
                    "to_seq": head,
                    "message": "Page the missed messages over HTTP; live messages follow.",
                }
            )
        # Messages stored between reading the head and following the room come from here.
        connection.fill(stream)


async def _unsubscribe(connection: Connection, frame: UnsubscribeFrame) -> None:
    for room_id in frame.room_ids:
        connection.drop_stream(room_id)
    connection.offer_data({"type": "unsubscribed", "room_ids": [str(r) for r in frame.room_ids]})


async def _send(connection: Connection, frame: SendFrame) -> None:
    async with connection.hub.db.session(write=True) as session:
        actor = await auth_realtime.actor_for_frame(connection, touch_in=session)
        if actor is None:
            return
        message, duplicate = await room_messages.post_message(
            session,
            actor,
            frame.room_id,
            client_id=frame.client_id,
            body=frame.body,
            reply_to=frame.reply_to,
            content_warning=frame.content_warning,
        )
    connection.offer_data(
        {
            "type": "ack",
            "client_id": frame.client_id,
            "room_id": str(frame.room_id),
            "seq": message.seq,
            "message_id": str(message.id),
            "duplicate": duplicate,
        }
    )


async def _read(connection: Connection, frame: ReadFrame) -> None:
    async with connection.hub.db.session(write=True) as session:
        actor = await auth_realtime.actor_for_frame(connection, touch_in=session)
        if actor is None:
            return
        room = await room_messages.mark_read(session, actor, frame.room_id, frame.seq)
    connection.offer_data(
        {"type": "read_marker", "room_id": str(room.id), "seq": room.last_read_seq}
    )


async def _typing(connection: Connection, frame: TypingFrame) -> None:
    hub = connection.hub
    actor = await auth_realtime.actor_for_frame(connection)
    if actor is None:
        return
    async with hub.db.session(write=False) as session:
        access = await access_room_by_id(session, actor.account.id, actor.grants, frame.room_id)
        if access.view is None or not access.view.is_active:
            return
        if actor.grants.restricted(Effect.HIDDEN):
            return
        hidden = await safety_service.blocked_either_way(session, actor.account.id)
    bus.publish_now(
        hub.db.context,
        events.TypingEvent(
            frame.room_id, actor.account.id, actor.account.pseudonym, tuple(sorted(hidden))
        ),
    )


# Room events from the broker


def _on_message(hub: Hub, item: events.MessageEvent) -> None:
    metrics.ROOM_MESSAGES.inc()
    connections = hub.topics.get(item.room_id)
    if not connections:
        return
    out = Outgoing("message", item.message)
    metrics.ROOM_DELIVERIES.inc(len(connections))
    for connection in list(connections):
        connection.deliver(item.room_id, out)


def _on_message_updated(hub: Hub, item: events.MessageUpdatedEvent) -> None:
    out = Outgoing("message_updated", item.message)
    for connection in hub.following(item.room_id):
        connection.deliver_change(item.room_id, out, out.seq)


def _on_member_added(hub: Hub, item: events.MemberAddedEvent) -> None:
    frame = bus.dumps({"type": "room_added", "room_id": str(item.room_id)})
    for connection in hub.of_account(item.account_id):
        connection.offer(frame)


def _on_member_removed(hub: Hub, item: events.MemberRemovedEvent) -> None:
    room_id, reason = item.room_id, item.reason
    frame = bus.dumps({"type": "removed", "room_id": str(room_id), "reason": reason})
    for connection in hub.of_account(item.account_id):
        if room_id not in connection.streams:
            if reason == "removed":
                connection.offer(frame)
            continue
        connection.drop_stream(room_id)
        connection.offer(frame)
        if reason == "removed":
            connection.close(
                CLOSE_ACCESS_CHANGED,
                "Your access to a room changed; reconnect and subscribe again.",
                flush=True,
            )


def _on_typing(hub: Hub, item: events.TypingEvent) -> None:
    hidden = set(item.hidden_from)
    frame = bus.dumps(
        {
            "type": "typing",
            "room_id": str(item.room_id),
            "account_id": str(item.account_id),
            "pseudonym": item.pseudonym,
        }
    )
    for connection in hub.following(item.room_id):
        if connection.account_id != item.account_id and connection.account_id not in hidden:
            connection.offer(frame)


# Checking open sockets again


def _columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """A select of several columns (sqlmodel's typed ``select`` stops at four)."""
    return Select(*columns)


@dataclass
class LiveState:
    """What the connections of one process may still do, loaded in a few queries."""

    live_sessions: set[uuid.UUID] = field(default_factory=set)
    duress_sessions: set[uuid.UUID] = field(default_factory=set)
    grants: dict[uuid.UUID, Grants] = field(default_factory=dict)
    members: dict[tuple[uuid.UUID, uuid.UUID], rules.MemberView] = field(default_factory=dict)
    kinds: dict[uuid.UUID, RoomKind] = field(default_factory=dict)
    heads: dict[uuid.UUID, int] = field(default_factory=dict)
    blocked: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)


async def load_live_state(
    session: AsyncSession,
    settings: Settings,
    *,
    session_ids: Sequence[uuid.UUID],
    account_ids: Sequence[uuid.UUID],
    room_ids: Sequence[uuid.UUID],
) -> LiveState:
    state = LiveState()
    now = utc_now()
    # Columns, not entities: this runs for every open socket each round, on the event loop.
    if session_ids:
        sessions = await session.exec(
            _columns(
                AuthSession.id,
                AuthSession.revoked_at,
                AuthSession.expires_at,
                AuthSession.last_seen_at,
                AuthSession.duress,
            ).where(col(AuthSession.id).in_(session_ids))
        )
        for session_id, revoked_at, expires_at, last_seen_at, duress in sessions.all():
            if is_session_live(
                revoked_at,
                expires_at,
                last_seen_at,
                idle_minutes=settings.session_idle_minutes,
                now=now,
            ):
                state.live_sessions.add(session_id)
            if duress:
                state.duress_sessions.add(session_id)
    if account_ids:
        held: dict[uuid.UUID, list[tuple[Role, uuid.UUID | None]]] = {a: [] for a in account_ids}
        grants_rows = await session.exec(
            select(RoleGrant.account_id, RoleGrant.role, RoleGrant.organisation_id).where(
                col(RoleGrant.account_id).in_(account_ids)
            )
        )
        # sqlmodel types an enum column in a multi-column select as str: the rows already
        # hold members, the call only tells mypy so.
        for account_id, role, organisation_id in grants_rows.all():
            held[account_id].append((Role(role), organisation_id))
        restricted = await session.exec(
            select(Account.id, Account.restrictions).where(col(Account.id).in_(account_ids))
        )
        effects = {a: restriction_effects.parse(text) for a, text in restricted.all()}
        state.grants = {
            a: grants_from_roles(roles, effects.get(a, frozenset())) for a, roles in held.items()
        }
        blocks = await session.exec(
            select(Block.blocker_id, Block.blocked_id).where(col(Block.blocker_id).in_(account_ids))
        )
        for blocker_id, blocked_id in blocks.all():
            state.blocked.setdefault(blocker_id, set()).add(blocked_id)
    if room_ids and account_ids:
        members = await session.exec(
            _columns(
                RoomMember.account_id,
                RoomMember.room_id,
                RoomMember.role,
                RoomMember.state,
                RoomMember.muted_until,
            )
            .where(col(RoomMember.room_id).in_(room_ids))
            .where(col(RoomMember.account_id).in_(account_ids))
        )
        for account_id, room_id, role, member_state, muted_until in members.all():
            state.members[(account_id, room_id)] = rules.MemberView(
                role=role, state=member_state, muted_until=muted_until
            )
    if room_ids:
        rooms = await session.exec(
            select(Room.id, Room.kind, Room.last_seq).where(col(Room.id).in_(room_ids))
        )
        for room_id, kind, last_seq in rooms.all():
            state.kinds[room_id] = RoomKind(kind)  # a member already, typed str (above)
            state.heads[room_id] = last_seq
    return state


def _room_streams(connection: Connection) -> list[tuple[uuid.UUID, Stream]]:
    return [
        (key, stream)
        for key, stream in connection.streams.items()
        if stream.source is ROOM_MESSAGES and isinstance(key, uuid.UUID)
    ]


async def revalidate(hub: Hub, connections: Sequence[Connection]) -> None:
    room_ids = list({key for c in connections for key, _ in _room_streams(c)})
    async with hub.db.session(write=False) as session:
        state = await load_live_state(
            session,
            hub.settings,
            session_ids=list({c.session_id for c in connections}),
            account_ids=list({c.account_id for c in connections}),
            room_ids=room_ids,
        )
    checked = set(room_ids)
    for connection in connections:
        _apply(connection, state, checked)


def _apply(connection: Connection, state: LiveState, checked: set[uuid.UUID]) -> None:
    if connection.closing:
        return
    if connection.session_id not in state.live_sessions:
        connection.close(CLOSE_UNAUTHENTICATED, "Your session has ended. Please sign in again.")
        return
    grants = state.grants.get(connection.account_id, connection.grants)
    if connection.session_id in state.duress_sessions:
        # A duress session's view never widens, whatever her roles are.
        grants = connection.grants
    connection.grants = grants
    connection.blocked = state.blocked.get(connection.account_id, NO_ONE)
    for room_id, stream in _room_streams(connection):
        if room_id not in checked:
            # Subscribed while the state was loading: checked by the subscribe itself.
            continue
        kind = state.kinds.get(room_id)
        member = state.members.get((connection.account_id, room_id))
        if kind is None or not rules.can_read(kind, member, grants):
            connection.drop_stream(room_id)
            connection.offer_data(
                {"type": "removed", "room_id": str(room_id), "reason": "access_changed"}
            )
            connection.close(
                CLOSE_ACCESS_CHANGED,
                "Your access to a room changed; reconnect and subscribe again.",
                flush=True,
            )
            return
        head = state.heads.get(room_id, 0)
        if stream.filling or stream.last >= head:
            stream.behind_at = None
        elif stream.behind_at == stream.last:
            # Behind for a whole round with nothing arriving: an event was lost.
            connection.fill(stream)
            stream.behind_at = None
        else:
            stream.behind_at = stream.last
