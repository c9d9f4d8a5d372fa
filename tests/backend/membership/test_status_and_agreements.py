import pytest

from backend.membership.models import MemberStatus
from backend.membership.rules import transition_refusal
from tests.backend.membership.conftest import Community, roots_of

S = MemberStatus


class TestTransitions:
    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (S.NEWCOMER, S.MEMBER),
            (S.MEMBER, S.CANDIDATE),
            (S.CANDIDATE, S.ACTIVE),
            (S.CANDIDATE, S.MEMBER),
            (S.ACTIVE, S.NON_ACTIVE),
            (S.NON_ACTIVE, S.ACTIVE),
            (S.ACTIVE, S.SUSPENDED),
            (S.SUSPENDED, S.MEMBER),
            (S.MEMBER, S.EXPELLED),
        ],
    )
    def test_allowed(self, current: MemberStatus, target: MemberStatus) -> None:
        assert transition_refusal(current, target) is None

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (S.NEWCOMER, S.ACTIVE),
            (S.NEWCOMER, S.CANDIDATE),
            (S.MEMBER, S.ACTIVE),
            (S.EXPELLED, S.MEMBER),
            (S.EXPELLED, S.SUSPENDED),
            (S.NON_ACTIVE, S.CANDIDATE),
            (S.MEMBER, S.MEMBER),
        ],
    )
    def test_refused_with_a_reason(self, current: MemberStatus, target: MemberStatus) -> None:
        reason = transition_refusal(current, target)
        assert reason


class TestBecomingAMember:
    async def test_needs_signature_and_participation(self, community: Community) -> None:
        person = await community.newcomer("Rosa")
        me = await community.call(person, "GET", "/api/membership/me", expect=200)
        assert me["status"] == "newcomer"
        assert me["vouched"] is False  # self-registered
        assert me["must_sign"] == ["community_rules"]
        await community.call(
            community.facilitator,
            "POST",
            f"/api/members/{person.id}/participation",
            {"note": "first group"},
            expect=200,
        )
        me = await community.call(person, "GET", "/api/membership/me")
        assert me["status"] == "newcomer"  # took part, has not signed
        await community.vouch(person)
        await community.sign(person, "community_rules")
        me = await community.call(person, "GET", "/api/membership/me")
        assert me["status"] == "member"
        profile = await community.call(person, "GET", "/api/me")
        assert [r["role"] for r in profile["roles"]] == ["member"]

    async def test_participation_is_confirmed_by_a_facilitator_not_oneself(
        self, community: Community
    ) -> None:
        person = await community.newcomer("Rosa")
        response = await community.client.post(
            f"/api/members/{person.id}/participation", json={}, headers=person.auth
        )
        assert response.status_code == 403


class TestIllegalTransitions:
    async def test_safeguarding_cannot_make_someone_active(self, community: Community) -> None:
        person = await community.member("Rosa")
        response = await community.call(
            community.officer,
            "POST",
            f"/api/members/{person.id}/status",
            {"status": "active", "reason": "she is great"},
            expect=409,
        )
        assert response["error"]["code"] == "illegal_transition"

    async def test_expelled_stays_expelled(self, community: Community) -> None:
        person = await community.member("Rosa")
        await community.call(
            community.officer,
            "POST",
            f"/api/members/{person.id}/status",
            {"status": "expelled", "reason": "confirmed recruiter"},
            expect=200,
        )
        me = await community.call(person, "GET", "/api/me")
        assert me["roles"] == []
        response = await community.call(
            community.officer,
            "POST",
            f"/api/members/{person.id}/status",
            {"status": "suspended", "reason": "again"},
            expect=409,
        )
        assert "expelled" in response["error"]["message"]

    async def test_applying_twice_or_as_newcomer_is_refused(self, community: Community) -> None:
        newcomer = await community.newcomer("Rosa")
        await community.grant_member_role_without_status(newcomer)
        refused = await community.call(newcomer, "POST", "/api/applications", {}, expect=409)
        assert refused["error"]["code"] == "illegal_transition"


