"""Who hears of each step of the membership path, and who must not."""

from datetime import UTC, datetime, timedelta

import pytest

from backend.core.time import frozen_clock
from backend.membership import cards as card_service
from backend.membership import votes as vote_service
from tests.backend.membership.conftest import Community, roots_of
from tests.backend.notification.conftest import feed, kinds_of
from tests.conftest import Person


async def texts(community: Community, person: Person, kind: str) -> list[str]:
    body = await feed(community.client, person)
    return [i["text"] for i in body["items"] if i["kind"] == kind]


class TestApplicationNeedsInterviewers:
    async def test_active_members_and_coordinators_hear_not_her_nor_the_blocked(
        self, community: Community
    ) -> None:
        a, b, blocked = await roots_of(community, 3)
        dalia = await community.member("Dalia")
        await community.call(
            blocked, "POST", "/api/blocks", {"account_id": str(dalia.id)}, expect=201
        )
        lina = await community.member("Lina")
        await community.call(dalia, "POST", "/api/applications", {}, expect=201)

        for person in (a, b, community.coordinator):
            assert await texts(community, person, "application.needs_interviewers") == [
                "Dalia asked to become active and needs interviewers."
            ]
        for person in (dalia, blocked, lina, community.officer, community.facilitator):
            assert "application.needs_interviewers" not in await kinds_of(community.client, person)


class TestInterviewerAssigned:
    async def test_only_newly_assigned_interviewers_hear(self, community: Community) -> None:
        a, b, c = await roots_of(community, 3)
        dalia = await community.member("Dalia")
        application = await community.call(dalia, "POST", "/api/applications", {}, expect=201)
        path = f"/api/applications/{application['id']}/interviewers"
        await community.call(
            community.coordinator, "PUT", path, {"interviewer_ids": [str(a.id)]}, expect=200
        )
        await community.call(
            community.coordinator,
            "PUT",
            path,
            {"interviewer_ids": [str(a.id), str(b.id)]},
            expect=200,
        )
        assert await texts(community, a, "application.interviewer_assigned") == [
            "You were asked to meet Dalia for her interview."
        ]
        assert len(await texts(community, b, "application.interviewer_assigned")) == 1
        for person in (c, dalia, community.coordinator):
            assert "application.interviewer_assigned" not in await kinds_of(
                community.client, person
            )


class TestVoteOpened:
    async def test_eligible_voters_hear_not_the_applicant(self, community: Community) -> None:
        roots = await roots_of(community, 3)
        esther = await community.member("Esther")
        application_id = await community.application_ready_for_vote(esther)
        await community.open_vote(application_id)
        for root in roots:
            [text] = await texts(community, root, "vote.opened")
            assert text.startswith("A Roots vote on Esther is open until ")
        for person in (esther, community.coordinator, community.officer):
            assert "vote.opened" not in await kinds_of(community.client, person)


