"""Scheduled notices that belong to no single decision: a group session tomorrow.

Called by the scheduled work (membership/tasks.py) with the injected clock; each item
carries a dedupe key, so running twice, or in several processes, tells people once.
"""

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.time import utc_now
from backend.notification import producers
from backend.room.models import GroupSession, MemberState, Room, RoomMember

SESSION_NOTICE_AHEAD = timedelta(hours=24)


async def remind_sessions(session: AsyncSession) -> int:
    """Members of a room whose session starts within the next 24 hours. Returns items made."""
    now = utc_now()
    upcoming = (
        await session.exec(
            select(GroupSession, Room)
            .join(Room, col(Room.id) == col(GroupSession.room_id))
            .where(GroupSession.starts_at > now)
            .where(GroupSession.starts_at <= now + SESSION_NOTICE_AHEAD)
        )
    ).all()
    made = 0
    for group_session, room in upcoming:
        members = (
            await session.exec(
                select(RoomMember.account_id)
                .where(RoomMember.room_id == room.id)
                .where(RoomMember.state == MemberState.ACTIVE)
            )
        ).all()
        made += len(
            await producers.session_tomorrow(
                session,
                recipients=members,
                room_id=room.id,
                room_name=room.name,
                session_id=group_session.id,
                starts_at=group_session.starts_at,
            )
        )
    return made
