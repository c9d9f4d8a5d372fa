"""Timesheets, pay per contract, payroll CSV and the grant report: approved hours only."""

import csv
import io
from typing import Any

from backend.core.time import MovableClock
from tests.backend.peerwork.conftest import Org, at
from tests.conftest import Person


async def published(org: Org) -> dict[str, Any]:
    roster = await org.roster()
    assert roster["report"]["complete"], roster["report"]
    return await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")  # type: ignore[no-any-return]


async def my_assignment(org: Org, person: Person, index: int = 0) -> str:
    shifts = await org.call(person, "GET", "/api/peerwork/me/shifts")
    return str(shifts[index]["assignment_id"])


async def confirm(
    org: Org, person: Person, assignment: str, start: str, end: str, expect: int = 200
) -> Any:
    return await org.call(
        person,
        "PUT",
        f"/api/assignments/{assignment}/timesheet",
        {"actual_start": start, "actual_end": end},
        expect=expect,
    )


class TestTimesheets:
    async def test_confirm_only_after_the_start_and_within_reason(
        self, org: Org, clock: MovableClock
    ) -> None:
        joy = await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        await published(org)
        assignment = await my_assignment(org, joy)
        early = await confirm(org, joy, assignment, at(4, 9), at(4, 13), expect=409)
        assert "started" in early["error"]["message"]
        clock.advance(days=3, hours=5)
        await confirm(
            org, joy, assignment, at(4, 9, 0).replace(":00:00", ":00:30"), at(4, 13), expect=422
        )
        await confirm(org, joy, assignment, at(4, 13), at(4, 9), expect=422)
        await confirm(org, joy, assignment, at(3, 9), at(4, 13), expect=422)
        sheet = await confirm(org, joy, assignment, at(4, 9, 15), at(4, 13, 30))
        assert sheet["status"] == "confirmed"
        assert sheet["amount_minor"] == 0  # nothing is computed until approval

    async def test_nobody_approves_her_own_hours_and_approved_hours_are_final(
        self, org: Org, clock: MovableClock
    ) -> None:
        joy = await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        await published(org)
        assignment = await my_assignment(org, joy)
        clock.advance(days=4)
        sheet = await confirm(org, joy, assignment, at(4, 9), at(4, 13))
        await org.call(joy, "POST", f"/api/timesheets/{sheet['id']}/approve", {}, expect=403)
        rejected = await org.call(
            org.coordinator,
            "POST",
            f"/api/timesheets/{sheet['id']}/reject",
            {"reason": "Ended at 12:30, see log."},
        )
        assert rejected["status"] == "rejected"
        sheet = await confirm(org, joy, assignment, at(4, 9), at(4, 12, 30))
        approved = await org.call(
            org.coordinator, "POST", f"/api/timesheets/{sheet['id']}/approve", {}
        )
        assert (approved["minutes"], approved["amount_minor"]) == (210, 5250)
        await confirm(org, joy, assignment, at(4, 9), at(4, 13), expect=409)
        await org.call(
            org.coordinator, "POST", f"/api/timesheets/{sheet['id']}/approve", {}, expect=409
        )


