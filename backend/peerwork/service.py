"""Paid peer work: onboarding, contracts, trainings, shifts, rosters, timesheets, pay, debriefs.

Callers load protected rows through ``peerwork.access`` first; these functions hold the
rules and write the audit log for every privileged action and every change to anything a
person's pay is computed from.
"""

import asyncio
import csv
import hashlib
import io
import json
import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Grants, Role
from backend.auth.models import Account, RoleGrant
from backend.core import audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.identity import service as identity_service
from backend.identity.vault import Vault
from backend.membership import status as status_service
from backend.membership.models import MemberStatus
from backend.notification import producers as notify_producers
from backend.peerwork import ical, roster, rules
from backend.peerwork.access import active_worker_of
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    AvailabilityException,
    AvailabilityRule,
    CalendarFeed,
    Contract,
    ContractKind,
    Debrief,
    Funding,
    FundingKind,
    Notice,
    PeerWorker,
    Roster,
    RosterStatus,
    SafetyExclusion,
    Shift,
    ShiftKind,
    ShiftSwap,
    ShiftType,
    ShiftTypeTraining,
    SwapStatus,
    Timesheet,
    TimesheetStatus,
    Training,
    TrainingRecord,
    WorkerStatus,
    WorkSettings,
)
from backend.peerwork.rules import Reason

# Statuses in which a person is a member of the community (a peer worker must be one).
MEMBER_STATUSES = frozenset(
    {MemberStatus.MEMBER.value, MemberStatus.CANDIDATE.value, MemberStatus.ACTIVE.value}
)
# A confirmed time may differ from the planned one, within reason.
TIMESHEET_SLACK = timedelta(hours=4)
TIMESHEET_MAX = timedelta(hours=16)
MAX_ROSTER_DAYS = 35
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


# ---------------------------------------------------------------- helpers


def _tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("Unknown time zone.", fields={"timezone": "Unknown time zone."}) from exc


async def organisation_tz(session: AsyncSession, organisation_id: uuid.UUID) -> ZoneInfo:
    settings = await session.get(WorkSettings, organisation_id)
    return _tz(settings.timezone if settings else "Europe/Paris")


async def set_timezone(
    session: AsyncSession, *, actor_id: uuid.UUID, organisation_id: uuid.UUID, timezone: str
) -> WorkSettings:
    _tz(timezone)
    settings = await session.get(WorkSettings, organisation_id) or WorkSettings(
        organisation_id=organisation_id
    )
    settings.timezone = timezone
    session.add(settings)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.timezone_set",
        subject=f"organisation:{organisation_id}",
        details={"timezone": timezone},
    )
    return settings


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


async def names_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    return await identity_service.pseudonyms_of(session, ids)


def display_name(worker: PeerWorker, pseudonym: str) -> str:
    return worker.shared_name or pseudonym


async def _staff_of(
    session: AsyncSession, organisation_id: uuid.UUID, role: Role
) -> list[uuid.UUID]:
    statement = (
        select(RoleGrant.account_id)
        .where(RoleGrant.organisation_id == organisation_id)
        .where(RoleGrant.role == role.value)
    )
    return sorted(set((await session.exec(statement)).all()), key=str)


async def list_professionals(
    session: AsyncSession, organisation_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    ids = await _staff_of(session, organisation_id, Role.PROFESSIONAL)
    names = await names_of(session, set(ids))
    return [(i, names.get(i, "erased member")) for i in ids]


# ---------------------------------------------------------------- onboarding


async def invite_worker(
    session: AsyncSession, *, actor_id: uuid.UUID, organisation_id: uuid.UUID, pseudonym: str
) -> PeerWorker:
    """Invite a member to work for the organisation; nothing changes until she accepts."""
    account = await auth_service.get_account_by_pseudonym(session, pseudonym)
    if account is None:
        raise NotFound("No member has this pseudonym.")
    membership = await status_service.load_membership(session, account.id)
    if membership.status not in MEMBER_STATUSES:
        # The same answer as for no account: staff learn nothing about non-members.
        raise NotFound("No member has this pseudonym.")
    existing = (
        await session.exec(
            select(PeerWorker)
            .where(PeerWorker.organisation_id == organisation_id)
            .where(PeerWorker.account_id == account.id)
        )
    ).first()
    if existing is not None and existing.status in (WorkerStatus.INVITED, WorkerStatus.ACTIVE):
        raise Conflict(f"She is already {existing.status} here.")
    worker = existing or PeerWorker(
        organisation_id=organisation_id,
        account_id=account.id,
        invited_by=actor_id,
        invited_at=utc_now(),
    )
    worker.status = WorkerStatus.INVITED.value
    worker.invited_by, worker.invited_at, worker.answered_at = actor_id, utc_now(), None
    session.add(worker)
    await session.flush()
    await notify(session, account_id=account.id, organisation_id=organisation_id, kind="invitation")
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.worker_invited",
        subject=f"peer_worker:{worker.id}",
        details={"organisation": str(organisation_id), "account": str(account.id)},
    )
    return worker


async def list_my_invitations(session: AsyncSession, account_id: uuid.UUID) -> list[PeerWorker]:
    statement = select(PeerWorker).where(PeerWorker.account_id == account_id)
    return list((await session.exec(statement)).all())


async def answer_invitation(
    session: AsyncSession, *, worker: PeerWorker, accept: bool, shared_name: str | None
) -> PeerWorker:
    """She accepts (and becomes a peer worker of the organisation) or declines.

    The caller locked the row through ``access_invitation``.
    """
    if worker.status != WorkerStatus.INVITED:
        raise Conflict(f"This invitation is {worker.status}.")
    membership = await status_service.load_membership(session, worker.account_id)
    if accept and membership.status not in MEMBER_STATUSES:
        raise Conflict("Peer workers are members of the community.")
    worker.status = (WorkerStatus.ACTIVE if accept else WorkerStatus.DECLINED).value
    worker.answered_at = utc_now()
    if accept:
        worker.shared_name = shared_name
        await auth_service.grant_role(
            session,
            actor_id=worker.account_id,
            account_id=worker.account_id,
            role=Role.PEER_WORKER,
            organisation_id=worker.organisation_id,
        )
    session.add(worker)
    await session.flush()
    await audit.record(
        session,
        actor_id=worker.account_id,
        action="peerwork.invitation_accepted" if accept else "peerwork.invitation_declined",
        subject=f"peer_worker:{worker.id}",
        details={"organisation": str(worker.organisation_id)},
    )
    return worker


async def list_workers(session: AsyncSession, organisation_id: uuid.UUID) -> list[PeerWorker]:
    statement = (
        select(PeerWorker)
        .where(PeerWorker.organisation_id == organisation_id)
        .order_by(col(PeerWorker.invited_at))
    )
    return list((await session.exec(statement)).all())


def _require_active(worker: PeerWorker) -> None:
    if worker.status != WorkerStatus.ACTIVE:
        raise Conflict("She has not accepted the invitation (or no longer works here).")


async def set_supervisor(
    session: AsyncSession, *, actor_id: uuid.UUID, worker: PeerWorker, supervisor_id: uuid.UUID
) -> PeerWorker:
    grants = await auth_service.load_grants(session, supervisor_id)
    if supervisor_id == worker.account_id or not (
        grants.can(Capability.PEERWORK_SCHEDULE, worker.organisation_id)
        or grants.can(Capability.PEERWORK_PAIR, worker.organisation_id)
    ):
        raise InvalidInput(
            "A supervisor is a coordinator or professional of the organisation.",
            fields={"account_id": "Not a coordinator or professional here."},
        )
    worker.supervisor_id = supervisor_id
    session.add(worker)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.supervisor_set",
        subject=f"peer_worker:{worker.id}",
        details={"supervisor": str(supervisor_id)},
    )
    return worker


async def end_work(session: AsyncSession, *, actor_id: uuid.UUID, worker: PeerWorker) -> None:
    """She stops working here: the organisation's peer-worker role goes with it."""
    _require_active(worker)
    worker.status = WorkerStatus.ENDED.value
    session.add(worker)
    for grant in await auth_service.list_role_grants(session, worker.account_id):
        if grant.role == Role.PEER_WORKER and grant.organisation_id == worker.organisation_id:
            await auth_service.revoke_role(
                session, actor_id=actor_id, account_id=worker.account_id, grant_id=grant.id
            )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.worker_ended",
        subject=f"peer_worker:{worker.id}",
    )


async def read_payroll_identity(
    session: AsyncSession,
    vault: Vault,
    *,
    actor_id: uuid.UUID,
    worker: PeerWorker,
    reason: str,
) -> dict[str, Any]:
    if worker.status not in (WorkerStatus.ACTIVE, WorkerStatus.ENDED):
        raise NotFound()
    return await identity_service.read_identity_for_payroll(
        session,
        vault,
        reader_id=actor_id,
        account_id=worker.account_id,
        organisation_id=worker.organisation_id,
        reason=reason,
    )


# ---------------------------------------------------------------- fundings and contracts


