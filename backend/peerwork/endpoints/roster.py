"""Shift types, shifts and rosters."""

import uuid
from datetime import date

from fastapi import APIRouter, status

from backend.core.dependencies import AppSettings, DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.peerwork import access, views
from backend.peerwork import shifts as shift_service
from backend.peerwork.dependencies import DatabaseDep, Scheduler
from backend.peerwork.endpoints.common import CREATED, ORG, SCHEDULE, new_router
from backend.peerwork.models import Assignment, AssignmentRole, Roster, Shift, ShiftType
from backend.peerwork.roster import service as roster_service
from backend.peerwork.schemas import (
    AssignmentIn,
    AssignmentPublic,
    RegenerateIn,
    RosterIn,
    RosterPublic,
    ShiftPublic,
    ShiftsIn,
    ShiftTypeIn,
    ShiftTypePublic,
)

router = APIRouter(tags=["peer work"], route_class=StrictJSONRoute)

router = new_router()


def _time_limit(settings: AppSettings, asked: float | None) -> float:
    return min(asked or settings.roster_time_limit_seconds, settings.roster_time_limit_seconds)


# ---------------------------------------------------------------- shift types and shifts


async def _shift_type_public(session: DbSession, types: list[ShiftType]) -> list[ShiftTypePublic]:
    required = await shift_service.required_trainings(session, [t.id for t in types])
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
    shift_type = await shift_service.create_shift_type(
        session, actor_id=actor.account.id, organisation_id=organisation_id, **body.model_dump()
    )
    return (await _shift_type_public(session, [shift_type]))[0]


@router.get(ORG + "/shift-types", response_model=list[ShiftTypePublic])
async def list_shift_types(
    organisation_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> list[ShiftTypePublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    return await _shift_type_public(
        session, await shift_service.list_shift_types(session, organisation_id)
    )


def _shift(s: Shift) -> ShiftPublic:
    return ShiftPublic.model_validate(s)


@router.post(ORG + "/shifts", status_code=CREATED, response_model=list[ShiftPublic])
async def create_shifts(
    organisation_id: uuid.UUID, body: ShiftsIn, actor: Scheduler, session: DbSession
) -> list[ShiftPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    created = await shift_service.create_shifts(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        shifts=[shift_service.ShiftIn(**s.model_dump()) for s in body.shifts],
    )
    return [_shift(s) for s in created]


@router.get(ORG + "/shifts", response_model=list[ShiftPublic])
async def list_shifts(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: Scheduler, session: DbSession
) -> list[ShiftPublic]:
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    return [
        _shift(s)
        for s in await shift_service.list_shifts(session, organisation_id, starts_on, ends_on)
    ]


# ---------------------------------------------------------------- rosters


async def _roster_public(
    session: DbSession, roster: Roster, *, with_assignments: bool = True
) -> RosterPublic:
    assignments: list[Assignment] = (
        await roster_service.list_assignments(session, roster.id) if with_assignments else []
    )
    names = await views.names_of(session, {a.account_id for a in assignments})
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
        report=views.roster_report(roster),
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
    database: DatabaseDep,
    settings: AppSettings,
) -> RosterPublic:
    """Generate a draft roster for the period with the constraint solver. When not every
    place can be filled, the answer lists the uncovered shifts and the constraints that bind."""
    roster = await roster_service.generate_roster(
        database,
        grants=actor.grants,
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
    rosters = await roster_service.list_rosters(session, organisation_id)
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
    database: DatabaseDep,
    settings: AppSettings,
) -> RosterPublic:
    roster = await roster_service.regenerate_roster(
        database,
        grants=actor.grants,
        actor_id=actor.account.id,
        roster_id=roster_id,
        time_limit_seconds=_time_limit(settings, body.time_limit_seconds),
        workers=settings.roster_search_workers,
    )
    return await _roster_public(session, roster)


@router.delete("/rosters/{roster_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_roster(roster_id: uuid.UUID, actor: Scheduler, session: DbSession) -> None:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await roster_service.delete_draft(session, actor_id=actor.account.id, roster_row=roster)


@router.post("/rosters/{roster_id}/publish", response_model=RosterPublic)
async def publish_roster(
    roster_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> RosterPublic:
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    roster = await roster_service.publish_roster(
        session, actor_id=actor.account.id, roster_row=roster
    )
    return await _roster_public(session, roster)


@router.post("/rosters/{roster_id}/assignments", status_code=CREATED, response_model=RosterPublic)
async def add_assignment(
    roster_id: uuid.UUID, body: AssignmentIn, actor: Scheduler, session: DbSession
) -> RosterPublic:
    """Put someone on a shift by hand: refused, with the reason, if it breaks a hard constraint."""
    roster = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await roster_service.add_assignment(
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
    await roster_service.remove_assignment(
        session, actor_id=actor.account.id, roster_row=roster, assignment_id=assignment_id
    )
    return await _roster_public(session, roster)