class TestPayForMixedContracts:
    async def test_payroll_and_grant_report_from_approved_hours_only(
        self, org: Org, clock: MovableClock
    ) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy", kind="employment", rate_minor=1500)
        lina = await org.worker("Lina", kind="vouchers", rate_minor=1000, trainings=())
        sara = await org.worker("Sara", kind="reimbursed_volunteer", rate_minor=833, trainings=())
        # Only Joy has the outreach training; the counter shifts go to whoever is free.
        await org.shifts(
            org.shift("outreach", 4, 18, 23),
            org.shift("drop_in", 5, 19, 23),
            org.shift("drop_in", 6, 9, 13),
        )
        roster = await published(org)
        by_person: dict[str, list[str]] = {}
        for a in roster["assignments"]:
            if a["role"] == "peer":
                by_person.setdefault(a["account_id"], []).append(a["id"])
        clock.advance(days=6)
        outreach = by_person[str(joy.id)][0]
        amounts: dict[str, int] = {}
        sheets = {}
        for person in (joy, lina, sara):
            for assignment in by_person.get(str(person.id), []):
                shift = next(
                    s
                    for s in await org.call(person, "GET", "/api/peerwork/me/shifts")
                    if s["assignment_id"] == assignment
                )
                sheet = await confirm(org, person, assignment, shift["starts_at"], shift["ends_at"])
                sheets[assignment] = sheet["id"]
        # Joy's outreach: 18:00-23:00 Paris, employment at 15.00, 22:00-23:00 at +25 %.
        approved = await org.call(
            org.coordinator, "POST", f"/api/timesheets/{sheets[outreach]}/approve", {}
        )
        assert (approved["minutes"], approved["night_minutes"], approved["amount_minor"]) == (
            300,
            60,
            7875,
        )
        amounts[str(joy.id)] = 7875
        for person, expected in ((lina, 4000), (sara, 3332)):
            for assignment in by_person.get(str(person.id), []):
                done = await org.call(
                    org.coordinator, "POST", f"/api/timesheets/{sheets[assignment]}/approve", {}
                )
                # Vouchers and reimbursements: no night premium; 4 h each.
                assert done["night_minutes"] in (0, 60)
                assert done["amount_minor"] == expected
                amounts[str(person.id)] = amounts.get(str(person.id), 0) + expected
        # Fairness gives each of the other two one counter shift.
        assert sorted(len(v) for v in by_person.values()) == [1, 1, 1]
        csv_response = await org.client.get(
            f"{org.base}/payroll.csv?starts_on=2030-03-01&ends_on=2030-03-31",
            headers=org.coordinator.auth,
        )
        assert csv_response.status_code == 200
        assert csv_response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(csv_response.text)))
        assert len(rows) == 3
        names = {"Joy": str(joy.id), "Lina": str(lina.id), "Sara": str(sara.id)}
        assert {r["name"]: int(r["amount_minor"]) for r in rows} == {
            n: amounts[i] for n, i in names.items() if i in amounts
        }
        forms = {r["name"]: r["pay_form"] for r in rows}
        assert forms["Joy"] == "wage"
        assert set(forms.values()) <= {"wage", "vouchers", "reimbursement"}
        assert all("legal" not in r and r["currency"] == "EUR" for r in rows)
        joy_row = next(r for r in rows if r["name"] == "Joy")
        assert (joy_row["minutes"], joy_row["night_minutes"], joy_row["amount"]) == (
            "300",
            "60",
            "78.75",
        )
        # Outside the period: nothing.
        empty = await org.client.get(
            f"{org.base}/payroll.csv?starts_on=2030-04-01&ends_on=2030-04-30",
            headers=org.coordinator.auth,
        )
        assert empty.text.strip().count("\n") == 0

        report = await org.call(
            org.coordinator,
            "GET",
            f"{org.base}/grant-report?starts_on=2030-03-01&ends_on=2030-03-31",
        )
        [line] = report
        total = sum(amounts.values())
        assert line["period_cost_minor"] == total
        assert line["spent_minor"] == total
        assert line["remaining_minor"] == 1_000_000 - total
        assert line["overspend_warning"] is False

    async def test_unapproved_hours_count_nowhere(self, org: Org, clock: MovableClock) -> None:
        joy = await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 4, 9, 13), org.shift("drop_in", 5, 9, 13))
        await published(org)
        clock.advance(days=5)
        first = await my_assignment(org, joy, 0)
        second = await my_assignment(org, joy, 1)
        approved = await confirm(org, joy, first, at(4, 9), at(4, 13))
        await confirm(org, joy, second, at(5, 9), at(5, 13))
        await org.call(org.coordinator, "POST", f"/api/timesheets/{approved['id']}/approve", {})
        text = (
            await org.client.get(
                f"{org.base}/payroll.csv?starts_on=2030-03-01&ends_on=2030-03-31",
                headers=org.coordinator.auth,
            )
        ).text
        [row] = list(csv.DictReader(io.StringIO(text)))
        assert (row["shifts"], row["minutes"], row["amount_minor"]) == ("1", "240", "6000")
        [line] = await org.call(
            org.coordinator,
            "GET",
            f"{org.base}/grant-report?starts_on=2030-03-01&ends_on=2030-03-31",
        )
        assert line["spent_minor"] == 6000

    async def test_roster_that_would_overspend_is_flagged(
        self, org: Org, clock: MovableClock
    ) -> None:
        small = await org.call(
            org.coordinator,
            "POST",
            f"{org.base}/fundings",
            {
                "name": "Small pilot",
                "funder": "Foundation",
                "budget_minor": 10000,
                "currency": "EUR",
                "starts_on": "2030-01-01",
                "ends_on": "2030-12-31",
            },
            expect=201,
        )
        org.funding_id = small["id"]
        await org.worker("Joy", rate_minor=2000)
        await org.shifts(*(org.shift("drop_in", day, 9, 13) for day in (4, 5)))
        roster = await org.roster()
        # Two 4-hour shifts at 20.00: 160.00 planned against a 100.00 budget.
        [warning] = roster["report"]["budget_warnings"]
        assert (warning["planned_minor"], warning["over_by_minor"]) == (16000, 6000)
        await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
        report = await org.call(
            org.coordinator,
            "GET",
            f"{org.base}/grant-report?starts_on=2030-03-01&ends_on=2030-03-31",
        )
        line = next(r for r in report if r["name"] == "Small pilot")
        assert (line["planned_minor"], line["remaining_minor"], line["overspend_warning"]) == (
            16000,
            10000,
            True,
        )

    async def test_contract_terms_and_currency_checked(self, org: Org) -> None:
        await org.worker("Joy")
        worker = org.worker_ids["Joy"]
        body = {
            "kind": "employment",
            "starts_on": "2030-06-01",
            "rate_minor": 1500,
            "currency": "CHF",
            "weekly_cap_minutes": 600,
            "funding_id": org.funding_id,
        }
        wrong = await org.call(
            org.coordinator, "POST", f"/api/peer-workers/{worker}/contracts", body, expect=422
        )
        assert "currency" in wrong["error"]["fields"]
        body["currency"] = "EUR"
        overlap = await org.call(
            org.coordinator, "POST", f"/api/peer-workers/{worker}/contracts", body, expect=409
        )
        assert "starts_on" in overlap["error"]["fields"]
        await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{worker}/contracts",
            {**body, "rate_minor": 15.5},
            expect=422,
        )
        [contract] = await org.call(org.coordinator, "GET", f"/api/peer-workers/{worker}/contracts")
        await org.call(
            org.coordinator,
            "POST",
            f"/api/contracts/{contract['id']}/end",
            {"ends_on": "2030-05-31"},
        )
        created = await org.call(
            org.coordinator, "POST", f"/api/peer-workers/{worker}/contracts", body, expect=201
        )
        assert created["kind"] == "employment"
        async with org.app.state.db.session() as session:
            from sqlmodel import select

            from backend.core.audit import AuditEntry

            actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
        assert actions.count("peerwork.contract_created") == 2
        assert "peerwork.contract_ended" in actions
