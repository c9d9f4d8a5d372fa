"""Pay and grant reports, from approved hours only, and what rosters would cost."""

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.time import utc_now
from backend.peerwork import contracts as contract_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import rules, views, work_settings
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    Contract,
    ContractKind,
    Funding,
    Shift,
    Timesheet,
    TimesheetStatus,
)
from backend.peerwork.roster import facts as roster_facts


def planned_by_funding(
    team: roster_facts.Team, placed: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> dict[uuid.UUID, int]:
    """What the given (shift, peer) places would cost each grant, at planned times."""
    planned: dict[uuid.UUID, int] = defaultdict(int)
    for shift_id, account_id in placed:
        peer = team.peers.get(account_id)
        shift = team.shifts.get(shift_id)
        if peer is None or shift is None:
            continue
        terms = peer.contract_on(shift.local_day)
        if terms is None or terms.funding_id is None:
            continue
        shift_type = team.types[team.shift_rows[shift_id].shift_type_id]
        night = rules.night_minutes(
            shift.starts_at,
            shift.ends_at,
            night_start=shift_type.night_start_minute,
            night_end=shift_type.night_end_minute,
            tz=team.tz,
        )
        planned[terms.funding_id] += rules.planned_cost(
            terms, shift, night, shift_type.night_premium_percent
        )
    return planned


def budget_warnings(
    planned: dict[uuid.UUID, int], fundings: dict[uuid.UUID, tuple[Funding, int]]
) -> list[dict[str, Any]]:
    warnings = []
    for funding_id, cost in sorted(planned.items(), key=lambda item: str(item[0])):
        funding, spent = fundings[funding_id]
        if spent + cost > funding.budget_minor:
            warnings.append(
                {
                    "funding_id": str(funding_id),
                    "name": funding.name,
                    "budget_minor": funding.budget_minor,
                    "spent_minor": spent,
                    "planned_minor": cost,
                    "over_by_minor": spent + cost - funding.budget_minor,
                }
            )
    return warnings


async def spent_by_funding(
    session: AsyncSession, organisation_id: uuid.UUID
) -> dict[uuid.UUID, tuple[Funding, int]]:
    spent: dict[uuid.UUID, int] = defaultdict(int)
    statement = (
        select(Timesheet)
        .where(Timesheet.organisation_id == organisation_id)
        .where(Timesheet.status == TimesheetStatus.APPROVED)
    )
    for sheet in (await session.exec(statement)).all():
        if sheet.funding_id is not None:
            spent[sheet.funding_id] += sheet.amount_minor
    return {
        f.id: (f, spent[f.id])
        for f in await contract_service.list_fundings(session, organisation_id)
    }


async def _approved_in(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[Timesheet]:
    start, end = await work_settings.period_bounds(session, organisation_id, starts_on, ends_on)
    statement = (
        select(Timesheet)
        .join(Shift, col(Shift.id) == col(Timesheet.shift_id))
        .where(Timesheet.organisation_id == organisation_id)
        .where(Timesheet.status == TimesheetStatus.APPROVED)
        .where(col(Shift.starts_at) >= start)
        .where(col(Shift.starts_at) < end)
    )
    return list((await session.exec(statement)).all())


PAY_FORM = {
    ContractKind.EMPLOYMENT: "wage",
    ContractKind.PROJECT_CONTRACT: "wage",
    ContractKind.INTERNSHIP: "wage",
    ContractKind.REIMBURSED_VOLUNTEER: "reimbursement",
    ContractKind.VOUCHERS: "vouchers",
}


PAYROLL_COLUMNS = (
    "worker_id",
    "name",
    "contract_id",
    "contract_kind",
    "pay_form",
    "funding",
    "currency",
    "shifts",
    "minutes",
    "night_minutes",
    "amount_minor",
    "amount",
)


def _money(minor: int) -> str:
    return str((Decimal(minor) / 100).quantize(Decimal("0.01")))


def _cell(value: str) -> str:
    # A spreadsheet runs cells starting with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def payroll_rows(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[dict[str, Any]]:
    """Pay per worker and contract for shifts in the period, from approved hours only."""
    sheets = await _approved_in(session, organisation_id, starts_on, ends_on)
    workers = {
        w.account_id: w for w in await onboarding_service.list_workers(session, organisation_id)
    }
    names = await views.names_of(session, set(workers))
    contracts = {
        c.id: c
        for c in (
            await session.exec(select(Contract).where(Contract.organisation_id == organisation_id))
        ).all()
    }
    fundings = {f.id: f for f in await contract_service.list_fundings(session, organisation_id)}
    totals: dict[tuple[uuid.UUID, uuid.UUID], list[Timesheet]] = defaultdict(list)
    for sheet in sheets:
        assert sheet.contract_id is not None  # noqa: S101 - set at approval
        totals[sheet.account_id, sheet.contract_id].append(sheet)
    rows = []
    for (account_id, contract_id), group in sorted(
        totals.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))
    ):
        contract = contracts[contract_id]
        worker = workers[account_id]
        amount = sum(s.amount_minor for s in group)
        rows.append(
            {
                "worker_id": str(worker.id),
                "name": views.display_name(worker, names.get(account_id, "")),
                "contract_id": str(contract_id),
                "contract_kind": contract.kind,
                "pay_form": PAY_FORM[contract.kind],
                "funding": fundings[contract.funding_id].name,
                "currency": contract.currency,
                "shifts": len(group),
                "minutes": sum(s.minutes for s in group),
                "night_minutes": sum(s.night_minutes for s in group),
                "amount_minor": amount,
                "amount": _money(amount),
            }
        )
    return rows