async def create_funding(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    kind: FundingKind,
    name: str,
    funder: str,
    budget_minor: int,
    currency: str,
    starts_on: date,
    ends_on: date,
) -> Funding:
    if ends_on < starts_on:
        raise InvalidInput("The period ends before it starts.", fields={"ends_on": "Too early."})
    funding = Funding(
        organisation_id=organisation_id,
        kind=kind.value,
        name=name,
        funder=funder,
        budget_minor=budget_minor,
        currency=currency,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=utc_now(),
    )
    session.add(funding)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.funding_created",
        subject=f"funding:{funding.id}",
        details={
            "organisation": str(organisation_id),
            "name": name,
            "budget_minor": budget_minor,
            "currency": currency,
        },
    )
    return funding


async def list_fundings(session: AsyncSession, organisation_id: uuid.UUID) -> list[Funding]:
    statement = select(Funding).where(Funding.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(Funding.name)))).all())


async def _funding_of(
    session: AsyncSession, organisation_id: uuid.UUID, funding_id: uuid.UUID
) -> Funding:
    funding = await session.get(Funding, funding_id)
    if funding is None or funding.organisation_id != organisation_id:
        raise InvalidInput("Unknown grant or project.", fields={"funding_id": "Unknown."})
    return funding


async def contracts_of(session: AsyncSession, worker_id: uuid.UUID) -> list[Contract]:
    statement = select(Contract).where(Contract.worker_id == worker_id)
    return list((await session.exec(statement.order_by(col(Contract.starts_on)))).all())


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


async def create_contract(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    worker: PeerWorker,
    kind: ContractKind,
    starts_on: date,
    ends_on: date | None,
    rate_minor: int,
    currency: str,
    weekly_cap_minutes: int,
    funding_id: uuid.UUID,
) -> Contract:
    _require_active(worker)
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The contract ends before it starts.", fields={"ends_on": "Too early."})
    funding = await _funding_of(session, worker.organisation_id, funding_id)
    if funding.currency != currency:
        raise InvalidInput(
            "The contract's currency must be the grant's.",
            fields={"currency": f"The grant is in {funding.currency}."},
        )
    for other in await contracts_of(session, worker.id):
        if _overlaps(starts_on, ends_on, other.starts_on, other.ends_on):
            raise Conflict(
                "She already has a contract for part of this period; end it first.",
                fields={"starts_on": "Overlaps another contract."},
            )
    contract = Contract(
        organisation_id=worker.organisation_id,
        worker_id=worker.id,
        kind=kind.value,
        starts_on=starts_on,
        ends_on=ends_on,
        rate_minor=rate_minor,
        currency=currency,
        weekly_cap_minutes=weekly_cap_minutes,
        funding_id=funding_id,
        created_by=actor_id,
        created_at=utc_now(),
    )
    session.add(contract)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.contract_created",
        subject=f"contract:{contract.id}",
        details={
            "worker": str(worker.id),
            "kind": kind.value,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
            "rate_minor": rate_minor,
            "currency": currency,
            "weekly_cap_minutes": weekly_cap_minutes,
            "funding": str(funding_id),
        },
    )
    return contract


async def end_contract(
    session: AsyncSession, *, actor_id: uuid.UUID, contract: Contract, ends_on: date
) -> Contract:
    """Set or bring forward a contract's last day. Its pay terms never change once made."""
    if ends_on < contract.starts_on:
        raise InvalidInput("That is before the contract starts.", fields={"ends_on": "Too early."})
    previous = contract.ends_on
    contract.ends_on = ends_on
    session.add(contract)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.contract_ended",
        subject=f"contract:{contract.id}",
        details={"from": previous.isoformat() if previous else None, "to": ends_on.isoformat()},
    )
    return contract


# ---------------------------------------------------------------- trainings


async def create_training(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    name: str,
    validity_days: int,
) -> Training:
    training = Training(organisation_id=organisation_id, name=name, validity_days=validity_days)
    session.add(training)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.training_created",
        subject=f"training:{training.id}",
        details={"name": name, "validity_days": validity_days},
    )
    return training


async def list_trainings(session: AsyncSession, organisation_id: uuid.UUID) -> list[Training]:
    statement = select(Training).where(Training.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(Training.name)))).all())


async def _training_of(
    session: AsyncSession, organisation_id: uuid.UUID, training_id: uuid.UUID
) -> Training:
    training = await session.get(Training, training_id)
    if training is None or training.organisation_id != organisation_id:
        raise InvalidInput("Unknown training.", fields={"training_id": "Unknown."})
    return training


async def record_training(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    worker: PeerWorker,
    training_id: uuid.UUID,
    completed_on: date,
) -> TrainingRecord:
    _require_active(worker)
    training = await _training_of(session, worker.organisation_id, training_id)
    if completed_on > utc_now().date():
        raise InvalidInput("A training is recorded once done.", fields={"completed_on": "Future."})
    record = TrainingRecord(
        organisation_id=worker.organisation_id,
        worker_id=worker.id,
        training_id=training.id,
        completed_on=completed_on,
        expires_on=rules.expires_on(completed_on, training.validity_days),
        recorded_by=actor_id,
        recorded_at=utc_now(),
    )
    session.add(record)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.training_recorded",
        subject=f"peer_worker:{worker.id}",
        details={"training": str(training.id), "completed_on": completed_on.isoformat()},
    )
    return record


async def training_records(
    session: AsyncSession, *, organisation_id: uuid.UUID, worker_ids: Sequence[uuid.UUID] | None
) -> list[TrainingRecord]:
    statement = select(TrainingRecord).where(TrainingRecord.organisation_id == organisation_id)
    if worker_ids is not None:
        statement = statement.where(col(TrainingRecord.worker_id).in_(worker_ids))
    return list((await session.exec(statement.order_by(col(TrainingRecord.expires_on)))).all())


@dataclass(frozen=True)
class ExpiryWarning:
    worker: PeerWorker
    training: Training
    expires_on: date


async def training_expiries(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    *,
    within_days: int,
    account_id: uuid.UUID | None = None,
) -> list[ExpiryWarning]:
    """Trainings whose latest completion runs out within the coming days."""
    today = utc_now().date()
    workers = {w.id: w for w in await list_workers(session, organisation_id)}
    if account_id is not None:
        workers = {k: w for k, w in workers.items() if w.account_id == account_id}
    trainings = {t.id: t for t in await list_trainings(session, organisation_id)}
    latest: dict[tuple[uuid.UUID, uuid.UUID], date] = {}
    for record in await training_records(
        session, organisation_id=organisation_id, worker_ids=list(workers)
    ):
        key = (record.worker_id, record.training_id)
        latest[key] = max(latest.get(key, record.expires_on), record.expires_on)
    return [
        ExpiryWarning(workers[w], trainings[t], expiry)
        for (w, t), expiry in sorted(latest.items(), key=lambda item: item[1])
        if workers[w].status == WorkerStatus.ACTIVE
        and rules.expires_soon(expiry, today, within_days)
    ]


# ---------------------------------------------------------------- exclusions and availability


async def exclusions_of(session: AsyncSession, worker_id: uuid.UUID) -> list[SafetyExclusion]:
    statement = select(SafetyExclusion).where(SafetyExclusion.worker_id == worker_id)
    return list((await session.exec(statement.order_by(col(SafetyExclusion.zone_key)))).all())


async def set_exclusions(
    session: AsyncSession, *, actor_id: uuid.UUID, worker: PeerWorker, zones: list[str]
) -> list[SafetyExclusion]:
    """A coordinator sets the zones she must never be sent to (replacing the list)."""
    wanted = {rules.zone_key(z): z.strip() for z in zones if z.strip()}
    current = {e.zone_key: e for e in await exclusions_of(session, worker.id)}
    for key in current.keys() - wanted.keys():
        await session.delete(current[key])
    for key in wanted.keys() - current.keys():
        session.add(_exclusion(worker, wanted[key], actor_id))
    await session.flush()
    # Zones are not logged: where she must not go says something about her.
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.exclusions_set",
        subject=f"peer_worker:{worker.id}",
        details={"count": len(wanted)},
    )
    return await exclusions_of(session, worker.id)


def _exclusion(worker: PeerWorker, zone: str, actor_id: uuid.UUID) -> SafetyExclusion:
    return SafetyExclusion(
        organisation_id=worker.organisation_id,
        worker_id=worker.id,
        zone=zone,
        zone_key=rules.zone_key(zone),
        added_by=actor_id,
        added_at=utc_now(),
    )


async def add_own_exclusion(
    session: AsyncSession, *, worker: PeerWorker, zone: str
) -> list[SafetyExclusion]:
    """She adds a zone herself; nobody has to agree."""
    _require_active(worker)
    current = {e.zone_key for e in await exclusions_of(session, worker.id)}
    if rules.zone_key(zone) not in current:
        session.add(_exclusion(worker, zone.strip(), worker.account_id))
        await session.flush()
        await audit.record(
            session,
            actor_id=worker.account_id,
            action="peerwork.exclusion_added",
            subject=f"peer_worker:{worker.id}",
        )
    return await exclusions_of(session, worker.id)


@dataclass(frozen=True)
class WindowIn:
    weekday: int
    start_minute: int
    end_minute: int
    preferred: bool = False


