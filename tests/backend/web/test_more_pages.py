"""Pages that close the web client's gaps: the infiltration cascade, notification choices,
organisations and role grants. Each drives the same services and checks as the API."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.backend.membership.conftest import Community, community, settings
from tests.backend.safeguarding.conftest import queue, report
from tests.conftest import PASSWORD, Person

__all__ = ["community", "settings"]


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second client with its own cookies: the page side, apart from the API's bearer calls."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        yield http


async def sign_in(browser: httpx.AsyncClient, person: Person) -> None:
    response = await browser.post(
        "/sign-in", data={"pseudonym": person.pseudonym, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text


class TestCascade:
    async def test_the_officer_reads_the_plan_confirms_and_applies_it(
        self, community: Community, browser: httpx.AsyncClient
    ) -> None:
        client, officer = community.client, community.officer
        await community.set_rules(quorum_percent=50, threshold_percent=50)
        xenia = await community.founding_active("Xenia")
        rosa = await community.member("Rosa")
        vote = await community.open_vote(
            await community.application_ready_for_vote(rosa, interviewers=[xenia])
        )
        await community.ballot(xenia, vote, "yes")
        card = await community.call(rosa, "GET", "/api/cards/me", expect=200)
        assert card["status"] == "valid"
        reporter = await community.member("Reporter")
        await report(client, reporter, account=xenia)
        case_id = (await queue(client, officer))[0]["case_id"]

        await sign_in(browser, officer)
        before = await browser.get(f"/safety/cases/{case_id}")
        assert 'id="cascade"' not in before.text  # nothing to plan before it is confirmed
        decided = await browser.post(
            f"/safety/cases/{case_id}/decision",
            data={
                "decision": "expulsion",
                "reason": "asked newcomers where they live",
                "infiltration_confirmed": "yes",
            },
        )
        assert decided.status_code == 303
        planned = await browser.get(f"/safety/cases/{case_id}")
        section = planned.text.split('id="cascade"', 1)[1].split("</section>", 1)[0]
        assert "Rosa · 1 step from her" in section
        assert "Cards to revoke" in section
        assert "<li>Rosa</li>" in section
        # Applying needs the box ticked: nothing happens without it.
        unconfirmed = await browser.post(f"/safety/cases/{case_id}/cascade", data={})
        assert unconfirmed.status_code == 422
        assert 'id="confirm-error"' in unconfirmed.text
        card = await community.call(rosa, "GET", "/api/cards/me", expect=200)
        assert card["status"] == "valid"
        assert await community.call(officer, "GET", "/api/safety/review", expect=200) == []

        applied = await browser.post(f"/safety/cases/{case_id}/cascade", data={"confirm": "yes"})
        assert applied.status_code == 303
        assert applied.headers["location"].endswith("#cascade")
        shown = await browser.get(applied.headers["location"].split("#")[0])
        assert "put under review." in shown.text
        assert "1 card revoked." in shown.text
        assert "Already under review from this case:" in shown.text
        card = await community.call(rosa, "GET", "/api/cards/me", expect=200)
        assert card["status"] == "revoked"
        marked = await community.call(officer, "GET", "/api/safety/review", expect=200)
        assert "Rosa" in {m["pseudonym"] for m in marked}
        listed = await browser.get("/safety")
        review = listed.text.split('id="under-review"', 1)[1].split("</section>", 1)[0]
        assert re.search(r"Rosa · 1 step from her", review)
        assert f"/safety/cases/{case_id}#cascade" in review

    async def test_only_officers_apply_it(
        self, community: Community, browser: httpx.AsyncClient
    ) -> None:
        xenia = await community.founding_active("Xenia")
        await report(community.client, community.admin, account=xenia)
        case_id = (await queue(community.client, community.officer))[0]["case_id"]
        await sign_in(browser, community.admin)
        refused = await browser.post(f"/safety/cases/{case_id}/cascade", data={"confirm": "yes"})
        assert refused.status_code == 403
        assert (await browser.get("/safety")).status_code == 403


class TestNotificationPreferences:
    async def test_she_switches_kinds_off_sets_quiet_hours_and_pauses(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await sign_in(client, member)
        shown = await client.get("/notifications/preferences")
        assert shown.status_code == 200
        assert "no-store" in shown.headers["cache-control"]
        # Safety kinds: shown on, with no control that could send them as off.
        assert 'value="safety.restriction_applied"' not in shown.text
        assert "Limits on your account" in shown.text
        assert "always on" in shown.text
        everything_but_votes = [
            k["kind"]
            for k in (await client.get("/api/notifications/preferences")).json()["kinds"]
            if k["can_switch_off"] and not k["kind"].startswith("vote.")
        ]
        saved = await client.post(
            "/notifications/preferences",
            data={
                "on": everything_but_votes,
                "quiet_start": "22:00",
                "quiet_end": "07:30",
                "paused_until": "2099-01-02T09:00",
            },
        )
        assert saved.status_code == 303
        prefs = (await client.get("/api/notifications/preferences")).json()
        off = {k["kind"] for k in prefs["kinds"] if not k["enabled"]}
        assert off == {"vote.opened", "vote.reminder", "vote.outcome"}
        assert (prefs["quiet_start_minute"], prefs["quiet_end_minute"]) == (22 * 60, 7 * 60 + 30)
        assert prefs["paused_until"].startswith("2099-01-02")
        page = await client.get("/notifications/preferences")
        assert 'value="22:00"' in page.text
        assert 'value="2099-01-02T09:00"' in page.text
        assert 'value="vote.opened">' in page.text  # unticked
        assert 'value="room.mention" checked' in page.text

        resumed = await client.post("/notifications/preferences", data={"resume": "yes"})
        assert resumed.status_code == 303
        prefs = (await client.get("/api/notifications/preferences")).json()
        assert prefs["paused_until"] is None
        assert prefs["quiet_start_minute"] == 22 * 60  # the rest stays as it was

    async def test_half_a_quiet_window_is_refused_next_to_the_field(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await sign_in(client, member)
        refused = await client.post(
            "/notifications/preferences", data={"on": "room.mention", "quiet_start": "22:00"}
        )
        assert refused.status_code == 422
        assert 'id="quiet_hours-error"' in refused.text
        bad = await client.post("/notifications/preferences", data={"quiet_start": "late"})
        assert bad.status_code == 422
        assert "Give a time such as 22:00." in bad.text


class TestOrganisationsAndRoles:
    async def test_the_admin_adds_an_organisation_and_a_taken_name_is_shown(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await sign_in(client, admin)
        assert 'href="/admin/organisations"' in (await client.get("/admin")).text
        added = await client.post(
            "/admin/organisations", data={"name": "  Casa  Aurora ", "kind": "employer"}
        )
        assert added.status_code == 303
        listed = await client.get("/admin/organisations")
        assert "<strong>Casa Aurora</strong> — Employs peer workers" in listed.text
        api = (await client.get("/api/organisations")).json()
        assert [(o["name"], o["kind"]) for o in api] == [("Casa Aurora", "employer")]
        taken = await client.post(
            "/admin/organisations", data={"name": "casa aurora", "kind": "both"}
        )
        assert taken.status_code == 409
        assert 'id="name-error"' in taken.text
        assert 'value="casa aurora"' in taken.text
        short = await client.post("/admin/organisations", data={"name": "x", "kind": "both"})
        assert short.status_code == 422

    async def test_the_admin_grants_and_takes_back_roles_by_pseudonym(
        self, client: httpx.AsyncClient, admin: Person, member: Person
    ) -> None:
        await sign_in(client, admin)
        org = (
            await client.post(
                "/api/organisations", json={"name": "Casa Aurora", "kind": "employer"}
            )
        ).json()["id"]
        nobody = await client.get("/admin/roles", params={"pseudonym": "Nobody Here"})
        assert "Nobody has this pseudonym." in nobody.text
        found = await client.get("/admin/roles", params={"pseudonym": "lina"})
        assert "Roles of Lina" in found.text
        action = f"/admin/roles/{member.id}"
        assert f'action="{action}"' in found.text

        granted = await client.post(action, data={"role": "facilitator", "organisation_id": ""})
        assert granted.status_code == 303
        assert granted.headers["location"] == "/admin/roles?pseudonym=Lina&saved=1"
        # An organisation's role needs the organisation: said next to the field.
        refused = await client.post(action, data={"role": "coordinator", "organisation_id": ""})
        assert refused.status_code == 422
        assert 'id="organisation_id-error"' in refused.text
        await client.post(action, data={"role": "coordinator", "organisation_id": org})
        grants = (await client.get(f"/api/accounts/{member.id}/roles")).json()
        held = {(g["role"], g["organisation_id"]) for g in grants}
        assert {("facilitator", None), ("coordinator", org)} <= held

        page = await client.get("/admin/roles", params={"pseudonym": "Lina"})
        facilitator = next(g["id"] for g in grants if g["role"] == "facilitator")
        revoke = f"/admin/roles/{member.id}/{facilitator}/revoke"
        assert f'action="{revoke}"' in page.text
        assert (await client.post(revoke)).status_code == 303
        grants = (await client.get(f"/api/accounts/{member.id}/roles")).json()
        assert "facilitator" not in {g["role"] for g in grants}

    async def test_the_same_checks_as_the_api(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person, officer: Person
    ) -> None:
        await sign_in(client, member)
        assert (await client.get("/admin/organisations")).status_code == 403
        assert (await client.get("/admin/roles", params={"pseudonym": "Lina"})).status_code == 403
        refused = await client.post(f"/admin/roles/{member.id}", data={"role": "admin"})
        assert refused.status_code == 403
        created = await client.post("/admin/organisations", data={"name": "Mine", "kind": "both"})
        assert created.status_code == 403
        grants = await client.get(f"/api/accounts/{member.id}/roles", headers=officer.auth)
        assert grants.status_code == 403
