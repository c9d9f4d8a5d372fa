import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from backend.core import audit
from tests.conftest import Person


async def make_entries(app: FastAPI, count: int) -> None:
    async with app.state.db.session() as session:
        for n in range(count):
            await audit.record(
                session, actor_id=None, action="test.entry", subject=f"thing:{n}", details={"n": n}
            )


class TestChain:
    async def test_intact_chain_verifies(self, app: FastAPI) -> None:
        await make_entries(app, 5)
        async with app.state.db.session(write=False) as session:
            report = await audit.verify_chain(session)
        assert report.intact
        assert report.entries_checked == 5

    async def test_each_entry_points_to_the_one_before(self, app: FastAPI) -> None:
        await make_entries(app, 3)
        async with app.state.db.session(write=False) as session:
            from sqlmodel import col, select

            rows = (
                await session.exec(select(audit.AuditEntry).order_by(col(audit.AuditEntry.seq)))
            ).all()
        assert rows[0].prev_hash == audit.GENESIS_HASH
        assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]

    async def test_altered_row_is_named(self, app: FastAPI) -> None:
        await make_entries(app, 5)
        async with app.state.db.engine.begin() as connection:
            await connection.execute(
                text("UPDATE audit_entry SET details = :d WHERE seq = 3"), {"d": '{"n":99}'}
            )
        async with app.state.db.session(write=False) as session:
            report = await audit.verify_chain(session)
        assert not report.intact
        assert report.first_broken_seq == 3

    async def test_deleted_row_is_named(self, app: FastAPI) -> None:
        await make_entries(app, 5)
        async with app.state.db.engine.begin() as connection:
            await connection.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
        async with app.state.db.session(write=False) as session:
            report = await audit.verify_chain(session)
        assert report.first_broken_seq == 3
        assert report.reason == "entry 2 is missing"

    async def test_rehashed_row_breaks_the_next_link(self, app: FastAPI) -> None:
        # A forger who recomputes the altered row's hash still breaks the following entry.
        await make_entries(app, 4)
        async with app.state.db.session() as session:
            row = await session.get(audit.AuditEntry, 2)
            assert row is not None
            row.details = '{"n":42}'
            row.hash = audit.entry_hash(
                seq=row.seq,
                at=row.at,
                actor_id=row.actor_id,
                action=row.action,
                subject=row.subject,
                details=row.details,
                prev_hash=row.prev_hash,
            )
            session.add(row)
        async with app.state.db.session(write=False) as session:
            report = await audit.verify_chain(session)
        assert report.first_broken_seq == 3

    async def test_failed_action_leaves_no_entry(self, app: FastAPI) -> None:
        try:
            async with app.state.db.session() as session:
                await audit.record(session, actor_id=None, action="test.entry")
                raise RuntimeError("the action failed after logging")
        except RuntimeError:
            pass
        async with app.state.db.session(write=False) as session:
            report = await audit.verify_chain(session)
        assert report.entries_checked == 0


class TestAuditApi:
    async def test_verify_endpoint_reports_tampering(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person
    ) -> None:
        ok = (await client.get("/api/audit/verify", headers=admin.auth)).json()
        assert ok["intact"] is True
        async with app.state.db.engine.begin() as connection:
            await connection.execute(text("UPDATE audit_entry SET action = 'x' WHERE seq = 1"))
        broken = (await client.get("/api/audit/verify", headers=admin.auth)).json()
        assert broken == {
            "intact": False,
            "entries_checked": 1,
            "first_broken_seq": 1,
            "reason": "its content no longer matches its hash",
        }

    async def test_paging_newest_first(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await make_entries(app, 6)
        first = (await client.get("/api/audit?limit=3", headers=admin.auth)).json()
        second = (
            await client.get(f"/api/audit?limit=3&before={first[-1]['seq']}", headers=admin.auth)
        ).json()
        seqs = [e["seq"] for e in first + second]
        assert seqs == sorted(seqs, reverse=True)
        assert len(set(seqs)) == 6


def test_cli_verify_names_the_broken_entry(tmp_path: Path, database_url: str) -> None:
    import asyncio
    import os

    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url)
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_SECRET_KEY_FILE": str(settings.secret_key_file),
    }
    from backend.core.db import Database

    async def prepare() -> None:
        database = Database(database_url)
        async with database.session() as session:
            for n in range(3):
                await audit.record(session, actor_id=None, action="test.entry", details={"n": n})
        await database.dispose()

    asyncio.run(prepare())
    command = [sys.executable, "-m", "backend.cli", "audit", "verify"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "intact (3 entries)" in ok.stdout

    async def tamper() -> None:
        database = Database(database_url)
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE audit_entry SET subject = 'x' WHERE seq = 2"))
        await database.dispose()

    asyncio.run(tamper())
    broken = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert broken.returncode == 1
    assert "broken at entry 2" in broken.stdout
