"""Onboarding (an invitation she must accept), payroll identity, trainings, and strict
isolation between organisations."""

from typing import Any

from backend.auth.capabilities import Role
from backend.core.time import MovableClock
from tests.backend.peerwork.conftest import Org
from tests.conftest import grant, register


class TestOnboarding:
    async def test_invitation_must_be_accepted(self, org: Org) -> None:
        joy = await org.member("Joy")
        invited = await org.call(
            org.coordinator, "POST", f"{org.base}/peer-workers", {"pseudonym": "joy"}, expect=201
        )
        assert invited["status"] == "invited"
        again = await org.call(
            org.coordinator, "POST", f"{org.base}/peer-workers", {"pseudonym": "Joy"}, expect=409
        )
        assert "invited" in again["error"]["message"]
        # Until she accepts: no contract, no role, no availability.
        contract = {
            "kind": "employment",
            "starts_on": "2030-03-01",
            "rate_minor": 1500,
            "currency": "EUR",
            "weekly_cap_minutes": 600,
            "funding_id": org.funding_id,
        }
        await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{invited['id']}/contracts",
            contract,
            expect=409,
        )
        await org.call(joy, "PUT", f"{org.base}/my-availability", {"weekly": []}, expect=404)
        [invitation] = await org.call(joy, "GET", "/api/peerwork/me/invitations")
        assert (invitation["organisation_name"], invitation["status"]) == (
            "Harbour Outreach",
            "invited",
        )
        # Another person cannot answer for her.
        other = await org.member("Lina")
        await org.call(
            other, "POST", f"/api/peer-work-invitations/{invited['id']}/accept", {}, expect=404
        )
        accepted = await org.call(
            joy,
            "POST",
            f"/api/peer-work-invitations/{invited['id']}/accept",
            {"shared_name": "Joy B."},
        )
        assert (accepted["status"], accepted["name"]) == ("active", "Joy B.")
        me = await org.call(joy, "GET", "/api/me")
        assert {"role": "peer_worker", "organisation_id": str(org.id)}.items() <= next(
            r for r in me["roles"] if r["role"] == "peer_worker"
        ).items()
        await org.call(
            joy, "POST", f"/api/peer-work-invitations/{invited['id']}/accept", {}, expect=409
        )
        await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{invited['id']}/contracts",
            contract,
            expect=201,
        )

    async def test_only_members_can_be_invited(self, org: Org) -> None:
        await register(org.client, "Mira")  # a newcomer, not yet a member
        for pseudonym in ("Mira", "Nobody"):
            refused = await org.call(
                org.coordinator,
                "POST",
                f"{org.base}/peer-workers",
                {"pseudonym": pseudonym},
                expect=404,
            )
            assert refused["error"]["message"] == "No member has this pseudonym."

    async def test_declined_then_invited_again(self, org: Org) -> None:
        joy = await org.member("Joy")
        invited = await org.call(
            org.coordinator, "POST", f"{org.base}/peer-workers", {"pseudonym": "Joy"}, expect=201
        )
        declined = await org.call(
            joy, "POST", f"/api/peer-work-invitations/{invited['id']}/decline"
        )
        assert declined["status"] == "declined"
        me = await org.call(joy, "GET", "/api/me")
        assert all(r["role"] != "peer_worker" for r in me["roles"])
        again = await org.call(
            org.coordinator, "POST", f"{org.base}/peer-workers", {"pseudonym": "Joy"}, expect=201
        )
        assert again["id"] == invited["id"]
        assert again["status"] == "invited"

    async def test_ending_work_removes_the_role(self, org: Org) -> None:
        joy = await org.worker("Joy")
        ended = await org.call(
            org.coordinator, "POST", f"/api/peer-workers/{org.worker_ids['Joy']}/end"
        )
        assert ended["status"] == "ended"
        me = await org.call(joy, "GET", "/api/me")
        assert all(r["role"] != "peer_worker" for r in me["roles"])