class TestAgreements:
    async def test_new_version_asks_to_sign_again_and_blocks_acting(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 2)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        version = await community.publish(
            "community_rules", "Be kind. Keep what is said here private. New: no photos."
        )
        assert version == 2
        me = await community.call(roots[0], "GET", "/api/membership/me")
        assert me["must_sign"] == ["community_rules"]
        # Meanwhile she can read the vote but not cast a ballot.
        await community.call(roots[0], "GET", f"/api/votes/{vote_id}", expect=200)
        refused = await community.ballot(roots[0], vote_id, "yes", expect=409)
        assert refused["error"]["code"] == "must_sign"
        await community.sign(roots[0], "community_rules", version=2)
        assert (await community.ballot(roots[0], vote_id, "yes"))["my_choice"] == "yes"

    async def test_old_version_cannot_be_signed(self, community: Community) -> None:
        person = await community.newcomer("Rosa")
        await community.publish("community_rules", "Version two of the rules, longer text.")
        response = await community.client.post(
            "/api/agreements/community_rules/signatures",
            json={"version": 1, "language": "en"},
            headers=person.auth,
        )
        assert response.status_code == 409

    async def test_translation_of_the_current_version(self, community: Community) -> None:
        response = await community.call(
            community.admin,
            "POST",
            "/api/agreements",
            {
                "kind": "community_rules",
                "language": "fr",
                "title": "Règles",
                "body": "Soyez bienveillantes. Ce qui se dit ici reste ici.",
                "version": 1,
            },
            expect=201,
        )
        assert response["version"] == 1
        texts = await community.call(community.admin, "GET", "/api/agreements/community_rules")
        assert sorted(t["language"] for t in texts) == ["en", "fr"]
        person = await community.newcomer("Rosa")
        await community.call(
            person,
            "POST",
            "/api/agreements/community_rules/signatures",
            {"version": 1, "language": "fr"},
            expect=201,
        )

    async def test_only_admins_publish(self, community: Community) -> None:
        person = await community.member("Rosa")
        response = await community.client.post(
            "/api/agreements",
            json={"kind": "community_rules", "language": "en", "title": "Mine", "body": "x" * 30},
            headers=person.auth,
        )
        assert response.status_code == 403


class TestInactivity:
    async def test_absent_active_member_becomes_non_active_and_loses_her_card(
        self, community: Community
    ) -> None:
        from datetime import UTC, datetime, timedelta

        from backend.core.time import frozen_clock
        from backend.membership import cards as card_service
        from backend.membership import status as status_service

        root = (await roots_of(community, 1))[0]
        async with community.app.state.db.session() as session:
            await card_service.issue_card(
                session, community.app.state.card_signer, actor_id=None, account_id=root.id
            )
        with frozen_clock(datetime.now(UTC) + timedelta(days=181)):
            async with community.app.state.db.session() as session:
                assert await status_service.mark_inactive_members(session) == 1
            me = await community.call(root, "GET", "/api/membership/me")
            card = await community.call(root, "GET", "/api/cards/me")
        assert me["status"] == "non_active"
        assert card["status"] == "revoked"


class TestWhoSeesWhere:
    async def test_city_shown_to_coordinators_and_safeguarding_only(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 1)
        person = await community.member("Rosa")
        await community.call(
            person, "PUT", "/api/membership/me/profile", {"city": "Lyon", "languages": ["en"]}
        )
        by_root = await community.call(roots[0], "GET", f"/api/members/{person.id}", expect=200)
        assert (by_root["status"], by_root["city"]) == ("member", None)
        for viewer in (community.coordinator, community.officer):
            seen = await community.call(viewer, "GET", f"/api/members/{person.id}", expect=200)
            assert seen["city"] == "Lyon"
        own = await community.call(person, "GET", "/api/membership/me")
        assert own["city"] == "Lyon"
