"""Payroll and grant reports as files: CSV for machines, XLSX with typed cells for people.

The spreadsheets are read back with python-calamine (Rust's calamine, which shares no code
with openpyxl, the writer): numbers must come back as numbers and dates as dates, as a
French, Italian, Spanish or Romanian spreadsheet would then show them in its own way.
"""

import csv
import html
import io
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlmodel import select

from backend.auth.capabilities import Role
from backend.core.audit import AuditEntry
from backend.core.time import MovableClock
from tests.backend.peerwork.conftest import Org, at
from tests.conftest import PASSWORD, Person, grant, register

MARCH = "starts_on=2030-03-01&ends_on=2030-03-31"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def paid_march(org: Org, clock: MovableClock) -> Person:
    """Joy's outreach round on 4 March, 18:00-23:00 Paris, approved: 300 minutes, 60 of
    them at night, 78.75 EUR (the same figures as test_pay.py)."""
    await org.professional("Hugo")
    joy = await org.worker("Joy", kind="employment", rate_minor=1500)
    await org.shifts(org.shift("outreach", 4, 18, 23))
    roster = await org.roster()
    await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
    clock.advance(days=6)
    [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
    sheet = await org.call(
        joy,
        "PUT",
        f"/api/assignments/{shift['assignment_id']}/timesheet",
        {"actual_start": at(4, 18), "actual_end": at(4, 23)},
    )
    approved = await org.call(org.coordinator, "POST", f"/api/timesheets/{sheet['id']}/approve", {})
    assert approved["amount_minor"] == 7875
    return joy


async def download(org: Org, person: Person, path: str, expect: int = 200) -> httpx.Response:
    response = await org.client.get(f"{org.base}/{path}", headers=person.auth)
    assert response.status_code == expect, (path, response.text)
    return response


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def read_xlsx(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    [name] = book.sheet_names
    header, *rows = book.get_sheet_by_name(name).to_python()
    return [dict(zip(header, row, strict=True)) for row in rows]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TestPayrollSpreadsheet:
    async def test_the_csv_rows_with_numbers_and_dates_as_typed_cells(
        self, org: Org, clock: MovableClock
    ) -> None:
        await paid_march(org, clock)
        [csv_row] = read_csv(await download(org, org.coordinator, f"payroll.csv?{MARCH}"))
        response = await download(org, org.coordinator, f"payroll.xlsx?{MARCH}")
        assert response.headers["content-disposition"].endswith(
            'filename="payroll-2030-03-01-2030-03-31.xlsx"'
        )
        [row] = read_xlsx(response)
        assert list(row) == [
            "period_start",
            "period_end",
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
            "hours",
            "night_hours",
            "amount",
        ]
        assert (row["period_start"], row["period_end"]) == (date(2030, 3, 1), date(2030, 3, 31))
        for text in ("worker_id", "name", "contract_id", "contract_kind", "pay_form", "currency"):
            assert row[text] == csv_row[text]
        for number in ("shifts", "minutes", "night_minutes", "hours", "night_hours", "amount"):
            assert is_number(row[number]), (number, row[number])
        assert (row["shifts"], row["minutes"], row["night_minutes"]) == (1, 300, 60)
        assert (row["hours"], row["night_hours"]) == (5, 1)
        assert Decimal(str(row["amount"])) == Decimal(csv_row["amount"]) == Decimal("78.75")
        # How they are shown: money with two decimals, hours too, dates as dates.
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        formats = {c.value: sheet.cell(row=2, column=c.column).number_format for c in sheet[1]}
        assert (formats["amount"], formats["hours"], formats["period_start"]) == (
            "#,##0.00",
            "0.00",
            "yyyy-mm-dd",
        )
        assert sheet.freeze_panes == "A2"
        assert sheet.cell(row=1, column=1).font.bold
        assert (sheet.column_dimensions["D"].width or 0) >= len("name")

    async def test_same_checks_and_audit_record_as_the_csv(
        self, org: Org, other_org: Org, clock: MovableClock
    ) -> None:
        joy = await paid_march(org, clock)
        payroll = await register(org.client, "Paula")
        await grant(org.app, payroll, Role.PAYROLL, org.id)
        for path in (f"payroll.csv?{MARCH}", f"payroll.xlsx?{MARCH}"):
            await download(org, joy, path, expect=404)
            await download(org, other_org.coordinator, path, expect=404)
            assert (await org.client.get(f"{org.base}/{path}")).status_code == 401
        [row] = read_xlsx(await download(org, payroll, f"payroll.xlsx?{MARCH}"))
        assert row["name"] == "Joy"
        await download(org, org.coordinator, f"payroll.csv?{MARCH}")
        async with org.app.state.db.session() as session:
            entries = (
                await session.exec(
                    select(AuditEntry).where(AuditEntry.action == "peerwork.payroll_exported")
                )
            ).all()
        details = [json.loads(e.details) for e in entries]
        assert sorted((d["format"], d["rows"]) for d in details) == [
            ("csv", 1),
            ("xlsx", 1),
        ]

    async def test_a_period_that_ends_before_it_starts_is_refused(self, org: Org) -> None:
        for path in ("payroll.csv", "payroll.xlsx", "grant-report.xlsx", "grant-report"):
            refused = await download(
                org, org.coordinator, f"{path}?starts_on=2030-03-31&ends_on=2030-03-01", 422
            )
            assert refused.json()["error"]["message"] == "The period ends before it starts."
            assert "ends_on" in refused.json()["error"]["fields"]


class TestGrantReportFiles:
    async def test_csv_and_spreadsheet_hold_the_report_lines(
        self, org: Org, clock: MovableClock
    ) -> None:
        # A coordinator names grants; a name that looks like a formula must stay text.
        await org.call(
            org.coordinator,
            "POST",
            f"{org.base}/fundings",
            {
                "name": "=1+1",
                "funder": "Foundation",
                "budget_minor": 250050,
                "currency": "EUR",
                "starts_on": "2030-01-01",
                "ends_on": "2030-12-31",
            },
            expect=201,
        )
        await paid_march(org, clock)
        lines = {
            line["name"]: line
            for line in await org.call(org.coordinator, "GET", f"{org.base}/grant-report?{MARCH}")
        }
        csv_rows = {
            r["name"].removeprefix("'"): r
            for r in read_csv(await download(org, org.coordinator, f"grant-report.csv?{MARCH}"))
        }
        response = await download(org, org.coordinator, f"grant-report.xlsx?{MARCH}")
        sheet_rows = {r["name"]: r for r in read_xlsx(response)}
        assert set(lines) == set(csv_rows) == set(sheet_rows) == {"=1+1", *lines}
        assert csv_rows["=1+1"]["name"] == "'=1+1"  # quoted, as the payroll CSV does
        for name, line in lines.items():
            quoted = {**line, "name": "'=1+1"} if name == "=1+1" else line
            assert {k: str(v) for k, v in quoted.items()} == csv_rows[name]
            row = sheet_rows[name]
            assert (row["period_start"], row["period_end"]) == (
                date(2030, 3, 1),
                date(2030, 3, 31),
            )
            assert row["funding_id"] == line["funding_id"]
            for money in ("spent", "remaining", "planned", "budget", "period_cost"):
                assert is_number(row[money]), (money, row[money])
                minor = line[f"{money}_minor"]
                assert Decimal(str(row[money])) == Decimal(minor) / 100
            assert row["period_minutes"] == line["period_minutes"]
            assert row["period_hours"] == line["period_minutes"] / 60
            assert row["overspend_warning"] is line["overspend_warning"]
        assert Decimal(str(sheet_rows["=1+1"]["budget"])) == Decimal("2500.50")
        spent = next(r for n, r in sheet_rows.items() if n != "=1+1")
        assert (spent["period_hours"], Decimal(str(spent["spent"]))) == (5, Decimal("78.75"))

    async def test_only_coordinators_as_for_the_report_itself(
        self, org: Org, other_org: Org, clock: MovableClock
    ) -> None:
        joy = await paid_march(org, clock)
        payroll = await register(org.client, "Paula")
        await grant(org.app, payroll, Role.PAYROLL, org.id)
        for person in (joy, payroll):
            for path in ("grant-report", "grant-report.csv", "grant-report.xlsx"):
                refused = await download(org, person, f"{path}?{MARCH}", expect=403)
                assert refused.json()["error"]["code"] == "missing_capability"
        for path in ("grant-report", "grant-report.csv", "grant-report.xlsx"):
            await download(org, other_org.coordinator, f"{path}?{MARCH}", expect=404)


class TestDownloadLinks:
    async def test_the_pages_link_to_both_files_and_the_links_work(
        self, org: Org, clock: MovableClock
    ) -> None:
        await paid_march(org, clock)
        signed_in = await org.client.post(
            "/sign-in",
            data={"pseudonym": org.coordinator.pseudonym, "password": PASSWORD, "next": "/"},
        )
        assert signed_in.status_code == 303
        page = await org.client.get(f"/coordination/{org.id}/grant-report?{MARCH}")
        assert page.status_code == 200
        links = [html.unescape(h) for h in re.findall(r'download href="([^"]+)"', page.text)]
        assert [link.split("?")[0].rsplit("/", 1)[1] for link in links] == [
            "grant-report.csv",
            "grant-report.xlsx",
            "payroll.csv",
            "payroll.xlsx",
        ]
        for link in links:
            response = await org.client.get(link)
            assert response.status_code == 200, link
            spreadsheet = link.split("?")[0].endswith(".xlsx")
            rows = read_xlsx(response) if spreadsheet else read_csv(response)
            assert len(rows) == 1 if "payroll" in link else len(rows) >= 1
        overview = await org.client.get(f"/coordination/{org.id}")
        assert f"/api/organisations/{org.id}/payroll.xlsx?" in overview.text
        reversed_period = await org.client.get(
            f"/coordination/{org.id}/grant-report?starts_on=2030-03-31&ends_on=2030-03-01"
        )
        assert reversed_period.status_code == 422
        assert "The period ends before it starts." in reversed_period.text
