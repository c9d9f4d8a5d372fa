"""Reports, the triage queue, decisions, appeals and restrictions: the rules officers work by.

The policy itself (severity, conflict of interest, which decision carries which effects,
the trust cascade) lives in ``moderation/``; this module stores, checks who may act, and
applies the effects to accounts, cards, votes and live connections.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.auth.models import Account, RoleGrant
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.membership import cards as card_service
from backend.membership import status as status_service
from backend.membership.models import MemberStatus, Referral
from backend.mentoring.models import Mentorship
from backend.notification import producers
from backend.realtime import bus
from backend.room import messages as room_messages
from backend.safeguarding.models import (
    CaseAppeal,
    CaseEvidence,
    CaseNote,
    Restriction,
    SafetyCase,
    SafetyReport,
)
from moderation import cases as case_rules
from moderation import reports as report_rules
from moderation import restrictions as restriction_effects
from moderation.cases import AppealOutcome, CaseParties, CaseSource, CaseStatus, Decision
from moderation.reports import ReportKind, ReportStatus, Severity, TargetKind
from moderation.restrictions import Effect

MAX_EVIDENCE_MESSAGES = 20

# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class ReportTarget:
    kind: TargetKind
    account_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    seq: int | None = None


async def _open_case_for(
    session: AsyncSession, *, account_id: uuid.UUID | None, room_id: uuid.UUID | None
) -> SafetyCase | None:
    statement = select(SafetyCase).where(col(SafetyCase.status).in_(case_rules.OPEN_STATUSES))
    statement = statement.where(SafetyCase.source != CaseSource.DURESS)
    if account_id is not None:
        statement = statement.where(SafetyCase.target_account_id == account_id)
    else:
        statement = statement.where(SafetyCase.target_room_id == room_id).where(
            col(SafetyCase.target_account_id).is_(None)
        )
    return (await session.exec(statement.order_by(col(SafetyCase.opened_at)))).first()


async def open_or_join_case(
    session: AsyncSession,
    *,
    source: CaseSource,
    account_id: uuid.UUID | None,
    room_id: uuid.UUID | None,
    severity: Severity,
    urgent: bool,
) -> SafetyCase:
    """One open case per person (or room): a hundred reports raise one case, never a
    restriction by themselves. A more serious report raises the case's urgency."""
    case = await _open_case_for(session, account_id=account_id, room_id=room_id)
    if case is None:
        case = SafetyCase(
            source=source,
            target_account_id=account_id,
            target_room_id=room_id,
            status=CaseStatus.OPEN,
            urgent=urgent,
            severity=int(severity),
            opened_at=utc_now(),
        )
    else:
        case.urgent = case.urgent or urgent
        case.severity = max(case.severity, int(severity))
    session.add(case)
    await session.flush()
    return case


