"""Working groups: each has a room, and joining the group means joining the room."""

import uuid

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.membership.models import (
    WorkingGroup,
    WorkingGroupMember,
)
from backend.room import rooms as room_rooms


async def create_group(
    session: AsyncSession, *, actor_id: uuid.UUID, name: str, description: str
) -> WorkingGroup:
    cleaned = " ".join(name.split())
    exists = (
        await session.exec(select(WorkingGroup).where(WorkingGroup.name_key == cleaned.casefold()))
    ).first()
    if exists is not None:
        raise Conflict("A working group with this name exists.", fields={"name": "Taken."})
    room = await room_rooms.create_working_group_room(session, name=cleaned, created_by=actor_id)
    group = WorkingGroup(
        name=cleaned,
        name_key=cleaned.casefold(),
        description=description,
        created_by=actor_id,
        created_at=utc_now(),
        room_id=room.id,
    )
    session.add(group)
    await session.flush()
    await join_group(session, account_id=actor_id, group_id=group.id)
    await audit.record(
        session, actor_id=actor_id, action="group.created", subject=f"group:{group.id}"
    )
    return group


async def join_group(
    session: AsyncSession, *, account_id: uuid.UUID, group_id: uuid.UUID
) -> WorkingGroupMember:
    group = await session.get(WorkingGroup, group_id)
    if group is None:
        raise NotFound()
    if group.room_id is not None:
        await room_rooms.add_room_member(session, room_id=group.room_id, account_id=account_id)
    existing = (
        await session.exec(
            select(WorkingGroupMember)
            .where(WorkingGroupMember.group_id == group_id)
            .where(WorkingGroupMember.account_id == account_id)
        )
    ).first()
    if existing is not None:
        return existing
    member = WorkingGroupMember(group_id=group_id, account_id=account_id, joined_at=utc_now())
    session.add(member)
    await session.flush()
    return member


async def leave_group(session: AsyncSession, *, account_id: uuid.UUID, group_id: uuid.UUID) -> None:
    existing = (
        await session.exec(
            select(WorkingGroupMember)
            .where(WorkingGroupMember.group_id == group_id)
            .where(WorkingGroupMember.account_id == account_id)
        )
    ).first()
    if existing is None:
        raise NotFound()
    group = await session.get(WorkingGroup, group_id)
    if group is not None and group.room_id is not None:
        await room_rooms.remove_room_member(session, room_id=group.room_id, account_id=account_id)
    await session.delete(existing)


async def list_groups(
    session: AsyncSession, account_id: uuid.UUID
) -> list[tuple[WorkingGroup, int, bool]]:
    counts = dict(
        (
            await session.exec(
                select(WorkingGroupMember.group_id, func.count()).group_by(
                    col(WorkingGroupMember.group_id)
                )
            )
        ).all()
    )
    mine = set(
        (
            await session.exec(
                select(WorkingGroupMember.group_id).where(
                    WorkingGroupMember.account_id == account_id
                )
            )
        ).all()
    )
    groups = (await session.exec(select(WorkingGroup).order_by(col(WorkingGroup.name)))).all()
    return [(g, int(counts.get(g.id, 0)), g.id in mine) for g in groups]