@dataclass(frozen=True)
class ExceptionIn:
    on: date
    available: bool
    start_minute: int = 0
    end_minute: int = 0


def _check_window(start: int, end: int, field_name: str) -> None:
    if not 0 <= start < end <= rules.MAX_WINDOW_END or start >= rules.DAY_MINUTES:
        raise InvalidInput(
            "A window starts within the day and ends after it starts (up to the next day).",
            fields={field_name: "Invalid window."},
        )


async def set_availability(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    account_id: uuid.UUID,
    weekly: Sequence[WindowIn],
    exceptions: Sequence[ExceptionIn],
) -> None:
    """Replace her weekly pattern and exceptions for one organisation."""
    for i, window in enumerate(weekly):
        if not 0 <= window.weekday <= 6:
            raise InvalidInput("Weekdays run 0 (Monday) to 6.", fields={f"weekly.{i}": "Weekday."})
        _check_window(window.start_minute, window.end_minute, f"weekly.{i}")
    for i, exception in enumerate(exceptions):
        if exception.available:
            _check_window(exception.start_minute, exception.end_minute, f"exceptions.{i}")
    for table in (AvailabilityRule, AvailabilityException):
        await session.exec(
            delete(table)
            .where(col(table.organisation_id) == organisation_id)
            .where(col(table.account_id) == account_id)
        )
    for window in weekly:
        session.add(
            AvailabilityRule(
                organisation_id=organisation_id,
                account_id=account_id,
                weekday=window.weekday,
                start_minute=window.start_minute,
                end_minute=window.end_minute,
                preferred=window.preferred,
            )
        )
    for exception in exceptions:
        session.add(
            AvailabilityException(
                organisation_id=organisation_id,
                account_id=account_id,
                on=exception.on,
                available=exception.available,
                start_minute=exception.start_minute if exception.available else 0,
                end_minute=exception.end_minute if exception.available else 0,
            )
        )
    await session.flush()


async def availability_rows(
    session: AsyncSession, organisation_id: uuid.UUID, account_id: uuid.UUID | None = None
) -> tuple[list[AvailabilityRule], list[AvailabilityException]]:
    weekly = select(AvailabilityRule).where(AvailabilityRule.organisation_id == organisation_id)
    exceptions = select(AvailabilityException).where(
        AvailabilityException.organisation_id == organisation_id
    )
    if account_id is not None:
        weekly = weekly.where(AvailabilityRule.account_id == account_id)
        exceptions = exceptions.where(AvailabilityException.account_id == account_id)
    return (
        list((await session.exec(weekly)).all()),
        list((await session.exec(exceptions)).all()),
    )


def _availability_by_account(
    weekly: Sequence[AvailabilityRule], exceptions: Sequence[AvailabilityException]
) -> dict[uuid.UUID, rules.Availability]:
    week: dict[uuid.UUID, dict[int, list[rules.Window]]] = defaultdict(lambda: defaultdict(list))
    days: dict[uuid.UUID, dict[date, list[rules.Window]]] = defaultdict(lambda: defaultdict(list))
    for r in weekly:
        week[r.account_id][r.weekday].append(
            rules.Window(r.start_minute, r.end_minute, r.preferred)
        )
    for e in exceptions:
        windows = days[e.account_id][e.on]
        if e.available:
            windows.append(rules.Window(e.start_minute, e.end_minute))
    return {
        account: rules.Availability(
            weekly={d: tuple(w) for d, w in week[account].items()},
            exceptions={d: tuple(w) for d, w in days[account].items()},
        )
        for account in set(week) | set(days)
    }


# ---------------------------------------------------------------- shift types and shifts


async def create_shift_type(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    name: str,
    kind: ShiftKind,
    needs_pairing: bool | None,
    needs_debrief: bool | None,
    zone: str | None,
    required_training_ids: Sequence[uuid.UUID],
    night_start_minute: int,
    night_end_minute: int,
    night_premium_percent: int,
) -> ShiftType:
    for training_id in required_training_ids:
        await _training_of(session, organisation_id, training_id)
    shift_type = ShiftType(
        organisation_id=organisation_id,
        name=name,
        kind=kind.value,
        # Outreach pairs every peer with a professional unless the coordinator says otherwise.
        needs_pairing=needs_pairing if needs_pairing is not None else kind == ShiftKind.OUTREACH,
        needs_debrief=(
            needs_debrief
            if needs_debrief is not None
            else kind in (ShiftKind.OUTREACH, ShiftKind.HELPLINE)
        ),
        zone=zone,
        night_start_minute=night_start_minute,
        night_end_minute=night_end_minute,
        night_premium_percent=night_premium_percent,
    )
    session.add(shift_type)
    await session.flush()
    for training_id in set(required_training_ids):
        session.add(ShiftTypeTraining(shift_type_id=shift_type.id, training_id=training_id))
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.shift_type_created",
        subject=f"shift_type:{shift_type.id}",
        details={
            "name": name,
            "needs_pairing": shift_type.needs_pairing,
            "night_premium_percent": night_premium_percent,
            "trainings": sorted(str(t) for t in set(required_training_ids)),
        },
    )
    return shift_type


async def list_shift_types(session: AsyncSession, organisation_id: uuid.UUID) -> list[ShiftType]:
    statement = select(ShiftType).where(ShiftType.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(ShiftType.name)))).all())


async def required_trainings(
    session: AsyncSession, shift_type_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    statement = select(ShiftTypeTraining).where(
        col(ShiftTypeTraining.shift_type_id).in_(shift_type_ids)
    )
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in (await session.exec(statement)).all():
        found[row.shift_type_id].add(row.training_id)
    return found


@dataclass(frozen=True)
class ShiftIn:
    shift_type_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    zone: str | None
    place: str
    peers_needed: int
    professionals_needed: int | None


async def create_shifts(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    shifts: Sequence[ShiftIn],
) -> list[Shift]:
    types = {t.id: t for t in await list_shift_types(session, organisation_id)}
    created: list[Shift] = []
    for i, item in enumerate(shifts):
        shift_type = types.get(item.shift_type_id)
        if shift_type is None:
            raise InvalidInput(
                "Unknown shift type.", fields={f"shifts.{i}.shift_type_id": "Unknown."}
            )
        if not timedelta(minutes=15) <= item.ends_at - item.starts_at <= TIMESHEET_MAX:
            raise InvalidInput(
                "A shift lasts between 15 minutes and 16 hours.",
                fields={f"shifts.{i}.ends_at": "Invalid length."},
            )
        zone = item.zone or shift_type.zone
        if not zone:
            raise InvalidInput("Say which zone.", fields={f"shifts.{i}.zone": "Required."})
        professionals = item.professionals_needed
        if professionals is None:
            professionals = item.peers_needed if shift_type.needs_pairing else 0
        if shift_type.needs_pairing and professionals < item.peers_needed:
            raise InvalidInput(
                "Each peer on this kind of shift is paired with a professional.",
                fields={f"shifts.{i}.professionals_needed": "At least one per peer."},
            )
        shift = Shift(
            organisation_id=organisation_id,
            shift_type_id=shift_type.id,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            zone=zone,
            place=item.place,
            peers_needed=item.peers_needed,
            professionals_needed=professionals,
            created_at=utc_now(),
        )
        session.add(shift)
        created.append(shift)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.shifts_created",
        subject=f"organisation:{organisation_id}",
        details={"count": len(created)},
    )
    return created