async def file_report(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: ReportKind,
    target: ReportTarget,
    description: str,
    immediate_danger: bool,
    evidence_seqs: Sequence[int] = (),
) -> SafetyReport:
    """File a report; messages named are snapshotted now, so deleting them changes nothing."""
    if not actor.can(Capability.REPORTS_FILE):
        raise Forbidden("You do not have permission to do this.", code="missing_capability")
    snapshots: list[room_messages.MessageSnapshot] = []
    account_id = target.account_id
    room_id = target.room_id
    if target.kind is TargetKind.MESSAGE:
        if room_id is None or target.seq is None:
            raise InvalidInput("Say which message you report.", fields={"seq": "Required."})
        seqs = [target.seq, *evidence_seqs][:MAX_EVIDENCE_MESSAGES]
        snapshots = await room_messages.snapshot_messages(session, actor, room_id, seqs)
        account_id = snapshots[0].author_id
        if account_id is None:
            raise Conflict("This message has no author to report.")
    elif target.kind is TargetKind.ACCOUNT:
        if account_id is None or await session.get(Account, account_id) is None:
            raise NotFound()
        room_id = None
        if target.room_id is not None and evidence_seqs:
            snapshots = await room_messages.snapshot_messages(
                session, actor, target.room_id, list(evidence_seqs)[:MAX_EVIDENCE_MESSAGES]
            )
    else:
        if room_id is None:
            raise InvalidInput("Say which room you report.", fields={"room_id": "Required."})
        await room_messages.room_exists_for(session, actor, room_id)
        account_id = None
        if evidence_seqs:
            snapshots = await room_messages.snapshot_messages(
                session, actor, room_id, list(evidence_seqs)[:MAX_EVIDENCE_MESSAGES]
            )
    if account_id == actor.account.id:
        raise Conflict("You cannot report yourself. A safeguarding officer can help you.")
    case = await open_or_join_case(
        session,
        source=CaseSource.REPORT,
        account_id=account_id,
        room_id=room_id,
        severity=report_rules.initial_severity(kind, immediate_danger=immediate_danger),
        urgent=report_rules.is_urgent(kind, immediate_danger=immediate_danger),
    )
    now = utc_now()
    report = SafetyReport(
        case_id=case.id,
        reporter_id=actor.account.id,
        kind=kind,
        target_kind=target.kind,
        immediate_danger=immediate_danger,
        description=description,
        created_at=now,
    )
    session.add(report)
    await session.flush()
    for snapshot in snapshots:
        session.add(
            CaseEvidence(
                case_id=case.id,
                report_id=report.id,
                room_id=snapshot.room_id,
                seq=snapshot.seq,
                author_id=snapshot.author_id,
                author_pseudonym=snapshot.author_pseudonym,
                body=snapshot.body,
                written_at=snapshot.written_at,
                captured_at=now,
            )
        )
    await session.flush()
    # No actor on this entry: the audit log is read by admins too, and the reporter's
    # identity is for safeguarding alone (it is on the report row).
    await audit.record(
        session,
        actor_id=None,
        action="safety.report_filed",
        subject=f"case:{case.id}",
        details={"report": str(report.id), "kind": kind, "urgent": case.urgent},
    )
    return report


def reporter_status(case_status: CaseStatus) -> ReportStatus:
    """What the reporter sees: progress, never the decision about someone else."""
    if case_status is CaseStatus.OPEN:
        return ReportStatus.RECEIVED
    if case_status is CaseStatus.ASSIGNED:
        return ReportStatus.IN_REVIEW
    # An appeal is between the person decided about and safeguarding: for the reporter her
    # report stays closed, so its status cannot hint that a decision went against anyone.
    return ReportStatus.CLOSED


async def _tell_reporters(session: AsyncSession, case: SafetyCase, before: CaseStatus) -> None:
    """When what reporters see of this case changes, each is told: the status, nothing more."""
    now_seen = reporter_status(case.status)
    if reporter_status(before) == now_seen:
        return
    reporters = await session.exec(
        select(SafetyReport.reporter_id)
        .where(SafetyReport.case_id == case.id)
        .where(col(SafetyReport.reporter_id).is_not(None))
    )
    for reporter_id in dict.fromkeys(r for r in reporters.all() if r is not None):
        await producers.report_status_changed(session, reporter_id=reporter_id, status=now_seen)


@dataclass(frozen=True)
class MyReport:
    id: uuid.UUID
    kind: str
    target_kind: str
    created_at: datetime
    status: ReportStatus


async def list_my_reports(session: AsyncSession, account_id: uuid.UUID) -> list[MyReport]:
    statement = (
        select(SafetyReport, SafetyCase.status)
        .join(SafetyCase, col(SafetyCase.id) == col(SafetyReport.case_id))
        .where(SafetyReport.reporter_id == account_id)
        .order_by(col(SafetyReport.created_at).desc())
    )
    return [
        MyReport(
            id=report.id,
            kind=report.kind,
            target_kind=report.target_kind,
            created_at=report.created_at,
            # Already a member; sqlmodel types it as str next to an entity.
            status=reporter_status(CaseStatus(status)),
        )
        for report, status in (await session.exec(statement)).all()
    ]


