"""Reports, the triage queue, conflict of interest, decisions and appeals."""

import json
import uuid

from fastapi import FastAPI

from backend.auth.capabilities import Role
from tests.backend.safeguarding.conftest import Community, queue, report
from tests.conftest import Person, person_with


class TestReports:
    async def test_many_reports_make_one_case_and_no_restriction(
        self, community: Community
    ) -> None:
        client, officer = community.client, community.officer
        target = await community.member("Lina")
        reporters = [await community.member(f"Reporter {n}") for n in range(6)]
        for reporter in reporters:
            await report(client, reporter, account=target, kind="harassment")
        cases = await queue(client, officer)
        assert len(cases) == 1
        assert cases[0]["target_pseudonym"] == "Lina"
        assert cases[0]["report_count"] == 6
        # Mass reporting is a tactic against real members: nothing happens by count.
        me = await community.call(target, "GET", "/api/me", expect=200)
        assert "rooms:participate" in me["capabilities"]
        assert await community.call(target, "GET", "/api/me/restrictions", expect=200) == []

    async def test_immediate_danger_goes_first_then_severity_then_age(
        self, community: Community
    ) -> None:
        client, officer = community.client, community.officer
        reporter = await community.member("Reporter")
        spammer = await community.member("Spammer")
        harasser = await community.member("Harasser")
        danger = await community.member("Danger")
        await report(client, reporter, account=spammer, kind="spam")
        await report(client, reporter, account=harasser, kind="harassment")
        await report(client, reporter, account=danger, kind="harassment", danger=True)
        order = [(c["target_pseudonym"], c["urgent"]) for c in await queue(client, officer)]
        assert order == [("Danger", True), ("Harasser", False), ("Spammer", False)]

    async def test_an_infiltration_report_goes_first_without_the_danger_box(
        self, community: Community
    ) -> None:
        client, officer = community.client, community.officer
        reporter = await community.member("Reporter")
        recruiter = await community.member("Recruiter")
        stranger = await community.member("Stranger")
        # The recruitment report is older and as severe: only urgency puts the other first.
        await report(client, reporter, account=recruiter, kind="recruitment")
        await report(client, reporter, account=stranger, kind="infiltration", danger=False)
        order = [(c["target_pseudonym"], c["urgent"]) for c in await queue(client, officer)]
        assert order == [("Stranger", True), ("Recruiter", False)]

    async def test_reporter_follows_progress_never_the_outcome(
        self, community: Community, second_officer: Person
    ) -> None:
        client, officer = community.client, community.officer
        reporter = await community.member("Reporter")
        target = await community.member("Lina")
        filed = await report(client, reporter, account=target)
        assert filed["status"] == "received"
        case_id = (await queue(client, officer))[0]["case_id"]
        await community.call(
            officer,
            "POST",
            f"/api/safety/cases/{case_id}/assignment",
            {"officer_id": str(second_officer.id)},
            expect=200,
        )
        mine = await community.call(reporter, "GET", "/api/reports/mine", expect=200)
        assert [r["status"] for r in mine] == ["in_review"]
        await community.call(
            second_officer,
            "POST",
            f"/api/safety/cases/{case_id}/decision",
            {"decision": "warning", "reason": "spoke with her"},
            expect=200,
        )
        mine = await community.call(reporter, "GET", "/api/reports/mine", expect=200)
        assert [r["status"] for r in mine] == ["closed"]
        assert set(mine[0]) == {"id", "kind", "target_kind", "created_at", "status"}

    async def test_you_cannot_report_yourself_or_nobody(self, community: Community) -> None:
        lina = await community.member("Lina")
        refused = await report(community.client, lina, account=lina, expect=409)
        assert "cannot report yourself" in refused["error"]["message"]
        response = await community.client.post(
            "/api/reports",
            json={"kind": "spam", "target": {"kind": "account", "account_id": str(uuid.uuid4())}},
            headers=lina.auth,
        )
        assert response.status_code == 404
        bad_kind = await community.client.post(
            "/api/reports",
            json={"kind": "gossip", "target": {"kind": "account", "account_id": str(lina.id)}},
            headers=lina.auth,
        )
        assert bad_kind.status_code == 422
        assert await queue(community.client, community.officer) == []


class TestReporterAnonymity:
    async def test_nothing_the_reported_person_or_an_admin_can_reach_names_the_reporter(
        self, community: Community
    ) -> None:
        """Every place the reported person (and an admin without safeguarding) could read:
        /api/me, /api/me/restrictions, /api/me/decisions, /api/reports/mine, /api/rooms,
        the room's messages and members, /api/notifications-like feeds (none here), the
        audit log (admin), the queue and case pages (refused)."""
        client, officer = community.client, community.officer
        reporter = await community.member("Shirin")
        target = await community.member("Lina")
        room = await community.call(
            community.facilitator,
            "POST",
            "/api/rooms",
            {"kind": "support_group", "name": "Circle"},
            expect=201,
        )
        for person in (reporter, target):
            await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
        await report(client, reporter, account=target, description="Shirin here: she scares me")
        case_id = (await queue(client, officer))[0]["case_id"]
        await community.call(
            officer,
            "POST",
            f"/api/safety/cases/{case_id}/decision",
            {
                "decision": "restriction",
                "reason": "asked members for addresses",
                "effects": ["read_only"],
            },
            expect=200,
        )
        secrets = {str(reporter.id), reporter.pseudonym}
        reachable = [
            (target, "GET", "/api/me"),
            (target, "GET", "/api/me/restrictions"),
            (target, "GET", "/api/me/decisions"),
            (target, "GET", "/api/reports/mine"),
            (target, "GET", "/api/rooms"),
            (target, "GET", f"/api/rooms/{room['id']}/messages"),
            (community.admin, "GET", "/api/audit"),
        ]
        for person, method, path in reachable:
            response = await client.request(method, path, headers=person.auth)
            assert response.status_code == 200, (path, response.text)
            body = response.json()
            if path == "/api/audit":
                # She appears in the log for what she did herself (joining, signing); the
                # safeguarding entries must not tie her to the report.
                body = [e for e in body if e["action"].startswith("safety.")]
                assert body
            text = json.dumps(body)
            for secret in secrets:
                assert secret not in text, (path, secret)
        for path in ("/api/safety/queue", f"/api/safety/cases/{case_id}"):
            for person in (target, community.admin):
                assert (await client.get(path, headers=person.auth)).status_code == 403
        # The officer sees who reported.
        case = await community.call(officer, "GET", f"/api/safety/cases/{case_id}", expect=200)
        assert [r["reporter_pseudonym"] for r in case["reports"]] == ["Shirin"]
        # The member list she sees still includes the reporter (nothing singles her out).
        members = await community.call(
            target, "GET", f"/api/rooms/{room['id']}/members", expect=200
        )
        assert "Shirin" in [m["pseudonym"] for m in members]


