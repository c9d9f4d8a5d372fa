"""The worker's side: her shifts, notices, calendar address, swaps."""

import uuid

from fastapi import APIRouter, Request, Response, status

from backend.auth.dependencies import SelfActor
from backend.core.dependencies import AppSettings, DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.peerwork import access, my_work, views
from backend.peerwork import notices as notice_service
from backend.peerwork import swaps as swap_service
from backend.peerwork.dependencies import Scheduler
from backend.peerwork.endpoints.common import CREATED, new_router
from backend.peerwork.models import ShiftSwap
from backend.peerwork.schemas import (
    CalendarTokenPublic,
    DecisionIn,
    MyShiftPublic,
    NoticePublic,
    SwapIn,
    SwapPublic,
)

router = APIRouter(tags=["peer work"], route_class=StrictJSONRoute)

router = new_router()


# ---------------------------------------------------------------- the worker's side


@router.get("/peerwork/me/shifts", response_model=list[MyShiftPublic])
async def my_shifts(actor: SelfActor, session: DbSession) -> list[MyShiftPublic]:
    """Your shifts on published rosters."""
    shifts = await views.visible_shifts(session, actor.account.id, actor.grants)
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
    ]


@router.get("/peerwork/me/notices", response_model=list[NoticePublic])
async def my_notices(actor: SelfActor, session: DbSession) -> list[NoticePublic]:
    return [
        NoticePublic.model_validate(n)
        for n in await notice_service.list_notices(session, actor.account.id)
    ]


@router.post("/peerwork/me/calendar", status_code=CREATED, response_model=CalendarTokenPublic)
async def new_calendar_address(
    request: Request, actor: SelfActor, session: DbSession
) -> CalendarTokenPublic:
    """A secret address for your calendar app. Making a new one retires the old one."""
    token = await my_work.new_calendar_token(session, actor.account.id)
    return CalendarTokenPublic(url=str(request.url_for("calendar_feed", token=token)))


@router.delete("/peerwork/me/calendar", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_calendar_address(actor: SelfActor, session: DbSession) -> None:
    await my_work.revoke_calendar_token(session, actor.account.id)


@router.get("/calendar/{token}.ics", name="calendar_feed", response_class=Response)
async def calendar_feed(token: str, session: DbSession, settings: AppSettings) -> Response:
    """The calendar behind a secret address. Titles are neutral: "Shift", nothing more."""
    body = await my_work.calendar_feed(session, token, settings.community_name)
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
    swap = await swap_service.propose_swap(
        session, assignment=assignment, roster_row=roster, to_account_id=body.to_account_id
    )
    return _swap(swap)


@router.get("/shift-swaps", response_model=list[SwapPublic])
async def list_swaps(actor: SelfActor, session: DbSession) -> list[SwapPublic]:
    swaps = await swap_service.list_swaps(session, account_id=actor.account.id, grants=actor.grants)
    return [_swap(s) for s in swaps]


@router.post("/shift-swaps/{swap_id}/accept", response_model=SwapPublic)
async def accept_swap(swap_id: uuid.UUID, actor: SelfActor, session: DbSession) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    return _swap(
        await swap_service.answer_swap(session, swap=swap, account_id=actor.account.id, accept=True)
    )


@router.post("/shift-swaps/{swap_id}/decline", response_model=SwapPublic)
async def decline_swap(swap_id: uuid.UUID, actor: SelfActor, session: DbSession) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    return _swap(
        await swap_service.answer_swap(
            session, swap=swap, account_id=actor.account.id, accept=False
        )
    )


@router.post("/shift-swaps/{swap_id}/cancel", response_model=SwapPublic)
async def cancel_swap(swap_id: uuid.UUID, actor: SelfActor, session: DbSession) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    return _swap(await swap_service.cancel_swap(session, swap=swap, account_id=actor.account.id))


@router.post("/shift-swaps/{swap_id}/approve", response_model=SwapPublic)
async def approve_swap(
    swap_id: uuid.UUID, body: DecisionIn, actor: Scheduler, session: DbSession
) -> SwapPublic:
    swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
    swap = await swap_service.decide_swap(
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
    swap = await swap_service.decide_swap(
        session,
        swap=swap,
        actor_id=actor.account.id,
        grants=actor.grants,
        approve=False,
        reason=body.reason,
    )
    return _swap(swap)