# ---------------------------------------------------------------- conflict of interest


async def _links_by_person(
    session: AsyncSession, people: set[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """For each person, everyone tied to her by a mentorship or a used referral."""
    links: dict[uuid.UUID, set[uuid.UUID]] = {p: set() for p in people}
    if not people:
        return links

    def tie(group: tuple[uuid.UUID, ...]) -> None:
        for person in group:
            if person in links:
                links[person].update(other for other in group if other != person)

    mentorships = await session.exec(
        select(Mentorship.mentor_id, Mentorship.mentee_id).where(
            or_(col(Mentorship.mentor_id).in_(people), col(Mentorship.mentee_id).in_(people))
        )
    )
    for pair in mentorships.all():
        tie(tuple(pair))
    referrals = await session.exec(
        select(Referral.referred_by, Referral.vouched_by, Referral.redeemed_by)
        .where(col(Referral.redeemed_by).is_not(None))
        .where(
            or_(
                col(Referral.referred_by).in_(people),
                col(Referral.vouched_by).in_(people),
                col(Referral.redeemed_by).in_(people),
            )
        )
    )
    for referred_by, vouched_by, redeemed_by in referrals.all():
        if redeemed_by is not None:
            tie((referred_by, vouched_by, redeemed_by))
    return links


async def parties_of(
    session: AsyncSession, cases: Sequence[SafetyCase]
) -> dict[uuid.UUID, CaseParties]:
    """Who each case concerns and who is close to them: three queries for any number."""
    reporters: dict[uuid.UUID, set[uuid.UUID]] = {c.id: set() for c in cases}
    if cases:
        rows = await session.exec(
            select(SafetyReport.case_id, SafetyReport.reporter_id)
            .where(col(SafetyReport.case_id).in_(list(reporters)))
            .where(col(SafetyReport.reporter_id).is_not(None))
        )
        for case_id, reporter_id in rows.all():
            if reporter_id is not None:
                reporters[case_id].add(reporter_id)
    targets = {c.id: {c.target_account_id} if c.target_account_id else set() for c in cases}
    everyone = set().union(*targets.values(), *reporters.values()) if cases else set()
    links = await _links_by_person(session, everyone)
    parties = {}
    for case in cases:
        people = targets[case.id] | reporters[case.id]
        linked = set().union(*(links[p] for p in people)) - people if people else set()
        parties[case.id] = CaseParties(
            targets=frozenset(targets[case.id]),
            reporters=frozenset(reporters[case.id]),
            linked=frozenset(linked),
        )
    return parties


async def case_parties(session: AsyncSession, case: SafetyCase) -> CaseParties:
    return (await parties_of(session, [case]))[case.id]


def require_officer(actor: Actor) -> None:
    if not actor.can(Capability.SAFETY_REVIEW):
        raise Forbidden("You do not have permission to do this.", code="missing_capability")


async def access_case(session: AsyncSession, actor: Actor, case_id: uuid.UUID) -> SafetyCase:
    """A case an officer may handle. One she is part of answers as if it did not exist."""
    require_officer(actor)
    case = await session.get(SafetyCase, case_id)
    if case is None:
        raise NotFound()
    if case_rules.has_conflict(actor.account.id, await case_parties(session, case)):
        raise NotFound()
    return case


# ---------------------------------------------------------------- triage queue


@dataclass(frozen=True)
class QueueItem:
    case: SafetyCase
    target_pseudonym: str | None
    report_count: int
    kinds: list[str]
    assigned_pseudonym: str | None


async def triage_queue(
    session: AsyncSession, actor: Actor, *, statuses: frozenset[CaseStatus] | None = None
) -> list[QueueItem]:
    """Cases she is free to handle (open ones unless asked otherwise): urgent first, then
    severity, then age."""
    require_officer(actor)
    wanted = statuses if statuses is not None else case_rules.OPEN_STATUSES
    statement = select(SafetyCase).where(col(SafetyCase.status).in_(wanted))
    cases = list((await session.exec(statement)).all())
    parties = await parties_of(session, cases)
    mine = [c for c in cases if not case_rules.has_conflict(actor.account.id, parties[c.id])]
    by_id = {c.id: c for c in mine}
    ordered = report_rules.triage_order(
        report_rules.QueueEntry(c.id, c.urgent, Severity(c.severity), c.opened_at) for c in mine
    )
    names = await room_messages.pseudonyms(
        session, [c.target_account_id for c in mine] + [c.assigned_to for c in mine]
    )
    counts: dict[uuid.UUID, list[str]] = {}
    if mine:
        rows = await session.exec(
            select(SafetyReport.case_id, SafetyReport.kind).where(
                col(SafetyReport.case_id).in_(list(by_id))
            )
        )
        for case_id, kind in rows.all():
            counts.setdefault(case_id, []).append(kind)
    items = []
    for entry in ordered:
        case = by_id[entry.case_id]  # type: ignore[index]
        kinds = counts.get(case.id, [])
        items.append(
            QueueItem(
                case=case,
                target_pseudonym=names.get(case.target_account_id)
                if case.target_account_id
                else None,
                report_count=len(kinds),
                kinds=sorted(set(kinds)),
                assigned_pseudonym=names.get(case.assigned_to) if case.assigned_to else None,
            )
        )
    return items


async def assign_case(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, *, officer_id: uuid.UUID
) -> SafetyCase:
    case = await access_case(session, actor, case_id)
    if case.status not in case_rules.OPEN_STATUSES:
        raise Conflict("This case is closed.")
    grants = await auth_service.load_grants(session, officer_id)
    if not grants.can(Capability.SAFETY_REVIEW):
        raise Conflict("Cases go to safeguarding officers.", code="not_an_officer")
    if case_rules.has_conflict(officer_id, await case_parties(session, case)):
        raise Conflict(
            "This officer is too close to the case (its subject, a reporter, or linked to "
            "them by mentoring or referral). Choose another officer.",
            code="conflict_of_interest",
        )
    before = case.status
    case.assigned_to = officer_id
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ASSIGNED
    session.add(case)
    await session.flush()
    await _tell_reporters(session, case, before)
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.case_assigned",
        subject=f"case:{case.id}",
        details={"officer": str(officer_id)},
    )
    return case


async def set_severity(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, *, severity: Severity, urgent: bool
) -> SafetyCase:
    case = await access_case(session, actor, case_id)
    case.severity = int(severity)
    case.urgent = urgent
    session.add(case)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.case_severity",
        subject=f"case:{case.id}",
        details={"severity": int(severity), "urgent": urgent},
    )
    return case


