import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select, update

from backend.core.time import frozen_clock
from backend.membership import rules
from backend.membership import tasks as membership_tasks
from backend.membership import votes as vote_service
from backend.membership.approval import CloseContext
from backend.membership.models import Application, Card, Membership, Vote, VoteOutcome
from tests.backend.membership.conftest import Community, roots_of

T = rules.Tally


class TestOutcomeRules:
    @pytest.mark.parametrize(
        ("tally", "quorum", "expected"),
        [
            (T(yes=5, no=0, abstain=0, eligible=10, recused=0), 50, True),  # exactly met
            (T(yes=4, no=0, abstain=0, eligible=10, recused=0), 50, False),  # one short
            (T(yes=2, no=0, abstain=2, eligible=8, recused=0), 50, True),  # abstain counts
            (T(yes=4, no=0, abstain=0, eligible=10, recused=2), 50, True),  # recusal leaves
            (T(yes=0, no=0, abstain=0, eligible=2, recused=2), 50, False),  # nobody left
        ],
    )
    def test_quorum(self, tally: rules.Tally, quorum: int, expected: bool) -> None:
        assert rules.meets_quorum(tally, quorum) is expected

    @pytest.mark.parametrize(
        ("yes", "no", "abstain", "expected"),
        [
            (2, 1, 0, True),  # 66.67% >= 2/3 exactly
            (2, 1, 5, True),  # abstentions do not dilute
            (3, 2, 0, False),  # 60% < 67%
            (67, 33, 0, True),  # exactly 67%
            (66, 34, 0, False),  # one short
            (0, 0, 3, False),  # only abstentions
        ],
    )
    def test_threshold(self, yes: int, no: int, abstain: int, expected: bool) -> None:
        tally = T(yes=yes, no=no, abstain=abstain, eligible=200, recused=0)
        threshold = 66 if (yes, no) == (2, 1) else 67
        assert rules.meets_threshold(tally, threshold) is expected

    def test_outcome(self) -> None:
        assert rules.outcome_of(T(3, 0, 0, 4, 0), 50, 67) == VoteOutcome.APPROVED
        assert rules.outcome_of(T(1, 2, 0, 4, 0), 50, 67) == VoteOutcome.REJECTED
        assert rules.outcome_of(T(1, 0, 0, 4, 0), 50, 67) == VoteOutcome.NO_QUORUM


