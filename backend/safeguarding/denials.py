"""Refused attempts at privileged actions: an audit entry each, and a flag when they repeat.

Someone trying, again and again, to unseal identities, read the audit log, grant roles or
restrict people is probing: the officers get a flag in the triage queue (a case, as any
signal), for a person to look at. Nothing happens to her account by itself.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.denials import PrivilegedActionDenied
from backend.core.time import utc_now
from backend.room import messages as room_messages
from backend.safeguarding import reports as report_service
from backend.safeguarding.models import CaseEvidence
from moderation.cases import CaseSource
from moderation.reports import Severity

DENIED_ACTION = "access.denied"
REPEATED_DENIALS_RULE = "access.repeated_denials"


async def record_denied_attempt(
    session: AsyncSession,
    refusal: PrivilegedActionDenied,
    *,
    threshold: int,
    window: timedelta,
) -> bool:
    """Log the refusal (actor and action), then flag her once per window if the refusals
    within it reached ``threshold``. Returns whether a flag was raised now."""
    await audit.record(
        session,
        actor_id=refusal.actor_id,
        action=DENIED_ACTION,
        subject=refusal.attempted,
        details={"where": refusal.where} if refusal.where else {},
    )
    since = utc_now() - window
    recent = (
        await session.exec(
            select(audit.AuditEntry.subject)
            .where(audit.AuditEntry.actor_id == refusal.actor_id)
            .where(audit.AuditEntry.action == DENIED_ACTION)
            .where(col(audit.AuditEntry.at) >= since)
        )
    ).all()
    if len(recent) < threshold or await _flagged_since(session, refusal.actor_id, since):
        return False
    await _flag(session, refusal.actor_id, list(recent), window)
    return True


async def _flagged_since(session: AsyncSession, account_id: uuid.UUID, since: datetime) -> bool:
    count = (
        await session.exec(
            select(func.count())
            .where(CaseEvidence.author_id == account_id)
            .where(CaseEvidence.signal_rule == REPEATED_DENIALS_RULE)
            .where(col(CaseEvidence.captured_at) >= since)
        )
    ).one()
    return int(count) > 0


async def _flag(
    session: AsyncSession, account_id: uuid.UUID, attempted: list[str], window: timedelta
) -> None:
    case = await report_service.open_or_join_case(
        session,
        source=CaseSource.SIGNAL,
        account_id=account_id,
        room_id=None,
        severity=Severity.HIGH,
        urgent=False,
    )
    names = await room_messages.pseudonyms(session, [account_id])
    minutes = int(window.total_seconds() // 60)
    tried = ", ".join(sorted(set(attempted)))
    now = utc_now()
    session.add(
        CaseEvidence(
            case_id=case.id,
            author_id=account_id,
            author_pseudonym=names.get(account_id, ""),
            body=f"{len(attempted)} refused attempts at privileged actions within {minutes} "
            f"minutes: {tried}.",
            signal_rule=REPEATED_DENIALS_RULE,
            signal_detail=tried[:500],
            captured_at=now,
        )
    )
    await session.flush()


def recorder_for(
    database: Database, settings: Settings
) -> Callable[[PrivilegedActionDenied], Awaitable[None]]:
    """The recorder core/denials.py calls after the refused request's transaction ended:
    one short write transaction of its own."""
    threshold = settings.denied_attempts_signal_threshold
    window = timedelta(minutes=settings.denied_attempts_signal_minutes)

    async def record(refusal: PrivilegedActionDenied) -> None:
        async with database.session(write=True) as session:
            await record_denied_attempt(session, refusal, threshold=threshold, window=window)

    return record