class TestConflictOfInterest:
    async def test_officer_who_is_target_reporter_or_linked_is_excluded(
        self, app: FastAPI, community: Community, second_officer: Person
    ) -> None:
        client, officer = community.client, community.officer
        lina = await community.member("Lina")
        # Noor is reported; Selin (second officer) reports her.
        await report(client, second_officer, account=officer)
        assert await queue(client, officer) == []
        assert await queue(client, second_officer) == []
        third = await person_with(app, client, "Farah", Role.SAFEGUARDING)
        cases = await queue(client, third)
        assert [c["target_pseudonym"] for c in cases] == ["Noor"]
        case_id = cases[0]["case_id"]
        for conflicted in (officer, second_officer):
            response = await client.get(f"/api/safety/cases/{case_id}", headers=conflicted.auth)
            assert response.status_code == 404
            refused = await client.post(
                f"/api/safety/cases/{case_id}/assignment",
                json={"officer_id": str(conflicted.id)},
                headers=third.auth,
            )
            assert refused.status_code == 409
            assert refused.json()["error"]["code"] == "conflict_of_interest"
        # An officer linked to the target by mentoring is excluded too.
        mentor_officer = await person_with(app, client, "Dana", Role.SAFEGUARDING, Role.MENTOR)
        await report(client, third, account=lina)
        async with app.state.db.session() as session:
            from backend.core.time import utc_now
            from backend.mentoring.models import Mentorship

            session.add(
                Mentorship(
                    mentor_id=mentor_officer.id,
                    mentee_id=lina.id,
                    status="active",
                    proposed_at=utc_now(),
                )
            )
        assert "Lina" not in [c["target_pseudonym"] for c in await queue(client, mentor_officer)]
        assert "Lina" in [c["target_pseudonym"] for c in await queue(client, officer)]


class TestAppeals:
    async def test_appeal_is_decided_by_another_officer_and_overturning_lifts(
        self, community: Community, second_officer: Person
    ) -> None:
        client, officer = community.client, community.officer
        reporter = await community.member("Reporter")
        lina = await community.member("Lina")
        await report(client, reporter, account=lina)
        case_id = (await queue(client, officer))[0]["case_id"]
        await community.call(
            officer,
            "POST",
            f"/api/safety/cases/{case_id}/decision",
            {
                "decision": "restriction",
                "reason": "shared a member's workplace",
                "effects": ["read_only", "direct_messages_frozen"],
            },
            expect=200,
        )
        decisions = await community.call(lina, "GET", "/api/me/decisions", expect=200)
        assert [(d["decision"], d["can_appeal"]) for d in decisions] == [("restriction", True)]
        restrictions = await community.call(lina, "GET", "/api/me/restrictions", expect=200)
        assert restrictions[0]["effects"] == ["direct_messages_frozen", "read_only"]
        assert "not write" in " ".join(restrictions[0]["meaning"])
        # Only she may appeal, and only once.
        assert (
            await client.post(
                f"/api/me/decisions/{case_id}/appeal",
                json={"statement": "not me"},
                headers=reporter.auth,
            )
        ).status_code == 404
        await community.call(
            lina,
            "POST",
            f"/api/me/decisions/{case_id}/appeal",
            {"statement": "I only asked which bus stop."},
            expect=201,
        )
        again = await client.post(
            f"/api/me/decisions/{case_id}/appeal",
            json={"statement": "again"},
            headers=lina.auth,
        )
        assert again.status_code == 409
        same = await client.post(
            f"/api/safety/cases/{case_id}/appeal-decision",
            json={"outcome": "overturned", "reason": "fine"},
            headers=officer.auth,
        )
        assert same.status_code == 403
        assert "Another officer" in same.json()["error"]["message"]
        decided = await community.call(
            second_officer,
            "POST",
            f"/api/safety/cases/{case_id}/appeal-decision",
            {"outcome": "overturned", "reason": "the bus stop was the meeting place"},
            expect=200,
        )
        assert decided["status"] == "closed"
        assert decided["appeal"]["outcome"] == "overturned"
        assert await community.call(lina, "GET", "/api/me/restrictions", expect=200) == []
        entries = await community.call(community.admin, "GET", "/api/audit", expect=200)
        actions = [e["action"] for e in entries]
        for action in (
            "safety.report_filed",
            "safety.case_decided",
            "safety.restriction_applied",
            "safety.appeal_filed",
            "safety.appeal_decided",
        ):
            assert action in actions, action
