"""Safety exclusions (zones she is never sent to) and when people are available."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import InvalidInput
from backend.core.time import utc_now
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import rules
from backend.peerwork.models import (
    AvailabilityException,
    AvailabilityRule,
    PeerWorker,
    SafetyExclusion,
)


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
    onboarding_service.require_active(worker)
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


def availability_by_account(
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
