import uuid

import httpx
from fastapi import FastAPI

from backend.safety import service as safety_service
from tests.conftest import Person


class TestBlocks:
    async def test_block_list_and_unblock(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person, newcomer: Person
    ) -> None:
        created = await client.post(
            "/api/blocks", json={"account_id": str(newcomer.id)}, headers=member.auth
        )
        assert created.status_code == 201
        assert created.json()["pseudonym"] == "Mira"
        listed = (await client.get("/api/blocks", headers=member.auth)).json()
        assert [b["pseudonym"] for b in listed] == ["Mira"]
        # The blocked person is not told: her own list is empty.
        assert (await client.get("/api/blocks", headers=newcomer.auth)).json() == []
        async with app.state.db.session(write=False) as session:
            assert await safety_service.is_blocked_between(session, newcomer.id, member.id)
        removed = await client.delete(f"/api/blocks/{newcomer.id}", headers=member.auth)
        assert removed.status_code == 204
        assert (await client.get("/api/blocks", headers=member.auth)).json() == []

    async def test_blocking_twice_keeps_one_block(
        self, client: httpx.AsyncClient, member: Person, newcomer: Person
    ) -> None:
        for _ in range(2):
            await client.post(
                "/api/blocks", json={"account_id": str(newcomer.id)}, headers=member.auth
            )
        assert len((await client.get("/api/blocks", headers=member.auth)).json()) == 1

    async def test_cannot_block_yourself_or_nobody(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        own = await client.post(
            "/api/blocks", json={"account_id": str(member.id)}, headers=member.auth
        )
        assert own.status_code == 409
        nobody = await client.post(
            "/api/blocks", json={"account_id": str(uuid.uuid4())}, headers=member.auth
        )
        assert nobody.status_code == 404
