"""Four weeks of paid peer work for the demo: contracts, shifts, a roster, hours, a swap."""

from datetime import date, datetime, time, timedelta

from backend.core.errors import Conflict, InvalidInput
from backend.core.time import frozen_clock, utc_now
from backend.demo.cast import HARBOUR, PEER_WORKERS, Builder
from backend.peerwork import availability as availability_service
from backend.peerwork import contracts as contract_service
from backend.peerwork import debriefs as debrief_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import shifts as shift_service
from backend.peerwork import swaps as swap_service
from backend.peerwork import timesheets as timesheet_service
from backend.peerwork import trainings as training_service
from backend.peerwork import work_settings
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    FundingKind,
    Roster,
    RosterStatus,
    Shift,
    ShiftKind,
    TimesheetStatus,
)
from backend.peerwork.roster import service as roster_service
from backend.peerwork.roster import solver as roster_solver


async def demo_swap(
    build: Builder, roster_row: Roster, assignments: list[Assignment], now: datetime
) -> None:
    """A peer asks a colleague to take a coming shift; the colleague agrees; the swap waits
    for Claire's approval (each step lands in someone's notifications)."""
    session = build.session
    peers = sorted({a.account_id for a in assignments if a.role == AssignmentRole.PEER}, key=str)
    for assignment in sorted(assignments, key=lambda a: str(a.id)):
        shift = await session.get(Shift, assignment.shift_id)
        if assignment.role != AssignmentRole.PEER or shift is None or shift.starts_at <= now:
            continue
        for colleague in peers:
            if colleague == assignment.account_id:
                continue
            try:
                swap = await swap_service.propose_swap(
                    session, assignment=assignment, roster_row=roster_row, to_account_id=colleague
                )
            except (Conflict, InvalidInput):
                continue
            await swap_service.answer_swap(session, swap=swap, account_id=colleague, accept=True)
            return