class TestCastBallot:
    async def test_quorum_exactly_met_then_one_short(self, community: Community) -> None:
        await community.set_rules(quorum_percent=50, threshold_percent=50)
        roots = await roots_of(community, 4)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        await community.ballot(roots[0], vote_id, "yes")
        await community.ballot(roots[1], vote_id, "abstain")
        with frozen_clock(datetime.now(UTC) + timedelta(days=8)):
            view = await community.call(roots[0], "GET", f"/api/votes/{vote_id}", expect=200)
        # 2 ballots of 4 voters = 50%: met. Yes 1 of yes+no 1: approved.
        assert view["closed"] is True
        assert view["outcome"] == "approved"

    async def test_quorum_one_short_is_no_quorum(self, community: Community) -> None:
        await community.set_rules(quorum_percent=75)
        roots = await roots_of(community, 4)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        for voter in roots[:2]:
            await community.ballot(voter, vote_id, "yes")
        with frozen_clock(datetime.now(UTC) + timedelta(days=8)):
            view = await community.call(roots[0], "GET", f"/api/votes/{vote_id}", expect=200)
        assert view["outcome"] == "no_quorum"
        me = await community.call(applicant, "GET", "/api/membership/me", expect=200)
        assert me["status"] == "candidate"

    async def test_ballot_changes_until_close_and_is_refused_after(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        first = await community.ballot(roots[0], vote_id, "no")
        assert first["my_choice"] == "no"
        changed = await community.ballot(roots[0], vote_id, "yes")
        assert changed["my_choice"] == "yes"
        assert changed["ballots_cast"] == 1
        with frozen_clock(datetime.now(UTC) + timedelta(days=8)):
            late = await community.ballot(roots[1], vote_id, "yes", expect=409)
        assert late["error"]["code"] == "vote_closed"

    async def test_closes_when_everyone_has_voted(self, community: Community) -> None:
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        for voter in roots:
            view = await community.ballot(voter, vote_id, "yes")
        assert view["closed"] is True
        assert view["outcome"] == "approved"

    async def test_applicant_cannot_vote_or_see_the_vote(self, community: Community) -> None:
        await roots_of(community, 2)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        response = await community.client.put(
            f"/api/votes/{vote_id}/ballot", json={"choice": "yes"}, headers=applicant.auth
        )
        assert response.status_code == 403  # not an active member: no membership:vote
        seen = await community.client.get(f"/api/votes/{vote_id}", headers=applicant.auth)
        assert seen.status_code == 404

    async def test_member_who_became_active_after_opening_cannot_vote(
        self, community: Community
    ) -> None:
        await community.set_rules(min_ballots_for_tally=10)
        roots = await roots_of(community, 2)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        latecomer = await community.founding_active("Late Root")
        refused = await community.ballot(latecomer, vote_id, "yes", expect=403)
        assert refused["error"]["code"] == "not_a_voter"
        view = await community.call(roots[0], "GET", f"/api/votes/{vote_id}", expect=200)
        assert view["eligible_voters"] == 2

    async def test_minimum_seniority_to_vote(self, community: Community) -> None:
        await community.set_rules(min_active_days_to_vote=30)
        now = datetime.now(UTC)
        with frozen_clock(now - timedelta(days=40)):
            senior = await community.founding_active("Senior Root")
        with frozen_clock(now - timedelta(days=10)):
            junior = await community.founding_active("Junior Root")
        with frozen_clock(now):
            applicant = await community.member("Rosa")
            vote_id = await community.open_vote(
                await community.application_ready_for_vote(applicant, [senior])
            )
            assert (await community.ballot(senior, vote_id, "yes"))["my_choice"] == "yes"
            await community.ballot(junior, vote_id, "yes", expect=403)

    async def test_recusal_leaves_the_denominator(self, community: Community) -> None:
        await community.set_rules(quorum_percent=100)
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        await community.call(
            roots[2],
            "POST",
            f"/api/votes/{vote_id}/recusal",
            {"reason": "I know her from before"},
            expect=200,
        )
        await community.ballot(roots[0], vote_id, "yes")
        view = await community.ballot(roots[1], vote_id, "yes")
        # Two ballots of two remaining voters: 100% turnout, closed at once.
        assert view["recused"] == 1
        assert view["closed"] is True
        assert view["outcome"] == "approved"

    async def test_tally_shown_only_above_the_minimum(self, community: Community) -> None:
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        await community.ballot(roots[0], vote_id, "yes")
        await community.ballot(roots[1], vote_id, "no")
        view = await community.ballot(roots[2], vote_id, "yes")
        assert view["closed"] is True
        assert view["tally"] is None  # 3 ballots < 5
        assert view["ballots_cast"] == 3

    async def test_tally_shown_at_the_minimum(self, community: Community) -> None:
        await community.set_rules(min_ballots_for_tally=3)
        roots = await roots_of(community, 2)
        await community.set_rules(min_ballots_for_tally=2)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        await community.ballot(roots[0], vote_id, "yes")
        view = await community.ballot(roots[1], vote_id, "no")
        assert view["tally"] == {"yes": 1, "no": 1, "abstain": 0}
        assert view["outcome"] == "rejected"

    async def test_nobody_sees_anyone_elses_ballot(self, community: Community) -> None:
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        await community.ballot(roots[0], vote_id, "no")
        other = await community.call(roots[1], "GET", f"/api/votes/{vote_id}", expect=200)
        assert other["my_choice"] is None
        audit = await community.call(community.admin, "GET", "/api/audit?action=vote.ballot_cast")
        assert all("no" not in str(entry["details"]) for entry in audit)

    async def test_no_quorum_can_be_rerun_once(self, community: Community) -> None:
        roots = await roots_of(community, 2)
        applicant = await community.member("Rosa")
        application_id = await community.application_ready_for_vote(applicant)
        now = datetime.now(UTC)
        with frozen_clock(now) as clock:
            await community.open_vote(application_id)
            clock.advance(days=8)
            await community.call(roots[0], "GET", "/api/votes", expect=200)
            await membership_tasks.close_due_votes(
                community.app.state.db, CloseContext(community.app.state.card_signer)
            )
            second = await community.open_vote(application_id)
            clock.advance(days=8)
            view = await community.call(roots[0], "GET", f"/api/votes/{second}", expect=200)
            assert view["outcome"] == "no_quorum"
            third = await community.client.post(
                f"/api/applications/{application_id}/votes",
                json={},
                headers=community.coordinator.auth,
            )
        assert third.status_code == 409
        me = await community.call(applicant, "GET", "/api/membership/me")
        assert me["status"] == "member"


class TestClosing:
    async def test_lazy_close_and_task_close_agree(self, community: Community) -> None:
        roots = await roots_of(community, 4)
        outcomes = []
        for name, via_task in (("Rosa", False), ("Maya", True)):
            applicant = await community.member(name)
            vote_id = await community.open_vote(
                await community.application_ready_for_vote(applicant)
            )
            for voter in roots[:3]:
                await community.ballot(voter, vote_id, "yes")
            with frozen_clock(datetime.now(UTC) + timedelta(days=8)):
                if via_task:
                    await membership_tasks.close_due_votes(
                        community.app.state.db, CloseContext(community.app.state.card_signer)
                    )
                view = await community.call(roots[0], "GET", f"/api/votes/{vote_id}")
            outcomes.append((view["outcome"], view["ballots_cast"], view["closed"]))
        assert outcomes[0] == outcomes[1] == ("approved", 3, True)

    async def test_two_concurrent_closes_give_one_outcome(
        self, community: Community, database_url: str
    ) -> None:
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        for voter in roots[:2]:
            await community.ballot(voter, vote_id, "yes")
        import uuid

        context = CloseContext(community.app.state.card_signer)

        async def close() -> str | None:
            async with community.app.state.db.session() as session:
                vote = await vote_service.close_vote_if_due(session, uuid.UUID(vote_id), context)
                await asyncio.sleep(0.05)  # hold the lock while the other waits
                return vote.outcome

        with frozen_clock(datetime.now(UTC) + timedelta(days=8)):
            results = await asyncio.gather(close(), close())
        assert results == ["approved", "approved"]
        cards = await community.call(community.admin, "GET", "/api/audit?action=card.issued")
        approvals = await community.call(
            community.admin, "GET", "/api/audit?action=membership.approved"
        )
        assert len(cards) == 1
        assert len(approvals) == 1
        closes = await community.call(community.admin, "GET", "/api/audit?action=vote.closed")
        assert len(closes) == 1

    async def test_one_failing_approval_does_not_keep_the_other_votes_open(
        self, community: Community, caplog: pytest.LogCaptureFixture
    ) -> None:
        roots = await roots_of(community, 4)
        rosa = await community.member("Rosa")
        maya = await community.member("Maya")
        votes = {}
        for applicant in (rosa, maya):
            application_id = await community.application_ready_for_vote(applicant)
            votes[applicant.pseudonym] = (application_id, await community.open_vote(application_id))
            # Three of four: not everyone voted, so only the deadline closes it.
            for voter in roots[:3]:
                await community.ballot(voter, votes[applicant.pseudonym][1], "yes")
        # Rosa's approval will fail half-way: she chose a working group that is gone.
        async with community.app.state.db.session() as session:
            await session.exec(
                update(Application)
                .where(col(Application.id) == uuid.UUID(votes["Rosa"][0]))
                .values(working_groups=str(uuid.uuid4()))
            )
        context = CloseContext(community.app.state.card_signer)
        with (
            frozen_clock(datetime.now(UTC) + timedelta(days=8)),
            caplog.at_level(logging.ERROR, logger="tandem.tasks"),
        ):
            closed = await membership_tasks.close_due_votes(community.app.state.db, context)
        assert closed == 1
        failures = [r for r in caplog.records if r.name == "tandem.tasks"]
        assert len(failures) == 1
        assert votes["Rosa"][1] in failures[0].getMessage()
        assert failures[0].exc_info is not None

        maya_vote = await community.call(roots[0], "GET", f"/api/votes/{votes['Maya'][1]}")
        assert (maya_vote["closed"], maya_vote["outcome"]) == (True, "approved")
        me = await community.call(maya, "GET", "/api/membership/me", expect=200)
        assert me["status"] == "active"
        await community.call(maya, "GET", "/api/cards/me", expect=200)

        # Rosa's close rolled back whole: the vote is open, she is a candidate, no card.
        async with community.app.state.db.session() as session:
            rosa_vote = await session.get(Vote, uuid.UUID(votes["Rosa"][1]))
            assert rosa_vote is not None
            assert rosa_vote.closed_at is None
            membership = await session.get(Membership, rosa.id)
            assert membership is not None
            assert membership.status == "candidate"
            cards = (await session.exec(select(Card).where(Card.account_id == rosa.id))).all()
            assert cards == []
