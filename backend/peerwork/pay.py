"""Pay and grant reports, from approved hours only, and what rosters would cost.

Both reports come as CSV (for machines: "." decimals, minor units) and as a spreadsheet
(XLSX, for people: typed cells, so a spreadsheet in any locale reads numbers and dates).
"""

import asyncio
import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from babel.numbers import get_currency_precision
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import InvalidInput
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


def _amount(minor: int, currency: str) -> Decimal:
    """Minor units as an exact amount: cents for EUR, yen for JPY, fils for BHD."""
    return Decimal(minor).scaleb(-get_currency_precision(currency))


def _money(minor: int, currency: str) -> str:
    return str(_amount(minor, currency))


def _check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInput(
            "The period ends before it starts.",
            fields={"ends_on": "Choose a last day on or after the first."},
        )


def _cell(value: str) -> str:
    # A spreadsheet runs cells starting with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def payroll_rows(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[dict[str, Any]]:
    """Pay per worker and contract for shifts in the period, from approved hours only."""
    _check_period(starts_on, ends_on)
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
                "amount": _money(amount, contract.currency),
            }
        )
    return rows


def _csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(str(row[k])) for k in columns})
    return out.getvalue()


async def payroll_export(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    spreadsheet: bool,
) -> bytes:
    """The payroll file, CSV or XLSX, and its audit record: the same rows either way."""
    rows = await payroll_rows(session, organisation_id, starts_on, ends_on)
    # Built before the audit record, the only write: no slow work in a write transaction.
    if spreadsheet:
        body = await asyncio.to_thread(
            _xlsx, "Payroll", PAYROLL_SHEET, rows, starts_on=starts_on, ends_on=ends_on
        )
    else:
        body = _csv(PAYROLL_COLUMNS, rows).encode()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.payroll_exported",
        subject=f"organisation:{organisation_id}",
        details={
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "rows": len(rows),
            "format": "xlsx" if spreadsheet else "csv",
        },
    )
    return body


async def grant_report_export(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    *,
    spreadsheet: bool,
) -> bytes:
    """The grant report as a file. Like the report itself it is not logged: it holds
    totals per grant, nothing about any one person."""
    rows = await grant_report(session, organisation_id, starts_on, ends_on)
    if spreadsheet:
        return await asyncio.to_thread(
            _xlsx, "Grants", GRANT_SHEET, rows, starts_on=starts_on, ends_on=ends_on
        )
    return _csv(GRANT_COLUMNS, rows).encode()


async def grant_report(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[dict[str, Any]]:
    """Per grant: hours and cost in the period (approved only), total spent, remaining
    budget, what published and draft rosters still plan, and an overspend warning."""
    _check_period(starts_on, ends_on)
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


GRANT_COLUMNS = (
    "funding_id",
    "name",
    "funder",
    "currency",
    "budget_minor",
    "period_minutes",
    "period_cost_minor",
    "spent_minor",
    "remaining_minor",
    "planned_minor",
    "overspend_warning",
)


# ---------------------------------------------------------------- spreadsheets


class CellKind(Enum):
    TEXT = "text"
    COUNT = "count"
    HOURS = "hours"  # from a count of minutes
    MONEY = "money"  # from minor units, in the row's currency
    FLAG = "flag"
    PERIOD_START = "period_start"
    PERIOD_END = "period_end"


@dataclass(frozen=True)
class SheetColumn:
    header: str
    kind: CellKind
    source: str = ""  # the row's key; the header when empty

    @property
    def key(self) -> str:
        return self.source or self.header


_PERIOD = (
    SheetColumn("period_start", CellKind.PERIOD_START),
    SheetColumn("period_end", CellKind.PERIOD_END),
)

PAYROLL_SHEET = (
    *_PERIOD,
    SheetColumn("worker_id", CellKind.TEXT),
    SheetColumn("name", CellKind.TEXT),
    SheetColumn("contract_id", CellKind.TEXT),
    SheetColumn("contract_kind", CellKind.TEXT),
    SheetColumn("pay_form", CellKind.TEXT),
    SheetColumn("funding", CellKind.TEXT),
    SheetColumn("currency", CellKind.TEXT),
    SheetColumn("shifts", CellKind.COUNT),
    SheetColumn("minutes", CellKind.COUNT),
    SheetColumn("night_minutes", CellKind.COUNT),
    SheetColumn("hours", CellKind.HOURS, "minutes"),
    SheetColumn("night_hours", CellKind.HOURS, "night_minutes"),
    SheetColumn("amount", CellKind.MONEY, "amount_minor"),
)

GRANT_SHEET = (
    *_PERIOD,
    SheetColumn("funding_id", CellKind.TEXT),
    SheetColumn("name", CellKind.TEXT),
    SheetColumn("funder", CellKind.TEXT),
    SheetColumn("currency", CellKind.TEXT),
    SheetColumn("period_minutes", CellKind.COUNT),
    SheetColumn("period_hours", CellKind.HOURS, "period_minutes"),
    SheetColumn("period_cost", CellKind.MONEY, "period_cost_minor"),
    SheetColumn("spent", CellKind.MONEY, "spent_minor"),
    SheetColumn("remaining", CellKind.MONEY, "remaining_minor"),
    SheetColumn("planned", CellKind.MONEY, "planned_minor"),
    SheetColumn("budget", CellKind.MONEY, "budget_minor"),
    SheetColumn("overspend_warning", CellKind.FLAG),
)

_DATE_FORMAT = "yyyy-mm-dd"  # the same in every locale, unlike a short-date format
_HOURS = Decimal("0.01")


def _money_format(currency: str) -> str:
    places = get_currency_precision(currency)
    return "#,##0." + "0" * places if places else "#,##0"


def _typed(
    column: SheetColumn, row: dict[str, Any], starts_on: date, ends_on: date
) -> tuple[Any, str | None]:
    """A cell's value and number format. Money stays Decimal: the file holds its digits."""
    if column.kind is CellKind.PERIOD_START:
        return starts_on, _DATE_FORMAT
    if column.kind is CellKind.PERIOD_END:
        return ends_on, _DATE_FORMAT
    value = row[column.key]
    match column.kind:
        case CellKind.COUNT:
            return int(value), "0"
        case CellKind.HOURS:
            return (Decimal(int(value)) / 60).quantize(_HOURS, ROUND_HALF_UP), "0.00"
        case CellKind.MONEY:
            currency = str(row["currency"])
            return _amount(int(value), currency), _money_format(currency)
        case CellKind.FLAG:
            return bool(value), None
    # Text. Characters XML cannot carry are dropped rather than failing the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)), None


def _xlsx(
    title: str,
    columns: Sequence[SheetColumn],
    rows: Sequence[dict[str, Any]],
    *,
    starts_on: date,
    ends_on: date,
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = title
    book.properties.creator = ""  # not "openpyxl", nor anything about who made it
    widths = [len(c.header) for c in columns]
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_index, row in enumerate(rows, start=2):
        for column_index, column in enumerate(columns, start=1):
            value, number_format = _typed(column, row, starts_on, ends_on)
            cell = sheet.cell(row=row_index, column=column_index, value=value)
            if column.kind is CellKind.TEXT:
                # openpyxl stores text starting with "=" as a formula: it stays text here.
                cell.data_type = "s"
            if number_format is not None:
                cell.number_format = number_format
            shown = len(value.isoformat()) if isinstance(value, date) else len(str(value)) + 2
            widths[column_index - 1] = max(widths[column_index - 1], shown)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
