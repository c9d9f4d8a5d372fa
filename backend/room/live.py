import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from backend.auth.capabilities import Grants, Role, grants_from_roles
from backend.auth.dependencies import Actor
from backend.auth.models import Account, AuthSession, RoleGrant
from backend.core.config import Settings
from backend.core.time import utc_now
from backend.room import rules
from backend.room.models import MemberState, Room, RoomKind, RoomMember, RoomRole, WsTicket
from backend.safety.models import Block
from moderation import restrictions as restriction_effects


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue_ws_ticket(
    session: AsyncSession, settings: Settings, actor: Actor
) -> tuple[str, datetime]:
    now = utc_now()
    await session.exec(delete(WsTicket).where(col(WsTicket.expires_at) < now - timedelta(hours=1)))
    ticket = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=settings.ws_ticket_seconds)
    session.add(
        WsTicket(
            ticket_hash=_ticket_hash(ticket),
            account_id=actor.account.id,
            session_id=actor.session.id,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return ticket, expires_at


async def redeem_ws_ticket(
    session: AsyncSession, settings: Settings, ticket: str
) -> tuple[Account, AuthSession] | None:
    """Use a ticket once; None when unknown, used, expired, or its login session ended."""
    now = utc_now()
    result = await session.exec(
        update(WsTicket)
        .where(col(WsTicket.ticket_hash) == _ticket_hash(ticket))
        .where(col(WsTicket.used_at).is_(None))
        .where(col(WsTicket.expires_at) > now)
        .values(used_at=now)
        .returning(col(WsTicket.session_id))
    )
    row = result.first()
    if row is None:
        return None
    auth_session = await session.get(AuthSession, row[0])
    if auth_session is None or not is_session_live(auth_session, settings, now):
        return None
    account = await session.get(Account, auth_session.account_id)
    return (account, auth_session) if account is not None else None


def is_session_live(auth_session: AuthSession, settings: Settings, now: datetime) -> bool:
    return _is_live(
        auth_session.revoked_at, auth_session.expires_at, auth_session.last_seen_at, settings, now
    )


def _columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """A select of several columns (sqlmodel's typed ``select`` stops at four)."""
    return Select(*columns)


def _is_live(
    revoked_at: datetime | None,
    expires_at: datetime,
    last_seen_at: datetime,
    settings: Settings,
    now: datetime,
) -> bool:
    idle_limit = last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    return revoked_at is None and now < expires_at and now < idle_limit


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
            if _is_live(revoked_at, expires_at, last_seen_at, settings, now):
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
                role=RoomRole(role), state=MemberState(member_state), muted_until=muted_until
            )
    if room_ids:
        rooms = await session.exec(
            select(Room.id, Room.kind, Room.last_seq).where(col(Room.id).in_(room_ids))
        )
        for room_id, kind, last_seq in rooms.all():
            state.kinds[room_id] = RoomKind(kind)
            state.heads[room_id] = last_seq
    return state
