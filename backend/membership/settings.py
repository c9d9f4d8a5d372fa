"""The path's settings an admin changes: participation, quorum, threshold, periods."""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.time import utc_now
from backend.membership.models import (
    MembershipRules,
)


async def get_rules(session: AsyncSession) -> MembershipRules:
    return await session.get(MembershipRules, 1) or MembershipRules()


async def update_rules(
    session: AsyncSession, *, actor_id: uuid.UUID, changes: dict[str, int]
) -> MembershipRules:
    current = await session.get(MembershipRules, 1) or MembershipRules()
    for name, value in changes.items():
        setattr(current, name, value)
    current.updated_at = utc_now()
    session.add(current)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, action="membership.rules_changed", details=changes
    )
    return current
