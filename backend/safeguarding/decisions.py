"""Decisions on cases and appeals against them, with the effects they carry."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.dependencies import Actor
from backend.core import audit
from backend.core.denials import PrivilegedActionDenied
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.membership import status as status_service
from backend.membership.models import MemberStatus
from backend.safeguarding.access import access_case, case_parties
from backend.safeguarding.models import (
    CaseAppeal,
    Restriction,
    SafetyCase,
)
from backend.safeguarding.reports import tell_reporters
from backend.safeguarding.restrictions import apply_restriction, recompute_effects, tell_lifted
from moderation import cases as case_rules
from moderation.cases import AppealOutcome, CaseSource, CaseStatus, Decision
from moderation.restrictions import Effect


async def decide_case(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    *,
    decision: Decision,
    reason: str,
    effects: frozenset[Effect] = frozenset(),
    expires_at: datetime | None = None,
    infiltration_confirmed: bool = False,
) -> SafetyCase:
    case = await access_case(session, actor, case_id)
    if case.status not in (CaseStatus.OPEN, CaseStatus.ASSIGNED):
        raise Conflict("This case is decided already.")
    try:
        chosen = case_rules.effects_for(decision, effects)
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={"effects": str(exc)}) from exc
    target = case.target_account_id
    if (chosen or decision in (Decision.SUSPENSION, Decision.EXPULSION)) and target is None:
        raise Conflict("This case is about a room: decide on the people in it separately.")
    if infiltration_confirmed and (target is None or decision is not Decision.EXPULSION):
        raise InvalidInput(
            "A confirmed infiltration ends in expulsion of the person.",
            fields={"decision": "Expulsion."},
        )
    if target is not None and chosen:
        await apply_restriction(
            session,
            officer_id=actor.account.id,
            account_id=target,
            effects=chosen,
            reason=reason,
            case_id=case.id,
            expires_at=expires_at if decision is Decision.RESTRICTION else None,
        )
    if target is not None and decision in (Decision.SUSPENSION, Decision.EXPULSION):
        status = (
            MemberStatus.SUSPENDED if decision is Decision.SUSPENSION else MemberStatus.EXPELLED
        )
        await status_service.change_status_by_safeguarding(
            session, officer_id=actor.account.id, account_id=target, target=status, reason=reason
        )
        if decision is Decision.EXPULSION:
            await auth_service.log_out_everywhere(session, target)
    before = case.status
    case.decision = decision
    case.decision_reason = reason
    case.decided_by = actor.account.id
    case.decided_at = utc_now()
    case.infiltration_confirmed = infiltration_confirmed
    case.status = CaseStatus.CLOSED if decision is Decision.NO_ACTION else CaseStatus.DECIDED
    if decision is Decision.NO_ACTION:
        case.closed_at = case.decided_at
    session.add(case)
    await session.flush()
    await tell_reporters(session, case, before)
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.case_decided",
        subject=f"case:{case.id}",
        details={
            "decision": decision,
            "reason": reason,
            "infiltration_confirmed": infiltration_confirmed,
            "target": str(target) if target else None,
        },
    )
    return case


@dataclass(frozen=True)
class DecisionAboutMe:
    case_id: uuid.UUID
    decision: Decision
    reason: str
    decided_at: datetime
    appeal: CaseAppeal | None
    can_appeal: bool


async def decisions_about_me(session: AsyncSession, account_id: uuid.UUID) -> list[DecisionAboutMe]:
    """The decisions she can read and appeal. Nothing here says who reported her, or how many."""
    rows = await session.exec(
        select(SafetyCase, CaseAppeal)
        .join(CaseAppeal, col(CaseAppeal.case_id) == col(SafetyCase.id), isouter=True)
        .where(SafetyCase.target_account_id == account_id)
        .where(col(SafetyCase.decision).is_not(None))
        .where(SafetyCase.decision != Decision.NO_ACTION)
        .where(SafetyCase.source != CaseSource.DURESS)
        .order_by(col(SafetyCase.decided_at).desc())
    )
    found = []
    for case, appeal in rows.all():
        if case.decision is None or case.decided_at is None:
            continue
        found.append(
            DecisionAboutMe(
                case_id=case.id,
                decision=case.decision,
                reason=case.decision_reason or "",
                decided_at=case.decided_at,
                appeal=appeal,
                can_appeal=appeal is None and case.status == CaseStatus.DECIDED,
            )
        )
    return found


async def file_appeal(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, *, statement: str
) -> CaseAppeal:
    case = await session.get(SafetyCase, case_id)
    if case is None or case.target_account_id != actor.account.id:
        raise NotFound()
    existing = (await session.exec(select(CaseAppeal).where(CaseAppeal.case_id == case.id))).first()
    refusal = case_rules.appeal_refusal(
        status=case.status,
        decision=case.decision,
        appellant=actor.account.id,
        targets=frozenset({case.target_account_id}),
        already_appealed=existing is not None,
    )
    if refusal is not None:
        raise Conflict(refusal, code="appeal_refused")
    appeal = CaseAppeal(
        case_id=case.id, appellant_id=actor.account.id, statement=statement, filed_at=utc_now()
    )
    case.status = CaseStatus.APPEALED
    session.add_all([appeal, case])
    await session.flush()
    await audit.record(
        session, actor_id=actor.account.id, action="safety.appeal_filed", subject=f"case:{case.id}"
    )
    return appeal


async def decide_appeal(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    *,
    outcome: AppealOutcome,
    reason: str,
) -> CaseAppeal:
    """Another officer decides. Overturning lifts the case's restrictions and suspension."""
    case = await access_case(session, actor, case_id)
    appeal = (await session.exec(select(CaseAppeal).where(CaseAppeal.case_id == case.id))).first()
    if appeal is None or case.status != CaseStatus.APPEALED:
        raise Conflict("There is no appeal waiting on this case.")
    refusal = case_rules.appeal_decider_refusal(
        actor.account.id, decided_by=case.decided_by, parties=await case_parties(session, case)
    )
    if refusal is not None:
        raise PrivilegedActionDenied(
            refusal,
            actor_id=actor.account.id,
            attempted="safety.appeal_decide",
            code="appeal_decider_refused",
        )
    now = utc_now()
    appeal.outcome = outcome
    appeal.reason = reason
    appeal.decided_by = actor.account.id
    appeal.decided_at = now
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    session.add_all([appeal, case])
    await session.flush()
    target = case.target_account_id
    if outcome is AppealOutcome.OVERTURNED and target is not None:
        active = (
            await session.exec(
                select(Restriction)
                .where(Restriction.case_id == case.id)
                .where(col(Restriction.lifted_at).is_(None))
            )
        ).all()
        for restriction in active:
            restriction.lifted_at = now
            restriction.lifted_by = actor.account.id
            restriction.lift_reason = f"appeal upheld: {reason}"
            session.add(restriction)
        await session.flush()
        for restriction in active:
            await tell_lifted(session, restriction)
        await recompute_effects(session, target)
        if case.decision == Decision.SUSPENSION:
            await status_service.change_status_by_safeguarding(
                session,
                officer_id=actor.account.id,
                account_id=target,
                target=MemberStatus.MEMBER,
                reason=f"appeal upheld: {reason}",
            )
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.appeal_decided",
        subject=f"case:{case.id}",
        details={"outcome": outcome, "reason": reason},
    )
    return appeal