class TestPayrollIdentity:
    async def test_read_with_a_reason_logged_and_shown_to_her(
        self, org: Org, other_org: Org
    ) -> None:
        joy = await org.worker("Joy")
        await org.call(
            joy,
            "PUT",
            "/api/identity/me",
            {
                "legal_name": "Ada Example",
                "date_of_birth": "1990-05-01",
                "phone": "+33 6 00 00 00 00",
                "notes": "private",
            },
        )
        payroll = await register(org.client, "Paula")
        await grant(org.app, payroll, Role.PAYROLL, org.id)
        path = f"/api/peer-workers/{org.worker_ids['Joy']}/payroll-identity"
        reason = {"reason": "Monthly payroll for March 2030: contract registration."}
        # The coordinator does not hold the payroll capability.
        await org.call(org.coordinator, "POST", path, reason, expect=403)
        await org.call(payroll, "POST", path, {"reason": "payroll"}, expect=422)
        read = await org.call(payroll, "POST", path, reason)
        assert (read["legal_name"], read["date_of_birth"], read["address"]) == (
            "Ada Example",
            "1990-05-01",
            None,
        )
        assert "phone" not in read
        assert "notes" not in read
        # Payroll of another organisation learns nothing.
        stranger = await register(org.client, "Pierre")
        await grant(org.app, stranger, Role.PAYROLL, other_org.id)
        await org.call(stranger, "POST", path, reason, expect=404)
        seen = await org.call(joy, "GET", "/api/identity/me/unsealings")
        assert [(s["kind"], s["opened_by"], s["reason"]) for s in seen] == [
            ("payroll", "Paula", reason["reason"])
        ]
        audit = await org.call(await _auditor(org), "GET", "/api/audit")
        entry = next(e for e in audit if e["action"] == "identity.read_for_payroll")
        assert "Ada" not in str(entry)


async def _auditor(org: Org) -> Any:
    person = await register(org.client, "Auditor")
    await grant(org.app, person, Role.ADMIN)
    return person


class TestTrainings:
    async def test_expiry_warnings(self, org: Org, clock: MovableClock) -> None:
        joy = await org.worker("Joy", trainings=())
        await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{org.worker_ids['Joy']}/trainings",
            {"training_id": org.trainings["outreach safety"], "completed_on": "2029-03-20"},
            expect=201,
        )
        await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{org.worker_ids['Joy']}/trainings",
            {"training_id": org.trainings["first aid"], "completed_on": "2030-02-20"},
            expect=201,
        )
        soon = await org.call(
            org.coordinator, "GET", f"{org.base}/training-expiries?within_days=30"
        )
        assert [(w["name"], w["training"], w["expires_on"]) for w in soon] == [
            ("Joy", "outreach safety", "2030-03-20")
        ]
        assert await org.call(joy, "GET", f"{org.base}/training-expiries") == soon
        future = await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{org.worker_ids['Joy']}/trainings",
            {"training_id": org.trainings["first aid"], "completed_on": "2030-03-02"},
            expect=422,
        )
        assert "completed_on" in future["error"]["fields"]


