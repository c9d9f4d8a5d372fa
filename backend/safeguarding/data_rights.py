"""Safeguarding's part of a member's export and erasure (listed in backend/privacy/hooks.py)."""

import uuid
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.erasure import ErasureContext
from backend.safeguarding import decisions as decision_service
from backend.safeguarding import reports as report_service
from backend.safeguarding.models import (
    CaseAppeal,
    CaseEvidence,
    CaseNote,
    Restriction,
    SafetyCase,
    SafetyReport,
)
from moderation import cases as case_rules
from moderation import restrictions as restriction_effects


async def export_safeguarding(session: AsyncSession, account_id: uuid.UUID) -> Any:
    """Reports she made (status only), decisions about her and the restrictions she had.
    Never who reported her; a duress alert is not hers to see either."""
    reports = await report_service.list_my_reports(session, account_id)
    decisions = await decision_service.decisions_about_me(session, account_id)
    restrictions = (
        await session.exec(
            select(Restriction)
            .where(Restriction.account_id == account_id)
            .order_by(col(Restriction.applied_at))
        )
    ).all()
    return {
        "reports_made": [
            {"kind": r.kind, "about": r.target_kind, "made_at": r.created_at, "status": r.status}
            for r in reports
        ],
        "decisions_about_me": [
            {
                "decision": d.decision,
                "reason": d.reason,
                "decided_at": d.decided_at,
                "appealed": d.appeal is not None,
                "appeal_outcome": d.appeal.outcome if d.appeal else None,
            }
            for d in decisions
        ],
        "restrictions": [
            {
                "effects": sorted(restriction_effects.parse(r.effects)),
                "reason": r.reason,
                "from": r.applied_at,
                "until": r.expires_at,
                "lifted_at": r.lifted_at,
            }
            for r in restrictions
            if restriction_effects.Effect.DURESS not in r.effects
        ],
    }


async def erase_safeguarding(session: AsyncSession, erased: ErasureContext) -> None:
    """Reports she made stay, from "an erased member"; copies of her words in closed cases
    go. In a case still open her words stay as evidence until it is decided: erasing an
    account must not erase what an officer is examining."""
    me = erased.account_id
    result = await session.exec(
        update(SafetyReport).where(col(SafetyReport.reporter_id) == me).values(reporter_id=None)
    )
    erased.count("reports_made", int(getattr(result, "rowcount", 0) or 0))
    open_cases = select(SafetyCase.id).where(col(SafetyCase.status).in_(case_rules.OPEN_STATUSES))
    await session.exec(
        update(CaseEvidence)
        .where(col(CaseEvidence.author_id) == me)
        .where(col(CaseEvidence.case_id).not_in(open_cases))
        .values(body="", author_pseudonym="", author_id=None, signal_detail=None)
    )
    await session.exec(
        update(CaseEvidence)
        .where(col(CaseEvidence.author_id) == me)
        .values(author_pseudonym="", author_id=None)
    )
    await session.exec(update(CaseNote).where(col(CaseNote.author_id) == me).values(author_id=None))
    await session.exec(
        update(CaseAppeal).where(col(CaseAppeal.appellant_id) == me).values(appellant_id=None)
    )
    await session.flush()
