import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backend.core.keys import add_master_key, load_key_file
from backend.identity.vault import Vault, VaultError
from tests.conftest import Person

LEGAL_NAME = "Grace Quietlyunique"
PHONE = "+40 721 555 019"
REASON = "The police liaison asked us to confirm her identity for a court date."


async def seal(client: httpx.AsyncClient, person: Person) -> None:
    response = await client.put(
        "/api/identity/me",
        json={"legal_name": LEGAL_NAME, "phone": PHONE, "date_of_birth": "1994-03-12"},
        headers=person.auth,
    )
    assert response.status_code == 200, response.text


class TestSealing:
    async def test_owner_reads_her_own_identity(
        self, client: httpx.AsyncClient, member: Person
    ) -> None:
        await seal(client, member)
        body = (await client.get("/api/identity/me", headers=member.auth)).json()
        assert body["fields"]["legal_name"] == LEGAL_NAME
        assert body["fields"]["date_of_birth"] == "1994-03-12"

    async def test_database_file_holds_no_sealed_value(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person, database_url: str
    ) -> None:
        if not database_url.startswith("sqlite"):
            pytest.skip("greps the SQLite file; the PostgreSQL run checks the rows below")
        await seal(client, member)
        await app.state.db.dispose()  # checkpoint the WAL into the file
        path = Path(database_url.removeprefix("sqlite:///"))
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for value in (LEGAL_NAME, "Quietlyunique", PHONE, "1994-03-12"):
            assert value.encode() not in raw
            assert value.encode("utf-16-le") not in raw

    async def test_rows_hold_only_ciphertext(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person
    ) -> None:
        from sqlalchemy import text

        await seal(client, member)
        async with app.state.db.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT * FROM sealed_identity"))).all()
            audit_rows = (await connection.execute(text("SELECT details FROM audit_entry"))).all()
        dump = repr(rows) + repr(audit_rows)
        assert LEGAL_NAME not in dump
        assert "Quietlyunique" not in dump

    def test_ciphertext_bound_to_its_owner(self, tmp_path: Path) -> None:
        from backend.core.keys import create_key_file

        vault = Vault(create_key_file(tmp_path / "k"))
        owner, other = uuid.uuid4(), uuid.uuid4()
        box = vault.seal(owner, {"legal_name": LEGAL_NAME})
        assert vault.open(owner, box) == {"legal_name": LEGAL_NAME}
        with pytest.raises(VaultError):
            vault.open(other, box)

    async def test_rotation_rewraps_and_keeps_records_readable(
        self, app: FastAPI, client: httpx.AsyncClient, member: Person, settings: object
    ) -> None:
        from backend.identity import service as identity_service
        from backend.identity.models import SealedIdentity

        await seal(client, member)
        key_file = app.state.settings.secret_key_file
        old_key = load_key_file(key_file).current_key_id
        ring = add_master_key(key_file)
        rotated = Vault(ring)
        async with app.state.db.session() as session:
            assert await identity_service.rotate_master_key(session, rotated) == 1
        async with app.state.db.session(write=False) as session:
            row = await session.get(SealedIdentity, member.id)
            assert row is not None
            assert row.key_id == ring.current_key_id != old_key
            found = await identity_service.read_own_identity(session, rotated, member.id)
        assert found is not None
        assert found[0]["legal_name"] == LEGAL_NAME


