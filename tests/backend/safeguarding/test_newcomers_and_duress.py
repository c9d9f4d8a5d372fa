"""What an unvouched newcomer can reach, and the duress password."""

import uuid

from sqlmodel import select

from backend.core.audit import AuditEntry
from tests.backend.safeguarding.conftest import Community, queue
from tests.conftest import register


async def welcome_room(community: Community) -> str:
    rooms = await community.call(community.facilitator, "GET", "/api/rooms/joinable", expect=200)
    return str(next(r["id"] for r in rooms if r["kind"] == "welcome"))


class TestUnvouchedNewcomer:
    async def test_reads_only_the_welcome_room_and_her_facilitator_conversation(
        self, community: Community
    ) -> None:
        client, ioana = community.client, community.facilitator
        lina = await community.member("Lina")
        mira = await register(client, "Mira")
        welcome = await welcome_room(community)
        await community.call(ioana, "POST", f"/api/rooms/{welcome}/join", expect=200)
        await client.post(
            f"/api/rooms/{welcome}/messages",
            json={"client_id": "w1", "body": "Welcome! Tuesday at six is a good first step."},
            headers=ioana.auth,
        )
        circle = await community.call(
            ioana, "POST", "/api/rooms", {"kind": "support_group", "name": "Circle"}, expect=201
        )
        await community.call(lina, "POST", f"/api/rooms/{circle['id']}/join", expect=200)

        joinable = await community.call(mira, "GET", "/api/rooms/joinable", expect=200)
        assert [r["kind"] for r in joinable] == ["welcome"]
        await community.call(mira, "POST", f"/api/rooms/{welcome}/join", expect=200)
        history = await community.call(mira, "GET", f"/api/rooms/{welcome}/messages", expect=200)
        assert [m["body"] for m in history] == ["Welcome! Tuesday at six is a good first step."]
        # She reads it but does not write there, and its member list stays closed to her.
        refused = await client.post(
            f"/api/rooms/{welcome}/messages",
            json={"client_id": "m1", "body": "hi"},
            headers=mira.auth,
        )
        assert refused.status_code == 403
        assert await community.call(mira, "GET", f"/api/rooms/{welcome}/members", expect=200) == []
        # Support groups: not their messages, not who is in them, not their sessions.
        for path in ("", "/members", "/messages", "/sessions"):
            response = await client.get(f"/api/rooms/{circle['id']}{path}", headers=mira.auth)
            assert response.status_code == 404, path
        assert (
            await client.post(f"/api/rooms/{circle['id']}/join", headers=mira.auth)
        ).status_code == 404
        # She cannot open a private conversation with anyone.
        opened = await client.post(
            "/api/direct-conversations", json={"account_id": str(lina.id)}, headers=mira.auth
        )
        assert opened.status_code == 403
        # A facilitator opens one with her; she reads and answers there.
        chat = await community.call(
            ioana, "POST", "/api/welcome-conversations", {"account_id": str(mira.id)}, expect=201
        )
        assert chat["kind"] == "welcome_chat"
        await client.post(
            f"/api/rooms/{chat['id']}/messages",
            json={"client_id": "i1", "body": "Hello Mira, how are you settling in?"},
            headers=ioana.auth,
        )
        answer = await client.post(
            f"/api/rooms/{chat['id']}/messages",
            json={"client_id": "m2", "body": "Better, thank you."},
            headers=mira.auth,
        )
        assert answer.status_code == 201
        kinds = sorted(
            r["kind"] for r in await community.call(mira, "GET", "/api/rooms", expect=200)
        )
        assert kinds == ["welcome", "welcome_chat"]
        # Members cannot open such conversations; only facilitators welcome newcomers.
        member_try = await client.post(
            "/api/welcome-conversations", json={"account_id": str(mira.id)}, headers=lina.auth
        )
        assert member_try.status_code == 403


class TestDuress:
    async def test_duress_login_shows_an_empty_account_and_alerts_safeguarding(
        self, community: Community
    ) -> None:
        client = community.client
        lina = await community.member("Lina")
        circle = await community.call(
            community.facilitator,
            "POST",
            "/api/rooms",
            {"kind": "support_group", "name": "Circle"},
            expect=201,
        )
        await community.call(lina, "POST", f"/api/rooms/{circle['id']}/join", expect=200)
        await community.call(
            lina,
            "PUT",
            "/api/me/duress-password",
            {"current_password": lina.password, "duress_password": "blue lantern by the river"},
            expect=200,
        )
        forced = await client.post(
            "/api/auth/login",
            json={"pseudonym": "Lina", "password": "blue lantern by the river", "client": "api"},
        )
        assert forced.status_code == 200
        headers = {"Authorization": f"Bearer {forced.json()['token']}"}
        assert forced.json()["account"]["pseudonym"] == "Lina"
        assert (await client.get("/api/rooms", headers=headers)).json() == []
        joinable = (await client.get("/api/rooms/joinable", headers=headers)).json()
        assert joinable == []
        room = await client.get(f"/api/rooms/{circle['id']}/messages", headers=headers)
        assert room.status_code == 404
        duress_view = (await client.get("/api/me/duress-password", headers=headers)).json()
        assert duress_view["is_set"] is False
        change = await client.put(
            "/api/me/duress-password",
            json={"current_password": "blue lantern by the river", "duress_password": None},
            headers=headers,
        )
        assert change.status_code == 403
        # Safeguarding sees an urgent case; she never does.
        cases = await queue(client, community.officer)
        assert [(c["source"], c["urgent"], c["target_pseudonym"]) for c in cases] == [
            ("duress", True, "Lina")
        ]
        assert await community.call(lina, "GET", "/api/me/decisions", expect=200) == []
        async with community.app.state.db.session(write=False) as session:
            entries = (
                await session.exec(
                    select(AuditEntry).where(AuditEntry.action == "safety.duress_alert")
                )
            ).all()
        assert [e.actor_id for e in entries] == [None]
        # Her real password still opens her real account.
        real = await client.post(
            "/api/auth/login",
            json={"pseudonym": "Lina", "password": lina.password, "client": "api"},
        )
        real_headers = {"Authorization": f"Bearer {real.json()['token']}"}
        rooms = (await client.get("/api/rooms", headers=real_headers)).json()
        assert [r["name"] for r in rooms] == ["Circle"]

    async def test_duress_password_rules(self, community: Community) -> None:
        lina = await community.member("Lina")
        same = await community.client.put(
            "/api/me/duress-password",
            json={"current_password": lina.password, "duress_password": lina.password},
            headers=lina.auth,
        )
        assert same.status_code == 422
        wrong = await community.client.put(
            "/api/me/duress-password",
            json={"current_password": "not my password", "duress_password": "blue lantern river"},
            headers=lina.auth,
        )
        assert wrong.status_code == 422
        status = await community.call(lina, "GET", "/api/me/duress-password", expect=200)
        assert status["is_set"] is False
        # A wrong password is still just a wrong password.
        refused = await community.client.post(
            "/api/auth/login",
            json={"pseudonym": "Lina", "password": str(uuid.uuid4()), "client": "api"},
        )
        assert refused.status_code == 401
        assert await queue(community.client, community.officer) == []
