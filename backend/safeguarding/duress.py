"""A duress sign-in: a harmless view for her, a silent case for the officers."""

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import RoleGrant
from backend.core import audit
from backend.core.time import utc_now
from backend.safeguarding.models import (
    CaseNote,
    SafetyCase,
)
from moderation.cases import CaseSource, CaseStatus
from moderation.reports import Severity


async def raise_duress_case(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Someone signed in with her duress password: an urgent case, and nothing she or the
    person beside her can see."""
    # Its own case, never merged with reports about her: she is the one at risk here.
    case = SafetyCase(
        source=CaseSource.DURESS,
        target_account_id=account_id,
        status=CaseStatus.OPEN,
        urgent=True,
        severity=int(Severity.CRITICAL),
        opened_at=utc_now(),
    )
    session.add(case)
    await session.flush()
    session.add(
        CaseNote(
            case_id=case.id,
            author_id=None,
            body="Signed in with the duress password: she may be with someone who forces her.",
            created_at=utc_now(),
        )
    )
    await session.flush()
    await audit.record(
        session, actor_id=None, action="safety.duress_alert", subject=f"case:{case.id}"
    )


async def officers(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.exec(select(RoleGrant.account_id).where(RoleGrant.role == "safeguarding"))
    return list(dict.fromkeys(rows.all()))
