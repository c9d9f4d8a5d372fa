"""The `tandem` command, run as a real subprocess against real databases."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_settings


def tandem(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    settings = make_settings(tmp_path, database_url)
    return {
        **os.environ,
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_SECRET_KEY_FILE": str(settings.secret_key_file),
        "TANDEM_ARGON2_MEMORY_KIB": "1024",
        "TANDEM_ARGON2_TIME_COST": "1",
        "TANDEM_ARGON2_PARALLELISM": "1",
    }


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["migrate"],
        ["demo"],
        ["create-admin"],
        ["rotate-keys"],
        ["audit", "verify"],
        ["backup"],
        ["restore"],
    ],
)
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    result = tandem(env, *command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_create_admin_reads_the_password_from_stdin(env: dict[str, str]) -> None:
    result = tandem(env, "create-admin", "--pseudonym", "Founder", stdin="a long admin phrase\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("-") >= 20  # ten codes shaped XXXX-XXXX-XXXX
    again = tandem(env, "create-admin", "--pseudonym", "founder", stdin="a long admin phrase\n")
    assert again.returncode == 1
    assert "taken" in again.stderr


def test_create_admin_refuses_a_weak_password(env: dict[str, str]) -> None:
    result = tandem(env, "create-admin", "--pseudonym", "Founder", stdin="password123\n")
    assert result.returncode == 1
    assert "common" in result.stderr


def test_demo_loads_every_role_once(env: dict[str, str]) -> None:
    first = tandem(env, "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    for role in (
        "admin",
        "safeguarding",
        "roots_coordinator",
        "staff",
        "active,",
        "candidate",
        "vote is open",
        "card issued",
        "mentor",
        "facilitator",
        "peer_worker",
        "coordinator",
        "professional",
        "member",
        "newcomer",
    ):
        assert role in first.stdout
    second = tandem(env, "demo", "--if-empty")
    assert "not loaded" in second.stdout
    verify = tandem(env, "audit", "verify")
    assert verify.returncode == 0
    assert "intact" in verify.stdout


def test_rotate_keys_keeps_sealed_identities_readable(env: dict[str, str]) -> None:
    assert tandem(env, "demo").returncode == 0
    result = tandem(env, "rotate-keys")
    assert result.returncode == 0, result.stderr
    assert "2 sealed records re-wrapped" in result.stdout
    import asyncio

    from backend.core.config import Settings
    from backend.identity import service as identity_service
    from backend.identity.models import SealedIdentity
    from backend.runtime import build_runtime

    async def read_all() -> list[str]:
        runtime = build_runtime(
            Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=env["TANDEM_DATABASE_URL"],
                secret_key_file=Path(env["TANDEM_SECRET_KEY_FILE"]),
            )
        )
        from sqlmodel import select

        names = []
        async with runtime.db.session(write=False) as session:
            for row in (await session.exec(select(SealedIdentity))).all():
                assert row.key_id == runtime.keys.current_key_id
                found = await identity_service.read_own_identity(
                    session, runtime.vault, row.account_id
                )
                assert found is not None
                names.append(found[0]["legal_name"])
        await runtime.close()
        return names

    assert len(asyncio.run(read_all())) == 2


def test_sqlite_backup_and_restore(env: dict[str, str], tmp_path: Path) -> None:
    if not env["TANDEM_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the PostgreSQL backup drill needs pg_dump; see below")
    assert tandem(env, "demo").returncode == 0
    backup = tmp_path / "backup.db"
    result = tandem(env, "backup", str(backup))
    assert result.returncode == 0, result.stderr
    db_file = Path(env["TANDEM_DATABASE_URL"].removeprefix("sqlite:///"))
    counts_before = _counts(db_file)
    tandem(env, "create-admin", "--pseudonym", "After Backup", stdin="a long admin phrase\n")
    assert _counts(db_file) != counts_before
    result = tandem(env, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert _counts(db_file) == counts_before
    assert tandem(env, "audit", "verify").returncode == 0


def test_restore_refuses_something_that_is_not_a_backup(
    env: dict[str, str], tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"hello")
    result = tandem(env, "restore", str(bogus))
    assert result.returncode == 2
    assert "not a Tandem backup" in result.stderr


def test_postgres_backup_and_restore(env: dict[str, str], tmp_path: Path) -> None:
    if env["TANDEM_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the SQLite drill is above")
    pg_dump = shutil.which("pg_dump") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None
    )
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    import psycopg

    def accounts() -> int:
        with psycopg.connect(env["TANDEM_DATABASE_URL"].replace("+psycopg", "")) as conn:
            row = conn.execute("SELECT count(*) FROM account").fetchone()
        assert row is not None
        return int(row[0])

    assert tandem(env, "demo").returncode == 0
    demo_accounts = accounts()
    backup = tmp_path / "backup.pgdump"
    assert tandem(env, "backup", str(backup)).returncode == 0
    tandem(env, "create-admin", "--pseudonym", "After Backup", stdin="a long admin phrase\n")
    assert accounts() == demo_accounts + 1
    result = tandem(env, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert accounts() == demo_accounts
    assert tandem(env, "audit", "verify").returncode == 0


def _counts(db_file: Path) -> dict[str, int]:
    conn = sqlite3.connect(db_file)
    try:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("account", "audit_entry", "role_grant", "sealed_identity")
        }
    finally:
        conn.close()
