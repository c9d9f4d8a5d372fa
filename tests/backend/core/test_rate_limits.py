"""Abuse bounds: registration per client, referrals, messages and reports per account; the
counts lift as time moves, and two app instances share them through a real Redis."""

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.core import ratelimit
from backend.core.config import Settings
from backend.core.errors import TooManyAttempts
from backend.core.time import frozen_clock
from backend.main import create_app
from tests.backend.room.test_redis_fanout import RedisServer
from tests.conftest import PASSWORD, Person, grant, make_settings, person_with, register

LIMITS = {
    "rate_limit_registration": "3/hour",
    "rate_limit_referrals": "2/day",
    "rate_limit_messages": "3/minute",
    "rate_limit_reports": "2/hour",
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        session_idle_minutes=10 * 24 * 60,
        session_absolute_hours=10 * 24,
        **LIMITS,
    )


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


async def post_message(client: httpx.AsyncClient, person: Person, room_id: str) -> httpx.Response:
    return await client.post(
        f"/api/rooms/{room_id}/messages",
        json={"client_id": uuid.uuid4().hex, "body": "hello there"},
        headers=person.auth,
    )


async def support_group(app: FastAPI, client: httpx.AsyncClient, *people: Person) -> str:
    host = await person_with(app, client, "Ioana", Role.FACILITATOR)
    response = await client.post(
        "/api/rooms", json={"kind": "support_group", "name": "Tuesday"}, headers=host.auth
    )
    room_id = str(response.json()["id"])
    for person in people:
        joined = await client.post(f"/api/rooms/{room_id}/join", headers=person.auth)
        assert joined.status_code == 200, joined.text
    return room_id


class TestRegistration:
    async def test_per_client_and_lifts_after_the_window(self, client: httpx.AsyncClient) -> None:
        with frozen_clock(datetime.now(UTC)) as clock:
            for name in ("Ada", "Bea", "Cyra"):
                await register(client, name)
            response = await client.post(
                "/api/auth/register",
                json={"pseudonym": "Dee", "password": PASSWORD, "client": "api"},
            )
            assert_limited(response)
            assert "new accounts" in response.json()["error"]["message"]
            assert int(response.headers["retry-after"]) <= 3600
            clock.advance(minutes=61)
            await register(client, "Dee")


class TestMessages:
    async def test_per_account_over_http(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        other = await person_with(app, client, "Joy", Role.MEMBER)
        room_id = await support_group(app, client, member, other)
        with frozen_clock(datetime.now(UTC)) as clock:
            for _ in range(3):
                assert (await post_message(client, member, room_id)).status_code == 201
            assert_limited(await post_message(client, member, room_id))
            # Someone else in the same room is not slowed down by her.
            assert (await post_message(client, other, room_id)).status_code == 201
            clock.advance(seconds=30)
            assert_limited(await post_message(client, member, room_id))
            clock.advance(seconds=31)
            assert (await post_message(client, member, room_id)).status_code == 201


class TestReferrals:
    async def test_per_account(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person
    ) -> None:
        organisation = await client.post(
            "/api/organisations",
            json={"name": "Harbour Outreach", "kind": "referring_charity"},
            headers=admin.auth,
        )
        assert organisation.status_code == 201, organisation.text
        org_id = uuid.UUID(organisation.json()["id"])
        claire = await register(client, "Claire")
        await grant(app, claire, Role.COORDINATOR, org_id)
        body = {"organisation_id": str(org_id)}
        for _ in range(2):
            response = await client.post("/api/referrals", json=body, headers=claire.auth)
            assert response.status_code == 201, response.text
        assert_limited(await client.post("/api/referrals", json=body, headers=claire.auth))


class TestReports:
    async def test_the_function_other_routes_call(self, app: FastAPI) -> None:
        class Caller:
            def __init__(self, app: FastAPI) -> None:
                self.app = app

        for _ in range(2):
            await ratelimit.hit(Caller(app), "reports", "someone")
        with pytest.raises(TooManyAttempts) as refused:
            await ratelimit.hit(Caller(app), "reports", "someone")
        assert refused.value.status_code == 429
        assert refused.value.headers is not None
        assert "Retry-After" in refused.value.headers


def _port_in_our_range() -> int:
    for port in range(18400, 18500):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18400-18499")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.port = _port_in_our_range()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def two_apps(
    tmp_path: Path, database_url: str, redis_server: RedisServer
) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    apps = []
    for _ in range(2):
        app = create_app(
            make_settings(tmp_path, database_url, redis_url=redis_server.url, **LIMITS)
        )
        apps.append(app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://localhost"))
    yield clients
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.runtime.close()


@pytest.mark.slow
class TestSharedThroughRedis:
    async def test_two_instances_share_login_failures_and_limits(
        self, two_apps: list[httpx.AsyncClient], redis_server: RedisServer
    ) -> None:
        first, second = two_apps
        lina = await register(first, "Lina")

        async def wrong(client: httpx.AsyncClient) -> int:
            response = await client.post(
                "/api/auth/login", json={"pseudonym": "Lina", "password": "not her password"}
            )
            return response.status_code

        # Five failures per pseudonym, counted across both processes.
        assert [await wrong(first) for _ in range(3)] == [401] * 3
        assert [await wrong(second) for _ in range(2)] == [401] * 2
        refused = await second.post(
            "/api/auth/login", json={"pseudonym": "Lina", "password": lina.password}
        )
        assert refused.status_code == 429
        refused = await first.post(
            "/api/auth/login", json={"pseudonym": "Lina", "password": lina.password}
        )
        assert refused.status_code == 429
        # Registrations: two more from this client (Lina was the first), the next refused
        # by whichever process receives it.
        await register(second, "Bea")
        await register(first, "Cyra")
        assert_limited(
            await second.post(
                "/api/auth/register",
                json={"pseudonym": "Dee", "password": PASSWORD, "client": "api"},
            )
        )

        # Redis goes away: each process counts alone again; nobody gets a 500.
        redis_server.stop()
        assert await wrong(first) == 401
        late = await first.post(
            "/api/auth/register", json={"pseudonym": "Eve", "password": PASSWORD, "client": "api"}
        )
        assert late.status_code == 201, late.text


class TestClockedMemoryStorage:
    async def test_counts_on_tandems_clock_and_leaves_the_library_alone(self) -> None:
        import time

        import limits.aio.storage.memory

        assert limits.aio.storage.memory.time is time
        limiter = ratelimit.RateLimiter(ratelimit.ClockedMemoryStorage(), {})
        item = ratelimit.window(2, 10)
        with frozen_clock(datetime.now(UTC)) as clock:
            assert await limiter.allow(item, "probe", "her")
            clock.advance(seconds=4)
            assert await limiter.allow(item, "probe", "her")
            assert not await limiter.allow(item, "probe", "her")
            assert await limiter.is_exhausted(item, "probe", "her")
            assert await limiter.retry_after(item, "probe", "her") == 6
            assert await limiter.allow(item, "probe", "someone else")
            clock.advance(seconds=7)
            # The first entry left the window: one more, not two.
            assert await limiter.allow(item, "probe", "her")
            assert not await limiter.allow(item, "probe", "her")
            await limiter.clear(item, "probe", "her")
            assert await limiter.retry_after(item, "probe", "her") == 0
