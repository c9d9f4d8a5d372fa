"""The organisation's settings, onboarding, fundings and contracts, trainings."""

import uuid

from fastapi import APIRouter

from backend.auth.capabilities import Capability
from backend.auth.dependencies import SelfActor
from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.identity.dependencies import VaultDep
from backend.organisation import service as organisation_service
from backend.peerwork import access, views, work_settings
from backend.peerwork import contracts as contract_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import trainings as training_service
from backend.peerwork.dependencies import Onboarder, PayrollReader, Scheduler
from backend.peerwork.endpoints.common import CREATED, ONBOARD, ORG, SCHEDULE, TEAM, new_router
from backend.peerwork.models import Contract, Funding, PeerWorker, Training, TrainingRecord
from backend.peerwork.schemas import (
    AnswerInvitationIn,
    ContractEndIn,
    ContractIn,
    ContractPublic,
    ExpiryPublic,
    FundingIn,
    FundingPublic,
    InvitationPublic,
    InviteIn,
    PayrollIdentityIn,
    PayrollIdentityPublic,
    PersonPublic,
    SupervisorIn,
    TimezoneIn,
    TimezonePublic,
    TrainingIn,
    TrainingPublic,
    TrainingRecordIn,
    TrainingRecordPublic,
    WorkerPublic,
)

router = APIRouter(tags=["peer work"], route_class=StrictJSONRoute)

router = new_router()


async def _worker_public(session: DbSession, worker: PeerWorker) -> WorkerPublic:
    names = await views.names_of(session, {worker.account_id})
    return _worker(worker, names)


