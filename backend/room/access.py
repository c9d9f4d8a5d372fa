"""The only way to load a room or a message on someone's behalf.

Each function answers the same NotFound for "absent" and "not yours", so nobody can
probe which rooms exist or who is in them (zulip's ``access_stream_by_id``).
"""

import uuid
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Grants
from backend.core.errors import Forbidden, NotFound
from backend.room import rules
from backend.room.models import (
    GroupSession,
    Room,
    RoomKind,
    RoomMember,
    RoomMessage,
)


@dataclass(frozen=True)
class RoomAccess:
    room: Room
    member: RoomMember | None
    view: rules.MemberView | None
    grants: Grants

    @property
    def kind(self) -> RoomKind:
        return self.room.kind

    @property
    def can_moderate(self) -> bool:
        return rules.can_moderate(self.kind, self.view, self.grants)


def member_view(member: RoomMember | None) -> rules.MemberView | None:
    if member is None:
        return None
    return rules.MemberView(role=member.role, state=member.state, muted_until=member.muted_until)


async def get_membership(
    session: AsyncSession, room_id: uuid.UUID, account_id: uuid.UUID
) -> RoomMember | None:
    statement = (
        select(RoomMember)
        .where(RoomMember.room_id == room_id)
        .where(RoomMember.account_id == account_id)
    )
    return (await session.exec(statement)).first()


async def get_room_row(session: AsyncSession, room_id: uuid.UUID) -> Room:
    """A room by id, without access checks: for domains that manage their own rooms."""
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound()
    return room


async def access_room_by_id(
    session: AsyncSession,
    account_id: uuid.UUID,
    grants: Grants,
    room_id: uuid.UUID,
    *,
    need: str = "read",
) -> RoomAccess:
    """Load a room she may ``see``, ``read`` or ``moderate``; NotFound otherwise.

    A room she can read but not moderate answers Forbidden for ``moderate``: its existence
    is no secret to her.
    """
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound()
    member = await get_membership(session, room_id, account_id)
    view = member_view(member)
    kind = room.kind
    if need == "see":
        allowed = rules.can_see(kind, view, grants)
    else:
        allowed = rules.can_read(kind, view, grants)
    if not allowed:
        raise NotFound()
    access = RoomAccess(room=room, member=member, view=view, grants=grants)
    if need == "moderate" and not access.can_moderate:
        raise Forbidden("Only the room's moderators can do this.", code="not_moderator")
    return access


async def access_message_by_seq(session: AsyncSession, access: RoomAccess, seq: int) -> RoomMessage:
    """A message of a room already accessed; NotFound when the room has no such message."""
    statement = (
        select(RoomMessage)
        .where(RoomMessage.room_id == access.room.id)
        .where(RoomMessage.seq == seq)
    )
    message = (await session.exec(statement)).first()
    if message is None:
        raise NotFound()
    return message


async def access_group_session(
    session: AsyncSession,
    account_id: uuid.UUID,
    grants: Grants,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
) -> tuple[RoomAccess, GroupSession]:
    """A support-group session of a room she reads; NotFound when the room is not hers to
    read or the session belongs to another room."""
    access = await access_room_by_id(session, account_id, grants, room_id)
    group_session = await session.get(GroupSession, session_id)
    if group_session is None or group_session.room_id != room_id:
        raise NotFound()
    return access, group_session
