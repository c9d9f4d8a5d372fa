"""The web pages over HTTP: the same capability checks as the API, answered as pages."""

import uuid

import httpx
from fastapi import FastAPI

from backend.auth.capabilities import Role
from tests.conftest import PASSWORD, Person, person_with

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def signed_in(client: httpx.AsyncClient, person: Person) -> httpx.AsyncClient:
    response = await client.post(
        "/sign-in", data={"pseudonym": person.pseudonym, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client


class TestSignIn:
    async def test_unknown_password_says_so_on_the_form(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await client.post(
            "/sign-in", data={"pseudonym": member.pseudonym, "password": "wrong one"}
        )
        assert response.status_code == 401
        assert "do not match an account" in response.text
        assert 'value="Lina"' in response.text

    async def test_a_page_asks_her_to_sign_in_first(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/membership?x=1")
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=%2Fmembership%3Fx%3D1"

    async def test_next_never_leaves_the_site(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await client.post(
            "/sign-in",
            data={"pseudonym": "Lina", "password": PASSWORD, "next": "//elsewhere.example/"},
        )
        assert response.headers["location"] == "/"

    async def test_api_errors_stay_json(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


class TestRegister:
    async def test_codes_are_shown_once_and_she_is_signed_in(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/register",
            data={"pseudonym": "Rosa", "password": "lanterns under the quiet bridge"},
        )
        assert response.status_code == 200
        assert response.text.count("<code>") >= 8
        assert "no-store" in response.headers["cache-control"]
        me = await client.get("/api/me")
        assert me.json()["pseudonym"] == "Rosa"

    async def test_a_weak_password_is_refused_next_to_the_field(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/register", data={"pseudonym": "Rosa", "password": "123"})
        assert response.status_code == 422
        assert 'id="password-error"' in response.text or "password" in response.text.lower()
        assert (await client.get("/api/me")).status_code == 401


class TestSameChecksAsTheApi:
    async def test_a_newcomer_sees_no_roots_pages(
        self, client: httpx.AsyncClient, newcomer: Person
    ) -> None:
        await signed_in(client, newcomer)
        assert (await client.get("/votes")).status_code == 404
        vote = uuid.uuid4()
        response = await client.post(f"/votes/{vote}/ballot", data={"choice": "yes"})
        assert response.status_code == 403
        assert "permission" in response.text

    async def test_a_member_cannot_open_a_roster(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        assert (await client.get(f"/rosters/{uuid.uuid4()}")).status_code == 403
        assert (await client.get(f"/coordination/{uuid.uuid4()}")).status_code == 404

    async def test_a_room_she_is_not_in_does_not_exist_for_her(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
        created = await client.post(
            "/api/rooms",
            json={"kind": "working_group", "name": "Outreach materials"},
            headers=facilitator.auth,
        )
        assert created.status_code == 201, created.text
        await signed_in(client, member)
        response = await client.get(f"/rooms/{created.json()['id']}")
        assert response.status_code == 404
        assert "Outreach materials" not in response.text

    async def test_a_form_from_another_site_is_refused(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        response = await client.post(
            "/account", data={"time_zone": "Europe/Rome"}, headers={"origin": "https://evil.test"}
        )
        assert response.status_code == 403
        me = (await client.get("/api/me")).json()
        assert me["time_zone"] != "Europe/Rome"


class TestChat:
    async def test_posting_twice_with_one_client_id_stores_one_message(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
        room = (
            await client.post(
                "/api/rooms",
                json={"kind": "support_group", "name": "Tuesday circle"},
                headers=facilitator.auth,
            )
        ).json()["id"]
        await signed_in(client, member)
        assert (await client.post(f"/rooms/{room}/join")).status_code == 303
        for _ in range(2):
            sent = await client.post(
                f"/rooms/{room}/messages", data={"client_id": "tap-1", "body": "See you Tuesday"}
            )
            assert sent.status_code == 303
        page = await client.get(f"/rooms/{room}")
        # Once as a message (her edit form, folded under it, holds the text as well).
        assert page.text.count('<p class="body">See you Tuesday</p>') == 1
        history = await client.get(f"/api/rooms/{room}/messages", headers=facilitator.auth)
        assert [m["body"] for m in history.json()] == ["See you Tuesday"]

    async def test_an_empty_message_is_refused_on_the_page(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
        room = (
            await client.post(
                "/api/rooms",
                json={"kind": "support_group", "name": "Tuesday circle"},
                headers=facilitator.auth,
            )
        ).json()["id"]
        await signed_in(client, member)
        await client.post(f"/rooms/{room}/join")
        sent = await client.post(f"/rooms/{room}/messages", data={"client_id": "x", "body": ""})
        assert sent.status_code == 422
        assert 'role="alert"' in sent.text

    async def test_a_content_warning_without_javascript_folds_the_message(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
        room = (
            await client.post(
                "/api/rooms",
                json={"kind": "support_group", "name": "Tuesday circle"},
                headers=facilitator.auth,
            )
        ).json()["id"]
        await signed_in(client, member)
        await client.post(f"/rooms/{room}/join")
        page = await client.get(f"/rooms/{room}")
        assert 'name="content_warning"' in page.text
        sent = await client.post(
            f"/rooms/{room}/messages",
            data={
                "client_id": "cw",
                "body": "The night we crossed",
                "content_warning": "the journey",
            },
        )
        assert sent.status_code == 303
        page = await client.get(f"/rooms/{room}")
        folded = page.text.split('<details class="warned">', 1)[1].split("</details>", 1)[0]
        assert "Content warning: the journey, show" in folded
        assert "The night we crossed" in folded
        assert '<details class="warned" open' not in page.text
        too_long = await client.post(
            f"/rooms/{room}/messages",
            data={"client_id": "cw2", "body": "kept", "content_warning": "w" * 81},
        )
        assert too_long.status_code == 422
        assert 'id="content_warning-error"' in too_long.text
        assert "w" * 81 in too_long.text  # her words wait in the field

    async def test_no_content_warning_field_outside_groups(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        noor = await person_with(app, client, "Noor", Role.SAFEGUARDING)
        board = (
            await client.post(
                "/api/rooms",
                json={"kind": "announcements", "name": "Notices"},
                headers=noor.auth,
            )
        ).json()["id"]
        await signed_in(client, noor)
        page = await client.get(f"/rooms/{board}")
        assert 'name="content_warning"' not in page.text
        refused = await client.post(
            f"/rooms/{board}/messages",
            data={"client_id": "a", "body": "hello", "content_warning": "loss"},
        )
        assert refused.status_code == 422
        assert "Content warnings are for support groups and working groups." in refused.text


class TestQuickExit:
    async def test_exit_ends_the_session_and_clears_the_site(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        response = await client.post("/exit")
        assert response.status_code == 303
        assert response.headers["location"] == "https://www.wikipedia.org/"
        assert response.headers["clear-site-data"] == '"cache", "cookies", "storage"'
        assert "https://www.wikipedia.org" in response.headers["content-security-policy"]
        assert (await client.get("/api/me")).status_code == 401

    async def test_every_page_has_the_exit_and_no_revealing_title(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        for path in ("/", "/rooms", "/membership", "/account", "/sessions"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert 'action="/exit"' in page.text
            assert "no-store" in page.headers["cache-control"]
            title = page.text.split("<title>")[1].split("</title>")[0]
            assert title.endswith("· Tandem")
            for word in ("traffick", "survivor", "victim"):
                assert word not in page.text.lower()


class TestLanguages:
    async def test_anonymous_pages_follow_the_browser_then_the_switch(
        self, client: httpx.AsyncClient
    ) -> None:
        page = await client.get("/sign-in", headers={"accept-language": "it-IT,it;q=0.9"})
        assert '<html lang="it"' in page.text
        assert "Accedi" in page.text
        switched = await client.post("/language", data={"language": "ro", "next": "/sign-in"})
        assert switched.headers["location"] == "/sign-in"
        page = await client.get("/sign-in")
        assert "Intră în cont" in page.text

    async def test_her_choice_is_kept_on_her_account(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        await client.post("/language", data={"language": "es", "next": "/"})
        client.cookies.delete("tandem_lang")
        assert (await client.get("/api/me")).json()["language"] == "es"
        assert "Salas" in (await client.get("/rooms")).text

    async def test_romanian_has_three_plural_forms(self, member: Person) -> None:
        from backend.web.i18n import Speaker

        say = Speaker("ro", "Europe/Bucharest")
        one, few, many = (
            say.ngettext("%(num)d new message", "%(num)d new messages", n) for n in (1, 5, 25)
        )
        assert (one, few, many) == ("1 mesaj nou", "5 mesaje noi", "25 de mesaje noi")

    async def test_dates_in_her_zone_and_language(self) -> None:
        from datetime import UTC, datetime

        from backend.web.i18n import Speaker

        moment = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
        assert Speaker("fr", "Europe/Paris").clock(moment) == "18:30"
        assert "martie" in Speaker("ro", "Europe/Bucharest").day(moment, "long")


def test_every_message_is_translated() -> None:
    """Each message the pages use has a translation in every language's catalog."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[3]
    used: set[str] = set()
    for directory in ("backend/web", "frontend/templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / directory,
            method_map=[("**.py", "python"), ("**.html", "jinja2")],
            keywords={"_": None, "N_": None, "ngettext": (1, 2), "gettext": None},
        ):
            used.add(message if isinstance(message, str) else message[0])
    for language in ("fr", "it", "es", "ro"):
        with (root / "frontend/locale" / language / "LC_MESSAGES/messages.po").open("rb") as po:
            catalog = read_po(po)
        translated = {
            (m.id if isinstance(m.id, str) else m.id[0])
            for m in catalog
            if m.id and (m.string if isinstance(m.string, str) else all(m.string))
        }
        missing = sorted(used - translated)
        assert not missing, (language, missing)


class TestAdminSettings:
    async def test_an_admin_changes_the_rules_and_a_wrong_value_is_shown(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await signed_in(client, admin)
        assert (await client.get("/admin")).status_code == 200
        saved = await client.post("/admin/rules", data={"vote_days": "9"})
        assert saved.status_code == 303
        rules = await client.get("/api/membership/rules", headers=admin.auth)
        assert rules.json()["vote_days"] == 9
        refused = await client.post("/admin/rules", data={"vote_days": "0"})
        assert refused.status_code == 422
        assert 'id="vote_days-error"' in refused.text

    async def test_a_member_has_no_settings(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        assert (await client.get("/admin")).status_code == 404
        assert (await client.post("/admin/rules", data={"vote_days": "9"})).status_code == 403
        published = await client.post(
            "/admin/agreements",
            data={"kind": "community_rules", "language": "en", "title": "Rules", "body": "x" * 30},
        )
        assert published.status_code == 403


class TestSafetyPages:
    async def test_a_member_has_no_officer_pages(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        assert (await client.get("/safety")).status_code == 403
        restrict = await client.post(
            f"/safety/cases/{uuid.uuid4()}/restrictions",
            data={"effects": "read_only", "reason": "no"},
        )
        assert restrict.status_code == 403

    async def test_she_sets_a_duress_password_with_her_own(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        wrong = await client.post(
            "/account/duress-password",
            data={"duress_password": "sunflowers by the door", "current_password": "nope"},
        )
        assert wrong.status_code == 303
        assert "problem=" in wrong.headers["location"]
        done = await client.post(
            "/account/duress-password",
            data={"duress_password": "sunflowers by the door", "current_password": PASSWORD},
        )
        assert done.headers["location"] == "/account?saved=1#duress"
        status = await client.get("/api/me/duress-password")
        assert status.json()["is_set"] is True

    async def test_erasing_asks_for_her_password_and_then_erases(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        refused = await client.post(
            "/account/erase", data={"password": "not mine", "confirm": "yes"}
        )
        assert "problem=" in refused.headers["location"]
        assert (await client.get("/api/me")).status_code == 200
        erased = await client.post("/account/erase", data={"password": PASSWORD, "confirm": "yes"})
        assert erased.headers["location"] == "/erased"
        assert (await client.get("/api/me")).status_code == 401
        again = await client.post(
            "/sign-in", data={"pseudonym": member.pseudonym, "password": PASSWORD}
        )
        assert again.status_code == 401


class TestProfile:
    async def test_she_sets_what_mentor_matching_may_use_and_others_do_not_see_it(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        await signed_in(client, member)
        saved = await client.post(
            "/account/profile",
            data={"languages": ["fr", "ro"], "city": "Lyon", "region": ""},
        )
        assert saved.status_code == 303
        page = (await client.get("/account")).text
        assert 'value="Lyon"' in page
        mine = (await client.get("/api/membership/me")).json()
        assert (mine["languages"], mine["city"], mine["region"]) == (["fr", "ro"], "Lyon", None)
        other = await person_with(app, client, "Joy", Role.ACTIVE_MEMBER, Role.MEMBER)
        seen = await client.get(f"/api/members/{member.id}", headers=other.auth)
        assert "Lyon" not in seen.text
        too_long = await client.post("/account/profile", data={"city": "x" * 81})
        assert too_long.status_code == 422
        assert (await client.get("/api/membership/me")).json()["city"] == "Lyon"
