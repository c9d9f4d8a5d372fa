import uuid
from datetime import date

from fastapi import APIRouter, Request, Response, status

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, SelfActor
from backend.core.dependencies import AppSettings, DbSession
from backend.core.errors import NotFound
from backend.core.jsonbody import StrictJSONRoute
from backend.identity.dependencies import VaultDep
from backend.organisation import service as organisation_service
from backend.peerwork import access
from backend.peerwork import service as peerwork_service
from backend.peerwork.dependencies import Onboarder, PayrollReader, Scheduler
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    AvailabilityException,
    AvailabilityRule,
    Contract,
    Debrief,
    Funding,
    PeerWorker,
    Roster,
    Shift,
    ShiftSwap,
    ShiftType,
    Timesheet,
    TimesheetStatus,
    Training,
    TrainingRecord,
)
from backend.peerwork.schemas import (
    AnswerInvitationIn,
    AssignmentIn,
    AssignmentPublic,
    AvailabilityIn,
    AvailabilityPublic,
    CalendarTokenPublic,
    ContractEndIn,
    ContractIn,
    ContractPublic,
    DebriefIn,
    DebriefPublic,
    DecisionIn,
    ExceptionSchema,
    ExclusionIn,
    ExclusionsIn,
    ExclusionsPublic,
    ExpiryPublic,
    FundingIn,
    FundingPublic,
    GrantLinePublic,
    HoursIn,
    InvitationPublic,
    InviteIn,
    MyShiftPublic,
    NoticePublic,
    PayrollIdentityIn,
    PayrollIdentityPublic,
    PersonPublic,
    RegenerateIn,
    RosterIn,
    RosterPublic,
    ShiftPublic,
    ShiftsIn,
    ShiftTypeIn,
    ShiftTypePublic,
    SupervisorIn,
    SwapIn,
    SwapPublic,
    TimesheetPublic,
    TimezoneIn,
    TimezonePublic,
    TrainingIn,
    TrainingPublic,
    TrainingRecordIn,
    TrainingRecordPublic,
    WindowSchema,
    WorkerPublic,
)

router = APIRouter(tags=["peer work"], route_class=StrictJSONRoute)
ORG = "/organisations/{organisation_id}"
SCHEDULE = Capability.PEERWORK_SCHEDULE
ONBOARD = Capability.PEERWORK_ONBOARD
TEAM = (Capability.PEERWORK_WORK, Capability.PEERWORK_PAIR)
CREATED = status.HTTP_201_CREATED


def _time_limit(settings: AppSettings, asked: float | None) -> float:
    return min(asked or settings.roster_time_limit_seconds, settings.roster_time_limit_seconds)


async def _worker_public(session: DbSession, worker: PeerWorker) -> WorkerPublic:
    names = await peerwork_service.names_of(session, {worker.account_id})
    return _worker(worker, names)


def _worker(worker: PeerWorker, names: dict[uuid.UUID, str]) -> WorkerPublic:
    return WorkerPublic(
        id=worker.id,
        organisation_id=worker.organisation_id,
        account_id=worker.account_id,
        name=peerwork_service.display_name(worker, names.get(worker.account_id, "erased member")),
        status=worker.status,
        supervisor_id=worker.supervisor_id,
        invited_at=worker.invited_at,
        answered_at=worker.answered_at,
    )


# ---------------------------------------------------------------- organisation settings


@router.put(ORG + "/peerwork-settings", response_model=TimezonePublic)
async def set_timezone(
    organisation_id: uuid.UUID, body: TimezoneIn, actor: Scheduler, session: DbSession
) -> TimezonePublic:
    """The time zone the organisation's weeks, nights and availability are in."""
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    settings = await peerwork_service.set_timezone(
        session, actor_id=actor.account.id, organisation_id=organisation_id, timezone=body.timezone
    )
    return TimezonePublic(timezone=settings.timezone)


# ---------------------------------------------------------------- onboarding


@router.post(ORG + "/peer-workers", status_code=CREATED, response_model=WorkerPublic)
async def invite_worker(
    organisation_id: uuid.UUID, body: InviteIn, actor: Onboarder, session: DbSession
) -> WorkerPublic:
    """Invite a member (by the pseudonym she gave you) to work here. She must accept."""
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD)
    worker = await peerwork_service.invite_worker(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        pseudonym=body.pseudonym,
    )
    return await _worker_public(session, worker)


