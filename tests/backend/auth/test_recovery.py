from pathlib import Path

import httpx
from argon2 import extract_parameters

from backend.auth.passwords import Argon2Parameters, PasswordHashing
from backend.core.config import Settings
from backend.main import create_app
from tests.conftest import PASSWORD, Person, make_settings, register

NEW_PASSWORD = "another long phrase"


async def recover(client: httpx.AsyncClient, pseudonym: str, code: str) -> httpx.Response:
    return await client.post(
        "/api/auth/recover",
        json={
            "pseudonym": pseudonym,
            "recovery_code": code,
            "new_password": NEW_PASSWORD,
            "client": "api",
        },
    )


class TestRecover:
    async def test_code_sets_a_new_password_and_ends_old_sessions(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await recover(client, "Lina", member.recovery_codes[0])
        assert response.status_code == 200
        assert response.json()["recovery_codes_left"] == 9
        assert (await client.get("/api/me", headers=member.auth)).status_code == 401
        login = await client.post(
            "/api/auth/login", json={"pseudonym": "Lina", "password": NEW_PASSWORD}
        )
        assert login.status_code == 200

    async def test_a_code_works_once(self, client: httpx.AsyncClient, member: Person) -> None:
        assert (await recover(client, "Lina", member.recovery_codes[0])).status_code == 200
        again = await recover(client, "Lina", member.recovery_codes[0])
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "recovery_refused"

    async def test_code_is_read_without_dashes_or_case(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        code = member.recovery_codes[3].replace("-", " ").lower()
        assert (await recover(client, "lina", code)).status_code == 200

    async def test_someone_elses_code_does_not_work(
        self, client: httpx.AsyncClient, member: Person, newcomer: Person
    ) -> None:
        response = await recover(client, "Lina", newcomer.recovery_codes[0])
        assert response.status_code == 401
        unknown = await recover(client, "Nobody Here", newcomer.recovery_codes[0])
        assert unknown.json() == response.json()

    async def test_replacing_codes_invalidates_the_old_ones(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        response = await client.post(
            "/api/auth/recovery-codes", json={"password": PASSWORD}, headers=member.auth
        )
        assert len(response.json()["recovery_codes"]) == 10
        assert (await recover(client, "Lina", member.recovery_codes[0])).status_code == 401
        fresh = response.json()["recovery_codes"][0]
        assert (await recover(client, "Lina", fresh)).status_code == 200


class TestArgon2:
    def test_defaults_are_rfc9106_second_profile(self) -> None:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert (
            settings.argon2_memory_kib,
            settings.argon2_time_cost,
            settings.argon2_parallelism,
        ) == (65536, 3, 4)

    async def test_hash_is_argon2id_with_configured_parameters(self) -> None:
        hashing = PasswordHashing(Argon2Parameters(2048, 2, 2), max_concurrent=1)
        stored = await hashing.hash(PASSWORD)
        assert stored.startswith("$argon2id$")
        parameters = extract_parameters(stored)
        assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
            2048,
            2,
            2,
        )

    async def test_login_rehashes_when_parameters_change(
        self, tmp_path: Path, database_url: str
    ) -> None:
        old = create_app(make_settings(tmp_path, database_url))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=old), base_url="http://localhost"
        ) as client:
            person = await register(client, "Rosa")
        await old.state.db.dispose()

        stronger = make_settings(tmp_path, database_url, argon2_memory_kib=4096, argon2_time_cost=2)
        new = create_app(stronger)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=new), base_url="http://localhost"
        ) as client:
            response = await client.post(
                "/api/auth/login", json={"pseudonym": "Rosa", "password": PASSWORD}
            )
            assert response.status_code == 200
        async with new.state.db.session(write=False) as session:
            from backend.auth.models import Account

            account = await session.get(Account, person.id)
            assert account is not None
            parameters = extract_parameters(account.password_hash)
        await new.state.db.dispose()
        assert (parameters.memory_cost, parameters.time_cost) == (4096, 2)

    async def test_concurrent_hashing_is_bounded(self) -> None:
        import asyncio

        hashing = PasswordHashing(Argon2Parameters(1024, 1, 1), max_concurrent=2)
        inside = 0
        peak = 0
        original = hashing._hash_sync

        def counting_hash(password: str) -> str:
            nonlocal inside, peak
            inside += 1
            peak = max(peak, inside)
            try:
                import time

                time.sleep(0.02)
                return original(password)
            finally:
                inside -= 1

        hashing._hash_sync = counting_hash  # type: ignore[method-assign]
        await asyncio.gather(*(hashing.hash(f"password number {n}") for n in range(8)))
        assert peak == 2
