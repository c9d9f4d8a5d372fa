from pathlib import Path

import pytest

from backend.auth.capabilities import Role
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from tests.backend.membership.conftest import Community, roots_of
from tests.conftest import PASSWORD, grant, register

NOTE = "Met at the Tuesday drop-in; speaks Romanian; prefers evening contact only."


async def join(community: Community, code: str, pseudonym: str = "Maya") -> dict:  # type: ignore[type-arg]
    response = await community.client.post(
        "/api/referrals/join",
        json={
            "pseudonym": pseudonym,
            "password": PASSWORD,
            "invitation_code": code,
            "client": "api",
        },
    )
    return {"status": response.status_code, "body": response.json()}


class TestReferrals:
    async def test_coordinator_refers_for_her_organisation_and_the_person_joins_vouched(
        self, community: Community
    ) -> None:
        async with community.app.state.db.session() as session:
            harbour = await organisation_service.create_organisation(
                session, actor_id=community.admin.id, name="Harbour", kind=OrganisationKind.BOTH
            )
        coordinator = await register(community.client, "Claire")
        await grant(community.app, coordinator, Role.COORDINATOR, harbour.id)
        referral = await community.call(
            coordinator,
            "POST",
            "/api/referrals",
            {"organisation_id": str(harbour.id), "note": NOTE},
            expect=201,
        )
        joined = await join(community, referral["invitation_code"].lower())
        assert joined["status"] == 201
        assert len(joined["body"]["recovery_codes"]) == 10
        token = joined["body"]["token"]
        me = await community.client.get(
            "/api/membership/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.json()["vouched"] is True
        assert me.json()["status"] == "newcomer"
        again = await join(community, referral["invitation_code"], "Other Person")
        assert again["status"] == 422
        assert again["body"]["error"]["code"] == "invitation_refused"

    async def test_coordinator_cannot_refer_for_another_organisation(
        self, community: Community
    ) -> None:
        async with community.app.state.db.session() as session:
            harbour = await organisation_service.create_organisation(
                session, actor_id=community.admin.id, name="Harbour", kind=OrganisationKind.BOTH
            )
            other = await organisation_service.create_organisation(
                session, actor_id=community.admin.id, name="Other", kind=OrganisationKind.BOTH
            )
        coordinator = await register(community.client, "Claire")
        await grant(community.app, coordinator, Role.COORDINATOR, harbour.id)
        response = await community.client.post(
            "/api/referrals", json={"organisation_id": str(other.id)}, headers=coordinator.auth
        )
        assert response.status_code == 404

    async def test_members_and_newcomers_cannot_refer(self, community: Community) -> None:
        member = await community.member("Rosa")
        response = await community.client.post("/api/referrals", json={}, headers=member.auth)
        assert response.status_code == 403

    async def test_active_member_referral_budget(self, community: Community) -> None:
        await community.set_rules(referrals_per_period=2)
        root = (await roots_of(community, 1))[0]
        for _ in range(2):
            await community.call(root, "POST", "/api/referrals", {}, expect=201)
        refused = await community.call(root, "POST", "/api/referrals", {}, expect=429)
        assert refused["error"]["code"] == "referral_budget_used"

    async def test_expired_code_refused(self, community: Community) -> None:
        from datetime import UTC, datetime, timedelta

        from backend.core.time import frozen_clock

        root = (await roots_of(community, 1))[0]
        referral = await community.call(root, "POST", "/api/referrals", {}, expect=201)
        with frozen_clock(datetime.now(UTC) + timedelta(days=31)):
            joined = await join(community, referral["invitation_code"])
        assert joined["status"] == 422

    async def test_private_note_is_sealed(self, community: Community, database_url: str) -> None:
        if not database_url.startswith("sqlite"):
            pytest.skip("greps the SQLite file")
        root = (await roots_of(community, 1))[0]
        await community.call(root, "POST", "/api/referrals", {"note": NOTE}, expect=201)
        await community.app.state.db.dispose()
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"Tuesday drop-in" not in raw


class TestInterviewers:
    async def assign(self, community: Community, application_id: str, ids: list[str]) -> dict:  # type: ignore[type-arg]
        response = await community.client.put(
            f"/api/applications/{application_id}/interviewers",
            json={"interviewer_ids": ids},
            headers=community.coordinator.auth,
        )
        return {"status": response.status_code, "body": response.json()}

    async def test_refusals(self, community: Community) -> None:
        roots = await roots_of(community, 4)
        applicant = await community.member("Rosa")
        member = await community.member("Plain Member")
        application = await community.call(applicant, "POST", "/api/applications", {}, expect=201)
        app_id = application["id"]
        assert (await self.assign(community, app_id, [str(applicant.id)]))["status"] == 409
        assert (await self.assign(community, app_id, [str(member.id)]))["status"] == 409
        four = [str(r.id) for r in roots]
        assert (await self.assign(community, app_id, four))["status"] == 422
        # A block either way excludes the interviewer.
        await community.call(
            applicant, "POST", "/api/blocks", {"account_id": str(roots[0].id)}, expect=201
        )
        blocked = await self.assign(community, app_id, [str(roots[0].id)])
        assert blocked["status"] == 409
        assert blocked["body"]["error"]["code"] == "interviewer_refused"
        await community.call(
            roots[1], "POST", "/api/blocks", {"account_id": str(applicant.id)}, expect=201
        )
        assert (await self.assign(community, app_id, [str(roots[1].id)]))["status"] == 409
        fine = await self.assign(community, app_id, [str(roots[2].id), str(roots[3].id)])
        assert fine["status"] == 200
        assert sorted(fine["body"]["interviewers"]) == ["Root C", "Root D"]

    async def test_only_roots_coordinators_assign(self, community: Community) -> None:
        roots = await roots_of(community, 1)
        applicant = await community.member("Rosa")
        application = await community.call(applicant, "POST", "/api/applications", {}, expect=201)
        response = await community.client.put(
            f"/api/applications/{application['id']}/interviewers",
            json={"interviewer_ids": [str(roots[0].id)]},
            headers=roots[0].auth,
        )
        assert response.status_code == 403


class TestReport:
    async def test_must_cover_every_criterion_and_only_roots_read_it(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 2)
        applicant = await community.member("Rosa")
        application = await community.call(applicant, "POST", "/api/applications", {}, expect=201)
        app_id = application["id"]
        await community.call(
            community.coordinator,
            "PUT",
            f"/api/applications/{app_id}/interviewers",
            {"interviewer_ids": [str(roots[0].id)]},
            expect=200,
        )
        partial = await community.call(
            roots[0],
            "PUT",
            f"/api/applications/{app_id}/report",
            {
                "summary": "A long and careful conversation.",
                "assessments": [{"criterion_id": community.criteria[0], "assessment": "meets"}],
            },
            expect=422,
        )
        assert "Keeps confidences" in partial["error"]["fields"]["assessments"]
        # Someone not assigned cannot write it: same answer as no such application.
        await community.call(
            roots[1],
            "PUT",
            f"/api/applications/{app_id}/report",
            {
                "summary": "I was not there.",
                "assessments": [
                    {"criterion_id": c, "assessment": "meets"} for c in community.criteria
                ],
            },
            expect=404,
        )
        await community.call(
            roots[0],
            "PUT",
            f"/api/applications/{app_id}/report",
            {
                "summary": "A long and careful conversation.",
                "assessments": [
                    {"criterion_id": c, "assessment": "partly", "comment": "growing"}
                    for c in community.criteria
                ],
            },
            expect=200,
        )
        seen_by_root = await community.call(roots[1], "GET", f"/api/applications/{app_id}")
        assert seen_by_root["report"]["summary"] == "A long and careful conversation."
        seen_by_her = await community.call(applicant, "GET", f"/api/applications/{app_id}")
        assert seen_by_her["report"] is None
        other_member = await community.member("Curious")
        response = await community.client.get(
            f"/api/applications/{app_id}", headers=other_member.auth
        )
        assert response.status_code == 404

    async def test_vote_needs_report_and_signed_active_rules(self, community: Community) -> None:
        roots = await roots_of(community, 2)
        applicant = await community.member("Rosa")
        application = await community.call(applicant, "POST", "/api/applications", {}, expect=201)
        app_id = application["id"]
        no_report = await community.call(
            community.coordinator, "POST", f"/api/applications/{app_id}/votes", {}, expect=409
        )
        assert "report" in no_report["error"]["message"]
        await community.call(
            community.coordinator,
            "PUT",
            f"/api/applications/{app_id}/interviewers",
            {"interviewer_ids": [str(roots[0].id)]},
            expect=200,
        )
        await community.call(
            roots[0],
            "PUT",
            f"/api/applications/{app_id}/report",
            {
                "summary": "A long and careful conversation.",
                "assessments": [
                    {"criterion_id": c, "assessment": "meets"} for c in community.criteria
                ],
            },
            expect=200,
        )
        unsigned = await community.call(
            community.coordinator, "POST", f"/api/applications/{app_id}/votes", {}, expect=409
        )
        assert "signed" in unsigned["error"]["message"]