class TestOrganisationIsolation:
    async def test_coordinator_of_b_sees_and_changes_nothing_of_a(
        self, org: Org, other_org: Org, clock: MovableClock
    ) -> None:
        await org.professional("Hugo")
        await org.worker("Joy")
        await org.shifts(org.shift("outreach", 4, 18, 22))
        roster = await org.roster()
        await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
        joy = org.workers["Joy"]
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        clock.advance(days=4)
        sheet = await org.call(
            joy,
            "PUT",
            f"/api/assignments/{shift['assignment_id']}/timesheet",
            {"actual_start": shift["starts_at"], "actual_end": shift["ends_at"]},
        )
        worker = org.worker_ids["Joy"]
        [contract] = await org.call(org.coordinator, "GET", f"/api/peer-workers/{worker}/contracts")
        b = other_org.coordinator
        a = org.base
        probes: list[tuple[str, str, Any]] = [
            ("GET", f"{a}/peer-workers", None),
            ("POST", f"{a}/peer-workers", {"pseudonym": "Joy"}),
            ("GET", f"{a}/fundings", None),
            (
                "POST",
                f"{a}/fundings",
                {
                    "name": "x",
                    "funder": "y",
                    "budget_minor": 1,
                    "currency": "EUR",
                    "starts_on": "2030-01-01",
                    "ends_on": "2030-02-01",
                },
            ),
            ("GET", f"{a}/trainings", None),
            ("GET", f"{a}/shift-types", None),
            ("POST", f"{a}/shift-types", {"name": "x", "kind": "drop_in", "zone": "z"}),
            ("GET", f"{a}/shifts?starts_on=2030-03-01&ends_on=2030-03-31", None),
            ("POST", f"{a}/shifts", {"shifts": [org.shift("drop_in", 6, 9, 12)]}),
            ("GET", f"{a}/rosters", None),
            ("POST", f"{a}/rosters", {"starts_on": "2030-03-11", "ends_on": "2030-03-12"}),
            ("GET", f"/api/rosters/{roster['id']}", None),
            ("POST", f"/api/rosters/{roster['id']}/publish", None),
            ("DELETE", f"/api/rosters/{roster['id']}", None),
            (
                "POST",
                f"/api/rosters/{roster['id']}/assignments",
                {"shift_id": shift["assignment_id"], "account_id": str(joy.id), "role": "peer"},
            ),
            ("GET", f"{a}/availability", None),
            ("GET", f"{a}/professionals", None),
            ("GET", f"{a}/team", None),
            ("GET", f"{a}/timesheets", None),
            ("POST", f"/api/timesheets/{sheet['id']}/approve", {}),
            ("GET", f"{a}/payroll.csv?starts_on=2030-03-01&ends_on=2030-03-31", None),
            ("GET", f"{a}/grant-report?starts_on=2030-03-01&ends_on=2030-03-31", None),
            ("GET", f"{a}/training-expiries", None),
            ("GET", f"/api/peer-workers/{worker}/contracts", None),
            (
                "POST",
                f"/api/peer-workers/{worker}/contracts",
                {
                    "kind": "employment",
                    "starts_on": "2031-01-01",
                    "rate_minor": 1,
                    "currency": "EUR",
                    "weekly_cap_minutes": 60,
                    "funding_id": other_org.funding_id,
                },
            ),
            ("POST", f"/api/contracts/{contract['id']}/end", {"ends_on": "2030-03-05"}),
            ("GET", f"/api/peer-workers/{worker}/trainings", None),
            (
                "POST",
                f"/api/peer-workers/{worker}/trainings",
                {"training_id": other_org.trainings["first aid"], "completed_on": "2030-02-01"},
            ),
            ("GET", f"/api/peer-workers/{worker}/exclusions", None),
            ("PUT", f"/api/peer-workers/{worker}/exclusions", {"zones": []}),
            ("PUT", f"/api/peer-workers/{worker}/supervisor", {"account_id": str(b.id)}),
            ("POST", f"/api/peer-workers/{worker}/end", None),
            ("PUT", f"{a}/peerwork-settings", {"timezone": "UTC"}),
        ]
        for method, path, body in probes:
            response = await org.client.request(method, path, json=body, headers=b.auth)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
        assert await org.call(b, "GET", "/api/shift-swaps") == []
        assert await org.call(b, "GET", "/api/debriefs") == []
        # Nothing changed: A's roster is still published with its people, the hours unapproved.
        after = await org.call(org.coordinator, "GET", f"/api/rosters/{roster['id']}")
        assert after["status"] == "published"
        assert len(after["assignments"]) == 2
        [still] = await org.call(org.coordinator, "GET", f"{a}/timesheets")
        assert still["status"] == "confirmed"
        # And A's coordinator sees nothing of B.
        await org.call(org.coordinator, "GET", f"{other_org.base}/peer-workers", expect=404)

    async def test_b_roster_never_uses_a_people(self, org: Org, other_org: Org) -> None:
        await org.worker("Joy")
        await other_org.shifts(other_org.shift("drop_in", 4, 9, 13))
        roster = await other_org.roster()
        assert roster["assignments"] == []
        [gap] = roster["report"]["uncovered"]
        assert gap["binding"] == ["no_candidates"]

    async def test_exclusions_hidden_from_professionals_and_workers(self, org: Org) -> None:
        hugo = await org.professional("Hugo")
        joy = await org.worker("Joy")
        lina = await org.worker("Lina")
        added = await org.call(joy, "POST", f"{org.base}/my-exclusions", {"zone": "Station"})
        assert added["zones"] == ["Station"]
        path = f"/api/peer-workers/{org.worker_ids['Joy']}/exclusions"
        assert (await org.call(org.coordinator, "GET", path))["zones"] == ["Station"]
        await org.call(hugo, "GET", path, expect=404)
        await org.call(lina, "GET", path, expect=404)
        await org.call(joy, "GET", path, expect=404)
        assert (await org.call(joy, "GET", f"{org.base}/my-exclusions"))["zones"] == ["Station"]
        assert (await org.call(lina, "GET", f"{org.base}/my-exclusions"))["zones"] == []
