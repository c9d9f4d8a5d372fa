"""Reports: filing one opens or joins the case about its target; what a reporter sees of hers."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.notification import producers
from backend.room import messages as room_messages
from backend.safeguarding.models import (
    CaseEvidence,
    SafetyCase,
    SafetyReport,
)
from moderation import cases as case_rules
from moderation import reports as report_rules
from moderation.cases import CaseSource, CaseStatus
from moderation.reports import ReportKind, ReportStatus, Severity, TargetKind

MAX_EVIDENCE_MESSAGES = 20


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


async def tell_reporters(session: AsyncSession, case: SafetyCase, before: CaseStatus) -> None:
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