def _worker(worker: PeerWorker, names: dict[uuid.UUID, str]) -> WorkerPublic:
    return WorkerPublic(
        id=worker.id,
        organisation_id=worker.organisation_id,
        account_id=worker.account_id,
        name=views.display_name(worker, names.get(worker.account_id, "erased member")),
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
    settings = await work_settings.set_timezone(
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
    worker = await onboarding_service.invite_worker(
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
    workers = await onboarding_service.list_workers(session, organisation_id)
    names = await views.names_of(session, {w.account_id for w in workers})
    return [_worker(w, names) for w in workers]


@router.get("/peerwork/me/invitations", response_model=list[InvitationPublic])
async def my_invitations(actor: SelfActor, session: DbSession) -> list[InvitationPublic]:
    """Organisations that invited you to work with them, and what you answered."""
    invitations = await onboarding_service.list_my_invitations(session, actor.account.id)
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
    worker = await onboarding_service.answer_invitation(
        session, worker=worker, accept=True, shared_name=body.shared_name
    )
    return await _worker_public(session, worker)


@router.post("/peer-work-invitations/{worker_id}/decline", response_model=WorkerPublic)
async def decline_invitation(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> WorkerPublic:
    worker = await access.access_invitation(session, actor.account.id, worker_id)
    worker = await onboarding_service.answer_invitation(
        session, worker=worker, accept=False, shared_name=None
    )
    return await _worker_public(session, worker)


@router.put("/peer-workers/{worker_id}/supervisor", response_model=WorkerPublic)
async def set_supervisor(
    worker_id: uuid.UUID, body: SupervisorIn, actor: Onboarder, session: DbSession
) -> WorkerPublic:
    """Who reads her debriefs: a coordinator or professional of the organisation."""
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    worker = await onboarding_service.set_supervisor(
        session, actor_id=actor.account.id, worker=worker, supervisor_id=body.account_id
    )
    return await _worker_public(session, worker)


@router.post("/peer-workers/{worker_id}/end", response_model=WorkerPublic)
async def end_work(worker_id: uuid.UUID, actor: Onboarder, session: DbSession) -> WorkerPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    await onboarding_service.end_work(session, actor_id=actor.account.id, worker=worker)
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
    fields = await onboarding_service.read_payroll_identity(
        session, vault, actor_id=actor.account.id, worker=worker, reason=body.reason
    )
    return PayrollIdentityPublic(worker_id=worker.id, **fields)


@router.get(ORG + "/professionals", response_model=list[PersonPublic])
async def list_professionals(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[PersonPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    found = await views.list_professionals(session, organisation_id)
    return [PersonPublic(account_id=a, name=n) for a, n in found]


@router.get(ORG + "/team", response_model=list[PersonPublic])
async def team(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[PersonPublic]:
    """The organisation's peer workers, by the names they share: whom to ask for a swap."""
    await access.access_organisation(session, actor.grants, organisation_id, *TEAM, SCHEDULE)
    found = await views.team_of(session, organisation_id)
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
    funding = await contract_service.create_funding(
        session, actor_id=actor.account.id, organisation_id=organisation_id, **body.model_dump()
    )
    return _funding(funding)


@router.get(ORG + "/fundings", response_model=list[FundingPublic])
async def list_fundings(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[FundingPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD, SCHEDULE)
    return [_funding(f) for f in await contract_service.list_fundings(session, organisation_id)]


def _contract(c: Contract) -> ContractPublic:
    return ContractPublic.model_validate(c)


@router.post(
    "/peer-workers/{worker_id}/contracts", status_code=CREATED, response_model=ContractPublic
)
async def create_contract(
    worker_id: uuid.UUID, body: ContractIn, actor: Onboarder, session: DbSession
) -> ContractPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    contract = await contract_service.create_contract(
        session, actor_id=actor.account.id, worker=worker, **body.model_dump()
    )
    return _contract(contract)


@router.get("/peer-workers/{worker_id}/contracts", response_model=list[ContractPublic])
async def list_contracts(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[ContractPublic]:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD, SCHEDULE)
    return [_contract(c) for c in await contract_service.contracts_of(session, worker.id)]


@router.post("/contracts/{contract_id}/end", response_model=ContractPublic)
async def end_contract(
    contract_id: uuid.UUID, body: ContractEndIn, actor: Onboarder, session: DbSession
) -> ContractPublic:
    contract = await access.access_contract(session, actor.grants, contract_id, ONBOARD)
    contract = await contract_service.end_contract(
        session, actor_id=actor.account.id, contract=contract, ends_on=body.ends_on
    )
    return _contract(contract)


# ---------------------------------------------------------------- trainings


@router.post(ORG + "/trainings", status_code=CREATED, response_model=TrainingPublic)
async def create_training(
    organisation_id: uuid.UUID, body: TrainingIn, actor: Onboarder, session: DbSession
) -> TrainingPublic:
    await access.access_organisation(session, actor.grants, organisation_id, ONBOARD)
    training = await training_service.create_training(
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
    trainings: list[Training] = await training_service.list_trainings(session, organisation_id)
    return [TrainingPublic.model_validate(t) for t in trainings]


@router.post(
    "/peer-workers/{worker_id}/trainings", status_code=CREATED, response_model=TrainingRecordPublic
)
async def record_training(
    worker_id: uuid.UUID, body: TrainingRecordIn, actor: Onboarder, session: DbSession
) -> TrainingRecordPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    record = await training_service.record_training(
        session, actor_id=actor.account.id, worker=worker, **body.model_dump()
    )
    return TrainingRecordPublic.model_validate(record)


@router.get("/peer-workers/{worker_id}/trainings", response_model=list[TrainingRecordPublic])
async def list_training_records(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[TrainingRecordPublic]:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD, SCHEDULE)
    records: list[TrainingRecord] = await training_service.training_records(
        session, organisation_id=worker.organisation_id, worker_ids=[worker.id]
    )
    return [TrainingRecordPublic.model_validate(r) for r in records]


def _expiries(
    warnings: list[training_service.ExpiryWarning], names: dict[uuid.UUID, str]
) -> list[ExpiryPublic]:
    return [
        ExpiryPublic(
            worker_id=w.worker.id,
            name=views.display_name(w.worker, names.get(w.worker.account_id, "")),
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
    warnings = await training_service.training_expiries(
        session,
        organisation_id,
        within_days=max(1, min(within_days, 365)),
        account_id=actor.account.id if mine_only else None,
    )
    names = await views.names_of(session, {w.worker.account_id for w in warnings})
    return _expiries(warnings, names)
