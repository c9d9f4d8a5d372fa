"""Linked accounts: registrations and sign-ins from one place, as rotating keyed hashes,
shown to officers in the trust graph and the cascade, flagged when they pile up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import select

from backend.auth import places
from backend.auth.models import AccountPlace, PlaceKind
from backend.core.time import frozen_clock, utc_now
from backend.privacy import tasks as privacy_tasks
from tests.backend.safeguarding.conftest import queue, report
from tests.conftest import PASSWORD, Person, register

PHONE = "Mozilla/5.0 (Linux; Android 14; SM-A145R) AppleWebKit/537.36 Chrome/131.0 Mobile"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@asynccontextmanager
async def from_place(
    app: FastAPI, address: str, user_agent: str = PHONE
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``address`` with ``user_agent``."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://localhost", headers={"user-agent": user_agent}
    ) as http:
        yield http


async def register_from(
    app: FastAPI, pseudonym: str, address: str, user_agent: str = PHONE
) -> Person:
    async with from_place(app, address, user_agent) as http:
        return await register(http, pseudonym)


async def linked_to(client: httpx.AsyncClient, officer: Person, person: Person) -> set[str]:
    graph = await client.get(f"/api/safety/accounts/{person.id}/trust", headers=officer.auth)
    assert graph.status_code == 200, graph.text
    names = {n["account_id"]: n["pseudonym"] for n in graph.json()["nodes"]}
    return {
        names[e["target"]]
        for e in graph.json()["edges"]
        if e["kind"] == "same_place" and e["source"] == str(person.id)
    }


async def place_rows(app: FastAPI) -> list[AccountPlace]:
    async with app.state.db.session(write=False) as session:
        return list((await session.exec(select(AccountPlace))).all())


class TestWhatIsKept:
    def test_networks_are_cut_to_24_and_56_and_the_loopback_says_nothing(self) -> None:
        assert places.network_of("203.0.113.77") == "203.0.113.0/24"
        assert places.network_of("::ffff:203.0.113.77") == "203.0.113.0/24"
        assert places.network_of("2001:db8:abcd:12ff::9") == "2001:db8:abcd:1200::/56"
        for nothing in ("127.0.0.1", "::1", "testclient", "", None):
            assert places.network_of(nothing) is None

    def test_the_key_changes_every_period(self) -> None:
        secret = b"s" * 64
        now = utc_now()
        this = places.period_of(now)
        assert places.period_of(now + timedelta(days=places.ROTATION_DAYS)) == this + 1
        keys = {places.period_key(secret, p) for p in (this - 1, this, this + 1)}
        assert len(keys) == 3
        net = "203.0.113.0/24"
        assert places.place_hash(places.period_key(secret, this), net, PHONE) != (
            places.place_hash(places.period_key(secret, this + 1), net, PHONE)
        )

    async def test_only_keyed_hashes_are_stored(
        self, app: FastAPI, officer: Person, database_url: str
    ) -> None:
        await register_from(app, "Vera", "203.0.113.7")
        [row] = await place_rows(app)
        assert row.kind is PlaceKind.REGISTERED
        assert len(row.place) == 64
        assert len(row.place_before) == 64
        if database_url.startswith("sqlite"):
            raw = Path(database_url.removeprefix("sqlite:///")).read_bytes()
            wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
            raw += wal.read_bytes() if wal.exists() else b""
            for clear in (b"203.0.113", b"Android 14", PHONE.encode()):
                assert clear not in raw

    async def test_a_developer_on_the_loopback_leaves_nothing(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await register(client, "Vera")
        assert await place_rows(app) == []


class TestTheTrustGraphShowsThem:
    async def test_same_network_and_browser_link_others_do_not(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        vera = await register_from(app, "Vera", "203.0.113.7")
        await register_from(app, "Val", "203.0.113.200")  # same /24, same phone
        await register_from(app, "Ada", "198.51.100.7")  # another network
        await register_from(app, "Bea", "203.0.113.9", LAPTOP)  # another browser
        assert await linked_to(client, officer, vera) == {"Val"}

    async def test_ipv6_links_within_a_56(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        vera = await register_from(app, "Vera", "2001:db8:abcd:1201::5")
        await register_from(app, "Val", "2001:db8:abcd:12fe::77")
        await register_from(app, "Ada", "2001:db8:abcd:1300::5")
        assert await linked_to(client, officer, vera) == {"Val"}

    async def test_a_sign_in_from_where_another_registered_links_them(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        vera = await register_from(app, "Vera", "198.51.100.7")
        await register_from(app, "Val", "203.0.113.8")
        assert await linked_to(client, officer, vera) == set()
        async with from_place(app, "203.0.113.50") as http:
            signed = await http.post(
                "/api/auth/login",
                json={"pseudonym": "Vera", "password": PASSWORD, "client": "api"},
            )
            assert signed.status_code == 200
        assert await linked_to(client, officer, vera) == {"Val"}

    async def test_pages_record_too(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        vera = await register_from(app, "Vera", "198.51.100.7")
        async with from_place(app, "198.51.100.99") as http:
            made = await http.post(
                "/register", data={"pseudonym": "Val", "password": PASSWORD, "language": "en"}
            )
            assert made.status_code == 200, made.text
        assert await linked_to(client, officer, vera) == {"Val"}
        async with from_place(app, "203.0.113.5", LAPTOP) as http:
            signed = await http.post(
                "/sign-in", data={"pseudonym": "Vera", "password": PASSWORD, "next": "/"}
            )
            assert signed.status_code == 303
        kinds = sorted((r.kind.value, r.account_id == vera.id) for r in await place_rows(app))
        assert kinds == [("registered", False), ("registered", True), ("signed_in", True)]

    async def test_a_rotation_between_two_visits_still_links_them(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        start = utc_now()
        with frozen_clock(start) as clock:
            vera = await register_from(app, "Vera", "203.0.113.7")
            # Whatever day of its period this is, a period later is the next one.
            clock.advance(days=places.ROTATION_DAYS + 1)
            await register_from(app, "Val", "203.0.113.8")
            periods = {r.period for r in await place_rows(app)}
            assert len(periods) == 2
            assert await linked_to(client, officer, vera) == {"Val"}


class TestKeptThirtyDaysNeverExported:
    async def test_the_retention_task_deletes_rows_past_30_days(self, app: FastAPI) -> None:
        start = utc_now()
        with frozen_clock(start) as clock:
            await register_from(app, "Vera", "203.0.113.7")
            clock.advance(days=10)
            await register_from(app, "Val", "203.0.113.8")
            clock.advance(days=places.KEEP_DAYS - 10 + 1)
            removed = await privacy_tasks.run_due_work(app.state.db)
        assert removed == {"account_places": 1}
        [kept] = await place_rows(app)
        assert kept.at == start + timedelta(days=10)

    async def test_her_export_holds_none_of_it(self, app: FastAPI) -> None:
        vera = await register_from(app, "Vera", "203.0.113.7")
        [row] = await place_rows(app)
        async with from_place(app, "203.0.113.7") as http:
            exported = await http.get("/api/me/export", headers=vera.auth)
        assert exported.status_code == 200
        assert row.place not in exported.text
        assert row.place_before not in exported.text
        assert "account_place" not in exported.text

    async def test_erasing_her_account_deletes_hers(self, app: FastAPI) -> None:
        vera = await register_from(app, "Vera", "203.0.113.7")
        val = await register_from(app, "Val", "203.0.113.8")
        async with from_place(app, "203.0.113.7") as http:
            erased = await http.post(
                "/api/me/erase", json={"password": PASSWORD}, headers=vera.auth
            )
        assert erased.status_code == 204, erased.text
        assert {r.account_id for r in await place_rows(app)} == {val.id}


class TestRegistrationsFromOnePlace:
    async def signals(self, client: httpx.AsyncClient, officer: Person) -> list[dict[str, Any]]:
        return [c for c in await queue(client, officer) if c["source"] == "signal"]

    async def test_three_in_a_day_raise_one_signal(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        for name in ("Vera", "Val"):
            await register_from(app, name, "203.0.113.7")
        assert await self.signals(client, officer) == []
        await register_from(app, "Viv", "203.0.113.8")
        [flag] = await self.signals(client, officer)
        assert flag["target_pseudonym"] == "Viv"
        await register_from(app, "Vic", "203.0.113.9")
        [same] = await self.signals(client, officer)
        assert same["case_id"] == flag["case_id"]
        case = await client.get(f"/api/safety/cases/{flag['case_id']}", headers=officer.auth)
        rules = [e for e in case.json()["evidence"] if e["signal_rule"]]
        assert [e["signal_rule"] for e in rules] == ["linked.registrations_from_one_place"] * 2
        assert "Vera, Val, Viv" in rules[0]["body"]

    async def test_three_over_more_than_a_day_raise_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, officer: Person
    ) -> None:
        start = utc_now()
        with frozen_clock(start) as clock:
            for name in ("Vera", "Val", "Viv"):
                await register_from(app, name, "203.0.113.7")
                clock.advance(hours=13)
            assert await self.signals(client, officer) == []


class TestTheCascadeListsThemApart:
    async def test_listed_for_review_and_untouched(self, community: Any) -> None:
        app, client, officer = community.app, community.client, community.officer
        vera = await register_from(app, "Vera", "203.0.113.7")
        val = await register_from(app, "Val", "203.0.113.8")
        reporter = await community.member("Lina")
        await report(client, reporter, account=vera, kind="infiltration")
        [case] = [c for c in await queue(client, officer) if c["target_pseudonym"] == "Vera"]
        await community.call(
            officer,
            "POST",
            f"/api/safety/cases/{case['case_id']}/decision",
            {
                "decision": "expulsion",
                "reason": "She asked three newcomers where they sleep.",
                "infiltration_confirmed": True,
            },
            expect=200,
        )
        plan = await community.call(
            officer, "GET", f"/api/safety/cases/{case['case_id']}/cascade", expect=200
        )
        assert [n["pseudonym"] for n in plan["same_place"]] == ["Val"]
        assert "Val" not in {n["pseudonym"] for n in plan["review"]}
        applied = await community.call(
            officer, "POST", f"/api/safety/cases/{case['case_id']}/cascade", expect=200
        )
        assert str(val.id) not in applied["marked_for_review"]
        page = await _officer_page(client, officer, f"/safety/cases/{case['case_id']}")
        assert "registered or signed in from the same place as" in page
        assert 'id="same-place"' in page


async def _officer_page(client: httpx.AsyncClient, officer: Person, path: str) -> str:
    signed = await client.post(
        "/sign-in", data={"pseudonym": officer.pseudonym, "password": PASSWORD, "next": "/"}
    )
    assert signed.status_code == 303
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.text