async def build_peer_work(build: Builder) -> None:
    """Harbour Outreach: 3 staff, 12 peer workers, 4 weeks of shifts (two past, two to
    come), a published roster, approved hours for the past fortnight and a few debriefs."""
    session = build.session
    org = build.organisations[HARBOUR]
    claire = build.id("Claire")
    today = utc_now().date()
    monday = today - timedelta(days=today.weekday() + 14)
    start_of_work = monday - timedelta(days=60)
    with frozen_clock(utc_now() - timedelta(days=30)):
        grant = await contract_service.create_funding(
            session,
            actor_id=claire,
            organisation_id=org,
            kind=FundingKind.GRANT,
            name="Night outreach grant",
            funder="City social fund",
            budget_minor=4_000_000,
            currency="EUR",
            starts_on=start_of_work,
            ends_on=start_of_work + timedelta(days=365),
        )
        trainings = {
            name: await training_service.create_training(
                session, actor_id=claire, organisation_id=org, name=name, validity_days=days
            )
            for name, days in (
                ("Outreach safety", 365),
                ("Helpline", 365),
                ("First aid", 730),
                ("Interpreting", 1095),
            )
        }
        workers = {}
        for position, (name, kind, rate, cap, done) in enumerate(PEER_WORKERS):
            invited = await onboarding_service.invite_worker(
                session, actor_id=claire, organisation_id=org, pseudonym=name
            )
            worker = await onboarding_service.answer_invitation(
                session, worker=invited, accept=True, shared_name=None
            )
            workers[name] = worker
            await contract_service.create_contract(
                session,
                actor_id=claire,
                worker=worker,
                kind=kind,
                starts_on=start_of_work,
                ends_on=None,
                rate_minor=rate,
                currency="EUR",
                weekly_cap_minutes=cap * 60,
                funding_id=grant.id,
            )
            for training in done:
                await training_service.record_training(
                    session,
                    actor_id=claire,
                    worker=worker,
                    training_id=trainings[training].id,
                    # One outreach training runs out soon: an expiry warning to see.
                    completed_on=start_of_work - timedelta(days=320 if position == 0 else 30),
                )
            days_off = {position % 7}
            await availability_service.set_availability(
                session,
                organisation_id=org,
                account_id=worker.account_id,
                weekly=[
                    availability_service.WindowIn(day, 8 * 60, 24 * 60, preferred=day < 5)
                    for day in range(7)
                    if day not in days_off
                ],
                exceptions=[],
            )
            await onboarding_service.set_supervisor(
                session,
                actor_id=claire,
                worker=worker,
                supervisor_id=build.id("Hugo" if position % 2 else "Sam"),
            )
        await availability_service.set_exclusions(
            session, actor_id=claire, worker=workers["Farah"], zones=["Station district"]
        )
        for staff in ("Hugo", "Sam"):
            await availability_service.set_availability(
                session,
                organisation_id=org,
                account_id=build.id(staff),
                weekly=[availability_service.WindowIn(day, 8 * 60, 24 * 60) for day in range(7)],
                exceptions=[],
            )
        kinds = {}
        for name, shift_kind, zone, needed in (
            ("Evening round", ShiftKind.OUTREACH, "Station district", ("Outreach safety",)),
            ("Drop-in counter", ShiftKind.DROP_IN, "Centre", ()),
            ("Phone line", ShiftKind.HELPLINE, "Remote", ("Helpline",)),
            ("Group session", ShiftKind.GROUP, "Centre", ("First aid",)),
            ("Accompaniment", ShiftKind.ACCOMPANIMENT, "Town hall", ("Interpreting",)),
        ):
            kinds[shift_kind] = await shift_service.create_shift_type(
                session,
                actor_id=claire,
                organisation_id=org,
                name=name,
                kind=shift_kind,
                needs_pairing=None,
                needs_debrief=None,
                zone=zone,
                required_training_ids=[trainings[t].id for t in needed],
                night_start_minute=22 * 60,
                night_end_minute=6 * 60,
                night_premium_percent=25 if shift_kind == ShiftKind.OUTREACH else 0,
            )
        settings = await work_settings.organisation_tz(session, org)
        items = []
        for offset in range(28):
            day = monday + timedelta(days=offset)

            def local(hour: int, day: date = day) -> datetime:
                return datetime.combine(day, time(hour % 24)).replace(tzinfo=settings) + timedelta(
                    days=hour // 24
                )

            day_plan = [(ShiftKind.DROP_IN, 9, 13, 2), (ShiftKind.HELPLINE, 14, 20, 1)]
            if day.weekday() in (1, 3, 5):
                day_plan.append((ShiftKind.OUTREACH, 19, 23, 2))
            if day.weekday() == 2:
                day_plan.append((ShiftKind.GROUP, 17, 19, 1))
            if day.weekday() in (0, 4):
                day_plan.append((ShiftKind.ACCOMPANIMENT, 10, 12, 1))
            for shift_kind, begin, end, peers in day_plan:
                items.append(
                    shift_service.ShiftIn(
                        shift_type_id=kinds[shift_kind].id,
                        starts_at=local(begin),
                        ends_at=local(end),
                        zone=None,
                        place="",
                        peers_needed=peers,
                        professionals_needed=None,
                    )
                )
        await shift_service.create_shifts(
            session, actor_id=claire, organisation_id=org, shifts=items
        )
        plan = await roster_service.plan_roster(
            session,
            organisation_id=org,
            starts_on=monday,
            ends_on=monday + timedelta(days=27),
            time_limit_seconds=2,
            workers=build.runtime.settings.roster_search_workers,
        )
        solution = roster_solver.solve(plan.problem)
        roster_row = await roster_service.store_roster(
            session, actor_id=claire, plan=plan, solution=solution
        )
        await roster_service.publish_roster(session, actor_id=claire, roster_row=roster_row)
    assert roster_row.status == RosterStatus.PUBLISHED  # noqa: S101 - demo sanity
    # The past fortnight: hours confirmed; most approved; debriefs after outreach.
    assignments = await roster_service.list_assignments(session, roster_row.id)
    now = utc_now()
    shifts = {s.id: s for s in await shift_service.list_shifts(session, org, monday, today)}
    for number, assignment in enumerate(sorted(assignments, key=lambda a: str(a.id))):
        shift = shifts.get(assignment.shift_id)
        if shift is None or shift.ends_at > now or assignment.role != AssignmentRole.PEER:
            continue
        sheet = await timesheet_service.confirm_hours(
            session,
            assignment=assignment,
            actual_start=shift.starts_at,
            actual_end=shift.ends_at + timedelta(minutes=15 * (number % 3)),
        )
        if number % 5:
            await timesheet_service.decide_timesheet(
                session, actor_id=claire, sheet=sheet, approve=True, note=None
            )
        shift_type = next(t for t in kinds.values() if t.id == shift.shift_type_id)
        if shift_type.needs_debrief and number % 4 == 0:
            await debrief_service.submit_debrief(
                session,
                assignment=assignment,
                wellbeing=2 if number % 8 == 0 else 4,
                incident=number % 8 == 0,
                incident_note="Demo: someone asked questions we did not answer."
                if number % 8 == 0
                else None,
                wants_to_talk=False,
            )
    await demo_swap(build, roster_row, assignments, now)
    approved = await timesheet_service.list_timesheets(session, org, TimesheetStatus.APPROVED)
    build.notes["Claire"] = (
        build.notes.get("Claire", "")
        + f"; coordinates 12 peer workers: roster published ({len(assignments)} places, "
        f"{len(solution.shortfalls)} short), {len(approved)} timesheets approved"
    ).lstrip("; ")
    build.notes["Paula"] = "reads payroll identity with a stated reason"
