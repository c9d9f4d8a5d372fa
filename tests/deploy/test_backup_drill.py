"""The backup drill: `tandem backup` while members keep writing, `tandem restore` into a
fresh database, `tandem audit verify` on the copy, and the copy is the database as it was
at one instant (the backup point), table by table.

Runs on SQLite (online backup API) with ``--db=sqlite`` and on PostgreSQL (pg_dump's
snapshot) with ``--db=postgres``: the same test, whichever database the suite runs on.
"""

import asyncio
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import SQLModel

from backend.core import audit
from backend.core.config import Settings
from backend.core.db import sync_url
from tests.conftest import Person, person_with

pytestmark = pytest.mark.slow

WRITERS = 3


async def tandem(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The CLI in a subprocess, awaited, so the writers go on meanwhile."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backend.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def cli_env(settings: Settings, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_SECRET_KEY_FILE": str(settings.secret_key_file),
        "TANDEM_LOG_FORMAT": "text",
    }


def fresh_database(database_url: str, tmp_path: Path) -> str:
    """An empty database beside the test's one: no schema, nothing in it."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'tandem.db'}"
    import psycopg

    name = f"restored_{uuid.uuid4().hex[:8]}"
    server = sync_url(database_url).rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres".replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def snapshot(database_url: str, room_id: uuid.UUID) -> dict[str, Any]:
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            counts = {
                table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in SQLModel.metadata.sorted_tables
            }
            messages = conn.execute(
                sa.text("SELECT seq, body FROM room_message WHERE room_id = :r ORDER BY seq"),
                {"r": room_id.hex if database_url.startswith("sqlite") else room_id},
            ).all()
            last_seq = conn.execute(
                sa.text("SELECT last_seq FROM room WHERE id = :r"),
                {"r": room_id.hex if database_url.startswith("sqlite") else room_id},
            ).scalar()
            chain = conn.execute(sa.text("SELECT seq, hash FROM audit_entry ORDER BY seq")).all()
    finally:
        engine.dispose()
    return {
        "counts": counts,
        "messages": [tuple(m) for m in messages],
        "last_seq": last_seq,
        "chain": [tuple(c) for c in chain],
    }


async def write_forever(
    app: FastAPI, client: httpx.AsyncClient, author: Person, room_id: uuid.UUID, lane: int
) -> None:
    """Posts through the API, and one audit entry per post in a transaction of its own."""
    for i in range(100_000):
        response = await client.post(
            f"/api/rooms/{room_id}/messages",
            json={"client_id": f"drill-{lane}-{i}", "body": f"drill {lane}.{i}"},
            headers=author.auth,
        )
        assert response.status_code == 201, response.text
        async with app.state.db.session() as session:
            await audit.record(session, actor_id=author.id, action="drill.write", subject=str(i))
        await asyncio.sleep(0)


async def test_backup_under_write_load_restores_into_a_fresh_database(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not database_url.startswith("sqlite") and not (
        shutil.which("pg_dump") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    ):
        pytest.skip("pg_dump is not installed")
    from backend.auth.capabilities import Role

    ioana = await person_with(app, client, "Ioana", Role.FACILITATOR, Role.ACTIVE_MEMBER)
    lina = await person_with(app, client, "Lina", Role.MEMBER)
    created = await client.post(
        "/api/rooms", json={"kind": "support_group", "name": "Tuesday circle"}, headers=ioana.auth
    )
    room_id = uuid.UUID(created.json()["id"])
    await client.post(f"/api/rooms/{room_id}/join", headers=lina.auth)

    writers = [
        asyncio.create_task(write_forever(app, client, person, room_id, lane))
        for lane, person in enumerate([ioana, lina, ioana][:WRITERS])
    ]
    try:
        while len(snapshot(database_url, room_id)["messages"]) < 30:
            await asyncio.sleep(0.05)
        before = snapshot(database_url, room_id)
        backup = tmp_path / "tandem.backup"
        code, _, err = await tandem(cli_env(settings, database_url), "backup", str(backup))
        assert code == 0, err
        after = snapshot(database_url, room_id)
        # Let the writers go on a little after the backup too.
        await asyncio.sleep(0.2)
    finally:
        for writer in writers:
            writer.cancel()
        await asyncio.gather(*writers, return_exceptions=True)
    source = snapshot(database_url, room_id)
    assert len(after["messages"]) > len(before["messages"]), "nobody wrote during the backup"

    restored_url = fresh_database(database_url, tmp_path)
    restored_env = cli_env(settings, restored_url)
    code, out, err = await tandem(restored_env, "restore", str(backup))
    assert code == 0, err
    code, out, err = await tandem(restored_env, "audit", "verify")
    assert code == 0, out + err
    assert "intact" in out
    copy = snapshot(restored_url, room_id)

    # One instant: the room's counter and its messages agree, and the copy holds exactly
    # the source's first messages and first audit entries, none missing in between.
    taken = len(copy["messages"])
    assert len(before["messages"]) <= taken <= len(after["messages"])
    assert copy["last_seq"] == taken
    assert copy["messages"] == source["messages"][:taken]
    assert copy["chain"] == source["chain"][: len(copy["chain"])]
    assert len(before["chain"]) <= len(copy["chain"]) <= len(after["chain"])
    # Every other table was not written during the drill: the same rows, counted.
    unchanged = {
        name: count
        for name, count in source["counts"].items()
        if name not in ("room_message", "audit_entry")
    }
    assert {name: copy["counts"][name] for name in unchanged} == unchanged
    assert copy["counts"]["room_message"] == taken
    with capsys.disabled():
        print(
            f"\nbackup drill ({'sqlite' if database_url.startswith('sqlite') else 'postgres'}):"
            f" messages when the backup started={len(before['messages'])}, in the backup="
            f"{taken}, when it ended={len(after['messages'])}, at the end of the drill="
            f"{len(source['messages'])}; audit entries in the backup={len(copy['chain'])}"
            f" (chain verified); {len(unchanged)} other tables equal"
        )