async def _period_bounds(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> tuple[datetime, datetime]:
    tz = await organisation_tz(session, organisation_id)
    start = datetime.combine(starts_on, time()).replace(tzinfo=tz).astimezone(UTC)
    end = datetime.combine(ends_on + timedelta(days=1), time()).replace(tzinfo=tz).astimezone(UTC)
    return start, end


async def list_shifts(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[Shift]:
    start, end = await _period_bounds(session, organisation_id, starts_on, ends_on)
    statement = (
        select(Shift)
        .where(Shift.organisation_id == organisation_id)
        .where(col(Shift.starts_at) >= start)
        .where(col(Shift.starts_at) < end)
        .order_by(col(Shift.starts_at))
    )
    return list((await session.exec(statement)).all())


# ---------------------------------------------------------------- facts for the rules


@dataclass
class Team:
    """Everything the rules need about an organisation's people and shifts."""

    tz: ZoneInfo
    peers: dict[uuid.UUID, rules.PeerFacts]
    professionals: dict[uuid.UUID, rules.ProfessionalFacts]
    shifts: dict[uuid.UUID, rules.ShiftFacts]
    shift_rows: dict[uuid.UUID, Shift]
    types: dict[uuid.UUID, ShiftType]
    contracts: dict[uuid.UUID, list[Contract]] = field(default_factory=dict)


async def load_team(
    session: AsyncSession, organisation_id: uuid.UUID, shifts: Sequence[Shift]
) -> Team:
    tz = await organisation_tz(session, organisation_id)
    types = {t.id: t for t in await list_shift_types(session, organisation_id)}
    required = await required_trainings(session, list(types))
    workers = [
        w for w in await list_workers(session, organisation_id) if w.status == WorkerStatus.ACTIVE
    ]
    worker_ids = [w.id for w in workers]
    contracts: dict[uuid.UUID, list[Contract]] = defaultdict(list)
    for contract in (
        await session.exec(select(Contract).where(col(Contract.worker_id).in_(worker_ids)))
    ).all():
        contracts[contract.worker_id].append(contract)
    trainings: dict[uuid.UUID, list[rules.TrainingDone]] = defaultdict(list)
    for record in await training_records(
        session, organisation_id=organisation_id, worker_ids=worker_ids
    ):
        trainings[record.worker_id].append(
            rules.TrainingDone(record.training_id, record.completed_on, record.expires_on)
        )
    exclusions: dict[uuid.UUID, set[str]] = defaultdict(set)
    for row in (
        await session.exec(
            select(SafetyExclusion).where(SafetyExclusion.organisation_id == organisation_id)
        )
    ).all():
        exclusions[row.worker_id].add(row.zone_key)
    availability = _availability_by_account(*await availability_rows(session, organisation_id))
    empty = rules.Availability()
    names = await names_of(
        session,
        {w.account_id for w in workers}
        | set(await _staff_of(session, organisation_id, Role.PROFESSIONAL)),
    )
    peers = {
        w.account_id: rules.PeerFacts(
            account_id=w.account_id,
            contracts=tuple(_terms(c) for c in contracts[w.id]),
            trainings=tuple(trainings[w.id]),
            availability=availability.get(w.account_id, empty),
            excluded_zones=frozenset(exclusions[w.id]),
            name=display_name(w, names.get(w.account_id, "")),
        )
        for w in workers
    }
    professionals = {
        account: rules.ProfessionalFacts(
            account_id=account,
            availability=availability.get(account, empty),
            name=names.get(account, ""),
        )
        for account in await _staff_of(session, organisation_id, Role.PROFESSIONAL)
    }
    return Team(
        tz=tz,
        peers=peers,
        professionals=professionals,
        shifts={s.id: _facts(s, types[s.shift_type_id], required, tz) for s in shifts},
        shift_rows={s.id: s for s in shifts},
        types=types,
        contracts={w.account_id: contracts[w.id] for w in workers},
    )


def _terms(contract: Contract) -> rules.ContractTerms:
    return rules.ContractTerms(
        id=contract.id,
        kind=contract.kind,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        weekly_cap_minutes=contract.weekly_cap_minutes,
        rate_minor=contract.rate_minor,
        currency=contract.currency,
        funding_id=contract.funding_id,
    )


def _facts(
    shift: Shift, shift_type: ShiftType, required: dict[uuid.UUID, set[uuid.UUID]], tz: ZoneInfo
) -> rules.ShiftFacts:
    return rules.shift_facts(
        id=shift.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        zone=shift.zone,
        required_trainings=required.get(shift_type.id, set()),
        needs_pairing=shift_type.needs_pairing,
        peers_needed=shift.peers_needed,
        professionals_needed=shift.professionals_needed,
        tz=tz,
        label=shift_type.name,
    )


async def _assignments_near(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    start: datetime,
    end: datetime,
    exclude_roster: uuid.UUID | None,
) -> list[tuple[Assignment, Shift]]:
    """Assignments in other rosters close enough to matter for rest and weekly caps."""
    statement = (
        select(Assignment, Shift)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .where(Assignment.organisation_id == organisation_id)
        .where(col(Shift.starts_at) >= start - timedelta(days=8))
        .where(col(Shift.starts_at) < end + timedelta(days=8))
    )
    if exclude_roster is not None:
        statement = statement.where(Assignment.roster_id != exclude_roster)
    return [(a, s) for a, s in (await session.exec(statement)).all()]


# ---------------------------------------------------------------- rosters


@dataclass
class RosterPlan:
    """What the solver needs, read in one transaction so the solve can run outside it."""

    organisation_id: uuid.UUID
    starts_on: date
    ends_on: date
    problem: roster.Problem
    team: Team
    shift_ids: list[uuid.UUID]


async def _overlapping_roster(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> Roster | None:
    statement = (
        select(Roster)
        .where(Roster.organisation_id == organisation_id)
        .where(col(Roster.starts_on) <= ends_on)
        .where(col(Roster.ends_on) >= starts_on)
    )
    return (await session.exec(statement)).first()


async def plan_roster(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    time_limit_seconds: float,
    workers: int,
    hints: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset(),
    replacing: uuid.UUID | None = None,
) -> RosterPlan:
    if ends_on < starts_on or (ends_on - starts_on).days + 1 > MAX_ROSTER_DAYS:
        raise InvalidInput(
            f"A roster covers 1 to {MAX_ROSTER_DAYS} days.", fields={"ends_on": "Invalid period."}
        )
    overlapping = await _overlapping_roster(session, organisation_id, starts_on, ends_on)
    if overlapping is not None and overlapping.id != replacing:
        raise Conflict(
            "Another roster covers part of this period. Delete its draft or pick other dates.",
            code="roster_overlaps",
        )
    shifts = await list_shifts(session, organisation_id, starts_on, ends_on)
    team = await load_team(session, organisation_id, shifts)
    start, end = await _period_bounds(session, organisation_id, starts_on, ends_on)
    held: dict[uuid.UUID, list[rules.ShiftFacts]] = defaultdict(list)
    near = await _assignments_near(session, organisation_id, start, end, replacing)
    if near:
        outside = await load_team(session, organisation_id, [s for _, s in near])
        for assignment, shift in near:
            held[assignment.account_id].append(outside.shifts[shift.id])
    problem = roster.Problem(
        shifts=[team.shifts[s.id] for s in shifts],
        peers=sorted(team.peers.values(), key=lambda p: str(p.account_id)),
        professionals=sorted(team.professionals.values(), key=lambda p: str(p.account_id)),
        held={k: tuple(v) for k, v in held.items()},
        hints=hints,
        time_limit_seconds=time_limit_seconds,
        workers=workers,
    )
    return RosterPlan(organisation_id, starts_on, ends_on, problem, team, [s.id for s in shifts])


def _planned_by_funding(
    team: Team, placed: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> dict[uuid.UUID, int]:
    """What the given (shift, peer) places would cost each grant, at planned times."""
    planned: dict[uuid.UUID, int] = defaultdict(int)
    for shift_id, account_id in placed:
        peer = team.peers.get(account_id)
        shift = team.shifts.get(shift_id)
        if peer is None or shift is None:
            continue
        terms = peer.contract_on(shift.local_day)
        if terms is None or terms.funding_id is None:
            continue
        shift_type = team.types[team.shift_rows[shift_id].shift_type_id]
        night = rules.night_minutes(
            shift.starts_at,
            shift.ends_at,
            night_start=shift_type.night_start_minute,
            night_end=shift_type.night_end_minute,
            tz=team.tz,
        )
        planned[terms.funding_id] += rules.planned_cost(
            terms, shift, night, shift_type.night_premium_percent
        )
    return planned


def _budget_warnings(
    planned: dict[uuid.UUID, int], fundings: dict[uuid.UUID, tuple[Funding, int]]
) -> list[dict[str, Any]]:
    warnings = []
    for funding_id, cost in sorted(planned.items(), key=lambda item: str(item[0])):
        funding, spent = fundings[funding_id]
        if spent + cost > funding.budget_minor:
            warnings.append(
                {
                    "funding_id": str(funding_id),
                    "name": funding.name,
                    "budget_minor": funding.budget_minor,
                    "spent_minor": spent,
                    "planned_minor": cost,
                    "over_by_minor": spent + cost - funding.budget_minor,
                }
            )
    return warnings


async def _spent_by_funding(
    session: AsyncSession, organisation_id: uuid.UUID
) -> dict[uuid.UUID, tuple[Funding, int]]:
    spent: dict[uuid.UUID, int] = defaultdict(int)
    statement = (
        select(Timesheet)
        .where(Timesheet.organisation_id == organisation_id)
        .where(Timesheet.status == TimesheetStatus.APPROVED.value)
    )
    for sheet in (await session.exec(statement)).all():
        if sheet.funding_id is not None:
            spent[sheet.funding_id] += sheet.amount_minor
    return {f.id: (f, spent[f.id]) for f in await list_fundings(session, organisation_id)}


async def generate_roster(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    time_limit_seconds: float,
    workers: int,
) -> Roster:
    """Solve a roster for the period and store it as a draft.

    The solver runs for seconds, so it runs in a worker thread *between* two transactions:
    the facts are read, that transaction is committed (on SQLite a write transaction holds
    the database's write lock), the solver runs, and the result is written in a new
    transaction that checks again that no other roster took the period meanwhile.
    """
    plan = await plan_roster(
        session,
        organisation_id=organisation_id,
        starts_on=starts_on,
        ends_on=ends_on,
        time_limit_seconds=time_limit_seconds,
        workers=workers,
    )
    await session.commit()
    solution = await asyncio.to_thread(roster.solve, plan.problem)
    return await store_roster(session, actor_id=actor_id, plan=plan, solution=solution)


async def store_roster(
    session: AsyncSession, *, actor_id: uuid.UUID, plan: RosterPlan, solution: roster.Solution
) -> Roster:
    """Write a solved roster as a draft, unless another roster took the period meanwhile."""
    organisation_id, starts_on, ends_on = plan.organisation_id, plan.starts_on, plan.ends_on
    if await _overlapping_roster(session, organisation_id, starts_on, ends_on) is not None:
        raise Conflict("Another roster was made for this period meanwhile.", code="roster_overlaps")
    row = Roster(
        organisation_id=organisation_id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor_id,
        created_at=utc_now(),
    )
    session.add(row)
    await session.flush()
    await _store_solution(session, row, plan, solution)
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.roster_generated",
        subject=f"roster:{row.id}",
        details={
            "organisation": str(organisation_id),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "solver_status": solution.status,
            "assignments": len(solution.placed),
            "uncovered": len(solution.shortfalls),
        },
    )
    return row


async def regenerate_roster(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    roster_row: Roster,
    time_limit_seconds: float,
    workers: int,
) -> Roster:
    """Solve a draft again (after shifts or people changed), starting from its current
    assignments as hints. Same two-transaction shape as ``generate_roster``."""
    if roster_row.status != RosterStatus.DRAFT:
        raise Conflict("Only a draft is generated again; edit a published roster by hand.")
    current = await list_assignments(session, roster_row.id)
    plan = await plan_roster(
        session,
        organisation_id=roster_row.organisation_id,
        starts_on=roster_row.starts_on,
        ends_on=roster_row.ends_on,
        time_limit_seconds=time_limit_seconds,
        workers=workers,
        hints=frozenset((a.shift_id, a.account_id) for a in current),
        replacing=roster_row.id,
    )
    roster_id = roster_row.id
    await session.commit()
    solution = await asyncio.to_thread(roster.solve, plan.problem)
    locked = (
        await session.exec(select(Roster).where(Roster.id == roster_id).with_for_update())
    ).first()
    if locked is None or locked.status != RosterStatus.DRAFT:
        raise Conflict("The roster changed meanwhile (published or deleted).")
    await session.exec(delete(Assignment).where(col(Assignment.roster_id) == roster_id))
    await _store_solution(session, locked, plan, solution)
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.roster_regenerated",
        subject=f"roster:{roster_id}",
        details={"solver_status": solution.status, "uncovered": len(solution.shortfalls)},
    )
    return locked


async def _store_solution(
    session: AsyncSession, row: Roster, plan: RosterPlan, solution: roster.Solution
) -> None:
    now = utc_now()
    for item in solution.placed:
        session.add(
            Assignment(
                organisation_id=row.organisation_id,
                roster_id=row.id,
                shift_id=item.shift_id,
                account_id=item.account_id,
                role=item.role,
                partner_id=item.partner_id,
                created_at=now,
            )
        )
    fundings = await _spent_by_funding(session, row.organisation_id)
    row.solver_status = solution.status
    row.report = json.dumps(
        {
            "complete": solution.complete,
            "uncovered": [s.as_dict() for s in solution.shortfalls],
            "spread_minutes": solution.spread_minutes,
            "minutes_by_peer": {str(k): v for k, v in solution.hours_by_peer.items()},
            "gap": round(solution.gap, 4),
            "seconds": round(solution.wall_seconds, 3),
            "first_solution_seconds": solution.first_solution_seconds,
            "budget_warnings": _budget_warnings(
                _planned_by_funding(
                    plan.team,
                    [(p.shift_id, p.account_id) for p in solution.placed if p.role == "peer"],
                ),
                fundings,
            ),
            "notes": solution.notes,
        }
    )
    session.add(row)
    await session.flush()


async def list_rosters(session: AsyncSession, organisation_id: uuid.UUID) -> list[Roster]:
    statement = select(Roster).where(Roster.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(Roster.starts_on)))).all())