async def add_note(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID, *, body: str
) -> CaseNote:
    case = await access_case(session, actor, case_id)
    note = CaseNote(case_id=case.id, author_id=actor.account.id, body=body, created_at=utc_now())
    session.add(note)
    await session.flush()
    await audit.record(
        session, actor_id=actor.account.id, action="safety.case_note", subject=f"case:{case.id}"
    )
    return note


@dataclass(frozen=True)
class CaseFile:
    case: SafetyCase
    target_pseudonym: str | None
    reports: list[tuple[SafetyReport, str]]
    evidence: list[CaseEvidence]
    notes: list[tuple[CaseNote, str]]
    restrictions: list[Restriction]
    appeal: CaseAppeal | None


async def case_file(session: AsyncSession, actor: Actor, case_id: uuid.UUID) -> CaseFile:
    case = await access_case(session, actor, case_id)
    reports = list(
        (
            await session.exec(
                select(SafetyReport)
                .where(SafetyReport.case_id == case.id)
                .order_by(col(SafetyReport.created_at))
            )
        ).all()
    )
    evidence = list(
        (
            await session.exec(
                select(CaseEvidence)
                .where(CaseEvidence.case_id == case.id)
                .order_by(col(CaseEvidence.captured_at), col(CaseEvidence.seq))
            )
        ).all()
    )
    notes = list(
        (
            await session.exec(
                select(CaseNote)
                .where(CaseNote.case_id == case.id)
                .order_by(col(CaseNote.created_at))
            )
        ).all()
    )
    restrictions = list(
        (
            await session.exec(
                select(Restriction)
                .where(Restriction.case_id == case.id)
                .order_by(col(Restriction.applied_at))
            )
        ).all()
    )
    appeal = (await session.exec(select(CaseAppeal).where(CaseAppeal.case_id == case.id))).first()
    names = await room_messages.pseudonyms(
        session,
        [case.target_account_id] + [r.reporter_id for r in reports] + [n.author_id for n in notes],
    )
    erased = "an erased member"
    await audit.record(
        session, actor_id=actor.account.id, action="safety.case_read", subject=f"case:{case.id}"
    )
    return CaseFile(
        case=case,
        target_pseudonym=names.get(case.target_account_id) if case.target_account_id else None,
        reports=[
            (r, names.get(r.reporter_id, erased) if r.reporter_id else erased) for r in reports
        ],
        evidence=evidence,
        notes=[(n, names.get(n.author_id, erased) if n.author_id else erased) for n in notes],
        restrictions=restrictions,
        appeal=appeal,
    )


