"""Hours she confirms, and their approval, when the pay is computed."""

import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.peerwork import contracts as contract_service
from backend.peerwork import notices as notice_service
from backend.peerwork import rules, work_settings
from backend.peerwork.access import active_worker_of
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    Shift,
    ShiftType,
    Timesheet,
    TimesheetStatus,
)
from backend.peerwork.roster import facts as roster_facts


async def has_timesheet(session: AsyncSession, assignment_id: uuid.UUID) -> bool:
    statement = select(Timesheet).where(Timesheet.assignment_id == assignment_id)
    return (await session.exec(statement)).first() is not None


def _whole_minutes(value: datetime, field_name: str) -> None:
    if value.second or value.microsecond:
        raise InvalidInput("Times are given to the minute.", fields={field_name: "No seconds."})


async def confirm_hours(
    session: AsyncSession, *, assignment: Assignment, actual_start: datetime, actual_end: datetime
) -> Timesheet:
    """She confirms when she really started and finished. Changeable until approved."""
    if assignment.role != AssignmentRole.PEER:
        raise Conflict("Hours are confirmed for peer work.")
    shift = await session.get(Shift, assignment.shift_id)
    if shift is None:
        raise NotFound()
    if utc_now() < shift.starts_at:
        raise Conflict("Hours are confirmed once the shift has started.")
    _whole_minutes(actual_start, "actual_start")
    _whole_minutes(actual_end, "actual_end")
    if not timedelta(0) < actual_end - actual_start <= rules.TIMESHEET_MAX:
        raise InvalidInput(
            "The end comes after the start, within 16 hours.", fields={"actual_end": "Invalid."}
        )
    if (
        actual_start < shift.starts_at - rules.TIMESHEET_SLACK
        or actual_end > shift.ends_at + rules.TIMESHEET_SLACK
    ):
        raise InvalidInput(
            "These times are far from the shift's; ask your coordinator.",
            fields={"actual_start": "Too far from the planned times."},
        )
    statement = select(Timesheet).where(Timesheet.assignment_id == assignment.id).with_for_update()
    sheet = (await session.exec(statement)).first()
    if sheet is not None and sheet.status == TimesheetStatus.APPROVED:
        raise Conflict("These hours are approved already.")
    if sheet is None:
        sheet = Timesheet(
            organisation_id=assignment.organisation_id,
            assignment_id=assignment.id,
            shift_id=assignment.shift_id,
            account_id=assignment.account_id,
            actual_start=actual_start,
            actual_end=actual_end,
            confirmed_at=utc_now(),
        )
    sheet.actual_start, sheet.actual_end = actual_start, actual_end
    sheet.status, sheet.confirmed_at, sheet.note = TimesheetStatus.CONFIRMED, utc_now(), None
    session.add(sheet)
    await session.flush()
    await audit.record(
        session,
        actor_id=assignment.account_id,
        action="peerwork.hours_confirmed",
        subject=f"timesheet:{sheet.id}",
        details={"start": actual_start.isoformat(), "end": actual_end.isoformat()},
    )
    return sheet


async def list_timesheets(
    session: AsyncSession, organisation_id: uuid.UUID, status: TimesheetStatus | None
) -> list[Timesheet]:
    statement = select(Timesheet).where(Timesheet.organisation_id == organisation_id)
    if status is not None:
        statement = statement.where(Timesheet.status == status)
    return list((await session.exec(statement.order_by(col(Timesheet.actual_start)))).all())


async def decide_timesheet(
    session: AsyncSession, *, actor_id: uuid.UUID, sheet: Timesheet, approve: bool, note: str | None
) -> Timesheet:
    """Approve (pay computed now from the contract in force, never typed) or send back.
    The caller locked the timesheet row."""
    if sheet.status != TimesheetStatus.CONFIRMED:
        raise Conflict(f"These hours are {sheet.status}.")
    if sheet.account_id == actor_id:
        raise Conflict("Someone else approves your own hours.")
    if approve:
        shift = await session.get(Shift, sheet.shift_id)
        assert shift is not None  # noqa: S101 - a timesheet's shift is never deleted
        shift_type = await session.get(ShiftType, shift.shift_type_id)
        assert shift_type is not None  # noqa: S101 - a shift's type is never deleted
        tz = await work_settings.organisation_tz(session, sheet.organisation_id)
        worker = await active_worker_of(session, sheet.organisation_id, sheet.account_id)
        day = shift.starts_at.astimezone(tz).date()
        contract = (
            next(
                (
                    c
                    for c in await contract_service.contracts_of(session, worker.id)
                    if roster_facts.contract_terms(c).covers(day)
                ),
                None,
            )
            if worker is not None
            else None
        )
        if contract is None:
            raise Conflict("No contract of hers was in force on the shift's date.")
        minutes = rules.minutes_of(sheet.actual_end - sheet.actual_start)
        night = rules.night_minutes(
            sheet.actual_start,
            sheet.actual_end,
            night_start=shift_type.night_start_minute,
            night_end=shift_type.night_end_minute,
            tz=tz,
        )
        pay = rules.compute_pay(
            kind=contract.kind,
            rate_minor=contract.rate_minor,
            minutes=minutes,
            night=night,
            premium_percent=shift_type.night_premium_percent,
        )
        sheet.contract_id, sheet.funding_id, sheet.currency = (
            contract.id,
            contract.funding_id,
            contract.currency,
        )
        sheet.minutes, sheet.night_minutes, sheet.amount_minor = (
            pay.minutes,
            pay.night_minutes,
            pay.amount_minor,
        )
    sheet.status = TimesheetStatus.APPROVED if approve else TimesheetStatus.REJECTED
    sheet.decided_by, sheet.decided_at, sheet.note = actor_id, utc_now(), note
    session.add(sheet)
    await session.flush()
    await notice_service.notify(
        session,
        account_id=sheet.account_id,
        organisation_id=sheet.organisation_id,
        kind="hours_reviewed",
    )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.hours_approved" if approve else "peerwork.hours_rejected",
        subject=f"timesheet:{sheet.id}",
        details={
            "minutes": sheet.minutes,
            "night_minutes": sheet.night_minutes,
            "amount_minor": sheet.amount_minor,
            "currency": sheet.currency,
            "contract": str(sheet.contract_id) if sheet.contract_id else None,
            "note": note,
        },
    )
    return sheet
