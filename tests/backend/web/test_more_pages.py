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
