"""Read models the API and the pages share: one view, the same answer on both."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.backend.membership.conftest import Community, roots_of
from tests.conftest import PASSWORD, Person


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The page side, with its own cookies, apart from the API's bearer calls."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        yield http


async def sign_in(browser: httpx.AsyncClient, person: Person) -> None:
    response = await browser.post(
        "/sign-in", data={"pseudonym": person.pseudonym, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text


async def report_by_someone_who_then_erases(community: Community) -> tuple[str, Person]:
    """An application whose interview report was written by Root A, who then erased her
    account. Returns the application and the (former) author."""
    author = (await roots_of(community, 1))[0]
    application_id = await community.application_ready_for_vote(
        await community.member("Rosa"), interviewers=[author]
    )
    response = await community.client.post(
        "/api/me/erase", json={"password": author.password}, headers=author.auth
    )
    assert response.status_code == 204, response.text
    return application_id, author


class TestInterviewReport:
    async def test_an_erased_author_reads_as_erased_member_in_the_api(
        self, community: Community
    ) -> None:
        application_id, author = await report_by_someone_who_then_erases(community)
        shown = await community.call(
            community.coordinator, "GET", f"/api/applications/{application_id}", expect=200
        )
        assert shown["report"]["written_by"] == "erased member"
        assert shown["report"]["summary"].startswith("We met for an hour")
        assert author.pseudonym not in str(shown["report"])

    async def test_an_erased_author_reads_as_erased_member_on_the_page(
        self, community: Community, browser: httpx.AsyncClient
    ) -> None:
        application_id, author = await report_by_someone_who_then_erases(community)
        await sign_in(browser, community.coordinator)
        response = await browser.get(f"/applications/{application_id}")
        assert response.status_code == 200, response.text
        assert "Written by erased member on" in response.text
        assert author.pseudonym not in response.text
        report = response.text.split("Interview report", 1)[1].split("</section>", 1)[0]
        assert "erased-" not in report

    async def test_a_present_author_reads_by_her_pseudonym_on_both(
        self, community: Community, browser: httpx.AsyncClient
    ) -> None:
        author = (await roots_of(community, 1))[0]
        application_id = await community.application_ready_for_vote(
            await community.member("Rosa"), interviewers=[author]
        )
        shown = await community.call(
            community.coordinator, "GET", f"/api/applications/{application_id}", expect=200
        )
        assert shown["report"]["written_by"] == author.pseudonym
        await sign_in(browser, community.coordinator)
        response = await browser.get(f"/applications/{application_id}")
        assert f"Written by {author.pseudonym} on" in response.text