@router.get(ORG + "/peer-workers", response_model=list[WorkerPublic])
async def list_workers(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[WorkerPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD, SCHEDULE)
    workers = await peerwork_service.list_workers(session, organisation_id)
    names = await peerwork_service.names_of(session, {w.account_id for w in workers})
    return [_worker(w, names) for w in workers]


@router.get("/peerwork/me/invitations", response_model=list[InvitationPublic])
async def my_invitations(actor: SelfActor, session: DbSession) -> list[InvitationPublic]:
    """Organisations that invited you to work with them, and what you answered."""
    invitations = await peerwork_service.list_my_invitations(session, actor.account.id)
    result = []
    for worker in invitations:
        organisation = await organisation_service.get_organisation(session, worker.organisation_id)
        result.append(
            InvitationPublic(
                id=worker.id,
                organisation_id=worker.organisation_id,
                organisation_name=organisation.name,
                status=worker.status,
                invited_at=worker.invited_at,
            )
        )
    return result


@router.post("/peer-work-invitations/{worker_id}/accept", response_model=WorkerPublic)
async def accept_invitation(
    worker_id: uuid.UUID, body: AnswerInvitationIn, actor: SelfActor, session: DbSession
) -> WorkerPublic:
    worker = await access.access_invitation(session, actor.account.id, worker_id)
    worker = await peerwork_service.answer_invitation(
        session, worker=worker, accept=True, shared_name=body.shared_name
    )
    return await _worker_public(session, worker)


@router.post("/peer-work-invitations/{worker_id}/decline", response_model=WorkerPublic)
async def decline_invitation(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> WorkerPublic:
    worker = await access.access_invitation(session, actor.account.id, worker_id)
    worker = await peerwork_service.answer_invitation(
        session, worker=worker, accept=False, shared_name=None
    )
    return await _worker_public(session, worker)


@router.put("/peer-workers/{worker_id}/supervisor", response_model=WorkerPublic)
async def set_supervisor(
    worker_id: uuid.UUID, body: SupervisorIn, actor: Onboarder, session: DbSession
) -> WorkerPublic:
    """Who reads her debriefs: a coordinator or professional of the organisation."""
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    worker = await peerwork_service.set_supervisor(
        session, actor_id=actor.account.id, worker=worker, supervisor_id=body.account_id
    )
    return await _worker_public(session, worker)


@router.post("/peer-workers/{worker_id}/end", response_model=WorkerPublic)
async def end_work(worker_id: uuid.UUID, actor: Onboarder, session: DbSession) -> WorkerPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    await peerwork_service.end_work(session, actor_id=actor.account.id, worker=worker)
    return await _worker_public(session, worker)


@router.post("/peer-workers/{worker_id}/payroll-identity", response_model=PayrollIdentityPublic)
async def read_payroll_identity(
    worker_id: uuid.UUID,
    body: PayrollIdentityIn,
    actor: PayrollReader,
    session: DbSession,
    vault: VaultDep,
) -> PayrollIdentityPublic:
    """Her legal name, date of birth and address for payroll, with a stated reason. Logged,
    and listed on her own identity page."""
    worker = await access.access_worker(
        session, actor.grants, worker_id, Capability.PEERWORK_PAYROLL
    )
    fields = await peerwork_service.read_payroll_identity(
        session, vault, actor_id=actor.account.id, worker=worker, reason=body.reason
    )
    return PayrollIdentityPublic(worker_id=worker.id, **fields)


@router.get(ORG + "/professionals", response_model=list[PersonPublic])
async def list_professionals(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[PersonPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    found = await peerwork_service.list_professionals(session, organisation_id)
    return [PersonPublic(account_id=a, name=n) for a, n in found]


@router.get(ORG + "/team", response_model=list[PersonPublic])
async def team(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[PersonPublic]:
    """The organisation's peer workers, by the names they share: whom to ask for a swap."""
    await access.access_organisation(session, actor.grants, organisation_id, *TEAM, SCHEDULE)
    found = await peerwork_service.team_of(session, organisation_id)
    return [PersonPublic(account_id=a, name=n) for a, n in found]


# ---------------------------------------------------------------- fundings and contracts


def _funding(f: Funding) -> FundingPublic:
    return FundingPublic.model_validate(f)


@router.post(ORG + "/fundings", status_code=CREATED, response_model=FundingPublic)
async def create_funding(
    organisation_id: uuid.UUID, body: FundingIn, actor: Onboarder, session: DbSession
) -> FundingPublic:
    """A grant or project that contracts are charged to, with its budget in minor units."""
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD)
    funding = await peerwork_service.create_funding(
        session, actor_id=actor.account.id, organisation_id=organisation_id, **body.model_dump()
    )
    return _funding(funding)


@router.get(ORG + "/fundings", response_model=list[FundingPublic])
async def list_fundings(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[FundingPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD, SCHEDULE)
    return [_funding(f) for f in await peerwork_service.list_fundings(session, organisation_id)]


def _contract(c: Contract) -> ContractPublic:
    return ContractPublic.model_validate(c)


@router.post(
    "/peer-workers/{worker_id}/contracts", status_code=CREATED, response_model=ContractPublic
)
async def create_contract(
    worker_id: uuid.UUID, body: ContractIn, actor: Onboarder, session: DbSession
) -> ContractPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    contract = await peerwork_service.create_contract(
        session, actor_id=actor.account.id, worker=worker, **body.model_dump()
    )
    return _contract(contract)


@router.get("/peer-workers/{worker_id}/contracts", response_model=list[ContractPublic])
async def list_contracts(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[ContractPublic]:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD, SCHEDULE)
    return [_contract(c) for c in await peerwork_service.contracts_of(session, worker.id)]


@router.post("/contracts/{contract_id}/end", response_model=ContractPublic)
async def end_contract(
    contract_id: uuid.UUID, body: ContractEndIn, actor: Onboarder, session: DbSession
) -> ContractPublic:
    contract = await access.access_contract(session, actor.grants, contract_id, ONBOARD)
    contract = await peerwork_service.end_contract(
        session, actor_id=actor.account.id, contract=contract, ends_on=body.ends_on
    )
    return _contract(contract)


# ---------------------------------------------------------------- trainings


@router.post(ORG + "/trainings", status_code=CREATED, response_model=TrainingPublic)
async def create_training(
    organisation_id: uuid.UUID, body: TrainingIn, actor: Onboarder, session: DbSession
) -> TrainingPublic:
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD)
    training = await peerwork_service.create_training(
        session, actor_id=actor.account.id, organisation_id=organisation_id, **body.model_dump()
    )
    return TrainingPublic.model_validate(training)


@router.get(ORG + "/trainings", response_model=list[TrainingPublic])
async def list_trainings(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[TrainingPublic]:
    await access.access_organisation(
        session, actor.grants, organisation_id, ONBOARD, SCHEDULE, *TEAM
    )
    trainings: list[Training] = await peerwork_service.list_trainings(session, organisation_id)
    return [TrainingPublic.model_validate(t) for t in trainings]


@router.post(
    "/peer-workers/{worker_id}/trainings", status_code=CREATED, response_model=TrainingRecordPublic
)
async def record_training(
    worker_id: uuid.UUID, body: TrainingRecordIn, actor: Onboarder, session: DbSession
) -> TrainingRecordPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    record = await peerwork_service.record_training(
        session, actor_id=actor.account.id, worker=worker, **body.model_dump()
    )
    return TrainingRecordPublic.model_validate(record)


@router.get("/peer-workers/{worker_id}/trainings", response_model=list[TrainingRecordPublic])
async def list_training_records(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[TrainingRecordPublic]:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD, SCHEDULE)
    records: list[TrainingRecord] = await peerwork_service.training_records(
        session, organisation_id=worker.organisation_id, worker_ids=[worker.id]
    )
    return [TrainingRecordPublic.model_validate(r) for r in records]


def _expiries(
    warnings: list[peerwork_service.ExpiryWarning], names: dict[uuid.UUID, str]
) -> list[ExpiryPublic]:
    return [
        ExpiryPublic(
            worker_id=w.worker.id,
            name=peerwork_service.display_name(w.worker, names.get(w.worker.account_id, "")),
            training_id=w.training.id,
            training=w.training.name,
            expires_on=w.expires_on,
        )
        for w in warnings
    ]


@router.get(ORG + "/training-expiries", response_model=list[ExpiryPublic])
async def training_expiries(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession, within_days: int = 30
) -> list[ExpiryPublic]:
    """Trainings running out soon, across the team (coordinators) or your own (workers)."""
    await access.access_organisation(
        session, actor.grants, organisation_id, ONBOARD, SCHEDULE, *TEAM
    )
    mine_only = not (
        actor.grants.can(ONBOARD, organisation_id) or actor.grants.can(SCHEDULE, organisation_id)
    )
    warnings = await peerwork_service.training_expiries(
        session,
        organisation_id,
        within_days=max(1, min(within_days, 365)),
        account_id=actor.account.id if mine_only else None,
    )
    names = await peerwork_service.names_of(session, {w.worker.account_id for w in warnings})
    return _expiries(warnings, names)


# ---------------------------------------------------------------- exclusions and availability


@router.put("/peer-workers/{worker_id}/exclusions", response_model=ExclusionsPublic)
async def set_exclusions(
    worker_id: uuid.UUID, body: ExclusionsIn, actor: Onboarder, session: DbSession
) -> ExclusionsPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    rows = await peerwork_service.set_exclusions(
        session, actor_id=actor.account.id, worker=worker, zones=body.zones
    )
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


@router.get("/peer-workers/{worker_id}/exclusions", response_model=ExclusionsPublic)
async def get_exclusions(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> ExclusionsPublic:
    """Coordinators of her organisation only: professionals and other workers never see them."""
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD, SCHEDULE)
    rows = await peerwork_service.exclusions_of(session, worker.id)
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


async def _own_worker(session: DbSession, actor: Actor, organisation_id: uuid.UUID) -> PeerWorker:
    await access.access_organisation(
        session, actor.grants, organisation_id, Capability.PEERWORK_WORK
    )
    worker = await access.active_worker_of(session, organisation_id, actor.account.id)
    if worker is None:
        raise NotFound()
    return worker


@router.get(ORG + "/my-exclusions", response_model=ExclusionsPublic)
async def my_exclusions(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> ExclusionsPublic:
    worker = await _own_worker(session, actor, organisation_id)
    rows = await peerwork_service.exclusions_of(session, worker.id)
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


@router.post(ORG + "/my-exclusions", response_model=ExclusionsPublic)
async def add_my_exclusion(
    organisation_id: uuid.UUID, body: ExclusionIn, actor: SelfActor, session: DbSession
) -> ExclusionsPublic:
    """Add a zone you must never be sent to. Nobody has to agree."""
    worker = await _own_worker(session, actor, organisation_id)
    rows = await peerwork_service.add_own_exclusion(session, worker=worker, zone=body.zone)
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


def _availability(
    account_id: uuid.UUID, weekly: list[AvailabilityRule], exceptions: list[AvailabilityException]
) -> AvailabilityPublic:
    return AvailabilityPublic(
        account_id=account_id,
        weekly=[
            WindowSchema(
                weekday=r.weekday,
                start_minute=r.start_minute,
                end_minute=r.end_minute,
                preferred=r.preferred,
            )
            for r in sorted(weekly, key=lambda r: (r.weekday, r.start_minute))
        ],
        exceptions=[
            ExceptionSchema(
                on=e.on, available=e.available, start_minute=e.start_minute, end_minute=e.end_minute
            )
            for e in sorted(exceptions, key=lambda e: (e.on, e.start_minute))
        ],
    )


@router.put(ORG + "/my-availability", response_model=AvailabilityPublic)
async def set_my_availability(
    organisation_id: uuid.UUID, body: AvailabilityIn, actor: SelfActor, session: DbSession
) -> AvailabilityPublic:
    """Your weekly pattern (local time, minutes after midnight) and the dates that differ."""
    await access.access_organisation(session, actor.grants, organisation_id, *TEAM)
    await peerwork_service.set_availability(
        session,
        organisation_id=organisation_id,
        account_id=actor.account.id,
        weekly=[peerwork_service.WindowIn(**w.model_dump()) for w in body.weekly],
        exceptions=[peerwork_service.ExceptionIn(**e.model_dump()) for e in body.exceptions],
    )
    weekly, exceptions = await peerwork_service.availability_rows(
        session, organisation_id, actor.account.id
    )
    return _availability(actor.account.id, weekly, exceptions)


@router.get(ORG + "/availability", response_model=list[AvailabilityPublic])
async def team_availability(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[AvailabilityPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    weekly, exceptions = await peerwork_service.availability_rows(session, organisation_id)
    people = sorted({r.account_id for r in weekly} | {e.account_id for e in exceptions}, key=str)
    return [
        _availability(
            p,
            [r for r in weekly if r.account_id == p],
            [e for e in exceptions if e.account_id == p],
        )
        for p in people
    ]


# ---------------------------------------------------------------- shift types and shifts


async def _shift_type_public(session: DbSession, types: list[ShiftType]) -> list[ShiftTypePublic]:
    required = await peerwork_service.required_trainings(session, [t.id for t in types])
    return [
        ShiftTypePublic(
            id=t.id,
            name=t.name,
            kind=t.kind,
            needs_pairing=t.needs_pairing,
            needs_debrief=t.needs_debrief,
            zone=t.zone,
            required_training_ids=sorted(required.get(t.id, set()), key=str),
            night_start_minute=t.night_start_minute,
            night_end_minute=t.night_end_minute,
            night_premium_percent=t.night_premium_percent,
        )
        for t in types
    ]


@router.post(ORG + "/shift-types", status_code=CREATED, response_model=ShiftTypePublic)
async def create_shift_type(
    organisation_id: uuid.UUID, body: ShiftTypeIn, actor: Scheduler, session: DbSession
) -> ShiftTypePublic:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    shift_type = await peerwork_service.create_shift_type(
        session, actor_id=actor.account.id, organisation_id=organisation_id, **body.model_dump()
    )
    return (await _shift_type_public(session, [shift_type]))[0]


@router.get(ORG + "/shift-types", response_model=list[ShiftTypePublic])
async def list_shift_types(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[ShiftTypePublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    return await _shift_type_public(
        session, await peerwork_service.list_shift_types(session, organisation_id)
    )


def _shift(s: Shift) -> ShiftPublic:
    return ShiftPublic.model_validate(s)


@router.post(ORG + "/shifts", status_code=CREATED, response_model=list[ShiftPublic])
async def create_shifts(
    organisation_id: uuid.UUID, body: ShiftsIn, actor: Scheduler, session: DbSession
) -> list[ShiftPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    created = await peerwork_service.create_shifts(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        shifts=[peerwork_service.ShiftIn(**s.model_dump()) for s in body.shifts],
    )
    return [_shift(s) for s in created]


@router.get(ORG + "/shifts", response_model=list[ShiftPublic])
async def list_shifts(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: Scheduler, session: DbSession
) -> list[ShiftPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    return [
        _shift(s)
        for s in await peerwork_service.list_shifts(session, organisation_id, starts_on, ends_on)
    ]


# ---------------------------------------------------------------- rosters


async def _roster_public(
    session: DbSession, roster: Roster, *, with_assignments: bool = True
) -> RosterPublic:
    assignments: list[Assignment] = (
        await peerwork_service.list_assignments(session, roster.id) if with_assignments else []
    )
    names = await peerwork_service.names_of(session, {a.account_id for a in assignments})
    return RosterPublic(
        id=roster.id,
        organisation_id=roster.organisation_id,
        starts_on=roster.starts_on,
        ends_on=roster.ends_on,
        status=roster.status,
        solver_status=roster.solver_status,
        version=roster.version,
        created_at=roster.created_at,
        published_at=roster.published_at,
        report=peerwork_service.roster_report(roster),
        assignments=[
            AssignmentPublic(
                id=a.id,
                shift_id=a.shift_id,
                account_id=a.account_id,
                name=names.get(a.account_id, "erased member"),
                role=a.role,
                partner_id=a.partner_id,
                by_hand=a.by_hand,
            )
            for a in assignments
        ],
    )


@router.post(ORG + "/rosters", status_code=CREATED, response_model=RosterPublic)
async def generate_roster(
    organisation_id: uuid.UUID,
    body: RosterIn,
    actor: Scheduler,
    session: DbSession,
    settings: AppSettings,
) -> RosterPublic:
    """Generate a draft roster for the period with the constraint solver. When not every
    place can be filled, the answer lists the uncovered shifts and the constraints that bind."""
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    roster = await peerwork_service.generate_roster(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        time_limit_seconds=_time_limit(settings, body.time_limit_seconds),
        workers=settings.roster_search_workers,
    )
    return await _roster_public(session, roster)


@router.get(ORG + "/rosters", response_model=list[RosterPublic])
async def list_rosters(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[RosterPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    rosters = await peerwork_service.list_rosters(session, organisation_id)
    return [await _roster_public(session, r, with_assignments=False) for r in rosters]


@router.get("/rosters/{roster_id}", response_model=RosterPublic)
async def get_roster(roster_id: uuid.UUID, actor: Scheduler, session: DbSession) -> RosterPublic:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE)
    return await _roster_public(session, roster)


@router.post("/rosters/{roster_id}/regenerate", response_model=RosterPublic)
async def regenerate_roster(
    roster_id: uuid.UUID,
    body: RegenerateIn,
    actor: Scheduler,
    session: DbSession,
    settings: AppSettings,
) -> RosterPublic:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE)
    roster = await peerwork_service.regenerate_roster(
        session,
        actor_id=actor.account.id,
        roster_row=roster,
        time_limit_seconds=_time_limit(settings, body.time_limit_seconds),
        workers=settings.roster_search_workers,
    )
    return await _roster_public(session, roster)


@router.delete("/rosters/{roster_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_roster(roster_id: uuid.UUID, actor: Scheduler, session: DbSession) -> None:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await peerwork_service.delete_draft(session, actor_id=actor.account.id, roster_row=roster)


@router.post("/rosters/{roster_id}/publish", response_model=RosterPublic)
async def publish_roster(
    roster_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> RosterPublic:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    roster = await peerwork_service.publish_roster(
        session, actor_id=actor.account.id, roster_row=roster
    )
    return await _roster_public(session, roster)


@router.post("/rosters/{roster_id}/assignments", status_code=CREATED, response_model=RosterPublic)
async def add_assignment(
    roster_id: uuid.UUID, body: AssignmentIn, actor: Scheduler, session: DbSession
) -> RosterPublic:
    """Put someone on a shift by hand: refused, with the reason, if it breaks a hard constraint."""
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await peerwork_service.add_assignment(
        session,
        actor_id=actor.account.id,
        roster_row=roster,
        shift_id=body.shift_id,
        account_id=body.account_id,
        role=AssignmentRole(body.role),
    )
    return await _roster_public(session, roster)


@router.delete("/rosters/{roster_id}/assignments/{assignment_id}", response_model=RosterPublic)
async def remove_assignment(
    roster_id: uuid.UUID, assignment_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> RosterPublic:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await peerwork_service.remove_assignment(
        session, actor_id=actor.account.id, roster_row=roster, assignment_id=assignment_id
    )
    return await _roster_public(session, roster)


# ---------------------------------------------------------------- the worker's side


@router.get("/peerwork/me/shifts", response_model=list[MyShiftPublic])
async def my_shifts(actor: SelfActor, session: DbSession) -> list[MyShiftPublic]:
    """Your shifts on published rosters."""
    shifts = await peerwork_service.my_shifts(session, actor.account.id)
    return [
        MyShiftPublic(
            assignment_id=m.assignment.id,
            organisation_id=m.assignment.organisation_id,
            role=m.assignment.role,
            starts_at=m.shift.starts_at,
            ends_at=m.shift.ends_at,
            shift_type=m.shift_type.name,
            zone=m.shift.zone,
            place=m.shift.place,
            partner=m.partner,
            debrief_due=m.debrief_due,
            timesheet_status=m.timesheet_status,
        )
        for m in shifts
        if actor.grants.can(Capability.PEERWORK_WORK, m.assignment.organisation_id)
        or actor.grants.can(Capability.PEERWORK_PAIR, m.assignment.organisation_id)
    ]


@router.get("/peerwork/me/notices", response_model=list[NoticePublic])
async def my_notices(actor: SelfActor, session: DbSession) -> list[NoticePublic]:
    return [
        NoticePublic.model_validate(n)
        for n in await peerwork_service.list_notices(session, actor.account.id)
    ]


@router.post("/peerwork/me/calendar", status_code=CREATED, response_model=CalendarTokenPublic)
async def new_calendar_address(
    request: Request, actor: SelfActor, session: DbSession
) -> CalendarTokenPublic:
    """A secret address for your calendar app. Making a new one retires the old one."""
    token = await peerwork_service.new_calendar_token(session, actor.account.id)
    return CalendarTokenPublic(url=str(request.url_for("calendar_feed", token=token)))


@router.delete("/peerwork/me/calendar", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_calendar_address(actor: SelfActor, session: DbSession) -> None:
    await peerwork_service.revoke_calendar_token(session, actor.account.id)


@router.get("/calendar/{token}.ics", name="calendar_feed", response_class=Response)
async def calendar_feed(token: str, session: DbSession, settings: AppSettings) -> Response:
    """The calendar behind a secret address. Titles are neutral: "Shift", nothing more."""
    body = await peerwork_service.calendar_feed(session, token, settings.community_name)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )


# ---------------------------------------------------------------- swaps


def _swap(s: ShiftSwap) -> SwapPublic:
    return SwapPublic.model_validate(s)


@router.post("/shift-swaps", status_code=CREATED, response_model=SwapPublic)
async def propose_swap(body: SwapIn, actor: SelfActor, session: DbSession) -> SwapPublic:
    """Ask a colleague to take your place. She accepts, then a coordinator approves."""
    assignment, roster = await access.access_own_assignment(
        session, actor.grants, actor.account.id, body.assignment_id
    )
    swap = await peerwork_service.propose_swap(
        session, assignment=assignment, roster_row=roster, to_account_id=body.to_account_id
    )
    return _swap(swap)


@router.get("/shift-swaps", response_model=list[SwapPublic])
async def list_swaps(actor: SelfActor, session: DbSession) -> list[SwapPublic]:
    swaps = await peerwork_service.list_swaps(
        session, account_id=actor.account.id, grants=actor.grants
    )
    return [_swap(s) for s in swaps]


@router.post("/shift-swaps/{swap_id}/accept", response_model=SwapPublic)
async def accept_swap(swap_id: uuid.UUID, actor: SelfActor, session: DbSession) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    return _swap(
        await peerwork_service.answer_swap(
            session, swap=swap, account_id=actor.account.id, accept=True
        )
    )


@router.post("/shift-swaps/{swap_id}/decline", response_model=SwapPublic)
async def decline_swap(swap_id: uuid.UUID, actor: SelfActor, session: DbSession) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    return _swap(
        await peerwork_service.answer_swap(
            session, swap=swap, account_id=actor.account.id, accept=False
        )
    )


@router.post("/shift-swaps/{swap_id}/cancel", response_model=SwapPublic)
async def cancel_swap(swap_id: uuid.UUID, actor: SelfActor, session: DbSession) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    return _swap(
        await peerwork_service.cancel_swap(session, swap=swap, account_id=actor.account.id)
    )


@router.post("/shift-swaps/{swap_id}/approve", response_model=SwapPublic)
async def approve_swap(
    swap_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    swap = await peerwork_service.decide_swap(
        session,
        swap=swap,
        actor_id=actor.account.id,
        grants=actor.grants,
        approve=True,
        reason=body.reason,
    )
    return _swap(swap)


@router.post("/shift-swaps/{swap_id}/refuse", response_model=SwapPublic)
async def refuse_swap(
    swap_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    swap = await peerwork_service.decide_swap(
        session,
        swap=swap,
        actor_id=actor.account.id,
        grants=actor.grants,
        approve=False,
        reason=body.reason,
    )
    return _swap(swap)


# ---------------------------------------------------------------- timesheets and pay


def _timesheet(t: Timesheet) -> TimesheetPublic:
    return TimesheetPublic.model_validate(t)


@router.put("/assignments/{assignment_id}/timesheet", response_model=TimesheetPublic)
async def confirm_hours(
    assignment_id: uuid.UUID, body: HoursIn, actor: SelfActor, session: DbSession
) -> TimesheetPublic:
    """Confirm when you really started and finished. You can correct it until it is approved."""
    assignment, _roster = await access.access_own_assignment(
        session, actor.grants, actor.account.id, assignment_id
    )
    sheet = await peerwork_service.confirm_hours(
        session, assignment=assignment, actual_start=body.actual_start, actual_end=body.actual_end
    )
    return _timesheet(sheet)


@router.get(ORG + "/timesheets", response_model=list[TimesheetPublic])
async def list_timesheets(
    organisation_id: uuid.UUID,
    actor: Scheduler,
    session: DbSession,
    status: TimesheetStatus | None = None,
) -> list[TimesheetPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    return [
        _timesheet(t)
        for t in await peerwork_service.list_timesheets(session, organisation_id, status)
    ]


@router.post("/timesheets/{timesheet_id}/approve", response_model=TimesheetPublic)
async def approve_timesheet(
    timesheet_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> TimesheetPublic:
    """Approve confirmed hours: the pay is computed now, from her contract, and logged."""
    sheet = await access.access_timesheet(session, actor.grants, timesheet_id, lock=True)
    sheet = await peerwork_service.decide_timesheet(
        session, actor_id=actor.account.id, sheet=sheet, approve=True, note=body.reason
    )
    return _timesheet(sheet)


@router.post("/timesheets/{timesheet_id}/reject", response_model=TimesheetPublic)
async def reject_timesheet(
    timesheet_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> TimesheetPublic:
    sheet = await access.access_timesheet(session, actor.grants, timesheet_id, lock=True)
    sheet = await peerwork_service.decide_timesheet(
        session, actor_id=actor.account.id, sheet=sheet, approve=False, note=body.reason
    )
    return _timesheet(sheet)


@router.get(ORG + "/payroll.csv", response_class=Response)
async def payroll_csv(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: SelfActor, session: DbSession
) -> Response:
    """Pay per worker and contract for the period, from approved hours only. Amounts in
    minor units (and as a decimal); no legal identity in the file."""
    await access.access_organisation(
        session, actor.grants, organisation_id, SCHEDULE, Capability.PEERWORK_PAYROLL
    )
    text = await peerwork_service.payroll_csv(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="payroll-{starts_on}-{ends_on}.csv"'
        },
    )


@router.get(ORG + "/grant-report", response_model=list[GrantLinePublic])
async def grant_report(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: Scheduler, session: DbSession
) -> list[GrantLinePublic]:
    """Hours and cost per grant (approved hours only), remaining budget, and a warning when
    what rosters still plan would overspend it."""
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    lines = await peerwork_service.grant_report(session, organisation_id, starts_on, ends_on)
    return [GrantLinePublic.model_validate(line) for line in lines]


# ---------------------------------------------------------------- debriefs


def _debrief(d: Debrief) -> DebriefPublic:
    return DebriefPublic.model_validate(d)


@router.put(
    "/assignments/{assignment_id}/debrief", status_code=CREATED, response_model=DebriefPublic
)
async def submit_debrief(
    assignment_id: uuid.UUID, body: DebriefIn, actor: SelfActor, session: DbSession
) -> DebriefPublic:
    """How the shift went for you. Only you and your supervisor read it."""
    assignment, _roster = await access.access_own_assignment(
        session, actor.grants, actor.account.id, assignment_id
    )
    debrief = await peerwork_service.submit_debrief(
        session, assignment=assignment, **body.model_dump()
    )
    return _debrief(debrief)


@router.get("/debriefs", response_model=list[DebriefPublic])
async def list_debriefs(actor: SelfActor, session: DbSession) -> list[DebriefPublic]:
    """Debriefs you wrote, and those of the peer workers you supervise."""
    return [_debrief(d) for d in await peerwork_service.debriefs_for(session, actor.account.id)]


@router.get("/debriefs/{debrief_id}", response_model=DebriefPublic)
async def get_debrief(debrief_id: uuid.UUID, actor: SelfActor, session: DbSession) -> DebriefPublic:
    return _debrief(await access.access_debrief(session, actor.account.id, debrief_id))
