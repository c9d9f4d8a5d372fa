import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backend.core.time import frozen_clock
from backend.main import create_app
from tests.conftest import PASSWORD, Person, make_settings, register


async def login(client: httpx.AsyncClient, pseudonym: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"pseudonym": pseudonym, "password": password, "client": "api"}
    )


class TestLogin:
    async def test_right_password_opens_a_session(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await login(client, "lina", PASSWORD)
        assert response.status_code == 200
        token = response.json()["token"]
        me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["pseudonym"] == "Lina"
        assert "rooms:participate" in me.json()["capabilities"]

    async def test_unknown_pseudonym_and_wrong_password_answer_alike(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        wrong = await login(client, "Lina", "not the password at all")
        unknown = await login(client, "Nobody Here", "not the password at all")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert set(wrong.headers) - {"x-request-id"} == set(unknown.headers) - {"x-request-id"}

    async def test_web_login_sets_strict_httponly_cookie(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await client.post(
            "/api/auth/login", json={"pseudonym": "Lina", "password": PASSWORD}
        )
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        # On localhost the cookie cannot be Secure (no TLS); anywhere else it is.
        assert "Secure" not in cookie
        assert response.json()["token"] is None

    async def test_cookie_is_secure_off_localhost(self, app: FastAPI, member: Person) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://tandem.example"
        ) as remote:
            response = await remote.post(
                "/api/auth/login", json={"pseudonym": "Lina", "password": PASSWORD}
            )
        assert "Secure" in response.headers["set-cookie"]


class TestLoginTiming:
    @pytest.mark.slow
    async def test_unknown_pseudonym_takes_as_long_as_wrong_password(
        self, tmp_path: Path, database_url: str
    ) -> None:
        settings = make_settings(
            tmp_path,
            database_url,
            argon2_memory_kib=16384,
            argon2_time_cost=2,
            login_failures_per_account=1000,
            login_failures_per_client=1000,
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            await register(client, "Lina")

            async def timed(pseudonym: str) -> float:
                start = time.perf_counter()
                response = await login(client, pseudonym, "not the password at all")
                assert response.status_code == 401
                return time.perf_counter() - start

            known, unknown = [], []
            for _ in range(7):
                known.append(await timed("Lina"))
                unknown.append(await timed("Nobody Here"))
        await app.state.db.dispose()
        ratio = statistics.median(unknown) / statistics.median(known)
        # Without the dummy hash, an unknown pseudonym answers in well under a tenth.
        assert 0.6 < ratio < 1.6, (statistics.median(known), statistics.median(unknown))


class TestThrottling:
    async def test_account_locked_after_failures_even_with_right_password(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        for _ in range(5):
            assert (await login(client, "Lina", "wrong password here")).status_code == 401
        response = await login(client, "Lina", PASSWORD)
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0

    async def test_unknown_pseudonym_is_throttled_the_same_way(
        self, client: httpx.AsyncClient
    ) -> None:
        # A lock-out only for real accounts would tell which pseudonyms exist.
        statuses = [
            (await login(client, "Nobody Here", "wrong password here")).status_code
            for _ in range(6)
        ]
        assert statuses == [401] * 5 + [429]

    async def test_lock_lifts_after_the_window(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        with frozen_clock(datetime.now(UTC)) as clock:
            for _ in range(5):
                await login(client, "Lina", "wrong password here")
            assert (await login(client, "Lina", PASSWORD)).status_code == 429
            clock.advance(minutes=16)
            assert (await login(client, "Lina", PASSWORD)).status_code == 200

    async def test_one_client_trying_many_pseudonyms_is_throttled(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        for n in range(20):
            await login(client, f"Guess {n}", "wrong password here")
        assert (await login(client, "Lina", PASSWORD)).status_code == 429


class TestSessions:
    async def test_logout_revokes_the_token(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        assert (await client.post("/api/auth/logout", headers=member.auth)).status_code == 204
        response = await client.get("/api/me", headers=member.auth)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "session_ended"

    async def test_logout_everywhere_ends_every_session(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        phone = (await login(client, "Lina", PASSWORD)).json()["token"]
        laptop = (await login(client, "Lina", PASSWORD)).json()["token"]
        response = await client.post(
            "/api/auth/logout-everywhere", headers={"Authorization": f"Bearer {phone}"}
        )
        assert response.status_code == 204
        for token in (phone, laptop, member.token):
            me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401

    async def test_other_accounts_sessions_survive_logout_everywhere(
        self, client: httpx.AsyncClient, member: Person, newcomer: Person
    ) -> None:
        await client.post("/api/auth/logout-everywhere", headers=member.auth)
        assert (await client.get("/api/me", headers=newcomer.auth)).status_code == 200

    async def test_idle_session_expires(self, client: httpx.AsyncClient) -> None:
        with frozen_clock(datetime.now(UTC)) as clock:
            person = await register(client, "Rosa")
            clock.advance(hours=11)
            assert (await client.get("/api/me", headers=person.auth)).status_code == 200
            # Activity moved the idle deadline: 11 more hours are fine.
            clock.advance(hours=11)
            assert (await client.get("/api/me", headers=person.auth)).status_code == 200
            clock.advance(hours=12, minutes=1)
            assert (await client.get("/api/me", headers=person.auth)).status_code == 401

    async def test_active_session_still_ends_at_absolute_expiry(
        self, client: httpx.AsyncClient
    ) -> None:
        with frozen_clock(datetime.now(UTC)) as clock:
            person = await register(client, "Rosa")
            for _ in range(15):  # 165 hours of steady use
                clock.advance(hours=11)
                assert (await client.get("/api/me", headers=person.auth)).status_code == 200
            clock.advance(hours=4)  # past 7 days, though never idle for long
            assert (await client.get("/api/me", headers=person.auth)).status_code == 401

    async def test_lists_my_open_sessions(self, client: httpx.AsyncClient, member: Person) -> None:
        await login(client, "Lina", PASSWORD)
        sessions = (await client.get("/api/auth/sessions", headers=member.auth)).json()
        assert len(sessions) == 2
        assert [s["current"] for s in sessions].count(True) == 1

    async def test_no_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


class TestChangePassword:
    async def test_other_sessions_end_this_one_stays(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        other = (await login(client, "Lina", PASSWORD)).json()["token"]
        response = await client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "a brand new phrase"},
            headers=member.auth,
        )
        assert response.status_code == 204
        assert (await client.get("/api/me", headers=member.auth)).status_code == 200
        other_me = await client.get("/api/me", headers={"Authorization": f"Bearer {other}"})
        assert other_me.status_code == 401
        assert (await login(client, "Lina", "a brand new phrase")).status_code == 200
        assert (await login(client, "Lina", PASSWORD)).status_code == 401

    async def test_wrong_current_password_changes_nothing(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await client.post(
            "/api/auth/password",
            json={"current_password": "not my password", "new_password": "a brand new phrase"},
            headers=member.auth,
        )
        assert response.status_code == 422
        assert "current_password" in response.json()["error"]["fields"]
        assert (await login(client, "Lina", PASSWORD)).status_code == 200