async def list_assignments(session: AsyncSession, roster_id: uuid.UUID) -> list[Assignment]:
    statement = select(Assignment).where(Assignment.roster_id == roster_id)
    return list((await session.exec(statement.order_by(col(Assignment.created_at)))).all())


async def delete_draft(session: AsyncSession, *, actor_id: uuid.UUID, roster_row: Roster) -> None:
    if roster_row.status != RosterStatus.DRAFT:
        raise Conflict("A published roster is not deleted; edit it instead.")
    await session.exec(delete(Assignment).where(col(Assignment.roster_id) == roster_row.id))
    await session.delete(roster_row)
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.roster_deleted",
        subject=f"roster:{roster_row.id}",
    )


async def publish_roster(
    session: AsyncSession, *, actor_id: uuid.UUID, roster_row: Roster
) -> Roster:
    """Make a draft visible to the people on it. The caller locked the roster row."""
    if roster_row.status != RosterStatus.DRAFT:
        raise Conflict("This roster is published already.")
    roster_row.status = RosterStatus.PUBLISHED.value
    roster_row.published_at = utc_now()
    session.add(roster_row)
    for account_id in {a.account_id for a in await list_assignments(session, roster_row.id)}:
        await notify(
            session,
            account_id=account_id,
            organisation_id=roster_row.organisation_id,
            kind="schedule_ready",
        )
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.roster_published",
        subject=f"roster:{roster_row.id}",
    )
    return roster_row


async def _roster_team(session: AsyncSession, roster_row: Roster) -> tuple[Team, list[Assignment]]:
    shifts = await list_shifts(
        session, roster_row.organisation_id, roster_row.starts_on, roster_row.ends_on
    )
    start, end = await _period_bounds(
        session, roster_row.organisation_id, roster_row.starts_on, roster_row.ends_on
    )
    near = await _assignments_near(session, roster_row.organisation_id, start, end, None)
    extra = [s for _, s in near if s.id not in {x.id for x in shifts}]
    team = await load_team(session, roster_row.organisation_id, [*shifts, *extra])
    return team, [a for a, _ in near]


def check_placement(
    team: Team,
    assignments: Sequence[Assignment],
    *,
    shift_id: uuid.UUID,
    account_id: uuid.UUID,
    role: AssignmentRole,
    ignore: uuid.UUID | None = None,
) -> list[Reason]:
    """Every hard constraint the solver enforces, for one more person on one shift."""
    shift = team.shifts[shift_id]
    current = [a for a in assignments if a.id != ignore]
    others = [
        team.shifts[a.shift_id]
        for a in current
        if a.account_id == account_id and a.shift_id in team.shifts
    ]
    on_shift = [a for a in current if a.shift_id == shift_id]
    peers_on = sum(1 for a in on_shift if a.role == AssignmentRole.PEER)
    pros_on = sum(1 for a in on_shift if a.role == AssignmentRole.PROFESSIONAL)
    if role == AssignmentRole.PEER:
        peer = team.peers.get(account_id)
        if peer is None:
            return [Reason.NOT_IN_TEAM]
        if peers_on >= shift.peers_needed:
            return [Reason.SHIFT_FULL]
        reasons = rules.static_peer_reasons(peer, shift) + rules.interaction_reasons(
            peer, shift, others
        )
        if not rules.pairing_holds(shift, peers_on + 1, pros_on):
            reasons.append(Reason.NO_PROFESSIONAL)
        return reasons
    pro = team.professionals.get(account_id)
    if pro is None:
        return [Reason.NOT_IN_TEAM]
    if pros_on >= shift.professionals_needed:
        return [Reason.SHIFT_FULL]
    return rules.static_professional_reasons(pro, shift) + rules.professional_interaction_reasons(
        shift, others
    )


def _refuse(reasons: Sequence[Reason]) -> Conflict:
    return Conflict(
        "This would break a rule: " + "; ".join(rules.REASON_TEXT[r] for r in reasons) + ".",
        code="constraint_violated",
        fields={"reasons": ",".join(r.value for r in reasons)},
    )


async def _changed(session: AsyncSession, roster_row: Roster, account_ids: set[uuid.UUID]) -> None:
    if roster_row.status != RosterStatus.PUBLISHED:
        return
    roster_row.version += 1
    session.add(roster_row)
    for account_id in account_ids:
        await notify(
            session,
            account_id=account_id,
            organisation_id=roster_row.organisation_id,
            kind="schedule_changed",
        )