# ---------------------------------------------------------------- restrictions


async def _recompute(session: AsyncSession, account_id: uuid.UUID) -> frozenset[Effect]:
    """The account's effects in force, written where every request's lookup reads them,
    and her open sockets told to check again."""
    now = utc_now()
    rows = await session.exec(
        select(Restriction.effects)
        .where(Restriction.account_id == account_id)
        .where(col(Restriction.lifted_at).is_(None))
        .where(or_(col(Restriction.expires_at).is_(None), col(Restriction.expires_at) > now))
    )
    effects: frozenset[Effect] = frozenset()
    for text in rows.all():
        effects |= restriction_effects.parse(text)
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    account.restrictions = restriction_effects.serialise(effects)
    session.add(account)
    await session.flush()
    bus.publish_on_commit(session, bus.AccountChangedEvent(account_id))
    return effects


async def apply_restriction(
    session: AsyncSession,
    *,
    officer_id: uuid.UUID | None,
    account_id: uuid.UUID,
    effects: frozenset[Effect],
    reason: str,
    case_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> Restriction:
    """Immediate: the next request and every open socket of hers see it."""
    if not effects:
        raise InvalidInput("Choose at least one restriction.", fields={"effects": "Required."})
    if not effects <= restriction_effects.SETTABLE:
        raise InvalidInput(
            "That restriction cannot be set by hand.", fields={"effects": "Unknown."}
        )
    if officer_id == account_id:
        raise Forbidden("You cannot restrict yourself.")
    if expires_at is not None and expires_at <= utc_now():
        raise InvalidInput("The end must be in the future.", fields={"expires_at": "In the past."})
    if await session.get(Account, account_id) is None:
        raise NotFound()
    restriction = Restriction(
        account_id=account_id,
        case_id=case_id,
        effects=restriction_effects.serialise(effects),
        reason=reason,
        applied_by=officer_id,
        applied_at=utc_now(),
        expires_at=expires_at,
    )
    session.add(restriction)
    await session.flush()
    if Effect.CARD_REVOKED in effects:
        await card_service.revoke_cards_of(
            session, actor_id=officer_id, account_id=account_id, reason="restriction"
        )
    await _recompute(session, account_id)
    await producers.restriction_applied(
        session, account_id=account_id, restrictions=sorted(effects)
    )
    await audit.record(
        session,
        actor_id=officer_id,
        action="safety.restriction_applied",
        subject=f"account:{account_id}",
        details={
            "restriction": str(restriction.id),
            "effects": restriction.effects,
            "case": str(case_id) if case_id else None,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return restriction


async def restrict_for_case(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    *,
    effects: frozenset[Effect],
    reason: str,
    expires_at: datetime | None,
) -> Restriction:
    """An interim restriction while the case is examined."""
    case = await access_case(session, actor, case_id)
    if case.target_account_id is None:
        raise Conflict("This case is about a room, not a person.")
    return await apply_restriction(
        session,
        officer_id=actor.account.id,
        account_id=case.target_account_id,
        effects=effects,
        reason=reason,
        case_id=case.id,
        expires_at=expires_at,
    )


async def lift_restriction(
    session: AsyncSession, actor: Actor, restriction_id: uuid.UUID, *, reason: str
) -> Restriction:
    require_officer(actor)
    restriction = await session.get(Restriction, restriction_id)
    if restriction is None:
        raise NotFound()
    if restriction.case_id is not None:
        await access_case(session, actor, restriction.case_id)
    if restriction.account_id == actor.account.id:
        raise NotFound()
    if restriction.lifted_at is not None:
        raise Conflict("This restriction was lifted already.")
    restriction.lifted_at = utc_now()
    restriction.lifted_by = actor.account.id
    restriction.lift_reason = reason
    session.add(restriction)
    await session.flush()
    await _recompute(session, restriction.account_id)
    await _tell_lifted(session, restriction)
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.restriction_lifted",
        subject=f"account:{restriction.account_id}",
        details={"restriction": str(restriction.id), "reason": reason},
    )
    return restriction


async def _tell_lifted(session: AsyncSession, restriction: Restriction) -> None:
    await producers.restriction_lifted(
        session,
        account_id=restriction.account_id,
        restrictions=sorted(restriction_effects.parse(restriction.effects)),
    )


async def expire_restrictions(session: AsyncSession) -> int:
    """Scheduled: restrictions past their end are lifted and the accounts recomputed."""
    now = utc_now()
    due = list(
        (
            await session.exec(
                select(Restriction)
                .where(col(Restriction.lifted_at).is_(None))
                .where(col(Restriction.expires_at).is_not(None))
                .where(col(Restriction.expires_at) <= now)
            )
        ).all()
    )
    for restriction in due:
        restriction.lifted_at = restriction.expires_at
        restriction.lift_reason = "expired"
        session.add(restriction)
    await session.flush()
    for restriction in due:
        await _tell_lifted(session, restriction)
    for account_id in {r.account_id for r in due}:
        await _recompute(session, account_id)
        await audit.record(
            session,
            actor_id=None,
            action="safety.restriction_expired",
            subject=f"account:{account_id}",
        )
    return len(due)


@dataclass(frozen=True)
class MyRestriction:
    effects: list[Effect]
    reason: str
    since: datetime
    until: datetime | None


async def my_restrictions(session: AsyncSession, account_id: uuid.UUID) -> list[MyRestriction]:
    """What is limited for her, why and until when. Never who reported her."""
    now = utc_now()
    rows = await session.exec(
        select(Restriction)
        .where(Restriction.account_id == account_id)
        .where(col(Restriction.lifted_at).is_(None))
        .where(or_(col(Restriction.expires_at).is_(None), col(Restriction.expires_at) > now))
        .order_by(col(Restriction.applied_at))
    )
    return [
        MyRestriction(
            effects=sorted(restriction_effects.parse(r.effects)),
            reason=r.reason,
            since=r.applied_at,
            until=r.expires_at,
        )
        for r in rows.all()
    ]


# ---------------------------------------------------------------- decisions and appeals


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
    await _tell_reporters(session, case, before)
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
        raise Forbidden(refusal, code="appeal_decider_refused")
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
            await _tell_lifted(session, restriction)
        await _recompute(session, target)
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


# ---------------------------------------------------------------- coercion


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
