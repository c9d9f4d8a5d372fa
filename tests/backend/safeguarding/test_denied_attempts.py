"""Refused attempts at privileged actions: logged with who and what, flagged when repeated."""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import select

from backend.core import audit
from backend.core.time import frozen_clock, utc_now
from tests.backend.safeguarding.conftest import queue
from tests.backend.web.test_pages import signed_in
from tests.conftest import Person

REASON = "She told the liaison she is in danger; we need to reach her family."


async def denied_entries(app: FastAPI) -> list[audit.AuditEntry]:
    async with app.state.db.session(write=False) as session:
        rows = await session.exec(
            select(audit.AuditEntry).where(audit.AuditEntry.action == "access.denied")
        )
        return list(rows.all())


async def seal(client: httpx.AsyncClient, person: Person) -> None:
    response = await client.put(
        "/api/identity/me", json={"legal_name": "Ana Example"}, headers=person.auth
    )
    assert response.status_code == 200, response.text


async def try_unseal(client: httpx.AsyncClient, who: Person, about: Person) -> httpx.Response:
    return await client.post(
        "/api/identity/unseal-requests",
        json={"account_id": str(about.id), "reason": REASON},
        headers=who.auth,
    )


async def signals_about(client: httpx.AsyncClient, officer: Person, who: Person) -> list[Any]:
    return [
        c
        for c in await queue(client, officer)
        if c["target_pseudonym"] == who.pseudonym and c["source"] == "signal"
    ]


class TestDeniedAttempts:
    async def test_a_denied_unseal_names_actor_and_action_and_the_chain_holds(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person, officer: Person
    ) -> None:
        await seal(client, officer)
        refused = await try_unseal(client, member, officer)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "missing_capability"
        [entry] = await denied_entries(app)
        assert entry.actor_id == member.id
        assert entry.subject == "identity:unseal"
        assert "POST /api/identity/unseal-requests" in entry.details
        log = await client.get("/api/audit?action=access.denied", headers=officer.auth)
        assert [(e["actor_id"], e["subject"]) for e in log.json()] == [
            (str(member.id), "identity:unseal")
        ]
        verified = await client.get("/api/audit/verify", headers=officer.auth)
        assert verified.json()["intact"] is True
        assert verified.json()["entries_checked"] >= 1

    async def test_an_allowed_action_is_unchanged(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        member: Person,
        officer: Person,
    ) -> None:
        await seal(client, member)
        allowed = await try_unseal(client, officer, member)
        assert allowed.status_code == 201
        assert allowed.json()["status"] == "pending"
        assert await denied_entries(app) == []
        assert await signals_about(client, officer, officer) == []

    async def test_a_refusal_a_member_may_meet_is_not_counted(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        # Filing a report is everyone's; posting as a facilitator is not privileged.
        response = await client.get("/api/applications", headers=member.auth)
        assert response.status_code == 403
        assert await denied_entries(app) == []

    async def test_three_denials_within_the_hour_open_one_signal(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        member: Person,
        officer: Person,
        admin: Person,
    ) -> None:
        attempts = [
            ("POST", "/api/identity/unseal-requests", {"account_id": str(officer.id)}),
            ("GET", "/api/audit", None),
            ("POST", f"/api/accounts/{member.id}/roles", {"role": "safeguarding"}),
            ("POST", f"/api/members/{officer.id}/status", {"status": "suspended", "reason": "x"}),
        ]
        for method, path, body in attempts[:2]:
            response = await client.request(method, path, json=body, headers=member.auth)
            assert response.status_code == 403, path
        assert await signals_about(client, officer, member) == []
        for method, path, body in attempts[2:]:
            response = await client.request(method, path, json=body, headers=member.auth)
            assert response.status_code == 403, path
        [flagged] = await signals_about(client, officer, member)
        case = await client.get(f"/api/safety/cases/{flagged['case_id']}", headers=officer.auth)
        evidence = [e for e in case.json()["evidence"] if e["signal_rule"]]
        assert [e["signal_rule"] for e in evidence] == ["access.repeated_denials"]
        assert "audit:read" in evidence[0]["body"]
        assert "roles:manage" in evidence[0]["body"]
        # The fourth refusal within the hour is logged, but adds no second flag.
        assert len(await denied_entries(app)) == 4
        # Nothing happened to her account by itself.
        me = await client.get("/api/me", headers=member.auth)
        assert "rooms:participate" in me.json()["capabilities"]
        verified = await client.get("/api/audit/verify", headers=admin.auth)
        assert verified.json()["intact"] is True

    async def test_denials_spread_over_more_than_an_hour_raise_nothing(
        self, client: httpx.AsyncClient, member: Person, officer: Person
    ) -> None:
        start = utc_now()
        for hours in (0, 1, 2):
            with frozen_clock(start + timedelta(hours=hours, minutes=1)):
                response = await client.get("/api/audit", headers=member.auth)
                assert response.status_code == 403
        assert await signals_about(client, officer, member) == []

    async def test_an_officer_approving_her_own_request_is_recorded(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        created = (await try_unseal(client, officer, member)).json()
        refused = await client.post(
            f"/api/identity/unseal-requests/{created['id']}/approve", json={}, headers=officer.auth
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "second_officer_required"
        [entry] = await denied_entries(app)
        assert (entry.actor_id, entry.subject) == (officer.id, "identity.unseal_decide")

    async def test_pages_record_refusals_too(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        created = (await try_unseal(client, officer, member)).json()
        page_client = await signed_in(client, officer)
        # The form path: the refusal is shown on the page, and recorded after its rollback.
        answer = await page_client.post(f"/safety/unseal/{created['id']}/approve", data={})
        assert answer.status_code == 403
        assert "second officer" in answer.text
        client.cookies.clear()
        member_pages = await signed_in(client, member)
        # A page guarded by the capability itself.
        assert (await member_pages.get("/safety/unseal")).status_code == 403
        entries = await denied_entries(app)
        assert [(e.actor_id, e.subject) for e in entries] == [
            (officer.id, "identity.unseal_decide"),
            (member.id, "identity:unseal"),
        ]
