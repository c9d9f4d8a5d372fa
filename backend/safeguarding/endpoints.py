import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, status

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, AuthServicesDep, SelfActor, per_account, require
from backend.core.dependencies import DbSession
from backend.core.errors import Forbidden
from backend.core.jsonbody import StrictJSONRoute
from backend.safeguarding import access as case_access
from backend.safeguarding import cases as case_service
from backend.safeguarding import decisions as decision_service
from backend.safeguarding import reports as report_service
from backend.safeguarding import restrictions as restriction_service
from backend.safeguarding import screening, trust
from backend.safeguarding.models import Restriction
from backend.safeguarding.schemas import (
    EFFECT_MEANING,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    AssignIn,
    CascadePlanOut,
    CascadeResultOut,
    CaseOut,
    DecisionAboutMeOut,
    DecisionIn,
    DuressIn,
    DuressOut,
    EvidenceOut,
    LiftIn,
    MyReportOut,
    MyRestrictionOut,
    NoteIn,
    NoteOut,
    QueueItemOut,
    ReleasedOut,
    ReportIn,
    ReportOut,
    RestrictIn,
    RestrictionOut,
    ReviewMarkOut,
    SeverityIn,
    SignalRuleIn,
    SignalRuleOut,
    TrustEdgeOut,
    TrustGraphOut,
    TrustNodeOut,
)
from moderation import cases as case_rules
from moderation import restrictions as restriction_effects
from moderation import signals
from moderation.cases import CaseStatus
from moderation.reports import Severity

router = APIRouter(tags=["safety"], route_class=StrictJSONRoute)
Officer = Annotated[Actor, Depends(require(Capability.SAFETY_REVIEW))]
SettingsAdmin = Annotated[Actor, Depends(require(Capability.SETTINGS_MANAGE))]
NOT_NOW = "This is not available right now."


def _restriction_out(row: Restriction) -> RestrictionOut:
    return RestrictionOut(
        id=row.id,
        account_id=row.account_id,
        case_id=row.case_id,
        effects=sorted(restriction_effects.parse(row.effects)),
        reason=row.reason,
        applied_at=row.applied_at,
        expires_at=row.expires_at,
        lifted_at=row.lifted_at,
        lift_reason=row.lift_reason,
    )


# ---------------------------------------------------------------- for every member


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=MyReportOut,
    dependencies=[Depends(per_account("reports"))],
)
async def file_report(body: ReportIn, actor: SelfActor, session: DbSession) -> MyReportOut:
    """Report a person, a message or a room. The person reported is never told who."""
    report = await report_service.file_report(
        session,
        actor,
        kind=body.kind,
        target=report_service.ReportTarget(
            kind=body.target.kind,
            account_id=body.target.account_id,
            room_id=body.target.room_id,
            seq=body.target.seq,
        ),
        description=body.description,
        immediate_danger=body.immediate_danger,
        evidence_seqs=body.evidence_seqs,
    )
    mine = await report_service.list_my_reports(session, actor.account.id)
    return next(MyReportOut.model_validate(r) for r in mine if r.id == report.id)


@router.get("/reports/mine", response_model=list[MyReportOut])
async def my_reports(actor: SelfActor, session: DbSession) -> list[MyReportOut]:
    return [
        MyReportOut.model_validate(r)
        for r in await report_service.list_my_reports(session, actor.account.id)
    ]


@router.get("/me/restrictions", response_model=list[MyRestrictionOut])
async def my_restrictions(actor: SelfActor, session: DbSession) -> list[MyRestrictionOut]:
    """What is limited for her now, why, and until when."""
    if actor.session.duress:
        return []
    return [
        MyRestrictionOut(
            effects=r.effects,
            meaning=[EFFECT_MEANING[e] for e in r.effects],
            reason=r.reason,
            since=r.since,
            until=r.until,
        )
        for r in await restriction_service.my_restrictions(session, actor.account.id)
    ]


