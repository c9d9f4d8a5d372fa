"""The triage queue and the case file: assigning, severity, notes."""

import uuid
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.core import audit
from backend.core.errors import Conflict
from backend.core.time import utc_now
from backend.room import messages as room_messages
from backend.safeguarding.access import access_case, case_parties, parties_of, require_officer
from backend.safeguarding.models import (
    CaseAppeal,
    CaseEvidence,
    CaseNote,
    Restriction,
    SafetyCase,
    SafetyReport,
)
from backend.safeguarding.reports import tell_reporters
from moderation import cases as case_rules
from moderation import reports as report_rules
from moderation.cases import CaseStatus
from moderation.reports import Severity


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
    await tell_reporters(session, case, before)
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
