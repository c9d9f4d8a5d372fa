"""Paid peer work as pages: a worker's week, and a coordinator's roster and timesheets."""

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, SelfActor
from backend.core.dependencies import AppSettings, DbSession
from backend.core.errors import InvalidInput, TandemError
from backend.core.time import utc_now
from backend.organisation import service as organisation_service
from backend.peerwork import access, my_work
from backend.peerwork import availability as availability_service
from backend.peerwork import debriefs as debrief_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import pay as pay_service
from backend.peerwork import shifts as shift_service
from backend.peerwork import swaps as swap_service
from backend.peerwork import timesheets as timesheet_service
from backend.peerwork import views as peerwork_views
from backend.peerwork.dependencies import DatabaseDep, Onboarder, Scheduler
from backend.peerwork.models import AssignmentRole, Roster, ShiftKind, TimesheetStatus
from backend.peerwork.roster import service as roster_service
from backend.peerwork.schemas import (
    AnswerInvitationIn,
    AssignmentIn,
    DebriefIn,
    HoursIn,
    InviteIn,
    RosterIn,
    ShiftIn,
    ShiftTypeIn,
    SwapIn,
    WindowSchema,
)
from backend.web.dependencies import FormData
from backend.web.forms import submit, validated
from backend.web.i18n import zone
from backend.web.render import N_, page, see_other

router = APIRouter(include_in_schema=False)
SCHEDULE = Capability.PEERWORK_SCHEDULE
ONBOARD = Capability.PEERWORK_ONBOARD
TEAM = (Capability.PEERWORK_WORK, Capability.PEERWORK_PAIR)

# Why a shift stays short or a hand edit is refused, in plain words (the solver's codes).
REASONS = {
    "no_contract": N_("no contract in force"),
    "outside_contract": N_("outside her contract's dates"),
    "training_missing": N_("a required training is missing"),
    "training_expired": N_("a required training has expired"),
    "unavailable": N_("not available then"),
    "zone_excluded": N_("this zone is excluded for her safety"),
    "rest": N_("too little rest between shifts"),
    "weekly_cap": N_("over her weekly hours"),
    "no_professional": N_("no professional to pair with"),
    "shift_full": N_("the shift is full"),
    "already_on_shift": N_("already on this shift"),
    "not_in_team": N_("not in this team"),
    "time_limit": N_("the search stopped before trying her"),
    "no_candidates": N_("nobody in the team could take it"),
}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local(day: str, clock: str, zone_name: str, field: str = "day") -> datetime:
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone(zone_name)
        )
    except ValueError as exc:
        raise InvalidInput(
            "Some fields need attention.", fields={field: "Give a date and times."}
        ) from exc


def _minutes(clock: str) -> int:
    parsed = time.fromisoformat(clock)
    return parsed.hour * 60 + parsed.minute


def _organisations_where(actor: Actor, *capabilities: Capability) -> list[uuid.UUID]:
    return [
        org
        for org, caps in actor.grants.organisation_capabilities.items()
        if any(c in caps for c in capabilities)
    ]


# ---------------------------------------------------------------- the worker