@router.get("/me/decisions", response_model=list[DecisionAboutMeOut])
async def my_decisions(actor: SelfActor, session: DbSession) -> list[DecisionAboutMeOut]:
    if actor.session.duress:
        return []
    return [
        DecisionAboutMeOut(
            case_id=d.case_id,
            decision=d.decision,
            reason=d.reason,
            decided_at=d.decided_at,
            appealed=d.appeal is not None,
            appeal_outcome=d.appeal.outcome if d.appeal else None,
            can_appeal=d.can_appeal,
        )
        for d in await decision_service.decisions_about_me(session, actor.account.id)
    ]


@router.post(
    "/me/decisions/{case_id}/appeal", status_code=status.HTTP_201_CREATED, response_model=AppealOut
)
async def appeal(
    case_id: uuid.UUID, body: AppealIn, actor: SelfActor, session: DbSession
) -> AppealOut:
    """Ask another safeguarding officer to look at a decision about you again."""
    if actor.session.duress:
        raise Forbidden(NOT_NOW)
    row = await decision_service.file_appeal(session, actor, case_id, statement=body.statement)
    return AppealOut.model_validate(row)


@router.get("/me/duress-password", response_model=DuressOut)
async def duress_status(actor: SelfActor, session: DbSession) -> DuressOut:
    if actor.session.duress:
        return DuressOut(is_set=False)
    return DuressOut(is_set=await auth_service.has_duress_password(session, actor.account.id))


@router.put("/me/duress-password", response_model=DuressOut)
async def set_duress(
    body: DuressIn, actor: SelfActor, session: DbSession, services: AuthServicesDep
) -> DuressOut:
    """Set, change or remove (null) the duress password; your password confirms it."""
    if actor.session.duress:
        raise Forbidden(NOT_NOW)
    await auth_service.set_duress_password(
        session,
        services,
        account_id=actor.account.id,
        current_password=body.current_password,
        duress_password=body.duress_password,
    )
    return DuressOut(is_set=body.duress_password is not None)


# ---------------------------------------------------------------- for safeguarding officers


@router.get("/safety/queue", response_model=list[QueueItemOut])
async def queue(
    actor: Officer,
    session: DbSession,
    state: Literal["open", "decided", "closed", "all"] = "open",
) -> list[QueueItemOut]:
    """Cases she is free to handle: urgent first, then severity, then the oldest. Open ones
    by default; ``state=decided`` lists decisions that may still be appealed or followed up
    (a confirmed infiltration's cascade)."""
    statuses = {
        "open": case_rules.OPEN_STATUSES,
        "decided": frozenset({CaseStatus.DECIDED}),
        "closed": frozenset({CaseStatus.CLOSED}),
        "all": frozenset(CaseStatus),
    }[state]
    return [
        QueueItemOut(
            case_id=item.case.id,
            source=item.case.source,
            status=item.case.status,
            urgent=item.case.urgent,
            severity=item.case.severity,
            opened_at=item.case.opened_at,
            target_account_id=item.case.target_account_id,
            target_pseudonym=item.target_pseudonym,
            target_room_id=item.case.target_room_id,
            report_count=item.report_count,
            kinds=item.kinds,
            assigned_to=item.case.assigned_to,
            assigned_pseudonym=item.assigned_pseudonym,
        )
        for item in await case_service.triage_queue(session, actor, statuses=statuses)
    ]


async def _case_out(session: DbSession, actor: Actor, case_id: uuid.UUID) -> CaseOut:
    found = await case_service.case_file(session, actor, case_id)
    case = found.case
    return CaseOut(
        id=case.id,
        source=case.source,
        status=case.status,
        urgent=case.urgent,
        severity=case.severity,
        opened_at=case.opened_at,
        target_account_id=case.target_account_id,
        target_pseudonym=found.target_pseudonym,
        target_room_id=case.target_room_id,
        assigned_to=case.assigned_to,
        decision=case.decision,
        decision_reason=case.decision_reason,
        decided_by=case.decided_by,
        decided_at=case.decided_at,
        infiltration_confirmed=case.infiltration_confirmed,
        reports=[
            ReportOut(
                id=r.id,
                kind=r.kind,
                target_kind=r.target_kind,
                immediate_danger=r.immediate_danger,
                description=r.description,
                created_at=r.created_at,
                reporter_id=r.reporter_id,
                reporter_pseudonym=name,
            )
            for r, name in found.reports
        ],
        evidence=[EvidenceOut.model_validate(e) for e in found.evidence],
        notes=[
            NoteOut(id=n.id, author_pseudonym=name, body=n.body, created_at=n.created_at)
            for n, name in found.notes
        ],
        restrictions=[_restriction_out(r) for r in found.restrictions],
        appeal=AppealOut.model_validate(found.appeal) if found.appeal else None,
    )


