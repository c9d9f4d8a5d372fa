"""Rooms, members, messages, read markers, moderation hooks, tickets and group sessions.

Services flush and never commit; events leave after the commit (events.publish_on_commit).
"""

import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.room import events, rules, screening
from backend.room.access import (
    RoomAccess,
    access_message_by_seq,
    access_room_by_id,
    get_membership,
    member_view,
)
from backend.room.models import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackSubmission,
    GroupSession,
    MemberState,
    MessageKind,
    MessageRevision,
    NotifyLevel,
    Room,
    RoomKind,
    RoomMember,
    RoomMessage,
    RoomRole,
    SessionAttendance,
    SessionSeries,
)
from backend.room.schemas import (
    AuthorPublic,
    FeedbackAnswerIn,
    FeedbackQuestionIn,
    GroupSessionCreate,
    MessagePublic,
    QuestionSummaryPublic,
    RoomPublic,
)
from backend.safety import service as safety_service
from backend.safety.models import Block
from moderation import restrictions as restriction_effects
from moderation.restrictions import Effect

HISTORY_PAGE_MAX = 200
ACTIVE_MEMBERS_KEY = "active_members"
WELCOME_KEY = "welcome"

_REFUSALS = {
    "not_member": "Join the room to write in it.",
    "not_open": "The conversation opens when the other person accepts.",
    "muted": "You are muted in this room for now.",
    "announcements_only": "Only facilitators and moderators write announcements.",
    "read_only": "You can read, but not write, for now. A safeguarding officer can tell you more.",
    "direct_messages_frozen": "Private conversations are paused for you for now.",
}


# Reading people and messages


