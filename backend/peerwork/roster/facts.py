"""The facts the roster rules need, read from the database for one organisation."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Role
from backend.peerwork import availability as availability_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import rules, views, work_settings
from backend.peerwork import shifts as shift_service
from backend.peerwork import trainings as training_service
from backend.peerwork.models import (
    Assignment,
    Contract,
    Roster,
    SafetyExclusion,
    Shift,
    ShiftType,
    WorkerStatus,
)


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
    tz = await work_settings.organisation_tz(session, organisation_id)
    types = {t.id: t for t in await shift_service.list_shift_types(session, organisation_id)}
    required = await shift_service.required_trainings(session, list(types))
    workers = [
        w
        for w in await onboarding_service.list_workers(session, organisation_id)
        if w.status == WorkerStatus.ACTIVE
    ]
    worker_ids = [w.id for w in workers]
    contracts: dict[uuid.UUID, list[Contract]] = defaultdict(list)
    for contract in (
        await session.exec(select(Contract).where(col(Contract.worker_id).in_(worker_ids)))
    ).all():
        contracts[contract.worker_id].append(contract)
    trainings: dict[uuid.UUID, list[rules.TrainingDone]] = defaultdict(list)
    for record in await training_service.training_records(
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
    availability = availability_service.availability_by_account(
        *await availability_service.availability_rows(session, organisation_id)
    )
    empty = rules.Availability()
    names = await views.names_of(
        session,
        {w.account_id for w in workers}
        | set(await onboarding_service.staff_of(session, organisation_id, Role.PROFESSIONAL)),
    )
    peers = {
        w.account_id: rules.PeerFacts(
            account_id=w.account_id,
            contracts=tuple(contract_terms(c) for c in contracts[w.id]),
            trainings=tuple(trainings[w.id]),
            availability=availability.get(w.account_id, empty),
            excluded_zones=frozenset(exclusions[w.id]),
            name=views.display_name(w, names.get(w.account_id, "")),
        )
        for w in workers
    }
    professionals = {
        account: rules.ProfessionalFacts(
            account_id=account,
            availability=availability.get(account, empty),
            name=names.get(account, ""),
        )
        for account in await onboarding_service.staff_of(
            session, organisation_id, Role.PROFESSIONAL
        )
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


def contract_terms(contract: Contract) -> rules.ContractTerms:
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


async def assignments_near(
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


async def load_roster_team(
    session: AsyncSession, roster_row: Roster
) -> tuple[Team, list[Assignment]]:
    shifts = await shift_service.list_shifts(
        session, roster_row.organisation_id, roster_row.starts_on, roster_row.ends_on
    )
    start, end = await work_settings.period_bounds(
        session, roster_row.organisation_id, roster_row.starts_on, roster_row.ends_on
    )
    near = await assignments_near(session, roster_row.organisation_id, start, end, None)
    extra = [s for _, s in near if s.id not in {x.id for x in shifts}]
    team = await load_team(session, roster_row.organisation_id, [*shifts, *extra])
    return team, [a for a, _ in near]