@router.get("/safety/cases/{case_id}", response_model=CaseOut)
async def get_case(case_id: uuid.UUID, actor: Officer, session: DbSession) -> CaseOut:
    return await _case_out(session, actor, case_id)


@router.post("/safety/cases/{case_id}/assignment", response_model=CaseOut)
async def assign(case_id: uuid.UUID, body: AssignIn, actor: Officer, session: DbSession) -> CaseOut:
    await case_service.assign_case(session, actor, case_id, officer_id=body.officer_id)
    return await _case_out(session, actor, case_id)


@router.post("/safety/cases/{case_id}/severity", response_model=CaseOut)
async def severity(
    case_id: uuid.UUID, body: SeverityIn, actor: Officer, session: DbSession
) -> CaseOut:
    await case_service.set_severity(
        session, actor, case_id, severity=Severity(body.severity), urgent=body.urgent
    )
    return await _case_out(session, actor, case_id)


@router.post(
    "/safety/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED, response_model=CaseOut
)
async def add_note(case_id: uuid.UUID, body: NoteIn, actor: Officer, session: DbSession) -> CaseOut:
    await case_service.add_note(session, actor, case_id, body=body.body)
    return await _case_out(session, actor, case_id)


@router.post(
    "/safety/cases/{case_id}/restrictions",
    status_code=status.HTTP_201_CREATED,
    response_model=RestrictionOut,
)
async def restrict_now(
    case_id: uuid.UUID, body: RestrictIn, actor: Officer, session: DbSession
) -> RestrictionOut:
    """An interim restriction, at once, while the case is examined."""
    row = await restriction_service.restrict_for_case(
        session,
        actor,
        case_id,
        effects=frozenset(body.effects),
        reason=body.reason,
        expires_at=body.expires_at,
    )
    return _restriction_out(row)


@router.post("/safety/cases/{case_id}/decision", response_model=CaseOut)
async def decide(
    case_id: uuid.UUID, body: DecisionIn, actor: Officer, session: DbSession
) -> CaseOut:
    await decision_service.decide_case(
        session,
        actor,
        case_id,
        decision=body.decision,
        reason=body.reason,
        effects=frozenset(body.effects),
        expires_at=body.expires_at,
        infiltration_confirmed=body.infiltration_confirmed,
    )
    return await _case_out(session, actor, case_id)


@router.post("/safety/cases/{case_id}/appeal-decision", response_model=CaseOut)
async def decide_appeal(
    case_id: uuid.UUID, body: AppealDecisionIn, actor: Officer, session: DbSession
) -> CaseOut:
    await decision_service.decide_appeal(
        session, actor, case_id, outcome=body.outcome, reason=body.reason
    )
    return await _case_out(session, actor, case_id)


@router.get("/safety/cases/{case_id}/cascade", response_model=CascadePlanOut)
async def cascade_plan(case_id: uuid.UUID, actor: Officer, session: DbSession) -> CascadePlanOut:
    """Who a confirmed infiltration puts in doubt, before acting on it."""
    plan, votes = await trust.plan_cascade(session, actor, case_id)
    case = await case_access.access_case(session, actor, case_id)
    graph = await trust.trust_graph(session, actor, case.target_account_id)  # type: ignore[arg-type]
    review = [n for n in graph.nodes if n.account_id in plan.review]
    same_place = [n for n in graph.nodes if n.account_id in plan.same_place]
    return CascadePlanOut(
        review=[TrustNodeOut.model_validate(n) for n in review],
        same_place=[TrustNodeOut.model_validate(n) for n in same_place],
        cards_to_revoke_for=sorted(
            (a for a in plan.admitted_with_help if isinstance(a, uuid.UUID)), key=str
        ),
        open_votes_to_recount=votes,
    )