async def add_assignment(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    roster_row: Roster,
    shift_id: uuid.UUID,
    account_id: uuid.UUID,
    role: AssignmentRole,
) -> Assignment:
    """A hand edit: checked against the same hard constraints as the solver. The caller
    locked the roster row."""
    team, near = await _roster_team(session, roster_row)
    shift = team.shift_rows.get(shift_id)
    if (
        shift is None
        or not roster_row.starts_on <= team.shifts[shift_id].local_day <= roster_row.ends_on
    ):
        raise InvalidInput(
            "That shift is not in this roster's period.", fields={"shift_id": "Unknown."}
        )
    reasons = check_placement(team, near, shift_id=shift_id, account_id=account_id, role=role)
    if reasons:
        raise _refuse(reasons)
    partner: uuid.UUID | None = None
    if role == AssignmentRole.PEER and team.shifts[shift_id].needs_pairing:
        mine = [a for a in near if a.roster_id == roster_row.id and a.shift_id == shift_id]
        taken = {a.partner_id for a in mine if a.role == AssignmentRole.PEER}
        free = sorted(
            (
                a.account_id
                for a in mine
                if a.role == AssignmentRole.PROFESSIONAL and a.account_id not in taken
            ),
            key=str,
        )
        partner = free[0] if free else None
    assignment = Assignment(
        organisation_id=roster_row.organisation_id,
        roster_id=roster_row.id,
        shift_id=shift_id,
        account_id=account_id,
        role=role.value,
        partner_id=partner,
        by_hand=True,
        created_at=utc_now(),
    )
    session.add(assignment)
    await session.flush()
    await _changed(session, roster_row, {account_id})
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.assignment_added",
        subject=f"roster:{roster_row.id}",
        details={"shift": str(shift_id), "account": str(account_id), "role": role.value},
    )
    return assignment


async def remove_assignment(
    session: AsyncSession, *, actor_id: uuid.UUID, roster_row: Roster, assignment_id: uuid.UUID
) -> None:
    """Take someone off a shift. Refused when it would leave a peer without her
    professional. The caller locked the roster row."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.roster_id != roster_row.id:
        raise NotFound()
    if await _has_timesheet(session, assignment.id):
        raise Conflict("Hours were confirmed for this shift; it stays on the roster.")
    team, near = await _roster_team(session, roster_row)
    shift = team.shifts[assignment.shift_id]
    if assignment.role == AssignmentRole.PROFESSIONAL:
        same = [a for a in near if a.shift_id == assignment.shift_id and a.id != assignment.id]
        peers = sum(1 for a in same if a.role == AssignmentRole.PEER)
        pros = sum(1 for a in same if a.role == AssignmentRole.PROFESSIONAL)
        if not rules.pairing_holds(shift, peers, pros):
            raise _refuse([Reason.NO_PROFESSIONAL])
        for peer in same:
            if peer.partner_id == assignment.account_id:
                taken = {a.partner_id for a in same if a.role == AssignmentRole.PEER}
                free = [
                    a.account_id
                    for a in same
                    if a.role == AssignmentRole.PROFESSIONAL and a.account_id not in taken
                ]
                peer.partner_id = free[0] if free else None
                session.add(peer)
    await session.delete(assignment)
    await session.flush()
    await _changed(session, roster_row, {assignment.account_id})
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.assignment_removed",
        subject=f"roster:{roster_row.id}",
        details={"shift": str(assignment.shift_id), "account": str(assignment.account_id)},
    )


async def _has_timesheet(session: AsyncSession, assignment_id: uuid.UUID) -> bool:
    statement = select(Timesheet).where(Timesheet.assignment_id == assignment_id)
    return (await session.exec(statement)).first() is not None


def roster_report(roster_row: Roster) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(roster_row.report)
    return report


# ---------------------------------------------------------------- the worker's side


@dataclass(frozen=True)
class MyShift:
    assignment: Assignment
    shift: Shift
    shift_type: ShiftType
    partner: str | None
    debrief_due: bool
    timesheet_status: str | None


async def my_shifts(
    session: AsyncSession, account_id: uuid.UUID, *, since: datetime | None = None
) -> list[MyShift]:
    """Her shifts on published rosters, in every organisation she works for."""
    statement = (
        select(Assignment, Shift, ShiftType, Roster)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .join(ShiftType, col(ShiftType.id) == col(Shift.shift_type_id))
        .join(Roster, col(Roster.id) == col(Assignment.roster_id))
        .where(Assignment.account_id == account_id)
        .where(Roster.status == RosterStatus.PUBLISHED.value)
        .order_by(col(Shift.starts_at))
    )
    if since is not None:
        statement = statement.where(col(Shift.ends_at) >= since)
    rows = list((await session.exec(statement)).all())
    ids = [a.id for a, _, _, _ in rows]
    debriefed = set(
        (
            await session.exec(
                select(Debrief.assignment_id).where(col(Debrief.assignment_id).in_(ids))
            )
        ).all()
    )
    sheets = {
        t.assignment_id: t.status
        for t in (
            await session.exec(select(Timesheet).where(col(Timesheet.assignment_id).in_(ids)))
        ).all()
    }
    partners = await names_of(session, {a.partner_id for a, _, _, _ in rows if a.partner_id})
    now = utc_now()
    return [
        MyShift(
            assignment=a,
            shift=s,
            shift_type=t,
            partner=partners.get(a.partner_id) if a.partner_id else None,
            debrief_due=(
                a.role == AssignmentRole.PEER
                and t.needs_debrief
                and s.ends_at <= now
                and a.id not in debriefed
            ),
            timesheet_status=sheets.get(a.id),
        )
        for a, s, t, _ in rows
    ]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_calendar_token(session: AsyncSession, account_id: uuid.UUID) -> str:
    """A new secret calendar address; the previous one stops working at once."""
    token = secrets.token_urlsafe(32)
    feed_row = await session.get(CalendarFeed, account_id)
    if feed_row is None:
        feed_row = CalendarFeed(
            account_id=account_id, token_hash=_token_hash(token), created_at=utc_now()
        )
    feed_row.token_hash, feed_row.created_at = _token_hash(token), utc_now()
    session.add(feed_row)
    await session.flush()
    await audit.record(
        session,
        actor_id=account_id,
        action="peerwork.calendar_token_issued",
        subject=f"account:{account_id}",
    )
    return token


async def revoke_calendar_token(session: AsyncSession, account_id: uuid.UUID) -> None:
    feed_row = await session.get(CalendarFeed, account_id)
    if feed_row is not None:
        await session.delete(feed_row)
        await audit.record(
            session,
            actor_id=account_id,
            action="peerwork.calendar_token_revoked",
            subject=f"account:{account_id}",
        )


async def calendar_feed(session: AsyncSession, token: str, calendar_name: str) -> bytes:
    """The feed behind a secret address; unknown and revoked addresses are both 404."""
    statement = select(CalendarFeed).where(CalendarFeed.token_hash == _token_hash(token))
    feed_row = (await session.exec(statement)).first()
    if feed_row is None:
        raise NotFound()
    now = utc_now()
    shifts = await my_shifts(session, feed_row.account_id, since=now - timedelta(days=31))
    entries = [
        ical.CalendarEntry(
            uid=m.assignment.id,
            starts_at=m.shift.starts_at,
            ends_at=m.shift.ends_at,
            changed_at=m.assignment.created_at,
        )
        for m in shifts
    ]
    return ical.feed(entries, calendar_name=calendar_name, now=now)


async def team_of(session: AsyncSession, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Colleagues a worker may ask for a swap: active peer workers, by the name they share."""
    workers = [
        w for w in await list_workers(session, organisation_id) if w.status == WorkerStatus.ACTIVE
    ]
    names = await names_of(session, {w.account_id for w in workers})
    return [(w.account_id, display_name(w, names.get(w.account_id, ""))) for w in workers]


# ---------------------------------------------------------------- swaps


async def propose_swap(
    session: AsyncSession, *, assignment: Assignment, roster_row: Roster, to_account_id: uuid.UUID
) -> ShiftSwap:
    """She asks a colleague to take her place. Checked now, and again at each step."""
    if to_account_id == assignment.account_id:
        raise InvalidInput("Ask someone else.", fields={"to_account_id": "That is you."})
    shift = await session.get(Shift, assignment.shift_id)
    if shift is None or shift.starts_at <= utc_now():
        raise Conflict("This shift has started; it can no longer be swapped.")
    await _check_swap(session, roster_row, assignment, to_account_id)
    swap = ShiftSwap(
        organisation_id=assignment.organisation_id,
        assignment_id=assignment.id,
        from_account_id=assignment.account_id,
        to_account_id=to_account_id,
        created_at=utc_now(),
    )
    session.add(swap)
    await session.flush()
    await notify(
        session, account_id=to_account_id, organisation_id=swap.organisation_id, kind="swap_asked"
    )
    await audit.record(
        session,
        actor_id=assignment.account_id,
        action="peerwork.swap_proposed",
        subject=f"shift_swap:{swap.id}",
    )
    return swap


async def _check_swap(
    session: AsyncSession, roster_row: Roster, assignment: Assignment, to_account_id: uuid.UUID
) -> None:
    team, near = await _roster_team(session, roster_row)
    # The colleague's place is checked as if she were not on it yet, without the leaver.
    reasons = check_placement(
        team,
        near,
        shift_id=assignment.shift_id,
        account_id=to_account_id,
        role=AssignmentRole(assignment.role),
        ignore=assignment.id,
    )
    if reasons:
        raise _refuse(reasons)