async def pseudonyms(
    session: AsyncSession, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.exec(
        select(Account.id, Account.pseudonym).where(col(Account.id).in_(wanted))
    )
    return dict(rows.all())


async def blocked_by(session: AsyncSession, account_id: uuid.UUID) -> set[uuid.UUID]:
    """The accounts she blocked: their messages reach her collapsed."""
    rows = await session.exec(select(Block.blocked_id).where(Block.blocker_id == account_id))
    return set(rows.all())


def message_public(
    message: RoomMessage, pseudonym: str | None, *, collapsed: bool = False
) -> MessagePublic:
    deleted = message.deleted_at is not None
    return MessagePublic(
        id=message.id,
        room_id=message.room_id,
        seq=message.seq,
        kind=message.kind,
        author=(
            AuthorPublic(id=message.author_id, pseudonym=pseudonym or "")
            if message.author_id is not None
            else None
        ),
        body="" if deleted else message.body,
        reply_to=message.reply_to_seq,
        created_at=message.created_at,
        edited_at=message.edited_at,
        deleted=deleted,
        deleted_by_moderator=deleted and message.deleted_by not in (None, message.author_id),
        delete_reason=message.delete_reason,
        content_warning=None if deleted else message.content_warning,
        collapsed=collapsed,
    )


async def messages_after(
    session: AsyncSession, room_id: uuid.UUID, *, after: int, limit: int
) -> list[MessagePublic]:
    """Messages with seq > after, oldest first, for catching a connection up. No checks."""
    statement = (
        select(RoomMessage, Account.pseudonym)
        .join(Account, col(Account.id) == col(RoomMessage.author_id), isouter=True)
        .where(RoomMessage.room_id == room_id)
        .where(col(RoomMessage.seq) > after)
        .order_by(col(RoomMessage.seq))
        .limit(limit)
    )
    return [message_public(m, p) for m, p in (await session.exec(statement)).all()]


async def list_messages(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    before: int | None,
    after: int | None,
    limit: int,
) -> list[MessagePublic]:
    """History, oldest first: the page just below ``before``, or just above ``after``."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    limit = max(1, min(limit, HISTORY_PAGE_MAX))
    statement = (
        select(RoomMessage, Account.pseudonym)
        .join(Account, col(Account.id) == col(RoomMessage.author_id), isouter=True)
        .where(RoomMessage.room_id == access.room.id)
    )
    if after is not None:
        statement = statement.where(col(RoomMessage.seq) > after).order_by(col(RoomMessage.seq))
    else:
        if before is not None:
            statement = statement.where(col(RoomMessage.seq) < before)
        statement = statement.order_by(col(RoomMessage.seq).desc())
    rows = list((await session.exec(statement.limit(limit))).all())
    if after is None:
        rows.reverse()
    hidden = await blocked_by(session, actor.account.id)
    return [message_public(m, p, collapsed=m.author_id in hidden) for m, p in rows]


# Rooms and members


def _room_public(room: Room, member: RoomMember | None, unread: int = 0) -> RoomPublic:
    return RoomPublic(
        id=room.id,
        kind=RoomKind(room.kind),
        name=room.name,
        topic=room.topic,
        created_at=room.created_at,
        is_open=room.opened_at is not None,
        last_seq=room.last_seq,
        my_role=RoomRole(member.role) if member else None,
        my_state=member.state if member else None,
        last_read_seq=member.last_read_seq if member else 0,
        unread=unread,
        muted_until=member.muted_until if member else None,
        notify_level=NotifyLevel(member.notify_level) if member else NotifyLevel.ALL,
    )


async def _new_room(
    session: AsyncSession,
    *,
    kind: RoomKind,
    name: str,
    topic: str = "",
    created_by: uuid.UUID | None,
    unique_key: str | None = None,
    is_open: bool = True,
) -> Room:
    now = utc_now()
    room = Room(
        kind=kind.value,
        name=name,
        topic=topic,
        created_by=created_by,
        created_at=now,
        opened_at=now if is_open else None,
        unique_key=unique_key,
    )
    session.add(room)
    await session.flush()
    return room


async def add_room_member(
    session: AsyncSession,
    *,
    room_id: uuid.UUID,
    account_id: uuid.UUID,
    role: str = RoomRole.MEMBER.value,
    state: MemberState = MemberState.ACTIVE,
) -> RoomMember:
    """Make her a member (idempotent; brings back one who left or was removed). No checks:
    the caller decided. Her live connections are told so they can subscribe."""
    room_role = RoomRole(role)
    if await session.get(Room, room_id) is None:
        raise NotFound()
    member = await get_membership(session, room_id, account_id)
    if member is None:
        if await session.get(Account, account_id) is None:
            raise NotFound()
        member = RoomMember(
            room_id=room_id,
            account_id=account_id,
            role=room_role.value,
            state=state.value,
            joined_at=utc_now(),
        )
    elif member.state == state.value and member.role == room_role.value:
        return member
    else:
        member.role = room_role.value
        member.state = state.value
        member.joined_at = utc_now()
    session.add(member)
    await session.flush()
    events.publish_on_commit(session, events.MemberAddedEvent(room_id, account_id))
    return member


async def create_room(
    session: AsyncSession, actor: Actor, *, kind: RoomKind, name: str, topic: str
) -> Room:
    if not rules.can_create(kind, actor.grants):
        raise Forbidden("You cannot open this kind of room.", code="missing_capability")
    room = await _new_room(session, kind=kind, name=name, topic=topic, created_by=actor.account.id)
    await add_room_member(
        session, room_id=room.id, account_id=actor.account.id, role=RoomRole.MODERATOR.value
    )
    return room


async def remove_room_member(
    session: AsyncSession, *, room_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """Take her out of a room another domain manages (a mentorship ended, she is no longer
    an active member, she left a working group). No checks: the caller decided. Her
    history stays for moderation; she stops receiving the room at once."""
    member = await get_membership(session, room_id, account_id)
    if member is None or member.state not in (MemberState.ACTIVE.value, MemberState.INVITED.value):
        return
    member.state = MemberState.REMOVED.value
    session.add(member)
    await session.flush()
    events.publish_on_commit(session, events.MemberRemovedEvent(room_id, account_id))


async def get_room_row(session: AsyncSession, room_id: uuid.UUID) -> Room:
    """A room by id, without access checks: for domains that manage their own rooms."""
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound()
    return room


async def find_mentoring_room(
    session: AsyncSession, *, mentor_id: uuid.UUID, mentee_id: uuid.UUID
) -> Room | None:
    key = rules.unique_pair_key("mentoring", mentor_id, mentee_id, ordered=True)
    return (await session.exec(select(Room).where(Room.unique_key == key))).first()


async def create_working_group_room(
    session: AsyncSession, *, name: str, created_by: uuid.UUID | None
) -> Room:
    """A working group with its creator as moderator (called by the membership domain)."""
    room = await _new_room(session, kind=RoomKind.WORKING_GROUP, name=name, created_by=created_by)
    if created_by is not None:
        await add_room_member(
            session, room_id=room.id, account_id=created_by, role=RoomRole.MODERATOR.value
        )
    return room


async def ensure_active_members_room(session: AsyncSession) -> Room:
    """The one room of all active members, made the first time it is asked for."""
    statement = select(Room).where(Room.unique_key == ACTIVE_MEMBERS_KEY)
    room = (await session.exec(statement)).first()
    if room is not None:
        return room
    return await _new_room(
        session,
        kind=RoomKind.ACTIVE_MEMBERS,
        name="Active members",
        created_by=None,
        unique_key=ACTIVE_MEMBERS_KEY,
    )


async def ensure_welcome_room(session: AsyncSession) -> Room:
    """The room every signed-in person may read, made the first time it is asked for."""
    statement = select(Room).where(Room.unique_key == WELCOME_KEY)
    room = (await session.exec(statement)).first()
    if room is not None:
        return room
    return await _new_room(
        session, kind=RoomKind.WELCOME, name="Welcome", created_by=None, unique_key=WELCOME_KEY
    )


async def open_welcome_conversation(
    session: AsyncSession, actor: Actor, *, newcomer_id: uuid.UUID
) -> Room:
    """A facilitator's private conversation with a newcomer; open at once, audit-logged."""
    me = actor.account.id
    if not actor.grants.can(Capability.ROOMS_FACILITATE):
        raise Forbidden("Facilitators welcome newcomers.", code="missing_capability")
    if newcomer_id == me:
        raise Conflict("A conversation needs someone else.")
    if await session.get(Account, newcomer_id) is None or await safety_service.is_blocked_between(
        session, me, newcomer_id
    ):
        raise NotFound()
    key = rules.unique_pair_key("welcome", me, newcomer_id, ordered=True)
    room = (await session.exec(select(Room).where(Room.unique_key == key))).first()
    if room is None:
        names = await pseudonyms(session, [me, newcomer_id])
        room = await _new_room(
            session,
            kind=RoomKind.WELCOME_CHAT,
            name=f"{names[me]} & {names[newcomer_id]}",
            created_by=me,
            unique_key=key,
        )
        await audit.record(
            session,
            actor_id=me,
            action="room.welcome_conversation_opened",
            subject=f"account:{newcomer_id}",
        )
    await add_room_member(session, room_id=room.id, account_id=me, role=RoomRole.MODERATOR.value)
    await add_room_member(session, room_id=room.id, account_id=newcomer_id)
    return room


async def open_mentoring_room(
    session: AsyncSession, *, mentor_id: uuid.UUID, mentee_id: uuid.UUID
) -> Room:
    """The private 1:1 room of a mentorship, both as members; the same room when asked again."""
    if mentor_id == mentee_id:
        raise InvalidInput("A mentor does not mentor herself.")
    key = rules.unique_pair_key("mentoring", mentor_id, mentee_id, ordered=True)
    room = (await session.exec(select(Room).where(Room.unique_key == key))).first()
    if room is None:
        names = await pseudonyms(session, [mentor_id, mentee_id])
        if len(names) != 2:
            raise NotFound()
        room = await _new_room(
            session,
            kind=RoomKind.MENTORING,
            name=f"{names[mentor_id]} & {names[mentee_id]}",
            created_by=mentor_id,
            unique_key=key,
        )
    for account_id in (mentor_id, mentee_id):
        await add_room_member(session, room_id=room.id, account_id=account_id)
    return room


async def list_my_rooms(session: AsyncSession, actor: Actor) -> list[RoomPublic]:
    me = actor.account.id
    statement = (
        select(Room, RoomMember)
        .join(RoomMember, col(RoomMember.room_id) == col(Room.id))
        .where(RoomMember.account_id == me)
        .where(col(RoomMember.state).in_([MemberState.ACTIVE.value, MemberState.INVITED.value]))
        .order_by(col(Room.name))
    )
    rows = [
        (room, member)
        for room, member in (await session.exec(statement)).all()
        if rules.can_see(RoomKind(room.kind), member_view(member), actor.grants)
    ]
    unread_statement = (
        select(RoomMessage.room_id, func.count())
        .join(
            RoomMember,
            (col(RoomMember.room_id) == col(RoomMessage.room_id))
            & (col(RoomMember.account_id) == me),
        )
        .where(col(RoomMessage.seq) > col(RoomMember.last_read_seq))
        .where(col(RoomMessage.deleted_at).is_(None))
        .where(or_(col(RoomMessage.author_id).is_(None), col(RoomMessage.author_id) != me))
        .group_by(col(RoomMessage.room_id))
    )
    unread = dict((await session.exec(unread_statement)).all())
    return [_room_public(room, member, unread.get(room.id, 0)) for room, member in rows]


async def list_joinable_rooms(session: AsyncSession, actor: Actor) -> list[RoomPublic]:
    statement = (
        select(Room, RoomMember)
        .join(
            RoomMember,
            (col(RoomMember.room_id) == col(Room.id))
            & (col(RoomMember.account_id) == actor.account.id),
            isouter=True,
        )
        .where(col(Room.kind).in_([k.value for k in rules.SELF_JOIN_KINDS]))
        .order_by(col(Room.name))
    )
    return [
        _room_public(room, member)
        for room, member in (await session.exec(statement)).all()
        if rules.can_join(RoomKind(room.kind), member_view(member), actor.grants)
    ]


async def get_room(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    return _room_public(access.room, access.member)


async def join_room(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    if access.view is not None and access.view.is_active:
        return _room_public(access.room, access.member)
    if not rules.can_join(access.kind, access.view, actor.grants):
        raise Forbidden("This room is open by invitation only.", code="not_joinable")
    member = await add_room_member(session, room_id=room_id, account_id=actor.account.id)
    return _room_public(access.room, member)


async def leave_room(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> None:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    if access.member is None or access.member.state not in (
        MemberState.ACTIVE.value,
        MemberState.INVITED.value,
    ):
        raise NotFound()
    access.member.state = MemberState.LEFT.value
    session.add(access.member)
    await session.flush()
    events.publish_on_commit(
        session, events.MemberRemovedEvent(room_id, actor.account.id, reason="left")
    )


async def list_members(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID
) -> list[tuple[RoomMember, str]]:
    """Members by pseudonym, only for people who read the room. People under a "hidden"
    restriction are listed to safeguarding alone; people she blocked, or who blocked her,
    are left out of her list."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    statement = (
        select(RoomMember, Account.pseudonym, Account.restrictions)
        .join(Account, col(Account.id) == col(RoomMember.account_id))
        .where(RoomMember.room_id == room_id)
        .where(col(RoomMember.state).in_([MemberState.ACTIVE.value, MemberState.INVITED.value]))
        .order_by(col(Account.pseudonym))
    )
    sees_hidden = actor.grants.can(Capability.SAFETY_REVIEW)
    if access.kind is RoomKind.WELCOME and not access.can_moderate:
        # Everyone reads the welcome room: its list would be a list of the whole community.
        return []
    blocked = await safety_service.blocked_either_way(session, actor.account.id)
    return [
        (member, pseudonym)
        for member, pseudonym, restrictions in (await session.exec(statement)).all()
        if member.account_id not in blocked
        and (sees_hidden or Effect.HIDDEN not in restriction_effects.parse(restrictions))
    ]


async def add_member_as_moderator(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    account_id: uuid.UUID,
    role: RoomRole,
) -> RoomMember:
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    if access.kind in rules.PRIVATE_KINDS:
        raise Forbidden("Nobody is added to a private conversation.", code="private_room")
    member = await add_room_member(session, room_id=room_id, account_id=account_id, role=role.value)
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="room.member_added",
        subject=f"room:{room_id}",
        details={"account": str(account_id), "role": role.value},
    )
    return member


async def _target_member(
    session: AsyncSession, room_id: uuid.UUID, account_id: uuid.UUID
) -> RoomMember:
    member = await get_membership(session, room_id, account_id)
    if member is None or member.state != MemberState.ACTIVE.value:
        raise NotFound("She is not a member of this room.")
    return member


async def remove_member(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, *, account_id: uuid.UUID, reason: str
) -> None:
    """Remove her from the room; she stops receiving it at once and cannot join again alone."""
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    if account_id == actor.account.id:
        raise Conflict("Leave the room instead of removing yourself.")
    member = await _target_member(session, access.room.id, account_id)
    member.state = MemberState.REMOVED.value
    session.add(member)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="room.member_removed",
        subject=f"room:{room_id}",
        details={"account": str(account_id), "reason": reason},
    )
    events.publish_on_commit(session, events.MemberRemovedEvent(room_id, account_id))


async def mute_member(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    account_id: uuid.UUID,
    minutes: int,
    reason: str,
) -> RoomMember:
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    if account_id == actor.account.id:
        raise Conflict("You cannot mute yourself.")
    member = await _target_member(session, access.room.id, account_id)
    member.muted_until = utc_now() + timedelta(minutes=minutes)
    session.add(member)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="room.member_muted",
        subject=f"room:{room_id}",
        details={"account": str(account_id), "minutes": minutes, "reason": reason},
    )
    return member


# Direct conversations


async def shares_a_room(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """True when both are active members of one open room: then they may see each other."""
    mine = (
        select(RoomMember.room_id)
        .where(RoomMember.account_id == a)
        .where(RoomMember.state == MemberState.ACTIVE.value)
    )
    statement = (
        select(RoomMember.id)
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(RoomMember.account_id == b)
        .where(RoomMember.state == MemberState.ACTIVE.value)
        .where(col(RoomMember.room_id).in_(mine))
        .where(col(Room.opened_at).is_not(None))
        .limit(1)
    )
    return (await session.exec(statement)).first() is not None


async def _is_mentoring_pair(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    keys = [
        rules.unique_pair_key("mentoring", a, b, ordered=True),
        rules.unique_pair_key("mentoring", b, a, ordered=True),
    ]
    statement = select(Room.id).where(col(Room.unique_key).in_(keys))
    return (await session.exec(statement)).first() is not None


async def open_direct_conversation(
    session: AsyncSession, actor: Actor, *, other_id: uuid.UUID
) -> Room:
    """Ask someone she shares a room with into a 1:1 conversation.

    The conversation opens when the other side accepts, at once between mentor and
    mentee. A block either way answers as if the person did not exist.
    """
    me = actor.account.id
    if not actor.grants.can(Capability.ROOMS_PARTICIPATE):
        raise Forbidden("You do not have permission to do this.", code="missing_capability")
    if actor.grants.restricted(Effect.DIRECT_MESSAGES_FROZEN) or actor.grants.restricted(
        Effect.READ_ONLY
    ):
        raise Forbidden(_REFUSALS["direct_messages_frozen"], code="direct_messages_frozen")
    if other_id == me:
        raise Conflict("A conversation needs someone else.")
    if not await shares_a_room(session, me, other_id) or await safety_service.is_blocked_between(
        session, me, other_id
    ):
        raise NotFound()
    other_grants = await auth_service.load_grants(session, other_id)
    if not other_grants.can(Capability.ROOMS_PARTICIPATE) or other_grants.restricted(Effect.HIDDEN):
        raise NotFound()
    key = rules.unique_pair_key("direct", me, other_id)
    room = (await session.exec(select(Room).where(Room.unique_key == key))).first()
    mentoring = await _is_mentoring_pair(session, me, other_id)
    if room is None:
        names = await pseudonyms(session, [me, other_id])
        room = await _new_room(
            session,
            kind=RoomKind.DIRECT,
            name=f"{names[me]} & {names[other_id]}",
            created_by=me,
            unique_key=key,
            is_open=mentoring,
        )
    other = await get_membership(session, room.id, other_id)
    await add_room_member(session, room_id=room.id, account_id=me)
    if room.opened_at is None and not mentoring:
        if other is None or other.state != MemberState.ACTIVE.value:
            await add_room_member(
                session, room_id=room.id, account_id=other_id, state=MemberState.INVITED
            )
    else:
        if room.opened_at is None:
            room.opened_at = utc_now()
            session.add(room)
        await add_room_member(session, room_id=room.id, account_id=other_id)
    return room


async def answer_direct_conversation(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, *, accept: bool
) -> Room | None:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    member = access.member
    if (
        access.kind is not RoomKind.DIRECT
        or member is None
        or member.state != MemberState.INVITED.value
    ):
        raise NotFound()
    if accept:
        others = await session.exec(
            select(RoomMember.account_id)
            .where(RoomMember.room_id == room_id)
            .where(RoomMember.account_id != actor.account.id)
        )
        for other_id in others.all():
            if await safety_service.is_blocked_between(session, actor.account.id, other_id):
                raise NotFound()
        member.state = MemberState.ACTIVE.value
        access.room.opened_at = utc_now()
        session.add_all([member, access.room])
        await session.flush()
        events.publish_on_commit(session, events.MemberAddedEvent(room_id, actor.account.id))
        return access.room
    # Declining leaves no trace she could be asked about; the other side sees no opening.
    await session.exec(delete(RoomMember).where(col(RoomMember.room_id) == room_id))
    await session.exec(delete(Room).where(col(Room.id) == room_id))
    return None


# Messages


async def _lock_room(session: AsyncSession, room_id: uuid.UUID) -> Room:
    """Lock the room row for this transaction (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    write transaction already serialises writers), so sequence numbers never collide or skip."""
    statement = (
        select(Room)
        .where(Room.id == room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    room = (await session.exec(statement)).first()
    if room is None:
        raise NotFound()
    return room


async def _store_message(
    session: AsyncSession,
    *,
    room_id: uuid.UUID,
    author_id: uuid.UUID | None,
    author_pseudonym: str | None,
    body: str,
    kind: MessageKind,
    client_id: str | None = None,
    reply_to: int | None = None,
    content_warning: str | None = None,
) -> tuple[RoomMessage, bool]:
    screened: list[screening.Screened] = []
    if kind is MessageKind.TEXT and author_id is not None:
        # A resend is screened again, but what screening found is recorded only for a new
        # message (after_store, below), so the same words are never flagged twice.
        room_kind = RoomKind((await get_room_row(session, room_id)).kind)
        screened.append(
            await screening.screen(session, screening.Draft(room_id, room_kind, author_id, body))
        )
        body = screened[0].text
        if content_warning is not None:
            # The warning is read first and by everyone: it is screened like the text.
            screened.append(
                await screening.screen(
                    session, screening.Draft(room_id, room_kind, author_id, content_warning)
                )
            )
            content_warning = screened[1].text
    room = await _lock_room(session, room_id)
    if client_id is not None:
        existing = await _stored_already(session, room_id, author_id, client_id)
        if existing is not None:
            return existing, True
    if reply_to is not None and reply_to > room.last_seq:
        raise InvalidInput(
            "That message does not exist in this room.", fields={"reply_to": "No such message."}
        )
    room.last_seq += 1
    message = RoomMessage(
        room_id=room_id,
        seq=room.last_seq,
        author_id=author_id,
        client_id=client_id,
        kind=kind.value,
        body=body,
        reply_to_seq=reply_to,
        content_warning=content_warning,
        created_at=utc_now(),
    )
    session.add_all([room, message])
    await session.flush()
    for done in screened:
        if done.after_store is not None:
            await done.after_store(session, message.seq)
    public = message_public(message, author_pseudonym)
    events.publish_on_commit(
        session,
        events.MessageEvent(room_id, message.seq, author_id, public.model_dump(mode="json")),
    )
    return message, False


@dataclass(frozen=True)
class Mentions:
    """Room members named in a new message who want to hear of it (not her, not blocked)."""

    room_id: uuid.UUID
    room_name: str
    seq: int
    author_id: uuid.UUID
    author_pseudonym: str
    account_ids: frozenset[uuid.UUID]


MentionListener = Callable[[AsyncSession, Mentions], Awaitable[None]]
# Filled when the application is built (backend.notification); rooms import no domain above.
_mention_listeners: list[MentionListener] = []


def on_mentions(listener: MentionListener) -> None:
    """Call ``listener`` in the posting transaction for every message that names someone."""
    if listener not in _mention_listeners:
        _mention_listeners.append(listener)


async def _announce_mentions(
    session: AsyncSession, room: Room, message: RoomMessage, author_id: uuid.UUID, author: str
) -> None:
    # The common message has no "@": nothing is read, the send path stays as it was.
    if "@" not in message.body or not _mention_listeners:
        return
    rows = (
        await session.exec(
            select(RoomMember.account_id, Account.pseudonym, RoomMember.notify_level)
            .join(Account, col(Account.id) == col(RoomMember.account_id))
            .where(RoomMember.room_id == room.id)
            .where(RoomMember.state == MemberState.ACTIVE.value)
            .where(RoomMember.account_id != author_id)
        )
    ).all()
    wanting = {a: p for a, p, level in rows if level != NotifyLevel.NONE.value}
    named = rules.mentioned(message.body, wanting)
    if not named:
        return
    named -= await safety_service.blocked_either_way(session, author_id)
    if not named:
        return
    mentions = Mentions(room.id, room.name, message.seq, author_id, author, frozenset(named))
    for listener in _mention_listeners:
        await listener(session, mentions)


async def set_notify_level(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, level: NotifyLevel
) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    member = access.member
    if member is None or member.state != MemberState.ACTIVE.value:
        raise NotFound()
    member.notify_level = level.value
    session.add(member)
    await session.flush()
    return _room_public(access.room, member)


async def _stored_already(
    session: AsyncSession, room_id: uuid.UUID, author_id: uuid.UUID | None, client_id: str
) -> RoomMessage | None:
    statement = (
        select(RoomMessage)
        .where(RoomMessage.room_id == room_id)
        .where(RoomMessage.author_id == author_id)
        .where(RoomMessage.client_id == client_id)
    )
    return (await session.exec(statement)).first()


async def post_message(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    client_id: str,
    body: str,
    reply_to: int | None = None,
    content_warning: str | None = None,
) -> tuple[MessagePublic, bool]:
    """Store a message and give it the room's next sequence number; the same client id
    from the same author returns the message already stored (``True`` = duplicate).
    A content warning is taken in support and working groups only."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    refusal = rules.post_refusal(
        access.kind,
        access.view,
        actor.grants,
        is_open=access.room.opened_at is not None,
        now=utc_now(),
    )
    if refusal is not None:
        raise Forbidden(_REFUSALS[refusal], code=refusal)
    text = rules.clean_body(body)
    try:
        warning = rules.clean_content_warning(content_warning)
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={"content_warning": str(exc)}) from exc
    if warning is not None and access.kind not in rules.CONTENT_WARNING_KINDS:
        raise InvalidInput(
            "Content warnings are for support groups and working groups.",
            fields={
                "content_warning": "Content warnings are for support groups and working groups."
            },
            code="content_warning_not_here",
        )
    message, duplicate = await _store_message(
        session,
        room_id=room_id,
        author_id=actor.account.id,
        author_pseudonym=actor.account.pseudonym,
        body=text,
        kind=MessageKind.TEXT,
        client_id=client_id,
        reply_to=reply_to,
        content_warning=warning,
    )
    if access.member is not None and message.seq > access.member.last_read_seq:
        access.member.last_read_seq = message.seq
        session.add(access.member)
    if not duplicate:
        await _announce_mentions(
            session, access.room, message, actor.account.id, actor.account.pseudonym
        )
    return message_public(message, actor.account.pseudonym), duplicate


async def post_system_message(
    session: AsyncSession, *, room_id: uuid.UUID, text: str
) -> RoomMessage:
    """A message from the community itself (an introduction, a notice). No checks."""
    message, _ = await _store_message(
        session,
        room_id=room_id,
        author_id=None,
        author_pseudonym=None,
        body=rules.clean_body(text),
        kind=MessageKind.SYSTEM,
    )
    return message


def _publish_update(
    session: AsyncSession, message: RoomMessage, pseudonym: str | None
) -> MessagePublic:
    message.changed_at = utc_now()
    session.add(message)
    public = message_public(message, pseudonym)
    events.publish_on_commit(
        session,
        events.MessageUpdatedEvent(
            message.room_id, message.seq, message.author_id, public.model_dump(mode="json")
        ),
    )
    return public


async def release_withheld_text(
    session: AsyncSession, *, room_id: uuid.UUID, seq: int, masked: str, original: str
) -> bool:
    """A moderator let through what screening held back: the message gets its own words
    again, unless its author changed or deleted it since (then nothing changes)."""
    message = (
        await session.exec(
            select(RoomMessage).where(RoomMessage.room_id == room_id).where(RoomMessage.seq == seq)
        )
    ).first()
    if message is None or message.deleted_at is not None or message.body != masked:
        return False
    message.body = original
    session.add(message)
    await session.flush()
    names = await pseudonyms(session, [message.author_id])
    _publish_update(session, message, names.get(message.author_id) if message.author_id else None)
    return True


async def edit_message(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int, *, body: str
) -> MessagePublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    message = await access_message_by_seq(session, access, seq)
    if message.author_id != actor.account.id or message.deleted_at is not None:
        raise Forbidden("Only the author edits a message.", code="not_author")
    if rules.post_refusal(access.kind, access.view, actor.grants, is_open=True, now=utc_now()) in (
        "not_member",
        "muted",
        "read_only",
        "direct_messages_frozen",
    ):
        raise Forbidden("You cannot edit messages here now.", code="cannot_edit")
    text = rules.clean_body(body)
    if text == message.body:
        return message_public(message, actor.account.pseudonym)
    # An edit is screened like a new message: a phone number edited into a message to a
    # newcomer is held back the same way.
    screened = await screening.screen(
        session, screening.Draft(room_id, access.kind, actor.account.id, text)
    )
    now = utc_now()
    session.add(
        MessageRevision(
            message_id=message.id, body=message.body, replaced_at=now, replaced_by=actor.account.id
        )
    )
    message.body = screened.text
    message.edited_at = now
    session.add(message)
    await session.flush()
    if screened.after_store is not None:
        await screened.after_store(session, message.seq)
    return _publish_update(session, message, actor.account.pseudonym)


async def delete_own_message(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int
) -> MessagePublic:
    """Her words are gone, history included; a report made earlier keeps its snapshot."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    message = await access_message_by_seq(session, access, seq)
    if message.author_id != actor.account.id:
        raise Forbidden("Only the author deletes her message.", code="not_author")
    if message.deleted_at is not None:
        return message_public(message, actor.account.pseudonym)
    await session.exec(delete(MessageRevision).where(col(MessageRevision.message_id) == message.id))
    message.body = ""
    message.deleted_at = utc_now()
    message.deleted_by = actor.account.id
    session.add(message)
    await session.flush()
    return _publish_update(session, message, actor.account.pseudonym)


async def remove_message_as_moderator(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int, *, reason: str
) -> MessagePublic:
    """A tombstone with a reason; the text moves to the revisions moderators can read."""
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    message = await access_message_by_seq(session, access, seq)
    if message.deleted_at is not None:
        raise Conflict("This message is already deleted.")
    now = utc_now()
    session.add(
        MessageRevision(
            message_id=message.id, body=message.body, replaced_at=now, replaced_by=actor.account.id
        )
    )
    message.body = ""
    message.deleted_at = now
    message.deleted_by = actor.account.id
    message.delete_reason = reason
    session.add(message)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="room.message_removed",
        subject=f"room:{room_id}",
        details={"seq": seq, "author": str(message.author_id), "reason": reason},
    )
    names = await pseudonyms(session, [message.author_id])
    return _publish_update(
        session, message, names.get(message.author_id) if message.author_id else None
    )


async def list_revisions(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int
) -> list[MessageRevision]:
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    message = await access_message_by_seq(session, access, seq)
    statement = (
        select(MessageRevision)
        .where(MessageRevision.message_id == message.id)
        .order_by(col(MessageRevision.replaced_at))
    )
    return list((await session.exec(statement)).all())


@dataclass(frozen=True)
class MessageSnapshot:
    """A message as she can read it now, for a report's evidence."""

    room_id: uuid.UUID
    room_kind: RoomKind
    seq: int
    author_id: uuid.UUID | None
    author_pseudonym: str
    body: str
    written_at: datetime


async def snapshot_messages(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seqs: Sequence[int]
) -> list[MessageSnapshot]:
    """Messages of a room she reads, as they are now; NotFound for any she cannot reach."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    found: list[MessageSnapshot] = []
    for seq in dict.fromkeys(seqs):
        message = await access_message_by_seq(session, access, seq)
        if message.deleted_at is not None:
            raise Conflict("This message is deleted already.", code="message_deleted")
        names = await pseudonyms(session, [message.author_id])
        found.append(
            MessageSnapshot(
                room_id=room_id,
                room_kind=access.kind,
                seq=message.seq,
                author_id=message.author_id,
                author_pseudonym=names.get(message.author_id, "") if message.author_id else "",
                body=message.body,
                written_at=message.created_at,
            )
        )
    return found


async def room_exists_for(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> Room:
    """A room she can see (to report it); NotFound otherwise."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    return access.room


async def mark_read(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int
) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    member = access.member
    if member is None or member.state != MemberState.ACTIVE.value:
        raise NotFound()
    target = min(seq, access.room.last_seq)
    if target > member.last_read_seq:
        member.last_read_seq = target
        session.add(member)
        await session.flush()
    return _room_public(access.room, member)


# A little before the client's mark, so a clock a few seconds apart between app processes
# loses nothing: a change sent twice is harmless (clients replace the message by seq).
CHANGES_MARGIN = timedelta(seconds=10)


async def changes_since(
    session: AsyncSession, room_id: uuid.UUID, *, up_to_seq: int, since: datetime, limit: int
) -> list[MessagePublic] | None:
    """Messages she already holds (seq <= up_to_seq) edited or deleted since ``since``, in
    seq order; None when there are more than ``limit`` (she reloads her history)."""
    statement = (
        select(RoomMessage)
        .where(RoomMessage.room_id == room_id)
        .where(col(RoomMessage.changed_at) > since - CHANGES_MARGIN)
        .where(col(RoomMessage.seq) <= up_to_seq)
        .order_by(col(RoomMessage.seq))
        .limit(limit + 1)
    )
    changed = list((await session.exec(statement)).all())
    if len(changed) > limit:
        return None
    names = await pseudonyms(session, [m.author_id for m in changed])
    return [message_public(m, names.get(m.author_id) if m.author_id else None) for m in changed]


# Support-group sessions, series, attendance and feedback


async def _access_group_session(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID, *, need: str
) -> tuple[RoomAccess, GroupSession]:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need=need)
    group_session = await session.get(GroupSession, session_id)
    if group_session is None or group_session.room_id != room_id:
        raise NotFound()
    return access, group_session


def _require_facilitator(access: RoomAccess, actor: Actor) -> None:
    if not rules.can_schedule_sessions(access.kind, access.view, actor.grants):
        raise Forbidden("Only the group's facilitators do this.", code="not_facilitator")


async def _add_group_session(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    data: GroupSessionCreate,
    series_id: uuid.UUID | None,
) -> GroupSession:
    row = GroupSession(
        room_id=room_id,
        series_id=series_id,
        facilitator_id=actor.account.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        topic=data.topic,
        language=data.language,
        created_at=utc_now(),
    )
    session.add(row)
    await session.flush()
    return row


async def schedule_session(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, data: GroupSessionCreate
) -> GroupSession:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    _require_facilitator(access, actor)
    return await _add_group_session(session, actor, room_id, data, None)


async def create_series(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    title: str,
    sessions: Sequence[GroupSessionCreate],
) -> tuple[SessionSeries, list[GroupSession]]:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    _require_facilitator(access, actor)
    series = SessionSeries(
        room_id=room_id, title=title, created_by=actor.account.id, created_at=utc_now()
    )
    session.add(series)
    await session.flush()
    rows = [await _add_group_session(session, actor, room_id, s, series.id) for s in sessions]
    return series, rows


async def list_group_sessions(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, *, upcoming: bool
) -> list[GroupSession]:
    await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    statement = select(GroupSession).where(GroupSession.room_id == room_id)
    if upcoming:
        statement = statement.where(col(GroupSession.ends_at) > utc_now())
    return list((await session.exec(statement.order_by(col(GroupSession.starts_at)))).all())


async def record_attendance(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    account_ids: Sequence[uuid.UUID],
) -> list[tuple[uuid.UUID, str]]:
    """Set who came (replacing what was recorded); only members of the group count."""
    access, group_session = await _access_group_session(
        session, actor, room_id, session_id, need="read"
    )
    _require_facilitator(access, actor)
    wanted = set(account_ids)
    members = await session.exec(
        select(RoomMember.account_id)
        .where(RoomMember.room_id == room_id)
        .where(col(RoomMember.account_id).in_(wanted))
    )
    known = set(members.all())
    unknown = wanted - known
    if unknown:
        raise InvalidInput(
            "Attendance lists members of this group only.",
            fields={"account_ids": f"{len(unknown)} of them are not members of this group."},
        )
    await session.exec(
        delete(SessionAttendance).where(col(SessionAttendance.session_id) == session_id)
    )
    now = utc_now()
    for account_id in sorted(wanted):
        session.add(
            SessionAttendance(
                session_id=group_session.id,
                account_id=account_id,
                recorded_by=actor.account.id,
                recorded_at=now,
            )
        )
    await session.flush()
    names = await pseudonyms(session, wanted)
    return sorted(((a, names[a]) for a in wanted), key=lambda item: item[1])


async def list_attendance(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    access, _ = await _access_group_session(session, actor, room_id, session_id, need="read")
    _require_facilitator(access, actor)
    rows = await session.exec(
        select(SessionAttendance.account_id, Account.pseudonym)
        .join(Account, col(Account.id) == col(SessionAttendance.account_id))
        .where(SessionAttendance.session_id == session_id)
        .order_by(col(Account.pseudonym))
    )
    return [(a, p) for a, p in rows.all()]


async def count_attended_sessions(
    session: AsyncSession, account_id: uuid.UUID, since: datetime | None = None
) -> int:
    """Support-group sessions she attended (for participation and the non-active rule)."""
    statement = (
        select(func.count())
        .select_from(SessionAttendance)
        .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
        .where(SessionAttendance.account_id == account_id)
    )
    if since is not None:
        statement = statement.where(col(GroupSession.starts_at) >= since)
    return int((await session.exec(statement)).one())


async def attended_session_counts(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Support-group sessions attended, for everyone who attended any (one query, for
    scheduled work over the whole community)."""
    statement = (
        select(SessionAttendance.account_id, func.count())
        .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
        .group_by(col(SessionAttendance.account_id))
    )
    return {account_id: int(count) for account_id, count in (await session.exec(statement)).all()}


async def series_attendance(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, series_id: uuid.UUID
) -> tuple[SessionSeries, list[GroupSession], dict[str, int]]:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    series = await session.get(SessionSeries, series_id)
    if series is None or series.room_id != room_id:
        raise NotFound()
    sessions = list(
        (
            await session.exec(
                select(GroupSession)
                .where(GroupSession.series_id == series_id)
                .order_by(col(GroupSession.starts_at))
            )
        ).all()
    )
    attended: dict[str, int] = {}
    if rules.can_schedule_sessions(access.kind, access.view, actor.grants):
        rows = await session.exec(
            select(Account.pseudonym, func.count())
            .select_from(SessionAttendance)
            .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
            .join(Account, col(Account.id) == col(SessionAttendance.account_id))
            .where(GroupSession.series_id == series_id)
            .group_by(col(Account.pseudonym))
        )
        attended = {p: int(n) for p, n in rows.all()}
    return series, sessions, attended


async def set_feedback_questions(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    questions: Sequence[FeedbackQuestionIn],
) -> list[FeedbackQuestion]:
    access, group_session = await _access_group_session(
        session, actor, room_id, session_id, need="read"
    )
    _require_facilitator(access, actor)
    answered = await session.exec(
        select(FeedbackSubmission.id).where(FeedbackSubmission.session_id == session_id).limit(1)
    )
    if answered.first() is not None:
        raise Conflict("People have answered already; the questions can no longer change.")
    await session.exec(
        delete(FeedbackQuestion).where(col(FeedbackQuestion.session_id) == session_id)
    )
    rows = [
        FeedbackQuestion(session_id=group_session.id, position=i, text=q.text, kind=q.kind)
        for i, q in enumerate(questions, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def list_feedback_questions(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID
) -> list[FeedbackQuestion]:
    await _access_group_session(session, actor, room_id, session_id, need="read")
    statement = (
        select(FeedbackQuestion)
        .where(FeedbackQuestion.session_id == session_id)
        .order_by(col(FeedbackQuestion.position))
    )
    return list((await session.exec(statement)).all())


async def submit_feedback(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    answers: Sequence[FeedbackAnswerIn],
) -> None:
    """Anonymous answers from someone who attended, once per session."""
    await _access_group_session(session, actor, room_id, session_id, need="read")
    attended = await session.exec(
        select(SessionAttendance.id)
        .where(SessionAttendance.session_id == session_id)
        .where(SessionAttendance.account_id == actor.account.id)
    )
    if attended.first() is None:
        raise Forbidden("Feedback comes from people who attended the session.", code="not_attended")
    questions = {
        q.id: q
        for q in (
            await session.exec(
                select(FeedbackQuestion).where(FeedbackQuestion.session_id == session_id)
            )
        ).all()
    }
    rows = []
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            raise InvalidInput(
                "That question is not part of this session's feedback.",
                fields={"answers": "Unknown question."},
            )
        if question.kind == "scale" and answer.scale is None:
            raise InvalidInput(
                "A scale question takes a number from 1 to 5.",
                fields={"answers": "Give a number from 1 to 5."},
            )
        rows.append(
            FeedbackAnswer(
                question_id=question.id,
                scale_value=answer.scale if question.kind == "scale" else None,
                text_value=(answer.text or None) if question.kind == "text" else None,
            )
        )
    session.add(FeedbackSubmission(session_id=session_id, account_id=actor.account.id))
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("You have answered this session's feedback already.") from exc
    secrets.SystemRandom().shuffle(rows)
    session.add_all(rows)
    await session.flush()


async def feedback_summary(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[int, list[QuestionSummaryPublic]]:
    access, _ = await _access_group_session(session, actor, room_id, session_id, need="read")
    _require_facilitator(access, actor)
    questions = (
        await session.exec(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.session_id == session_id)
            .order_by(col(FeedbackQuestion.position))
        )
    ).all()
    submissions = int(
        (
            await session.exec(
                select(func.count())
                .select_from(FeedbackSubmission)
                .where(FeedbackSubmission.session_id == session_id)
            )
        ).one()
    )
    answers = (
        await session.exec(
            select(FeedbackAnswer).where(
                col(FeedbackAnswer.question_id).in_([q.id for q in questions])
            )
        )
    ).all()
    summaries = rules.summarise_feedback(
        [(str(q.id), q.text, q.kind) for q in questions],
        [(str(a.question_id), a.scale_value, a.text_value) for a in answers],
        submissions=submissions,
    )
    return submissions, [QuestionSummaryPublic(**s.__dict__) for s in summaries]
