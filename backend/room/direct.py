import uuid

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.time import utc_now
from backend.room import events, rules
from backend.room.access import access_room_by_id, get_membership
from backend.room.errors import PostRefused
from backend.room.messages import pseudonyms
from backend.room.models import MemberState, Room, RoomKind, RoomMember
from backend.room.rooms import add_room_member, new_room
from backend.safety import service as safety_service
from moderation.restrictions import Effect


async def shares_a_room(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """True when both are active members of one open room: then they may see each other."""
    mine = (
        select(RoomMember.room_id)
        .where(RoomMember.account_id == a)
        .where(RoomMember.state == MemberState.ACTIVE)
    )
    statement = (
        select(RoomMember.id)
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(RoomMember.account_id == b)
        .where(RoomMember.state == MemberState.ACTIVE)
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
        raise PostRefused("direct_messages_frozen")
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
        room = await new_room(
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
        if other is None or other.state != MemberState.ACTIVE:
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
    if access.kind is not RoomKind.DIRECT or member is None or member.state != MemberState.INVITED:
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
        member.state = MemberState.ACTIVE
        access.room.opened_at = utc_now()
        session.add_all([member, access.room])
        await session.flush()
        events.publish_on_commit(session, events.MemberAddedEvent(room_id, actor.account.id))
        return access.room
    # Declining leaves no trace she could be asked about; the other side sees no opening.
    await session.exec(delete(RoomMember).where(col(RoomMember.room_id) == room_id))
    await session.exec(delete(Room).where(col(Room.id) == room_id))
    return None