async def answer_swap(
    session: AsyncSession, *, swap: ShiftSwap, account_id: uuid.UUID, accept: bool
) -> ShiftSwap:
    if swap.to_account_id != account_id:
        raise NotFound()
    if swap.status != SwapStatus.PROPOSED:
        raise Conflict(f"This swap is {swap.status}.")
    if accept:
        assignment, roster_row = await _swap_parts(session, swap)
        await _check_swap(session, roster_row, assignment, swap.to_account_id)
    swap.status = (SwapStatus.ACCEPTED if accept else SwapStatus.DECLINED).value
    swap.answered_at = utc_now()
    session.add(swap)
    await session.flush()
    await notify(
        session,
        account_id=swap.from_account_id,
        organisation_id=swap.organisation_id,
        kind="swap_answered",
    )
    if accept:
        for coordinator in await _staff_of(session, swap.organisation_id, Role.COORDINATOR):
            await notify(
                session,
                account_id=coordinator,
                organisation_id=swap.organisation_id,
                kind="swap_to_approve",
            )
    await audit.record(
        session,
        actor_id=account_id,
        action="peerwork.swap_accepted" if accept else "peerwork.swap_declined",
        subject=f"shift_swap:{swap.id}",
    )
    return swap


async def cancel_swap(
    session: AsyncSession, *, swap: ShiftSwap, account_id: uuid.UUID
) -> ShiftSwap:
    if swap.from_account_id != account_id:
        raise NotFound()
    if swap.status not in (SwapStatus.PROPOSED, SwapStatus.ACCEPTED):
        raise Conflict(f"This swap is {swap.status}.")
    swap.status = SwapStatus.CANCELLED.value
    session.add(swap)
    await audit.record(
        session,
        actor_id=account_id,
        action="peerwork.swap_cancelled",
        subject=f"shift_swap:{swap.id}",
    )
    return swap


async def _swap_parts(
    session: AsyncSession, swap: ShiftSwap, *, lock: bool = False
) -> tuple[Assignment, Roster]:
    assignment = await session.get(Assignment, swap.assignment_id)
    if assignment is None or assignment.account_id != swap.from_account_id:
        raise Conflict("The shift changed since this swap was asked for.")
    statement = select(Roster).where(Roster.id == assignment.roster_id)
    if lock:
        statement = statement.with_for_update()
    roster_row = (await session.exec(statement)).first()
    if roster_row is None:
        raise NotFound()
    return assignment, roster_row


async def decide_swap(
    session: AsyncSession,
    *,
    swap: ShiftSwap,
    actor_id: uuid.UUID,
    grants: Grants,
    approve: bool,
    reason: str | None,
) -> ShiftSwap:
    """A coordinator approves (the place moves, checked once more under the roster's lock)
    or refuses an accepted swap."""
    if not grants.can(Capability.PEERWORK_SCHEDULE, swap.organisation_id):
        raise NotFound()
    if swap.status != SwapStatus.ACCEPTED:
        raise Conflict(f"Only an accepted swap is decided; this one is {swap.status}.")
    if approve:
        assignment, roster_row = await _swap_parts(session, swap, lock=True)
        await _check_swap(session, roster_row, assignment, swap.to_account_id)
        if await _has_timesheet(session, assignment.id):
            raise Conflict("Hours were confirmed for this shift already.")
        assignment.account_id = swap.to_account_id
        assignment.by_hand = True
        session.add(assignment)
        if assignment.role == AssignmentRole.PROFESSIONAL:
            for peer in await list_assignments(session, roster_row.id):
                if peer.shift_id == assignment.shift_id and peer.partner_id == swap.from_account_id:
                    peer.partner_id = swap.to_account_id
                    session.add(peer)
        await _changed(session, roster_row, {swap.from_account_id, swap.to_account_id})
    swap.status = (SwapStatus.APPROVED if approve else SwapStatus.REFUSED).value
    swap.decided_by, swap.decided_at, swap.reason = actor_id, utc_now(), reason
    session.add(swap)
    await session.flush()
    for party in (swap.from_account_id, swap.to_account_id):
        await notify(
            session, account_id=party, organisation_id=swap.organisation_id, kind="swap_answered"
        )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.swap_approved" if approve else "peerwork.swap_refused",
        subject=f"shift_swap:{swap.id}",
        details={"from": str(swap.from_account_id), "to": str(swap.to_account_id)},
    )
    return swap


async def list_swaps(
    session: AsyncSession, *, account_id: uuid.UUID, grants: Grants
) -> list[ShiftSwap]:
    """Swaps she is part of, and those waiting in organisations she schedules for."""
    statement = select(ShiftSwap).order_by(col(ShiftSwap.created_at).desc()).limit(500)
    return [
        s
        for s in (await session.exec(statement)).all()
        if account_id in (s.from_account_id, s.to_account_id)
        or grants.can(Capability.PEERWORK_SCHEDULE, s.organisation_id)
    ]


# ---------------------------------------------------------------- timesheets and pay


def _whole_minutes(value: datetime, field_name: str) -> None:
    if value.second or value.microsecond:
        raise InvalidInput("Times are given to the minute.", fields={field_name: "No seconds."})


async def confirm_hours(
    session: AsyncSession, *, assignment: Assignment, actual_start: datetime, actual_end: datetime
) -> Timesheet:
    """She confirms when she really started and finished. Changeable until approved."""
    if assignment.role != AssignmentRole.PEER:
        raise Conflict("Hours are confirmed for peer work.")
    shift = await session.get(Shift, assignment.shift_id)
    if shift is None:
        raise NotFound()
    if utc_now() < shift.starts_at:
        raise Conflict("Hours are confirmed once the shift has started.")
    _whole_minutes(actual_start, "actual_start")
    _whole_minutes(actual_end, "actual_end")
    if not timedelta(0) < actual_end - actual_start <= TIMESHEET_MAX:
        raise InvalidInput(
            "The end comes after the start, within 16 hours.", fields={"actual_end": "Invalid."}
        )
    if (
        actual_start < shift.starts_at - TIMESHEET_SLACK
        or actual_end > shift.ends_at + TIMESHEET_SLACK
    ):
        raise InvalidInput(
            "These times are far from the shift's; ask your coordinator.",
            fields={"actual_start": "Too far from the planned times."},
        )
    statement = select(Timesheet).where(Timesheet.assignment_id == assignment.id).with_for_update()
    sheet = (await session.exec(statement)).first()
    if sheet is not None and sheet.status == TimesheetStatus.APPROVED:
        raise Conflict("These hours are approved already.")
    if sheet is None:
        sheet = Timesheet(
            organisation_id=assignment.organisation_id,
            assignment_id=assignment.id,
            shift_id=assignment.shift_id,
            account_id=assignment.account_id,
            actual_start=actual_start,
            actual_end=actual_end,
            confirmed_at=utc_now(),
        )
    sheet.actual_start, sheet.actual_end = actual_start, actual_end
    sheet.status, sheet.confirmed_at, sheet.note = TimesheetStatus.CONFIRMED.value, utc_now(), None
    session.add(sheet)
    await session.flush()
    await audit.record(
        session,
        actor_id=assignment.account_id,
        action="peerwork.hours_confirmed",
        subject=f"timesheet:{sheet.id}",
        details={"start": actual_start.isoformat(), "end": actual_end.isoformat()},
    )
    return sheet


async def list_timesheets(
    session: AsyncSession, organisation_id: uuid.UUID, status: TimesheetStatus | None
) -> list[Timesheet]:
    statement = select(Timesheet).where(Timesheet.organisation_id == organisation_id)
    if status is not None:
        statement = statement.where(Timesheet.status == status.value)
    return list((await session.exec(statement.order_by(col(Timesheet.actual_start)))).all())


async def decide_timesheet(
    session: AsyncSession, *, actor_id: uuid.UUID, sheet: Timesheet, approve: bool, note: str | None
) -> Timesheet:
    """Approve (pay computed now from the contract in force, never typed) or send back.
    The caller locked the timesheet row."""
    if sheet.status != TimesheetStatus.CONFIRMED:
        raise Conflict(f"These hours are {sheet.status}.")
    if sheet.account_id == actor_id:
        raise Conflict("Someone else approves your own hours.")
    if approve:
        shift = await session.get(Shift, sheet.shift_id)
        assert shift is not None  # noqa: S101 - a timesheet's shift is never deleted
        shift_type = await session.get(ShiftType, shift.shift_type_id)
        assert shift_type is not None  # noqa: S101 - a shift's type is never deleted
        tz = await organisation_tz(session, sheet.organisation_id)
        worker = await active_worker_of(session, sheet.organisation_id, sheet.account_id)
        day = shift.starts_at.astimezone(tz).date()
        contract = (
            next((c for c in await contracts_of(session, worker.id) if _terms(c).covers(day)), None)
            if worker is not None
            else None
        )
        if contract is None:
            raise Conflict("No contract of hers was in force on the shift's date.")
        minutes = rules._minutes(sheet.actual_end - sheet.actual_start)
        night = rules.night_minutes(
            sheet.actual_start,
            sheet.actual_end,
            night_start=shift_type.night_start_minute,
            night_end=shift_type.night_end_minute,
            tz=tz,
        )
        pay = rules.compute_pay(
            kind=contract.kind,
            rate_minor=contract.rate_minor,
            minutes=minutes,
            night=night,
            premium_percent=shift_type.night_premium_percent,
        )
        sheet.contract_id, sheet.funding_id, sheet.currency = (
            contract.id,
            contract.funding_id,
            contract.currency,
        )
        sheet.minutes, sheet.night_minutes, sheet.amount_minor = (
            pay.minutes,
            pay.night_minutes,
            pay.amount_minor,
        )
    sheet.status = (TimesheetStatus.APPROVED if approve else TimesheetStatus.REJECTED).value
    sheet.decided_by, sheet.decided_at, sheet.note = actor_id, utc_now(), note
    session.add(sheet)
    await session.flush()
    await notify(
        session,
        account_id=sheet.account_id,
        organisation_id=sheet.organisation_id,
        kind="hours_reviewed",
    )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.hours_approved" if approve else "peerwork.hours_rejected",
        subject=f"timesheet:{sheet.id}",
        details={
            "minutes": sheet.minutes,
            "night_minutes": sheet.night_minutes,
            "amount_minor": sheet.amount_minor,
            "currency": sheet.currency,
            "contract": str(sheet.contract_id) if sheet.contract_id else None,
            "note": note,
        },
    )
    return sheet


