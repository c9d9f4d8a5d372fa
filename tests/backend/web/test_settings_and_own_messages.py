"""Pages for the admin's message retention and screening rules, and for a member editing
or deleting her own message: the same services and checks as the API."""

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from backend.auth.capabilities import Role
from backend.core.audit import AuditEntry
from backend.web.admin import RULE_WORDS
from moderation import signals
from tests.conftest import PASSWORD, Person, person_with


async def sign_in(client: httpx.AsyncClient, person: Person) -> None:
    response = await client.post(
        "/sign-in", data={"pseudonym": person.pseudonym, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text


async def audited(app: FastAPI, action: str) -> list[AuditEntry]:
    async with app.state.db.session(write=False) as session:
        rows = await session.exec(select(AuditEntry).where(col(AuditEntry.action) == action))
        return list(rows.all())


class TestRetention:
    async def test_the_admin_sets_and_clears_a_limit_and_it_is_audited(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await sign_in(client, admin)
        assert 'href="/admin/retention"' in (await client.get("/admin")).text
        shown = await client.get("/admin/retention")
        assert shown.status_code == 200
        assert "no-store" in shown.headers["cache-control"]
        assert 'action="/admin/retention/support_group"' in shown.text
        assert "Private conversations" in shown.text

        saved = await client.post("/admin/retention/direct", data={"days": "30"})
        assert saved.status_code == 303
        assert saved.headers["location"] == "/admin/retention?saved=1#kind-direct"
        api = {r["room_kind"]: r["days"] for r in (await client.get("/api/admin/retention")).json()}
        assert api["direct"] == 30
        assert api["support_group"] is None
        page = await client.get("/admin/retention")
        direct = page.text.split('id="kind-direct"', 1)[1].split("</section>", 1)[0]
        assert "Kept 30 days." in direct
        assert 'value="30"' in direct

        cleared = await client.post("/admin/retention/direct", data={"days": " "})
        assert cleared.status_code == 303
        api = {r["room_kind"]: r["days"] for r in (await client.get("/api/admin/retention")).json()}
        assert api["direct"] is None
        entries = await audited(app, "retention.changed")
        assert [(e.actor_id, e.subject) for e in entries] == [
            (admin.id, "room_kind:direct"),
            (admin.id, "room_kind:direct"),
        ]

    async def test_a_wrong_number_is_shown_on_its_field(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await sign_in(client, admin)
        for typed in ("0", "99999", "soon"):
            refused = await client.post("/admin/retention/mentoring", data={"days": typed})
            assert refused.status_code == 422
            assert 'id="days-mentoring-error"' in refused.text
            assert f'value="{typed}"' in refused.text
        assert await audited(app, "retention.changed") == []
        unknown = await client.post("/admin/retention/nowhere", data={"days": "3"})
        assert unknown.status_code == 400  # not a kind of room: the address is wrong

    async def test_a_member_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        await sign_in(client, member)
        assert (await client.get("/admin/retention")).status_code == 403
        refused = await client.post("/admin/retention/direct", data={"days": "1"})
        assert refused.status_code == 403
        assert await audited(app, "retention.changed") == []


class TestScreeningRules:
    async def test_the_admin_switches_a_rule_off_and_on_and_it_is_audited(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await sign_in(client, admin)
        assert 'href="/admin/screening"' in (await client.get("/admin")).text
        shown = await client.get("/admin/screening")
        assert shown.status_code == 200
        assert "Contains a phone number." in shown.text
        phone = shown.text.split('id="rule-contact.phone_number"', 1)[1].split("</li>", 1)[0]
        assert "<strong>On</strong>" in phone
        assert 'value="off"' in phone

        off = await client.post("/admin/screening/contact.phone_number", data={"enabled": "off"})
        assert off.status_code == 303
        assert off.headers["location"] == "/admin/screening?saved=1#rule-contact.phone_number"
        rules = {r["id"]: r for r in (await client.get("/api/safety/signal-rules")).json()}
        assert rules["contact.phone_number"]["enabled"] is False
        page = await client.get("/admin/screening")
        phone = page.text.split('id="rule-contact.phone_number"', 1)[1].split("</li>", 1)[0]
        assert "<strong>Off</strong>" in phone
        assert "changed from the default" in phone

        # Off by default, switched on.
        on = await client.post("/admin/screening/contact.handle_shared", data={"enabled": "on"})
        assert on.status_code == 303
        rules = {r["id"]: r for r in (await client.get("/api/safety/signal-rules")).json()}
        assert rules["contact.handle_shared"]["enabled"] is True
        entries = await audited(app, "safety.signal_rule_changed")
        assert [(e.subject, e.actor_id) for e in entries] == [
            ("rule:contact.phone_number", admin.id),
            ("rule:contact.handle_shared", admin.id),
        ]
        assert (
            await client.post("/admin/screening/no.such_rule", data={"enabled": "on"})
        ).status_code == 404

    async def test_a_member_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        await sign_in(client, member)
        assert (await client.get("/admin/screening")).status_code == 403
        refused = await client.post(
            "/admin/screening/contact.phone_number", data={"enabled": "off"}
        )
        assert refused.status_code == 403
        assert await audited(app, "safety.signal_rule_changed") == []


def test_every_rule_has_its_words_for_the_catalogs() -> None:
    assert {rule.id: rule.description for rule in signals.RULES} == RULE_WORDS


class TestOwnMessages:
    async def test_she_edits_and_deletes_her_message_without_javascript(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person, officer: Person
    ) -> None:
        facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
        room = (
            await client.post(
                "/api/rooms",
                json={"kind": "support_group", "name": "Tuesday circle"},
                headers=facilitator.auth,
            )
        ).json()["id"]
        await sign_in(client, member)
        await client.post(f"/rooms/{room}/join")
        for n, text in enumerate(("See you Tuesday", "Bring tea")):
            await client.post(f"/rooms/{room}/messages", data={"client_id": f"c{n}", "body": text})
        await client.post(
            f"/api/rooms/{room}/messages",
            json={"client_id": "f", "body": "Welcome all"},
            headers=facilitator.auth,
        )
        page = await client.get(f"/rooms/{room}")
        mine = page.text.split('id="m-1"', 1)[1].split("</li>", 1)[0]
        assert f'action="/rooms/{room}/messages/1/edit"' in mine
        assert f'action="/rooms/{room}/messages/1/delete"' in mine
        assert '<details class="own">' in mine  # folded until she opens it
        hers = page.text.split('id="m-3"', 1)[1].split("</li>", 1)[0]
        assert "/edit" not in hers

        edited = await client.post(
            f"/rooms/{room}/messages/1/edit", data={"body": "See you Wednesday"}
        )
        assert edited.status_code == 303
        assert edited.headers["location"] == f"/rooms/{room}#m-1"
        history = (await client.get(f"/api/rooms/{room}/messages", headers=facilitator.auth)).json()
        assert history[0]["body"] == "See you Wednesday"
        assert history[0]["edited_at"] is not None
        page = await client.get(f"/rooms/{room}")
        assert "See you Wednesday" in page.text
        assert "(edited)" in page.text.split('id="m-1"', 1)[1].split("</li>", 1)[0]

        empty = await client.post(f"/rooms/{room}/messages/1/edit", data={"body": "  "})
        assert empty.status_code == 422
        shown = empty.text.split('id="m-1"', 1)[1].split("</li>", 1)[0]
        assert 'class="field-error own-error" role="alert">A message cannot be empty.' in shown
        assert '<details class="own" open>' in shown
        # Not hers: refused, and said at the top of the page.
        theirs = await client.post(f"/rooms/{room}/messages/3/edit", data={"body": "mine now"})
        assert theirs.status_code == 403
        assert "Only the author edits a message." in theirs.text
        history = (await client.get(f"/api/rooms/{room}/messages", headers=facilitator.auth)).json()
        assert history[2]["body"] == "Welcome all"

        # Read-only for now: the change is refused on the message, her words kept in the field.
        restricted = await client.post(
            f"/api/safety/accounts/{member.id}/restrictions",
            json={"effects": ["read_only"], "reason": "while a report is looked at"},
            headers=officer.auth,
        )
        assert restricted.status_code == 201, restricted.text
        refused = await client.post(
            f"/rooms/{room}/messages/2/edit", data={"body": "Bring biscuits"}
        )
        assert refused.status_code == 403
        shown = refused.text.split('id="m-2"', 1)[1].split("</li>", 1)[0]
        assert "You cannot edit messages here now." in shown
        assert ">Bring biscuits</textarea>" in shown
        history = (await client.get(f"/api/rooms/{room}/messages", headers=facilitator.auth)).json()
        assert history[1]["body"] == "Bring tea"

        deleted = await client.post(f"/rooms/{room}/messages/1/delete", data={})
        assert deleted.status_code == 303
        history = (await client.get(f"/api/rooms/{room}/messages", headers=facilitator.auth)).json()
        assert (history[0]["deleted"], history[0]["body"]) == (True, "")
        page = await client.get(f"/rooms/{room}")
        gone = page.text.split('id="m-1"', 1)[1].split("</li>", 1)[0]
        assert "Deleted by its author." in gone
        assert "/edit" not in gone
        assert "See you Wednesday" not in page.text

    async def test_from_an_earlier_page_she_goes_back_to_it(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
        room = (
            await client.post(
                "/api/rooms",
                json={"kind": "support_group", "name": "Garden"},
                headers=facilitator.auth,
            )
        ).json()["id"]
        await sign_in(client, member)
        await client.post(f"/rooms/{room}/join")
        await client.post(f"/rooms/{room}/messages", data={"client_id": "a", "body": "first"})
        await client.post(f"/rooms/{room}/messages", data={"client_id": "b", "body": "second"})
        earlier = await client.get(f"/rooms/{room}", params={"before": 2})
        assert 'name="before" value="2"' in earlier.text
        assert 'id="own-tools"' not in earlier.text  # no live chat on an earlier page
        edited = await client.post(
            f"/rooms/{room}/messages/1/edit", data={"body": "first, changed", "before": "2"}
        )
        assert edited.headers["location"] == f"/rooms/{room}?before=2#m-1"
