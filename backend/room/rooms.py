import uuid
from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.room import events, rules
from backend.room.access import access_room_by_id, get_membership, member_view
from backend.room.messages import pseudonyms
from backend.room.models import MemberState, Room, RoomKind, RoomMember, RoomMessage, RoomRole
from backend.room.schemas import RoomPublic
from backend.room.views import room_public
from backend.safety import service as safety_service
from moderation import restrictions as restriction_effects
from moderation.restrictions import Effect

ACTIVE_MEMBERS_KEY = "active_members"


async def new_room(
    session: AsyncSession,
    *,
    kind: RoomKind,
    name: str,
    topic: str = "",
    created_by: uuid.UUID | None,
    unique_key: str | None = None,
    is_open: bool = True,
) -> Room:
    """A room with nobody in it yet. No checks: the caller decided, and adds the members."""
    now = utc_now()
    room = Room(
        kind=kind,
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
    role: RoomRole = RoomRole.MEMBER,
    state: MemberState = MemberState.ACTIVE,
) -> RoomMember:
    """Make her a member (idempotent; brings back one who left or was removed). No checks:
    the caller decided. Her live connections are told so they can subscribe."""
    if await session.get(Room, room_id) is None:
        raise NotFound()
    member = await get_membership(session, room_id, account_id)
    if member is None:
        if await session.get(Account, account_id) is None:
            raise NotFound()
        member = RoomMember(
            room_id=room_id,
            account_id=account_id,
            role=role,
            state=state,
            joined_at=utc_now(),
        )
    elif member.state == state and member.role == role:
        return member
    else:
        member.role = role
        member.state = state
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
    room = await new_room(session, kind=kind, name=name, topic=topic, created_by=actor.account.id)
    await add_room_member(
        session, room_id=room.id, account_id=actor.account.id, role=RoomRole.MODERATOR
    )
    return room


async def remove_room_member(
    session: AsyncSession, *, room_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """Take her out of a room another domain manages (a mentorship ended, she is no longer
    an active member, she left a working group). No checks: the caller decided. Her
    history stays for moderation; she stops receiving the room at once."""
    member = await get_membership(session, room_id, account_id)
    if member is None or member.state not in (MemberState.ACTIVE, MemberState.INVITED):
        return
    member.state = MemberState.REMOVED
    session.add(member)
    await session.flush()
    events.publish_on_commit(session, events.MemberRemovedEvent(room_id, account_id))


async def find_mentoring_room(
    session: AsyncSession, *, mentor_id: uuid.UUID, mentee_id: uuid.UUID
) -> Room | None:
    key = rules.unique_pair_key("mentoring", mentor_id, mentee_id, ordered=True)
    return (await session.exec(select(Room).where(Room.unique_key == key))).first()


async def create_working_group_room(
    session: AsyncSession, *, name: str, created_by: uuid.UUID | None
) -> Room:
    """A working group with its creator as moderator (called by the membership domain)."""
    room = await new_room(session, kind=RoomKind.WORKING_GROUP, name=name, created_by=created_by)
    if created_by is not None:
        await add_room_member(
            session, room_id=room.id, account_id=created_by, role=RoomRole.MODERATOR
        )
    return room


async def ensure_active_members_room(session: AsyncSession) -> Room:
    """The one room of all active members, made the first time it is asked for."""
    statement = select(Room).where(Room.unique_key == ACTIVE_MEMBERS_KEY)
    room = (await session.exec(statement)).first()
    if room is not None:
        return room
    return await new_room(
        session,
        kind=RoomKind.ACTIVE_MEMBERS,
        name="Active members",
        created_by=None,
        unique_key=ACTIVE_MEMBERS_KEY,
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
        room = await new_room(
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
    await add_room_member(session, room_id=room.id, account_id=me, role=RoomRole.MODERATOR)
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
        room = await new_room(
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
        .where(col(RoomMember.state).in_([MemberState.ACTIVE, MemberState.INVITED]))
        .order_by(col(Room.name))
    )
    rows = [
        (room, member)
        for room, member in (await session.exec(statement)).all()
        if rules.can_see(room.kind, member_view(member), actor.grants)
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
    return [room_public(room, member, unread.get(room.id, 0)) for room, member in rows]


async def list_joinable_rooms(session: AsyncSession, actor: Actor) -> list[RoomPublic]:
    statement = (
        select(Room, RoomMember)
        .join(
            RoomMember,
            (col(RoomMember.room_id) == col(Room.id))
            & (col(RoomMember.account_id) == actor.account.id),
            isouter=True,
        )
        .where(col(Room.kind).in_(rules.SELF_JOIN_KINDS))
        .order_by(col(Room.name))
    )
    return [
        room_public(room, member)
        for room, member in (await session.exec(statement)).all()
        if rules.can_join(room.kind, member_view(member), actor.grants)
    ]


async def get_room(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    return room_public(access.room, access.member)


async def join_room(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    if access.view is not None and access.view.is_active:
        return room_public(access.room, access.member)
    if not rules.can_join(access.kind, access.view, actor.grants):
        raise Forbidden("This room is open by invitation only.", code="not_joinable")
    member = await add_room_member(session, room_id=room_id, account_id=actor.account.id)
    return room_public(access.room, member)


async def leave_room(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> None:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    if access.member is None or access.member.state not in (
        MemberState.ACTIVE,
        MemberState.INVITED,
    ):
        raise NotFound()
    access.member.state = MemberState.LEFT
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
        .where(col(RoomMember.state).in_([MemberState.ACTIVE, MemberState.INVITED]))
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
    member = await add_room_member(session, room_id=room_id, account_id=account_id, role=role)
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="room.member_added",
        subject=f"room:{room_id}",
        details={"account": str(account_id), "role": role},
    )
    return member


async def _target_member(
    session: AsyncSession, room_id: uuid.UUID, account_id: uuid.UUID
) -> RoomMember:
    member = await get_membership(session, room_id, account_id)
    if member is None or member.state != MemberState.ACTIVE:
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
    member.state = MemberState.REMOVED
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
