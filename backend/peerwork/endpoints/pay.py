"""Timesheets, pay and grant reports, debriefs."""

import uuid
from datetime import date

from fastapi import APIRouter, Response

from backend.auth.capabilities import Capability
from backend.auth.dependencies import SelfActor
from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.peerwork import access
from backend.peerwork import debriefs as debrief_service
from backend.peerwork import pay as pay_service
from backend.peerwork import timesheets as timesheet_service
from backend.peerwork.dependencies import Scheduler
from backend.peerwork.endpoints.common import CREATED, ORG, SCHEDULE, new_router
from backend.peerwork.models import Debrief, Timesheet, TimesheetStatus
from backend.peerwork.schemas import (
    DebriefIn,
    DebriefPublic,
    DecisionIn,
    GrantLinePublic,
    HoursIn,
    TimesheetPublic,
)

router = APIRouter(tags=["peer work"], route_class=StrictJSONRoute)

router = new_router()


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
    sheet = await timesheet_service.confirm_hours(
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
        for t in await timesheet_service.list_timesheets(session, organisation_id, status)
    ]


@router.post("/timesheets/{timesheet_id}/approve", response_model=TimesheetPublic)
async def approve_timesheet(
    timesheet_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> TimesheetPublic:
    """Approve confirmed hours: the pay is computed now, from her contract, and logged."""
    sheet = await access.access_timesheet(session, actor.grants, timesheet_id, lock=True)
    sheet = await timesheet_service.decide_timesheet(
        session, actor_id=actor.account.id, sheet=sheet, approve=True, note=body.reason
    )
    return _timesheet(sheet)


@router.post("/timesheets/{timesheet_id}/reject", response_model=TimesheetPublic)
async def reject_timesheet(
    timesheet_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> TimesheetPublic:
    sheet = await access.access_timesheet(session, actor.grants, timesheet_id, lock=True)
    sheet = await timesheet_service.decide_timesheet(
        session, actor_id=actor.account.id, sheet=sheet, approve=False, note=body.reason
    )
    return _timesheet(sheet)


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


async def _payroll(
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    actor: SelfActor,
    session: DbSession,
    *,
    spreadsheet: bool,
) -> bytes:
    await access.access_organisation(
        session, actor.grants, organisation_id, SCHEDULE, Capability.PEERWORK_PAYROLL
    )
    return await pay_service.payroll_export(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        starts_on=starts_on,
        ends_on=ends_on,
        spreadsheet=spreadsheet,
    )


@router.get(ORG + "/payroll.csv", response_class=Response)
async def payroll_csv(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: SelfActor, session: DbSession
) -> Response:
    """Pay per worker and contract for the period, from approved hours only. Amounts in
    minor units (and as a decimal); no legal identity in the file."""
    body = await _payroll(organisation_id, starts_on, ends_on, actor, session, spreadsheet=False)
    return _download(body, CSV, f"payroll-{starts_on}-{ends_on}.csv")


@router.get(ORG + "/payroll.xlsx", response_class=Response)
async def payroll_xlsx(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: SelfActor, session: DbSession
) -> Response:
    """The payroll CSV's rows as a spreadsheet: dates, hours and amounts as typed cells."""
    body = await _payroll(organisation_id, starts_on, ends_on, actor, session, spreadsheet=True)
    return _download(body, XLSX, f"payroll-{starts_on}-{ends_on}.xlsx")


@router.get(ORG + "/grant-report", response_model=list[GrantLinePublic])
async def grant_report(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: Scheduler, session: DbSession
) -> list[GrantLinePublic]:
    """Hours and cost per grant (approved hours only), remaining budget, and a warning when
    what rosters still plan would overspend it."""
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    lines = await pay_service.grant_report(session, organisation_id, starts_on, ends_on)
    return [GrantLinePublic.model_validate(line) for line in lines]


@router.get(ORG + "/grant-report.csv", response_class=Response)
async def grant_report_csv(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: Scheduler, session: DbSession
) -> Response:
    """The grant report's lines as CSV, amounts in minor units."""
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    body = await pay_service.grant_report_export(
        session, organisation_id, starts_on, ends_on, spreadsheet=False
    )
    return _download(body, CSV, f"grant-report-{starts_on}-{ends_on}.csv")


@router.get(ORG + "/grant-report.xlsx", response_class=Response)
async def grant_report_xlsx(
    organisation_id: uuid.UUID, starts_on: date, ends_on: date, actor: Scheduler, session: DbSession
) -> Response:
    """The grant report's lines as a spreadsheet: dates, hours and amounts as typed cells."""
    await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
    body = await pay_service.grant_report_export(
        session, organisation_id, starts_on, ends_on, spreadsheet=True
    )
    return _download(body, XLSX, f"grant-report-{starts_on}-{ends_on}.xlsx")


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
    debrief = await debrief_service.submit_debrief(
        session, assignment=assignment, **body.model_dump()
    )
    return _debrief(debrief)


@router.get("/debriefs", response_model=list[DebriefPublic])
async def list_debriefs(actor: SelfActor, session: DbSession) -> list[DebriefPublic]:
    """Debriefs you wrote, and those of the peer workers you supervise."""
    return [_debrief(d) for d in await debrief_service.debriefs_for(session, actor.account.id)]


@router.get("/debriefs/{debrief_id}", response_model=DebriefPublic)
async def get_debrief(debrief_id: uuid.UUID, actor: SelfActor, session: DbSession) -> DebriefPublic:
    return _debrief(await access.access_debrief(session, actor.account.id, debrief_id))