async def _work_page(
    request: Request, actor: Actor, session: DbSession, week: date | None, **extra: Any
) -> Response:
    tz = zone(actor.account.time_zone)
    monday = _monday(week or utc_now().astimezone(tz).date())
    shifts = await peerwork_views.visible_shifts(session, actor.account.id, actor.grants)
    days: dict[date, list[peerwork_views.MyShift]] = {
        monday + timedelta(days=i): [] for i in range(7)
    }
    for m in shifts:
        day = m.shift.starts_at.astimezone(tz).date()
        if day in days:
            days[day].append(m)
    organisations = []
    for org_id in _organisations_where(actor, *TEAM):
        organisation = await organisation_service.get_organisation(session, org_id)
        weekly, _exceptions = await availability_service.availability_rows(
            session, org_id, actor.account.id
        )
        team = [
            (a, n)
            for a, n in await peerwork_views.team_of(session, org_id)
            if a != actor.account.id
        ]
        organisations.append((organisation, {w.weekday: w for w in weekly}, team))
    invitations = []
    for worker in await onboarding_service.list_my_invitations(session, actor.account.id):
        if worker.status == "invited":
            invitations.append(
                (
                    worker,
                    await organisation_service.get_organisation(session, worker.organisation_id),
                )
            )
    swaps = await swap_service.list_swaps(session, account_id=actor.account.id, grants=actor.grants)
    names = await peerwork_views.names_of(
        session, {s.from_account_id for s in swaps} | {s.to_account_id for s in swaps}
    )
    return page(
        request,
        "work.html",
        actor=actor,
        title=N_("My work"),
        monday=monday,
        days=days,
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        organisations=organisations,
        invitations=invitations,
        swaps=swaps,
        names=names,
        minutes=sum(
            int((m.shift.ends_at - m.shift.starts_at).total_seconds() // 60)
            for d in days.values()
            for m in d
        ),
        **extra,
    )


@router.get("/work", response_class=HTMLResponse)
async def work(
    request: Request, actor: SelfActor, session: DbSession, week: date | None = None
) -> Response:
    return await _work_page(request, actor, session, week)


async def _work_page_again(
    request: Request, actor: Actor, session: DbSession, form: FormData, **shown: Any
) -> Response:
    week = form.get("week")
    return await _work_page(
        request, actor, session, date.fromisoformat(week) if week else None, **shown
    )


@router.post("/work/assignments/{assignment_id}/hours")
async def confirm_hours(
    request: Request,
    assignment_id: uuid.UUID,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    tz = actor.account.time_zone

    async def confirm() -> Response:
        assignment, _roster = await access.access_own_assignment(
            session, actor.grants, actor.account.id, assignment_id
        )
        start = _local(form.get("day"), form.get("start"), tz, "hours")
        end = _local(form.get("day"), form.get("end"), tz, "hours")
        if end <= start:
            end += timedelta(days=1)
        body = validated(HoursIn, actual_start=start, actual_end=end)
        await timesheet_service.confirm_hours(
            session,
            assignment=assignment,
            actual_start=body.actual_start,
            actual_end=body.actual_end,
        )
        return see_other(f"/work?week={form.get('week')}&saved=1")

    return await submit(session, confirm, partial(_work_page_again, request, actor, session, form))


@router.post("/work/assignments/{assignment_id}/debrief")
async def debrief(
    request: Request,
    assignment_id: uuid.UUID,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    async def tell() -> Response:
        assignment, _roster = await access.access_own_assignment(
            session, actor.grants, actor.account.id, assignment_id
        )
        body = validated(
            DebriefIn,
            wellbeing=form.get("wellbeing") or None,
            incident=form.get("incident") == "yes",
            incident_note=form.text("incident_note") or None,
            wants_to_talk=form.get("wants_to_talk") == "yes",
        )
        await debrief_service.submit_debrief(session, assignment=assignment, **body.model_dump())
        return see_other(f"/work?week={form.get('week')}&saved=1")

    return await submit(session, tell, partial(_work_page_again, request, actor, session, form))


@router.post("/work/invitations/{worker_id}/{answer}")
async def answer_invitation(
    request: Request,
    worker_id: uuid.UUID,
    answer: str,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    """She accepts (with the name she wants the organisation to see) or declines."""

    async def answer_it() -> Response:
        worker = await access.access_invitation(session, actor.account.id, worker_id)
        shared = None
        if answer == "accept":
            shared = validated(AnswerInvitationIn, shared_name=form.text("shared_name") or None)
        elif answer != "decline":
            raise InvalidInput("Unknown answer.")
        await onboarding_service.answer_invitation(
            session,
            worker=worker,
            accept=answer == "accept",
            shared_name=shared.shared_name if shared else None,
        )
        return see_other("/work?saved=1")

    return await submit(
        session, answer_it, partial(_work_page_again, request, actor, session, form)
    )


@router.post("/work/swaps")
async def propose_swap(
    request: Request, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    async def propose() -> Response:
        body = validated(
            SwapIn, assignment_id=form.get("assignment_id"), to_account_id=form.get("to")
        )
        assignment, roster = await access.access_own_assignment(
            session, actor.grants, actor.account.id, body.assignment_id
        )
        await swap_service.propose_swap(
            session, assignment=assignment, roster_row=roster, to_account_id=body.to_account_id
        )
        return see_other(f"/work?week={form.get('week')}&saved=1")

    return await submit(session, propose, partial(_work_page_again, request, actor, session, form))


@router.post("/work/swaps/{swap_id}/{answer}")
async def answer_swap(
    request: Request,
    swap_id: uuid.UUID,
    answer: str,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    async def answer_it() -> Response:
        swap = await access.access_swap(session, actor.grants, actor.account.id, swap_id)
        if answer in ("accept", "decline"):
            await swap_service.answer_swap(
                session, swap=swap, account_id=actor.account.id, accept=answer == "accept"
            )
        elif answer == "cancel":
            await swap_service.cancel_swap(session, swap=swap, account_id=actor.account.id)
        elif answer in ("approve", "refuse") and actor.can(SCHEDULE):
            await swap_service.decide_swap(
                session,
                swap=swap,
                actor_id=actor.account.id,
                grants=actor.grants,
                approve=answer == "approve",
                reason=form.text("reason") or None,
            )
        else:
            raise InvalidInput("Unknown answer.")
        return see_other(safe_back(form.get("back")))

    return await submit(
        session, answer_it, partial(_work_page_again, request, actor, session, form)
    )


def safe_back(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/work"


@router.post("/work/organisations/{organisation_id}/availability")
async def set_availability(
    request: Request,
    organisation_id: uuid.UUID,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    async def save() -> Response:
        await access.access_organisation(session, actor.grants, organisation_id, *TEAM)
        windows = []
        for weekday in range(7):
            if form.get(f"day-{weekday}") != "yes":
                continue
            try:
                start = _minutes(form.get(f"from-{weekday}"))
                end = _minutes(form.get(f"to-{weekday}"))
            except ValueError as exc:
                raise InvalidInput(
                    "Give a start and an end time.", fields={f"day-{weekday}": "Invalid time."}
                ) from exc
            if end <= start:
                end += 24 * 60
            windows.append(
                validated(WindowSchema, weekday=weekday, start_minute=start, end_minute=end)
            )
        _weekly, exceptions = await availability_service.availability_rows(
            session, organisation_id, actor.account.id
        )
        await availability_service.set_availability(
            session,
            organisation_id=organisation_id,
            account_id=actor.account.id,
            weekly=[availability_service.WindowIn(**w.model_dump()) for w in windows],
            exceptions=[
                availability_service.ExceptionIn(
                    on=e.on,
                    available=e.available,
                    start_minute=e.start_minute,
                    end_minute=e.end_minute,
                )
                for e in exceptions
            ],
        )
        return see_other("/work?saved=1#availability")

    return await submit(session, save, partial(_work_page_again, request, actor, session, form))


@router.post("/work/calendar", response_class=HTMLResponse)
async def calendar(
    request: Request, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    """A new secret address for her calendar app; shown once, the old one stops working."""
    token = await my_work.new_calendar_token(session, actor.account.id)
    return await _work_page(
        request,
        actor,
        session,
        None,
        calendar_url=str(request.url_for("calendar_feed", token=token)),
    )


# ---------------------------------------------------------------- the coordinator


@router.get("/coordination", response_class=HTMLResponse)
async def coordination(request: Request, actor: SelfActor, session: DbSession) -> Response:
    organisations = [
        await organisation_service.get_organisation(session, org)
        for org in _organisations_where(actor, SCHEDULE, ONBOARD)
    ]
    if len(organisations) == 1:
        return see_other(f"/coordination/{organisations[0].id}")
    return page(
        request,
        "coordination.html",
        actor=actor,
        title=N_("Coordination"),
        organisations=organisations,
    )


async def _organisation_page(
    request: Request,
    actor: Actor,
    session: DbSession,
    organisation_id: uuid.UUID,
    **extra: Any,
) -> Response:
    organisation = await access.access_organisation(
        session, actor.grants, organisation_id, SCHEDULE, ONBOARD
    )
    schedules = actor.grants.can(SCHEDULE, organisation_id)
    workers = await onboarding_service.list_workers(session, organisation_id)
    names = await peerwork_views.names_of(session, {w.account_id for w in workers})
    today = utc_now().date()
    context: dict[str, Any] = {
        "organisation": organisation,
        "schedules": schedules,
        "onboards": actor.grants.can(ONBOARD, organisation_id),
        "workers": workers,
        "names": names,
        "kinds": list(ShiftKind),
        "today": today,
        "month_start": today.replace(day=1),
    }
    if schedules:
        shift_types = await shift_service.list_shift_types(session, organisation_id)
        timesheets = await timesheet_service.list_timesheets(
            session, organisation_id, TimesheetStatus.CONFIRMED
        )
        context.update(
            shift_types=shift_types,
            rosters=await roster_service.list_rosters(session, organisation_id),
            timesheets=timesheets,
            sheet_names=await peerwork_views.names_of(session, {t.account_id for t in timesheets}),
            shifts=await shift_service.list_shifts(
                session, organisation_id, today, today + timedelta(days=35)
            ),
            type_names={t.id: t.name for t in shift_types},
            swaps=[
                s
                for s in await swap_service.list_swaps(
                    session, account_id=actor.account.id, grants=actor.grants
                )
                if s.organisation_id == organisation_id and s.status == "accepted"
            ],
        )
    context.update(extra)
    return page(request, "organisation.html", actor=actor, title=N_("Coordination"), **context)


@router.get("/coordination/{organisation_id}", response_class=HTMLResponse)
async def organisation(
    request: Request, organisation_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> Response:
    return await _organisation_page(request, actor, session, organisation_id)


@router.post("/coordination/{organisation_id}/workers")
async def invite_worker(
    request: Request,
    organisation_id: uuid.UUID,
    actor: Onboarder,
    session: DbSession,
    form: FormData,
) -> Response:
    async def invite() -> Response:
        await access.access_organisation(session, actor.grants, organisation_id, ONBOARD)
        body = validated(InviteIn, pseudonym=form.text("pseudonym"))
        await onboarding_service.invite_worker(
            session,
            actor_id=actor.account.id,
            organisation_id=organisation_id,
            pseudonym=body.pseudonym,
        )
        return see_other(f"/coordination/{organisation_id}?saved=1#workers")

    return await submit(
        session,
        invite,
        partial(
            _organisation_page, request, actor, session, organisation_id, values=dict(form.pairs)
        ),
    )


@router.post("/coordination/{organisation_id}/shift-types")
async def create_shift_type(
    request: Request,
    organisation_id: uuid.UUID,
    actor: Scheduler,
    session: DbSession,
    form: FormData,
) -> Response:
    async def create() -> Response:
        await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
        body = validated(
            ShiftTypeIn,
            name=form.text("name"),
            kind=form.get("kind") or None,
            zone=form.text("zone") or None,
        )
        await shift_service.create_shift_type(
            session,
            actor_id=actor.account.id,
            organisation_id=organisation_id,
            **body.model_dump(),
        )
        return see_other(f"/coordination/{organisation_id}?saved=1#shift-types")

    return await submit(
        session,
        create,
        partial(
            _organisation_page, request, actor, session, organisation_id, values=dict(form.pairs)
        ),
    )


@router.post("/coordination/{organisation_id}/shifts")
async def create_shifts(
    request: Request,
    organisation_id: uuid.UUID,
    actor: Scheduler,
    session: DbSession,
    form: FormData,
) -> Response:
    tz = actor.account.time_zone

    async def create() -> Response:
        await access.access_organisation(session, actor.grants, organisation_id, SCHEDULE)
        start = _local(form.get("day"), form.get("starts"), tz)
        end = _local(form.get("day"), form.get("ends"), tz)
        if end <= start:
            end += timedelta(days=1)
        try:
            repeat = max(1, min(int(form.get("repeat") or 1), 35))
        except ValueError as exc:
            raise InvalidInput(
                "Some fields need attention.", fields={"repeat": "Give a number."}
            ) from exc
        shifts = []
        for n in range(repeat):
            body = validated(
                ShiftIn,
                shift_type_id=form.get("shift_type_id") or None,
                starts_at=start + timedelta(days=n),
                ends_at=end + timedelta(days=n),
                place=form.text("place"),
                peers_needed=form.get("peers_needed") or None,
                professionals_needed=form.get("professionals_needed") or None,
            )
            shifts.append(shift_service.ShiftIn(**body.model_dump()))
        await shift_service.create_shifts(
            session, actor_id=actor.account.id, organisation_id=organisation_id, shifts=shifts
        )
        return see_other(f"/coordination/{organisation_id}?saved=1#shifts")

    return await submit(
        session,
        create,
        partial(
            _organisation_page, request, actor, session, organisation_id, values=dict(form.pairs)
        ),
    )


@router.post("/coordination/{organisation_id}/rosters")
async def generate_roster(
    request: Request,
    organisation_id: uuid.UUID,
    actor: Scheduler,
    session: DbSession,
    database: DatabaseDep,
    settings: AppSettings,
    form: FormData,
) -> Response:
    async def generate() -> Response:
        body = validated(
            RosterIn, starts_on=form.get("starts_on") or None, ends_on=form.get("ends_on") or None
        )
        roster = await roster_service.generate_roster(
            database,
            grants=actor.grants,
            actor_id=actor.account.id,
            organisation_id=organisation_id,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            time_limit_seconds=settings.roster_time_limit_seconds,
            workers=settings.roster_search_workers,
        )
        return see_other(f"/rosters/{roster.id}")

    return await submit(
        session,
        generate,
        partial(
            _organisation_page, request, actor, session, organisation_id, values=dict(form.pairs)
        ),
    )


async def _roster_page(
    request: Request, actor: Actor, session: DbSession, roster: Roster, **extra: Any
) -> Response:
    tz = zone(actor.account.time_zone)
    shifts = await shift_service.list_shifts(
        session, roster.organisation_id, roster.starts_on, roster.ends_on
    )
    types = {t.id: t for t in await shift_service.list_shift_types(session, roster.organisation_id)}
    assignments = await roster_service.list_assignments(session, roster.id)
    names = await peerwork_views.names_of(session, {a.account_id for a in assignments})
    report = peerwork_views.roster_report(roster)
    short: dict[str, list[dict[str, object]]] = defaultdict(list)
    for item in report.get("uncovered", []):
        short[str(item["shift_id"])].append(item)
    by_shift: dict[uuid.UUID, list[object]] = defaultdict(list)
    for a in assignments:
        by_shift[a.shift_id].append(a)
    weeks: dict[date, dict[date, list[object]]] = {}
    day = roster.starts_on
    while day <= roster.ends_on:
        weeks.setdefault(_monday(day), {})[day] = []
        day += timedelta(days=1)
    for shift in shifts:
        local_day = shift.starts_at.astimezone(tz).date()
        week = weeks.get(_monday(local_day))
        if week is not None and local_day in week:
            week[local_day].append(shift)
    team = await peerwork_views.team_of(session, roster.organisation_id)
    professionals = await peerwork_views.list_professionals(session, roster.organisation_id)
    candidate_names = {str(a): n for a, n in [*team, *professionals]}
    return page(
        request,
        "roster.html",
        actor=actor,
        title=N_("Roster"),
        roster=roster,
        weeks=weeks,
        types=types,
        by_shift=by_shift,
        names=names,
        short=short,
        report=report,
        team=team,
        professionals=professionals,
        candidate_names=candidate_names,
        reasons=REASONS,
        **extra,
    )


@router.get("/rosters/{roster_id}", response_class=HTMLResponse)
async def roster(
    request: Request, roster_id: uuid.UUID, actor: Scheduler, session: DbSession
) -> Response:
    found = await access.access_roster(session, actor.grants, roster_id, SCHEDULE)
    return await _roster_page(request, actor, session, found)


@router.post("/rosters/{roster_id}/assignments")
async def add_assignment(
    request: Request, roster_id: uuid.UUID, actor: Scheduler, session: DbSession, form: FormData
) -> Response:
    """A hand edit; a broken rule is shown on the shift it concerns, in place."""
    found = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    shift_id = form.get("shift_id")

    async def assign() -> Response:
        who = form.text("who").casefold()
        team = await peerwork_views.team_of(session, found.organisation_id)
        pros = await peerwork_views.list_professionals(session, found.organisation_id)
        named = [(a, "peer") for a, n in team if n.casefold() == who] + [
            (a, "professional") for a, n in pros if n.casefold() == who
        ]
        if not named:
            raise InvalidInput(
                "Nobody in this team has this name.", fields={"who": "Choose a name from the list."}
            )
        account_id, role = named[0]
        body = validated(AssignmentIn, shift_id=shift_id, account_id=account_id, role=role)
        await roster_service.add_assignment(
            session,
            actor_id=actor.account.id,
            roster_row=found,
            shift_id=body.shift_id,
            account_id=body.account_id,
            role=AssignmentRole(body.role),
        )
        return see_other(f"/rosters/{roster_id}#shift-{shift_id}")

    def on_the_shift(refusal: TandemError) -> dict[str, Any]:
        codes = (refusal.fields.get("reasons") or "").split(",") if refusal.fields else []
        return {
            "status_code": refusal.status_code,
            "edit_error": {
                "shift_id": shift_id,
                "message": refusal.message,
                "reasons": [c for c in codes if c],
            },
        }

    async def roster_page(**shown: Any) -> Response:
        # The rollback ended the lock and expired the row: read it again, unlocked.
        again = await access.access_roster(session, actor.grants, roster_id, SCHEDULE)
        return await _roster_page(request, actor, session, again, **shown)

    return await submit(session, assign, roster_page, shown=on_the_shift)


@router.post("/rosters/{roster_id}/assignments/{assignment_id}/remove")
async def remove_assignment(
    roster_id: uuid.UUID,
    assignment_id: uuid.UUID,
    actor: Scheduler,
    session: DbSession,
    form: FormData,
) -> Response:
    found = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await roster_service.remove_assignment(
        session, actor_id=actor.account.id, roster_row=found, assignment_id=assignment_id
    )
    return see_other(f"/rosters/{roster_id}#shift-{form.get('shift_id')}")


@router.post("/rosters/{roster_id}/publish")
async def publish_roster(
    roster_id: uuid.UUID, actor: Scheduler, session: DbSession, _f: FormData
) -> Response:
    found = await access.access_roster(session, actor.grants, roster_id, SCHEDULE, lock=True)
    await roster_service.publish_roster(session, actor_id=actor.account.id, roster_row=found)
    return see_other(f"/rosters/{roster_id}?published=1")


@router.get("/coordination/{organisation_id}/grant-report", response_class=HTMLResponse)
async def grant_report(
    request: Request,
    organisation_id: uuid.UUID,
    actor: Scheduler,
    session: DbSession,
    starts_on: date,
    ends_on: date,
) -> Response:
    """Hours and cost per grant from approved hours, as GET /api/…/grant-report."""
    organisation = await access.access_organisation(
        session, actor.grants, organisation_id, SCHEDULE
    )
    lines = await pay_service.grant_report(session, organisation_id, starts_on, ends_on)
    return page(
        request,
        "grant_report.html",
        actor=actor,
        title=N_("Grant report"),
        organisation=organisation,
        lines=lines,
        starts_on=starts_on,
        ends_on=ends_on,
    )


@router.post("/timesheets/{timesheet_id}/{decision}")
async def decide_timesheet(
    timesheet_id: uuid.UUID, decision: str, actor: Scheduler, session: DbSession, form: FormData
) -> Response:
    sheet = await access.access_timesheet(session, actor.grants, timesheet_id, lock=True)
    if decision not in ("approve", "reject"):
        raise InvalidInput("Unknown decision.")
    await timesheet_service.decide_timesheet(
        session,
        actor_id=actor.account.id,
        sheet=sheet,
        approve=decision == "approve",
        note=form.text("reason") or None,
    )
    return see_other(f"/coordination/{sheet.organisation_id}?saved=1#timesheets")
