"""Vouching: a self-registered newcomer becomes a member only once someone vouched for her."""

from typing import Any

import httpx
from sqlmodel import select

from backend.auth.capabilities import Role
from backend.core import audit
from tests.backend.membership.conftest import Community, roots_of
from tests.backend.web.test_pages import signed_in
from tests.conftest import Person, person_with


async def ready_but_unvouched(community: Community, pseudonym: str = "Rosa") -> Person:
    """Signed the rules and took part as often as the community asks."""
    person = await community.newcomer(pseudonym)
    await community.sign(person, "community_rules")
    await community.call(
        community.facilitator,
        "POST",
        f"/api/members/{person.id}/participation",
        {"note": "came to the Tuesday group"},
        expect=200,
    )
    return person


async def my_membership(community: Community, person: Person) -> Any:
    return await community.call(person, "GET", "/api/membership/me", expect=200)


class TestBecomingAMemberNeedsAVouch:
    async def test_unvouched_with_enough_participation_stays_a_newcomer(
        self, community: Community
    ) -> None:
        person = await ready_but_unvouched(community)
        me = await my_membership(community, person)
        assert (me["status"], me["vouched"]) == ("newcomer", False)
        assert me["next_steps"] == ["be_vouched"]
        async with community.app.state.db.session() as session:
            from backend.membership import status as status_service

            assert await status_service.promote_ready_newcomers(session) == 0
        assert (await my_membership(community, person))["status"] == "newcomer"

    async def test_vouched_with_enough_becomes_a_member_at_once(self, community: Community) -> None:
        person = await ready_but_unvouched(community)
        answer = await community.vouch(person)
        assert (answer["status"], answer["vouched"], answer["next_steps"]) == (
            "member",
            True,
            [],
        )
        profile = await community.call(person, "GET", "/api/me", expect=200)
        assert [r["role"] for r in profile["roles"]] == ["member"]

    async def test_vouched_first_becomes_a_member_when_the_rest_is_done(
        self, community: Community
    ) -> None:
        person = await community.newcomer("Rosa")
        answer = await community.vouch(person)
        assert answer["status"] == "newcomer"
        assert answer["next_steps"] == ["sign_rules", "take_part"]
        await community.sign(person, "community_rules")
        await community.call(
            community.facilitator,
            "POST",
            f"/api/members/{person.id}/participation",
            {},
            expect=200,
        )
        assert (await my_membership(community, person))["status"] == "member"

    async def test_the_vouch_is_audited_and_in_her_trust_graph(self, community: Community) -> None:
        person = await ready_but_unvouched(community)
        await community.vouch(person)
        async with community.app.state.db.session(write=False) as session:
            entries = (
                await session.exec(
                    select(audit.AuditEntry).where(audit.AuditEntry.action == "membership.vouched")
                )
            ).all()
        assert [(e.actor_id, e.subject) for e in entries] == [
            (community.facilitator.id, f"account:{person.id}")
        ]
        graph = await community.call(
            community.officer, "GET", f"/api/safety/accounts/{person.id}/trust", expect=200
        )
        assert {(e["source"], e["target"], e["kind"]) for e in graph["edges"]} == {
            (str(community.facilitator.id), str(person.id), "vouched")
        }


class TestWhoMayVouch:
    async def test_an_active_member_may(self, community: Community) -> None:
        [root] = await roots_of(community, 1)
        person = await ready_but_unvouched(community)
        assert (await community.vouch(person, root))["status"] == "member"

    async def test_a_member_a_newcomer_a_coordinator_and_she_herself_may_not(
        self, community: Community
    ) -> None:
        person = await ready_but_unvouched(community)
        member = await community.member("Lina")
        other_newcomer = await community.newcomer("Mira")
        for who in (member, other_newcomer, community.coordinator, person):
            response = await community.client.post(
                f"/api/members/{person.id}/vouch", headers=who.auth
            )
            assert response.status_code == 403, who.pseudonym
        assert (await my_membership(community, person))["vouched"] is False

    async def test_a_trust_restriction_takes_it_away(self, community: Community) -> None:
        person = await ready_but_unvouched(community)
        await community.call(
            community.officer,
            "POST",
            f"/api/safety/accounts/{community.facilitator.id}/restrictions",
            {"effects": ["no_trust_actions"], "reason": "While we look at a report."},
            expect=201,
        )
        response = await community.client.post(
            f"/api/members/{person.id}/vouch", headers=community.facilitator.auth
        )
        assert response.status_code == 403

    async def test_once_and_only_for_newcomers(self, community: Community) -> None:
        person = await community.newcomer("Rosa")
        await community.vouch(person)
        again = await community.call(
            community.facilitator, "POST", f"/api/members/{person.id}/vouch", expect=409
        )
        assert again["error"]["code"] == "already_vouched"
        member = await community.member("Lina")
        refused = await community.call(
            community.facilitator, "POST", f"/api/members/{member.id}/vouch", expect=409
        )
        assert refused["error"]["code"] == "not_a_newcomer"

    async def test_the_waiting_list_shows_the_unvouched_only(self, community: Community) -> None:
        waiting = await ready_but_unvouched(community)
        vouched = await community.newcomer("Mira")
        await community.vouch(vouched)
        listed = await community.call(
            community.facilitator, "GET", "/api/newcomers/waiting-for-vouch", expect=200
        )
        # Staff (the community's officers, admin, coordinator) hold roles: not listed.
        assert [(p["pseudonym"], p["participation_count"]) for p in listed] == [
            (waiting.pseudonym, 1)
        ]


class TestHerPages:
    async def test_a_self_registered_newcomer_reads_that_she_needs_a_vouch(
        self, community: Community, client: httpx.AsyncClient
    ) -> None:
        person = await ready_but_unvouched(community)
        pages = await signed_in(client, person)
        path = (await pages.get("/membership")).text
        assert 'class="step-be_vouched"' in path
        assert "a group facilitator or an active member" in path
        assert "she learns nothing more about you than your pseudonym" in path
        home = (await pages.get("/")).text
        assert 'id="next-step"' in home

    async def test_a_vouched_newcomer_reads_her_other_steps(
        self, community: Community, client: httpx.AsyncClient
    ) -> None:
        person = await community.newcomer("Rosa")
        await community.vouch(person)
        pages = await signed_in(client, person)
        path = (await pages.get("/membership")).text
        assert 'class="step-be_vouched"' not in path
        assert 'class="step-sign_rules"' in path
        assert "Someone vouched for you." in path
        assert 'id="next-step"' not in (await pages.get("/")).text

    async def test_a_facilitator_vouches_from_the_page(
        self, community: Community, client: httpx.AsyncClient
    ) -> None:
        person = await ready_but_unvouched(community)
        pages = await signed_in(client, community.facilitator)
        listing = await pages.get("/vouching")
        assert person.pseudonym in listing.text
        done = await pages.post(f"/vouching/{person.id}", data={})
        assert done.status_code == 303
        assert done.headers["location"] == "/vouching?vouched=1"
        assert (await my_membership(community, person))["status"] == "member"
        again = await pages.post(f"/vouching/{person.id}", data={})
        assert again.status_code == 409
        assert "Only a newcomer" in again.text

    async def test_the_page_is_not_for_members(
        self, community: Community, client: httpx.AsyncClient
    ) -> None:
        member = await person_with(community.app, community.client, "Lina", Role.MEMBER)
        pages = await signed_in(client, member)
        assert (await pages.get("/vouching")).status_code == 403