async def _approved_in(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[Timesheet]:
    start, end = await _period_bounds(session, organisation_id, starts_on, ends_on)
    statement = (
        select(Timesheet)
        .join(Shift, col(Shift.id) == col(Timesheet.shift_id))
        .where(Timesheet.organisation_id == organisation_id)
        .where(Timesheet.status == TimesheetStatus.APPROVED.value)
        .where(col(Shift.starts_at) >= start)
        .where(col(Shift.starts_at) < end)
    )
    return list((await session.exec(statement)).all())


PAY_FORM = {
    ContractKind.EMPLOYMENT.value: "wage",
    ContractKind.PROJECT_CONTRACT.value: "wage",
    ContractKind.INTERNSHIP.value: "wage",
    ContractKind.REIMBURSED_VOLUNTEER.value: "reimbursement",
    ContractKind.VOUCHERS.value: "vouchers",
}
PAYROLL_COLUMNS = (
    "worker_id",
    "name",
    "contract_id",
    "contract_kind",
    "pay_form",
    "funding",
    "currency",
    "shifts",
    "minutes",
    "night_minutes",
    "amount_minor",
    "amount",
)


def _money(minor: int) -> str:
    return str((Decimal(minor) / 100).quantize(Decimal("0.01")))


def _cell(value: str) -> str:
    # A spreadsheet runs cells starting with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def payroll_rows(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[dict[str, Any]]:
    """Pay per worker and contract for shifts in the period, from approved hours only."""
    sheets = await _approved_in(session, organisation_id, starts_on, ends_on)
    workers = {w.account_id: w for w in await list_workers(session, organisation_id)}
    names = await names_of(session, set(workers))
    contracts = {
        c.id: c
        for c in (
            await session.exec(select(Contract).where(Contract.organisation_id == organisation_id))
        ).all()
    }
    fundings = {f.id: f for f in await list_fundings(session, organisation_id)}
    totals: dict[tuple[uuid.UUID, uuid.UUID], list[Timesheet]] = defaultdict(list)
    for sheet in sheets:
        assert sheet.contract_id is not None  # noqa: S101 - set at approval
        totals[sheet.account_id, sheet.contract_id].append(sheet)
    rows = []
    for (account_id, contract_id), group in sorted(
        totals.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))
    ):
        contract = contracts[contract_id]
        worker = workers[account_id]
        amount = sum(s.amount_minor for s in group)
        rows.append(
            {
                "worker_id": str(worker.id),
                "name": display_name(worker, names.get(account_id, "")),
                "contract_id": str(contract_id),
                "contract_kind": contract.kind,
                "pay_form": PAY_FORM[contract.kind],
                "funding": fundings[contract.funding_id].name,
                "currency": contract.currency,
                "shifts": len(group),
                "minutes": sum(s.minutes for s in group),
                "night_minutes": sum(s.night_minutes for s in group),
                "amount_minor": amount,
                "amount": _money(amount),
            }
        )
    return rows


async def payroll_csv(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
) -> str:
    rows = await payroll_rows(session, organisation_id, starts_on, ends_on)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PAYROLL_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(str(v)) for k, v in row.items()})
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.payroll_exported",
        subject=f"organisation:{organisation_id}",
        details={
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "rows": len(rows),
        },
    )
    return out.getvalue()


async def grant_report(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[dict[str, Any]]:
    """Per grant: hours and cost in the period (approved only), total spent, remaining
    budget, what published and draft rosters still plan, and an overspend warning."""
    in_period = await _approved_in(session, organisation_id, starts_on, ends_on)
    spent = await _spent_by_funding(session, organisation_id)
    # Planned: assignments of peers on shifts not yet approved, from today on.
    statement = (
        select(Assignment, Shift)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .where(Assignment.organisation_id == organisation_id)
        .where(Assignment.role == AssignmentRole.PEER.value)
        .where(col(Shift.ends_at) >= utc_now())
    )
    upcoming = list((await session.exec(statement)).all())
    approved_ids = {
        t.assignment_id
        for t in (
            await session.exec(
                select(Timesheet)
                .where(Timesheet.organisation_id == organisation_id)
                .where(Timesheet.status == TimesheetStatus.APPROVED.value)
            )
        ).all()
    }
    team = await load_team(session, organisation_id, [s for _, s in upcoming])
    planned_pairs = [(s.id, a.account_id) for a, s in upcoming if a.id not in approved_ids]
    planned = _planned_by_funding(team, planned_pairs)
    report = []
    for funding_id, (funding, total_spent) in spent.items():
        mine = [t for t in in_period if t.funding_id == funding_id]
        remaining = funding.budget_minor - total_spent
        plan = planned.get(funding_id, 0)
        report.append(
            {
                "funding_id": str(funding_id),
                "name": funding.name,
                "funder": funding.funder,
                "currency": funding.currency,
                "budget_minor": funding.budget_minor,
                "period_minutes": sum(t.minutes for t in mine),
                "period_cost_minor": sum(t.amount_minor for t in mine),
                "spent_minor": total_spent,
                "remaining_minor": remaining,
                "planned_minor": plan,
                "overspend_warning": plan > remaining,
            }
        )
    return report


# ---------------------------------------------------------------- debriefs


async def submit_debrief(
    session: AsyncSession,
    *,
    assignment: Assignment,
    wellbeing: int,
    incident: bool,
    incident_note: str | None,
    wants_to_talk: bool,
) -> Debrief:
    """Her debrief after an outreach or helpline shift. A concerning answer reaches her
    supervisor (a neutral notice); the content stays between the two of them."""
    shift = await session.get(Shift, assignment.shift_id)
    shift_type = await session.get(ShiftType, shift.shift_type_id) if shift else None
    if (
        shift is None
        or shift_type is None
        or assignment.role != AssignmentRole.PEER
        or not shift_type.needs_debrief
    ):
        raise Conflict("This shift has no debrief.")
    if utc_now() < shift.starts_at:
        raise Conflict("A debrief comes after the shift.")
    worker = await active_worker_of(session, assignment.organisation_id, assignment.account_id)
    supervisor = worker.supervisor_id if worker else None
    concerning = rules.is_concerning(
        wellbeing=wellbeing, incident=incident, wants_to_talk=wants_to_talk
    )
    debrief = Debrief(
        organisation_id=assignment.organisation_id,
        assignment_id=assignment.id,
        account_id=assignment.account_id,
        supervisor_id=supervisor,
        wellbeing=wellbeing,
        incident=incident,
        incident_note=incident_note if incident else None,
        wants_to_talk=wants_to_talk,
        concerning=concerning,
        submitted_at=utc_now(),
    )
    session.add(debrief)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("You sent this debrief already.") from exc
    if concerning and supervisor is not None:
        await notify(
            session,
            account_id=supervisor,
            organisation_id=debrief.organisation_id,
            kind="talk_requested",
            subject=f"debrief:{debrief.id}",
        )
    elif concerning:
        for coordinator in await _staff_of(session, debrief.organisation_id, Role.COORDINATOR):
            await notify(
                session,
                account_id=coordinator,
                organisation_id=debrief.organisation_id,
                kind="no_supervisor",
            )
    # Content is never logged: only that a debrief exists and whether it asked for help.
    await audit.record(
        session,
        actor_id=assignment.account_id,
        action="peerwork.debrief_submitted",
        subject=f"debrief:{debrief.id}",
        details={"concerning": concerning},
    )
    return debrief


async def debriefs_for(session: AsyncSession, account_id: uuid.UUID) -> list[Debrief]:
    """Debriefs she wrote and those addressed to her as supervisor."""
    statement = (
        select(Debrief)
        .where((col(Debrief.account_id) == account_id) | (col(Debrief.supervisor_id) == account_id))
        .order_by(col(Debrief.submitted_at).desc())
    )
    return list((await session.exec(statement)).all())


async def account_exists(session: AsyncSession, account_id: uuid.UUID) -> bool:
    return await session.get(Account, account_id) is not None


# ---------------------------------------------------------------- notices that fall due

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
            .where(Roster.status == RosterStatus.PUBLISHED.value)
            .where(Assignment.role == AssignmentRole.PEER.value)
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