class TestBallotReminder:
    async def test_24_hours_before_to_those_who_have_not_voted_once(
        self, community: Community
    ) -> None:
        voted, recused, waiting = await roots_of(community, 3)
        esther = await community.member("Esther")
        application_id = await community.application_ready_for_vote(esther)
        vote_id = await community.open_vote(application_id)
        await community.ballot(voted, vote_id, "yes")
        await community.call(
            recused, "POST", f"/api/votes/{vote_id}/recusal", {"reason": "I know her"}, expect=200
        )
        shown = await community.call(voted, "GET", f"/api/votes/{vote_id}", expect=200)
        deadline = datetime.fromisoformat(shown["deadline"])

        async def run_at(moment: datetime) -> int:
            with frozen_clock(moment):
                async with community.app.state.db.session() as session:
                    return await vote_service.remind_voters(session)

        assert await run_at(deadline - timedelta(hours=25)) == 0
        assert await run_at(deadline - timedelta(hours=23)) == 1
        assert await run_at(deadline - timedelta(hours=2)) == 0  # once only
        assert await run_at(deadline + timedelta(minutes=1)) == 0
        [text] = await texts(community, waiting, "vote.reminder")
        assert text.startswith("The vote on Esther closes on ")
        for person in (voted, recused, esther, community.coordinator):
            assert "vote.reminder" not in await kinds_of(community.client, person)

    async def test_the_reminder_uses_her_time_zone(self, community: Community) -> None:
        (root,) = await roots_of(community, 1)
        await community.call(root, "PATCH", "/api/me", {"time_zone": "Asia/Tokyo"}, expect=200)
        esther = await community.member("Esther")
        application_id = await community.application_ready_for_vote(esther)
        deadline = (datetime.now(UTC) + timedelta(days=5)).replace(
            hour=20, minute=0, second=0, microsecond=0
        )
        await community.call(
            community.coordinator,
            "POST",
            f"/api/applications/{application_id}/votes",
            {"deadline": deadline.isoformat()},
            expect=201,
        )
        with frozen_clock(deadline - timedelta(hours=3)):
            async with community.app.state.db.session() as session:
                assert await vote_service.remind_voters(session) == 1
        # 20:00 UTC is 05:00 the next morning in Tokyo.
        tokyo = (deadline + timedelta(days=1)).strftime("%d/%m/%Y")
        assert await texts(community, root, "vote.reminder") == [
            f"The vote on Esther closes on {tokyo} 05:00; you have not voted yet."
        ]


class TestOutcome:
    @pytest.mark.parametrize(("minimum", "shows_tally"), [(2, True), (4, False)])
    async def test_applicant_gets_outcome_only_roots_get_tally_above_minimum(
        self, community: Community, minimum: int, shows_tally: bool
    ) -> None:
        a, b, c = await roots_of(community, 3)
        await community.set_rules(min_ballots_for_tally=minimum)
        esther = await community.member("Esther")
        lina = await community.member("Lina")
        application_id = await community.application_ready_for_vote(esther)
        vote_id = await community.open_vote(application_id)
        await community.ballot(a, vote_id, "yes")
        await community.ballot(b, vote_id, "yes")
        await community.ballot(c, vote_id, "abstain")

        assert await texts(community, esther, "vote.outcome") == [
            "Your application was approved. Welcome to the active members."
        ]
        expected = "The vote on Esther has closed: approved"
        expected += " (2 yes, 0 no, 1 abstaining)." if shows_tally else "."
        for person in (a, b, c, community.coordinator):
            assert await texts(community, person, "vote.outcome") == [expected]
        assert "vote.outcome" not in await kinds_of(community.client, lina)
        # Approval issues her card.
        assert await texts(community, esther, "card.issued") == [
            "Your active-member card is ready."
        ]


class TestCards:
    async def test_revoked_card_reaches_the_holder_only(self, community: Community) -> None:
        (root,) = await roots_of(community, 1)
        other = await community.member("Lina")
        async with community.app.state.db.session() as session:
            card = await card_service.issue_card(
                session, community.app.state.card_signer, actor_id=None, account_id=root.id
            )
        await community.call(
            community.officer,
            "POST",
            f"/api/cards/{card.number}/revocation",
            {"reason": "reported by a partner"},
            expect=200,
        )
        [text] = await texts(community, root, "card.revoked")
        assert "partner" not in text
        assert "card.revoked" not in await kinds_of(community.client, other)

    async def test_expiring_card_once_within_30_days(self, community: Community) -> None:
        (root,) = await roots_of(community, 1)
        async with community.app.state.db.session() as session:
            card = await card_service.issue_card(
                session, community.app.state.card_signer, actor_id=None, account_id=root.id
            )

        async def run_at(moment: datetime) -> int:
            with frozen_clock(moment):
                async with community.app.state.db.session() as session:
                    return await card_service.remind_expiring_cards(session)

        assert await run_at(card.expires_at - timedelta(days=31)) == 0
        assert await run_at(card.expires_at - timedelta(days=29)) == 1
        assert await run_at(card.expires_at - timedelta(days=3)) == 0
        assert len(await texts(community, root, "card.expiring")) == 1