@router.post("/safety/cases/{case_id}/cascade", response_model=CascadeResultOut)
async def apply_cascade(case_id: uuid.UUID, actor: Officer, session: DbSession) -> CascadeResultOut:
    result = await trust.apply_cascade(session, actor, case_id)
    return CascadeResultOut.model_validate(result)


@router.post(
    "/safety/accounts/{account_id}/restrictions",
    status_code=status.HTTP_201_CREATED,
    response_model=RestrictionOut,
)
async def restrict_account(
    account_id: uuid.UUID, body: RestrictIn, actor: Officer, session: DbSession
) -> RestrictionOut:
    row = await restriction_service.apply_restriction(
        session,
        officer_id=actor.account.id,
        account_id=account_id,
        effects=frozenset(body.effects),
        reason=body.reason,
        expires_at=body.expires_at,
    )
    return _restriction_out(row)


@router.post("/safety/restrictions/{restriction_id}/lift", response_model=RestrictionOut)
async def lift(
    restriction_id: uuid.UUID, body: LiftIn, actor: Officer, session: DbSession
) -> RestrictionOut:
    row = await restriction_service.lift_restriction(
        session, actor, restriction_id, reason=body.reason
    )
    return _restriction_out(row)


@router.get("/safety/accounts/{account_id}/trust", response_model=TrustGraphOut)
async def trust_graph(account_id: uuid.UUID, actor: Officer, session: DbSession) -> TrustGraphOut:
    """Who referred, vouched for, interviewed, voted on (that they voted) and mentored her,
    and whom she did the same for, two steps out; and the accounts seen from the same
    place as hers (registered or signed in: a keyed hash, never the address), one step."""
    graph = await trust.trust_graph(session, actor, account_id)
    return TrustGraphOut(
        center=graph.center,
        nodes=[TrustNodeOut.model_validate(n) for n in graph.nodes],
        edges=[TrustEdgeOut(source=e.source, target=e.target, kind=e.kind) for e in graph.edges],
    )


@router.get("/safety/review", response_model=list[ReviewMarkOut])
async def under_review(actor: Officer, session: DbSession) -> list[ReviewMarkOut]:
    return [
        ReviewMarkOut(
            case_id=mark.case_id,
            account_id=mark.account_id,
            pseudonym=name,
            distance=mark.distance,
            marked_at=mark.marked_at,
        )
        for mark, name in await trust.under_review(session, actor)
    ]


@router.post("/safety/evidence/{evidence_id}/release", response_model=ReleasedOut)
async def release_withheld(
    evidence_id: uuid.UUID, actor: Officer, session: DbSession
) -> ReleasedOut:
    """Let a phone number held back from a newcomer through: the message shows it again."""
    return ReleasedOut(released=await screening.release(session, actor, evidence_id))


async def _rules_out(session: DbSession) -> list[SignalRuleOut]:
    disabled = await screening.disabled_rules(session)
    return [
        SignalRuleOut(
            id=rule.id,
            kind=rule.kind,
            severity=rule.severity,
            description=rule.description,
            enabled=rule.id not in disabled,
            default_enabled=rule.default_enabled,
        )
        for rule in signals.RULES
    ]


@router.get("/safety/signal-rules", response_model=list[SignalRuleOut])
async def signal_rules(_actor: SettingsAdmin, session: DbSession) -> list[SignalRuleOut]:
    """The screening rules and whether each is on."""
    return await _rules_out(session)


@router.put("/safety/signal-rules/{rule_id}", response_model=list[SignalRuleOut])
async def set_signal_rule(
    rule_id: str, body: SignalRuleIn, actor: SettingsAdmin, session: DbSession
) -> list[SignalRuleOut]:
    await screening.set_rule(
        session, admin_id=actor.account.id, rule_id=rule_id, enabled=body.enabled
    )
    return await _rules_out(session)
