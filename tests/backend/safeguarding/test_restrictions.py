"""Restrictions over HTTP: each effect, lifting, and expiry under an injected clock."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.core.time import frozen_clock
from backend.safeguarding import tasks as safeguarding_tasks
from tests.backend.safeguarding.conftest import Community, roots_of
from tests.conftest import Person


async def circle(community: Community, *people: Person) -> str:
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Circle"},
        expect=201,
    )
    for person in people:
        await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    return str(room["id"])


async def restrict(
    community: Community, person: Person, *effects: str, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"effects": list(effects), "reason": "interim, while we look", **extra}
    result: dict[str, Any] = await community.call(
        community.officer,
        "POST",
        f"/api/safety/accounts/{person.id}/restrictions",
        body,
        expect=201,
    )
    return result


async def say(community: Community, person: Person, room: str, text: str) -> Any:
    return await community.client.post(
        f"/api/rooms/{room}/messages",
        json={"client_id": uuid.uuid4().hex, "body": text},
        headers=person.auth,
    )


class TestEffects:
    async def test_read_only_reads_history_but_cannot_write_until_lifted(
        self, community: Community
    ) -> None:
        lina, joy = await community.member("Lina"), await community.member("Joy")
        room = await circle(community, lina, joy)
        assert (await say(community, joy, room, "hello all")).status_code == 201
        row = await restrict(community, lina, "read_only")
        refused = await say(community, lina, room, "hi")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "read_only"
        history = await community.call(lina, "GET", f"/api/rooms/{room}/messages", expect=200)
        assert [m["body"] for m in history] == ["hello all"]
        await community.call(
            community.officer,
            "POST",
            f"/api/safety/restrictions/{row['id']}/lift",
            {"reason": "we spoke; misunderstanding"},
            expect=200,
        )
        assert (await say(community, lina, room, "hi")).status_code == 201

    async def test_hidden_leaves_member_lists_except_for_safeguarding(
        self, community: Community
    ) -> None:
        lina, joy = await community.member("Lina"), await community.member("Joy")
        room = await circle(community, lina, joy)
        await restrict(community, lina, "hidden")
        seen_by_joy = await community.call(joy, "GET", f"/api/rooms/{room}/members", expect=200)
        assert "Lina" not in [m["pseudonym"] for m in seen_by_joy]
        seen_by_officer = await community.call(
            community.officer, "GET", f"/api/rooms/{room}/members", expect=200
        )
        assert "Lina" in [m["pseudonym"] for m in seen_by_officer]
        # Nobody can open a private conversation with a hidden person either.
        response = await community.client.post(
            "/api/direct-conversations", json={"account_id": str(lina.id)}, headers=joy.auth
        )
        assert response.status_code == 404

    async def test_frozen_direct_messages(self, community: Community) -> None:
        lina, joy = await community.member("Lina"), await community.member("Joy")
        room = await circle(community, lina, joy)
        await restrict(community, lina, "direct_messages_frozen")
        response = await community.client.post(
            "/api/direct-conversations", json={"account_id": str(joy.id)}, headers=lina.auth
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "direct_messages_frozen"
        # Group rooms are unaffected.
        assert (await say(community, lina, room, "still here")).status_code == 201

    async def test_removed_from_rooms_reads_nothing_and_comes_back_when_lifted(
        self, community: Community
    ) -> None:
        lina = await community.member("Lina")
        room = await circle(community, lina)
        row = await restrict(community, lina, "removed_from_rooms")
        assert (
            await community.client.get(f"/api/rooms/{room}", headers=lina.auth)
        ).status_code == 404
        assert await community.call(lina, "GET", "/api/rooms", expect=200) == []
        await community.call(
            community.officer,
            "POST",
            f"/api/safety/restrictions/{row['id']}/lift",
            {"reason": "done"},
            expect=200,
        )
        assert [r["name"] for r in await community.call(lina, "GET", "/api/rooms", expect=200)] == [
            "Circle"
        ]

    async def test_no_trust_actions_stops_referring_and_voting(self, community: Community) -> None:
        roots = await roots_of(community, 3)
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        await restrict(community, roots[0], "no_trust_actions")
        await community.ballot(roots[0], vote_id, "yes", expect=403)
        refused = await community.client.post("/api/referrals", json={}, headers=roots[0].auth)
        assert refused.status_code == 403
        await community.ballot(roots[1], vote_id, "yes", expect=200)

    async def test_card_revoked_with_the_restriction(self, community: Community) -> None:
        roots = await roots_of(community, 2)
        rosa = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(rosa))
        for voter in roots:
            await community.ballot(voter, vote_id, "yes")
        before = await community.call(rosa, "GET", "/api/cards/me", expect=200)
        assert before["status"] == "valid"
        await restrict(community, rosa, "card_revoked")
        after = await community.call(rosa, "GET", "/api/cards/me", expect=200)
        assert after["status"] == "revoked"

    async def test_bad_restrictions_are_refused_and_change_nothing(
        self, community: Community
    ) -> None:
        lina = await community.member("Lina")
        for body in (
            {"effects": [], "reason": "x"},
            {"effects": ["duress"], "reason": "x"},
            {"effects": ["read_only"], "reason": ""},
            {"effects": ["read_only"], "reason": "x", "expires_at": "2020-01-01T00:00:00+00:00"},
            {"effects": ["read_only"], "reason": "x", "expires_at": "2030-01-01T00:00:00"},
        ):
            response = await community.client.post(
                f"/api/safety/accounts/{lina.id}/restrictions",
                json=body,
                headers=community.officer.auth,
            )
            assert response.status_code == 422, body
        assert await community.call(lina, "GET", "/api/me/restrictions", expect=200) == []
        member = await community.client.post(
            f"/api/safety/accounts/{lina.id}/restrictions",
            json={"effects": ["read_only"], "reason": "x"},
            headers=lina.auth,
        )
        assert member.status_code == 403


class TestExpiry:
    async def test_a_restriction_ends_at_its_time(self, community: Community) -> None:
        lina = await community.member("Lina")
        room = await circle(community, lina)
        until = datetime.now(UTC) + timedelta(days=2)
        await restrict(community, lina, "read_only", expires_at=until.isoformat())
        mine = await community.call(lina, "GET", "/api/me/restrictions", expect=200)
        assert mine[0]["until"] is not None
        with frozen_clock(until + timedelta(minutes=1)):
            lifted = await safeguarding_tasks.run_due_work(community.app.state.db)
            assert lifted == 1
            assert await community.call(lina, "GET", "/api/me/restrictions", expect=200) == []
            assert (await say(community, lina, room, "back")).status_code == 201
