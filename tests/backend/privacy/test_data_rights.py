"""Export everything about her; erase her account and leave nothing that says who she was."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select

from backend.core.audit import AuditEntry, verify_chain
from backend.membership.models import Ballot, Vote
from backend.models import metadata
from backend.room.models import RoomMessage
from tests.backend.membership.conftest import Community
from tests.backend.privacy.conftest import (
    DM_TEXT,
    LEGAL_NAME,
    MY_TEXTS,
    OTHER_TEXT,
    PSEUDONYM,
    UNSEAL_REASON,
    Rich,
)

ERASE = "/api/me/erase"


async def database_bytes(app: Any, database_url: str) -> bytes:
    """Every row of every table, and on SQLite the raw files: the database and its
    write-ahead log (free pages and old page images included)."""
    rows = []
    async with app.state.db.session(write=False) as session:
        connection = await session.connection()
        for table in metadata.sorted_tables:
            rows.extend(repr(tuple(r)) for r in (await connection.execute(table.select())).all())
    dump = "\n".join(rows).encode()
    if not database_url.startswith("sqlite"):
        return dump
    path = Path(database_url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    return dump + path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def erase(client: httpx.AsyncClient, rich: Rich, password: str | None = None) -> Any:
    return await client.post(
        ERASE, json={"password": password or rich.me.password}, headers=rich.me.auth
    )


class TestExport:
    async def test_everything_about_her_and_nothing_sealed_of_others(
        self, client: httpx.AsyncClient, rich: Rich
    ) -> None:
        response = await client.get("/api/me/export", headers=rich.me.auth)
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert response.headers["cache-control"] == "no-store"
        data = response.json()
        assert data["format"] == "tandem-export/1"
        assert data["account"]["pseudonym"] == PSEUDONYM
        assert data["account"]["sessions"]
        assert set(data["account"]["sessions"][0]) == {
            "created_at",
            "last_seen_at",
            "expires_at",
            "revoked_at",
        }
        assert {r["role"] for r in data["account"]["roles"]} == {"member", "active_member"}
        # Her identity: that it is sealed, and who opened it, when and why.
        identity = data["identity"]
        assert identity["sealed"] is True
        assert LEGAL_NAME not in response.text
        [opened] = identity["unsealings"]
        assert (opened["requested_by"], opened["approved_by"]) == ("Noor", "Selin")
        assert opened["reason"] == UNSEAL_REASON
        assert opened["times_opened"] == 1
        membership = data["membership"]
        assert membership["status"]["status"] == "active"
        assert membership["status"]["city"] == "Lyon"
        assert [s["kind"] for s in membership["agreements_signed"]] == [
            "community_rules",
            "active_member_rules",
        ]
        assert [h["to"] for h in membership["history"]] == ["member"]
        assert membership["cards"][0]["status"] == "valid"
        [referred] = membership["referred_by"]
        assert referred["referrer"] == "Root A"
        assert referred["has_sealed_note"] is True
        assert "Ostrava" not in response.text  # the referrer's sealed note is not hers to read
        ballots = {b["candidate"]: b["choice"] for b in membership["ballots"]}
        assert ballots == {"Candidate One": "yes", "Candidate Two": "no"}
        rooms = data["rooms"]
        assert {m["body"] for m in rooms["messages"]} == {*MY_TEXTS, DM_TEXT}
        assert OTHER_TEXT not in response.text
        assert {r["kind"] for r in rooms["rooms"]} >= {"support_group", "direct", "active_members"}
        assert all("last_read_seq" in r for r in rooms["rooms"])
        assert len(rooms["sessions_attended"]) == 1
        assert data["safety"]["blocks_made"][0]["blocked"] == "Lina"

    async def test_the_export_is_logged(
        self, app: Any, client: httpx.AsyncClient, rich: Rich
    ) -> None:
        await client.get("/api/me/export", headers=rich.me.auth)
        async with app.state.db.session(write=False) as session:
            entry = (
                await session.exec(
                    select(AuditEntry).where(col(AuditEntry.action) == "account.exported")
                )
            ).one()
        assert entry.actor_id == rich.me.id

    async def test_needs_sign_in(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/me/export")).status_code == 401


class TestErase:
    async def test_wrong_password_erases_nothing(
        self, client: httpx.AsyncClient, rich: Rich
    ) -> None:
        response = await erase(client, rich, password="not her password at all")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "wrong_password"
        me = await client.get("/api/me", headers=rich.me.auth)
        assert me.json()["pseudonym"] == PSEUDONYM

    async def test_nothing_in_the_database_files_says_who_she_was(
        self,
        app: Any,
        client: httpx.AsyncClient,
        community: Community,
        rich: Rich,
        database_url: str,
    ) -> None:
        before = await database_bytes(app, database_url)
        assert PSEUDONYM.encode() in before
        assert MY_TEXTS[1].encode() in before
        async with app.state.db.session(write=False) as session:
            closed = await session.get(Vote, uuid.UUID(rich.closed_vote))
            assert closed is not None
            counts = (closed.yes_count, closed.no_count, closed.abstain_count)

        response = await erase(client, rich)
        assert response.status_code == 204, response.text

        raw = await database_bytes(app, database_url)
        for secret in rich.secrets:
            assert secret.encode() not in raw, f"{secret!r} is still in the database files"
        # Other people's words are untouched.
        assert OTHER_TEXT.encode() in raw
        # She is gone: her token, her pseudonym and her password open nothing.
        assert (await client.get("/api/me", headers=rich.me.auth)).status_code == 401
        login = await client.post(
            "/api/auth/login",
            json={"pseudonym": PSEUDONYM, "password": rich.me.password, "client": "api"},
        )
        assert login.status_code == 401
        async with app.state.db.session(write=False) as session:
            closed = await session.get(Vote, uuid.UUID(rich.closed_vote))
            assert closed is not None
            assert (closed.yes_count, closed.no_count, closed.abstain_count) == counts
            ballots = (
                await session.exec(select(Ballot).where(col(Ballot.voter_id) == rich.me.id))
            ).all()
            assert ballots == []
            tombstones = (
                await session.exec(
                    select(RoomMessage)
                    .where(col(RoomMessage.room_id) == uuid.UUID(rich.room_id))
                    .where(col(RoomMessage.author_id).is_(None))
                )
            ).all()
            assert len(tombstones) == 2
            assert all(m.body == "" and m.deleted_at is not None for m in tombstones)
            entry = (
                await session.exec(
                    select(AuditEntry).where(col(AuditEntry.action) == "account.erased")
                )
            ).one()
            assert PSEUDONYM not in entry.details
            assert json.loads(entry.details)["removed"]["messages"] == 3
            assert (await verify_chain(session)).intact

        # Others see tombstones without an author, and a direct room without her name.
        messages = (
            await client.get(f"/api/rooms/{rich.room_id}/messages", headers=rich.lina.auth)
        ).json()
        erased = [m for m in messages if m["author"] is None]
        assert len(erased) == 2
        assert all(m["deleted"] and m["body"] == "" for m in erased)
        root_a = community.roots[0]
        dm = (await client.get(f"/api/rooms/{rich.dm_id}", headers=root_a.auth)).json()
        assert dm["name"] == "erased member & Root A"

    async def test_her_ballot_in_an_open_vote_still_counts(
        self, client: httpx.AsyncClient, community: Community, rich: Rich
    ) -> None:
        assert (await erase(client, rich)).status_code == 204
        remaining = [p for p in community.roots[1:] if p.id != rich.me.id]
        voters = [*remaining, rich.candidates[0]]
        for voter in voters:
            await community.ballot(voter, rich.open_vote, "yes")
        vote = await community.call(
            community.roots[0], "GET", f"/api/votes/{rich.open_vote}", expect=200
        )
        # Five voters: four yes and her "no", kept without her name.
        assert vote["outcome"] == "approved"
        assert (vote["tally"]["yes"], vote["tally"]["no"]) == (4, 1)


class TestUnderDuress:
    """Signed in with her duress password, someone may be making her do this."""

    async def test_export_is_the_harmless_view_and_erasure_only_looks_done(
        self, client: httpx.AsyncClient, community: Community, rich: Rich
    ) -> None:
        duress = "blue lantern by the river"
        await community.call(
            rich.me,
            "PUT",
            "/api/me/duress-password",
            {"current_password": rich.me.password, "duress_password": duress},
            expect=200,
        )
        forced = await client.post(
            "/api/auth/login", json={"pseudonym": PSEUDONYM, "password": duress, "client": "api"}
        )
        assert forced.status_code == 200, forced.text
        headers = {"Authorization": f"Bearer {forced.json()['token']}"}

        exported = await client.get("/api/me/export", headers=headers)
        assert exported.status_code == 200
        data = exported.json()
        assert data["account"]["pseudonym"] == PSEUDONYM
        assert data["rooms"] == {}
        assert data["identity"] == {}
        for secret in (*MY_TEXTS, DM_TEXT, UNSEAL_REASON, "Root A"):
            assert secret not in exported.text

        for password in (duress, rich.me.password):
            response = await client.post(ERASE, json={"password": password}, headers=headers)
            assert response.status_code in (204, 401)
        # Nothing was erased: her real sign-in still has everything.
        me = await client.get("/api/me", headers=rich.me.auth)
        assert me.json()["pseudonym"] == PSEUDONYM
        real = await client.get("/api/me/export", headers=rich.me.auth)
        assert {m["body"] for m in real.json()["rooms"]["messages"]} == {*MY_TEXTS, DM_TEXT}