async def payroll_csv(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
) -> str:
    rows = await payroll_rows(session, organisation_id, starts_on, ends_on)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PAYROLL_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(str(v)) for k, v in row.items()})
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.payroll_exported",
        subject=f"organisation:{organisation_id}",
        details={
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "rows": len(rows),
        },
    )
    return out.getvalue()


async def grant_report(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[dict[str, Any]]:
    """Per grant: hours and cost in the period (approved only), total spent, remaining
    budget, what published and draft rosters still plan, and an overspend warning."""
    in_period = await _approved_in(session, organisation_id, starts_on, ends_on)
    spent = await spent_by_funding(session, organisation_id)
    # Planned: assignments of peers on shifts not yet approved, from today on.
    statement = (
        select(Assignment, Shift)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .where(Assignment.organisation_id == organisation_id)
        .where(Assignment.role == AssignmentRole.PEER)
        .where(col(Shift.ends_at) >= utc_now())
    )
    upcoming = list((await session.exec(statement)).all())
    approved_ids = {
        t.assignment_id
        for t in (
            await session.exec(
                select(Timesheet)
                .where(Timesheet.organisation_id == organisation_id)
                .where(Timesheet.status == TimesheetStatus.APPROVED)
            )
        ).all()
    }
    team = await roster_facts.load_team(session, organisation_id, [s for _, s in upcoming])
    planned_pairs = [(s.id, a.account_id) for a, s in upcoming if a.id not in approved_ids]
    planned = planned_by_funding(team, planned_pairs)
    report = []
    for funding_id, (funding, total_spent) in spent.items():
        mine = [t for t in in_period if t.funding_id == funding_id]
        remaining = funding.budget_minor - total_spent
        plan = planned.get(funding_id, 0)
        report.append(
            {
                "funding_id": str(funding_id),
                "name": funding.name,
                "funder": funding.funder,
                "currency": funding.currency,
                "budget_minor": funding.budget_minor,
                "period_minutes": sum(t.minutes for t in mine),
                "period_cost_minor": sum(t.amount_minor for t in mine),
                "spent_minor": total_spent,
                "remaining_minor": remaining,
                "planned_minor": plan,
                "overspend_warning": plan > remaining,
            }
        )
    return report
