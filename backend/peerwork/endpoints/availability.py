"""Safety exclusions and availability."""

import uuid

from fastapi import APIRouter

from backend.auth.dependencies import SelfActor
from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.peerwork import access
from backend.peerwork import availability as availability_service
from backend.peerwork.dependencies import Onboarder, Scheduler
from backend.peerwork.endpoints.common import ONBOARD, ORG, SCHEDULE, TEAM, new_router
from backend.peerwork.models import AvailabilityException, AvailabilityRule
from backend.peerwork.schemas import (
    AvailabilityIn,
    AvailabilityPublic,
    ExceptionSchema,
    ExclusionIn,
    ExclusionsIn,
    ExclusionsPublic,
    WindowSchema,
)

router = APIRouter(tags=["peer work"], route_class=StrictJSONRoute)

router = new_router()


@router.put("/peer-workers/{worker_id}/exclusions", response_model=ExclusionsPublic)
async def set_exclusions(
    worker_id: uuid.UUID, body: ExclusionsIn, actor: Onboarder, session: DbSession
) -> ExclusionsPublic:
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD)
    rows = await availability_service.set_exclusions(
        session, actor_id=actor.account.id, worker=worker, zones=body.zones
    )
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


@router.get("/peer-workers/{worker_id}/exclusions", response_model=ExclusionsPublic)
async def get_exclusions(
    worker_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> ExclusionsPublic:
    """Coordinators of her organisation only: professionals and other workers never see them."""
    worker = await access.access_worker(session, actor.grants, worker_id, ONBOARD, SCHEDULE)
    rows = await availability_service.exclusions_of(session, worker.id)
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


@router.get(ORG + "/my-exclusions", response_model=ExclusionsPublic)
async def my_exclusions(
    organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> ExclusionsPublic:
    worker = await access.access_own_worker(
        session, actor.grants, actor.account.id, organisation_id
    )
    rows = await availability_service.exclusions_of(session, worker.id)
    return ExclusionsPublic(worker_id=worker.id, zones=[r.zone for r in rows])


@router.post(ORG + "/my-exclusions", response_model=ExclusionsPublic)
async def add_my_exclusion(
    organisation_id: uuid.UUID, body: ExclusionIn, actor: SelfActor, session: DbSession
) -> ExclusionsPublic:
    """Add a zone you must never be sent to. Nobody has to agree."""
    worker = await access.access_own_worker(
        session, actor.grants, actor.account.id, organisation_id
    )
    rows = await availability_service.add_own_exclusion(session, worker=worker, zone=body.zone)
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
    await availability_service.set_availability(
        session,
        organisation_id=organisation_id,
        account_id=actor.account.id,
        weekly=[availability_service.WindowIn(**w.model_dump()) for w in body.weekly],
        exceptions=[availability_service.ExceptionIn(**e.model_dump()) for e in body.exceptions],
    )
    weekly, exceptions = await availability_service.availability_rows(
        session, organisation_id, actor.account.id
    )
    return _availability(actor.account.id, weekly, exceptions)


@router.get(ORG + "/availability", response_model=list[AvailabilityPublic])
async def team_availability(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[AvailabilityPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    weekly, exceptions = await availability_service.availability_rows(session, organisation_id)
    people = sorted({r.account_id for r in weekly} | {e.account_id for e in exceptions}, key=str)
    return [
        _availability(
            p,
            [r for r in weekly if r.account_id == p],
            [e for e in exceptions if e.account_id == p],
        )
        for p in people
    ]
