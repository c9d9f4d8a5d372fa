"""Scheduled peer-work notices: a debrief due after a shift."""

import asyncio
import logging
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.db import Database
from backend.core.time import utc_now
from backend.notification import producers as notify_producers
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    Debrief,
    Roster,
    RosterStatus,
    Shift,
    ShiftType,
)

log = logging.getLogger("tandem.peerwork.tasks")


async def run_due_work(database: Database) -> int:
    async with database.session() as session:
        return await remind_debriefs(session)


async def run_forever(database: Database, every_seconds: float) -> None:
    while True:
        try:
            await run_due_work(database)
        except Exception:  # retried on the next round; the reason is logged
            log.exception("scheduled peer-work notices failed")
        await asyncio.sleep(every_seconds)


DEBRIEF_NOTICE_WITHIN = timedelta(hours=48)


async def remind_debriefs(session: AsyncSession) -> int:
    """Peers whose shift needing a debrief ended (within the last 48 hours) and who have
    not sent it; once per assignment. Only published rosters count."""
    now = utc_now()
    rows = (
        await session.exec(
            select(Assignment, Shift)
            .join(Shift, col(Shift.id) == col(Assignment.shift_id))
            .join(ShiftType, col(ShiftType.id) == col(Shift.shift_type_id))
            .join(Roster, col(Roster.id) == col(Assignment.roster_id))
            .where(Roster.status == RosterStatus.PUBLISHED)
            .where(Assignment.role == AssignmentRole.PEER)
            .where(col(ShiftType.needs_debrief).is_(True))
            .where(Shift.ends_at <= now)
            .where(Shift.ends_at > now - DEBRIEF_NOTICE_WITHIN)
            .where(col(Assignment.id).not_in(select(Debrief.assignment_id)))
        )
    ).all()
    told = 0
    for assignment, shift in rows:
        told += len(
            await notify_producers.debrief_due(
                session,
                account_id=assignment.account_id,
                assignment_id=assignment.id,
                starts_at=shift.starts_at,
            )
        )
    return told
