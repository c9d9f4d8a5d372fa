"""Neutral notices to a person: kept in her peer-work notices and put in her feed."""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.time import utc_now
from backend.notification import producers as notify_producers
from backend.peerwork.models import Notice

NOTICE_TEXT = {
    "invitation": "You have an invitation in Tandem.",
    "schedule_ready": "Your schedule in Tandem is ready.",
    "schedule_changed": "Your schedule in Tandem changed.",
    "swap_asked": "Someone asked you about a schedule change.",
    "swap_answered": "A schedule change you asked about was answered.",
    "swap_to_approve": "A schedule change waits for your approval.",
    "hours_reviewed": "Your hours were reviewed.",
    "talk_requested": "Someone would like to talk with you.",
    "no_supervisor": "A team member has no supervisor set in Tandem.",
}


async def notify(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    organisation_id: uuid.UUID,
    kind: str,
    subject: str = "",
) -> None:
    """Kept in the old notices list (GET /peerwork/me/notices) and put in her feed."""
    session.add(
        Notice(
            account_id=account_id,
            organisation_id=organisation_id,
            kind=kind,
            text=NOTICE_TEXT[kind],
            subject=subject,
            created_at=utc_now(),
        )
    )
    await notify_producers.peerwork_notice(session, account_id=account_id, notice_kind=kind)


async def list_notices(session: AsyncSession, account_id: uuid.UUID) -> list[Notice]:
    statement = (
        select(Notice)
        .where(Notice.account_id == account_id)
        .order_by(col(Notice.created_at).desc())
        .limit(200)
    )
    return list((await session.exec(statement)).all())