class TestUnsealing:
    async def request(
        self, client: httpx.AsyncClient, officer: Person, target: Person, **extra: object
    ) -> httpx.Response:
        return await client.post(
            "/api/identity/unseal-requests",
            json={"account_id": str(target.id), "reason": REASON, **extra},
            headers=officer.auth,
        )

    async def test_needs_a_stated_reason(
        self, client: httpx.AsyncClient, officer: Person, member: Person
    ) -> None:
        await seal(client, member)
        response = await client.post(
            "/api/identity/unseal-requests",
            json={"account_id": str(member.id), "reason": "because"},
            headers=officer.auth,
        )
        assert response.status_code == 422
        assert "reason" in response.json()["error"]["fields"]

    async def test_two_officers_needed(
        self,
        client: httpx.AsyncClient,
        officer: Person,
        second_officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        created = (await self.request(client, officer, member)).json()
        assert created["status"] == "pending"
        request_id = created["id"]
        opened = await client.post(
            f"/api/identity/unseal-requests/{request_id}/open", headers=officer.auth
        )
        assert opened.status_code == 403
        self_approve = await client.post(
            f"/api/identity/unseal-requests/{request_id}/approve", json={}, headers=officer.auth
        )
        assert self_approve.status_code == 403
        assert self_approve.json()["error"]["code"] == "second_officer_required"
        approved = await client.post(
            f"/api/identity/unseal-requests/{request_id}/approve",
            json={"note": "Checked with the liaison."},
            headers=second_officer.auth,
        )
        assert approved.json()["status"] == "approved"
        assert approved.json()["decided_by"] == "Selin"
        opened = await client.post(
            f"/api/identity/unseal-requests/{request_id}/open", headers=officer.auth
        )
        assert opened.status_code == 200
        assert opened.json()["fields"]["legal_name"] == LEGAL_NAME
        # Only the officer who asked opens it: approving is not reading.
        by_approver = await client.post(
            f"/api/identity/unseal-requests/{request_id}/open", headers=second_officer.auth
        )
        assert by_approver.status_code == 404

    async def test_declined_request_never_opens(
        self,
        client: httpx.AsyncClient,
        officer: Person,
        second_officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        request_id = (await self.request(client, officer, member)).json()["id"]
        await client.post(
            f"/api/identity/unseal-requests/{request_id}/decline",
            json={},
            headers=second_officer.auth,
        )
        opened = await client.post(
            f"/api/identity/unseal-requests/{request_id}/open", headers=officer.auth
        )
        assert opened.status_code == 403
        again = await client.post(
            f"/api/identity/unseal-requests/{request_id}/approve",
            json={},
            headers=second_officer.auth,
        )
        assert again.status_code == 409

    async def test_approval_expires(
        self,
        client: httpx.AsyncClient,
        officer: Person,
        second_officer: Person,
        member: Person,
    ) -> None:
        from backend.core.time import frozen_clock

        await seal(client, member)
        with frozen_clock(datetime.now(UTC)) as clock:
            request_id = (await self.request(client, officer, member)).json()["id"]
            await client.post(
                f"/api/identity/unseal-requests/{request_id}/approve",
                json={},
                headers=second_officer.auth,
            )
            clock.advance(hours=25)
            # Sessions are idle-limited too: sign in again after a day.
            login = await client.post(
                "/api/auth/login",
                json={"pseudonym": "Noor", "password": officer.password, "client": "api"},
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            opened = await client.post(
                f"/api/identity/unseal-requests/{request_id}/open", headers=headers
            )
        assert opened.status_code == 403
        assert "expired" in opened.json()["error"]["message"]

    async def test_break_glass_opens_at_once_and_asks_for_review(
        self,
        client: httpx.AsyncClient,
        officer: Person,
        second_officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        created = (await self.request(client, officer, member, emergency=True)).json()
        assert created["status"] == "emergency"
        assert created["needs_review"] is True
        opened = await client.post(
            f"/api/identity/unseal-requests/{created['id']}/open", headers=officer.auth
        )
        assert opened.status_code == 200
        queue = (
            await client.get(
                "/api/identity/unseal-requests?needs_review=true", headers=second_officer.auth
            )
        ).json()
        assert [r["id"] for r in queue] == [created["id"]]
        own_review = await client.post(
            f"/api/identity/unseal-requests/{created['id']}/review",
            json={"note": "fine"},
            headers=officer.auth,
        )
        assert own_review.status_code == 403
        reviewed = await client.post(
            f"/api/identity/unseal-requests/{created['id']}/review",
            json={"note": "Justified: she was missing."},
            headers=second_officer.auth,
        )
        assert reviewed.json()["needs_review"] is False

    async def test_person_sees_who_opened_her_identity_and_why(
        self,
        client: httpx.AsyncClient,
        officer: Person,
        second_officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        pending = (await self.request(client, officer, member)).json()
        # Not yet opened: nothing to show her.
        assert (await client.get("/api/identity/me/unsealings", headers=member.auth)).json() == []
        await client.post(
            f"/api/identity/unseal-requests/{pending['id']}/approve",
            json={},
            headers=second_officer.auth,
        )
        await client.post(
            f"/api/identity/unseal-requests/{pending['id']}/open", headers=officer.auth
        )
        seen = (await client.get("/api/identity/me/unsealings", headers=member.auth)).json()
        assert len(seen) == 1
        assert seen[0]["opened_by"] == "Noor"
        assert seen[0]["approved_by"] == "Selin"
        assert seen[0]["reason"] == REASON
        assert seen[0]["open_count"] == 1

    async def test_every_step_is_audited(
        self,
        client: httpx.AsyncClient,
        officer: Person,
        second_officer: Person,
        member: Person,
    ) -> None:
        await seal(client, member)
        request_id = (await self.request(client, officer, member)).json()["id"]
        await client.post(
            f"/api/identity/unseal-requests/{request_id}/approve",
            json={},
            headers=second_officer.auth,
        )
        await client.post(f"/api/identity/unseal-requests/{request_id}/open", headers=officer.auth)
        entries = (await client.get("/api/audit", headers=officer.auth)).json()
        actions = [e["action"] for e in entries]
        assert actions[:3] == [
            "identity.unsealed",
            "identity.unseal_approved",
            "identity.unseal_requested",
        ]
        assert entries[2]["details"]["reason"] == REASON
        assert all(e["subject"] == f"account:{member.id}" for e in entries[:3])

    async def test_unknown_or_unsealed_account_is_404(
        self, client: httpx.AsyncClient, officer: Person, member: Person
    ) -> None:
        response = await self.request(client, officer, member)
        assert response.status_code == 404
        response = await client.post(
            "/api/identity/unseal-requests",
            json={"account_id": str(uuid.uuid4()), "reason": REASON},
            headers=officer.auth,
        )
        assert response.status_code == 404
