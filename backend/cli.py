"""The `tandem` command. Every subcommand reads the same settings as the server."""

import asyncio
import getpass
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from backend.core.config import Settings, get_settings
from backend.core.db import Database, sqlite_path, sync_url
from backend.core.keys import KeyFileError, add_master_key, load_or_create_key_file

app = typer.Typer(help="Run and look after a Tandem community.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _settings() -> Settings:
    settings = get_settings()
    try:
        load_or_create_key_file(settings.secret_key_file)
    except KeyFileError as exc:
        typer.echo(f"Tandem cannot start: {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the web client, the API and the realtime endpoint."""
    import uvicorn

    from backend.core.logs import logging_config

    settings = _settings()
    uvicorn.run(
        "backend.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=logging_config(settings.log_format, settings.log_level),
        # uvicorn's access log prints client addresses and raw paths; tandem.access
        # (backend/core/middleware.py) writes the route template and the request id.
        access_log=False,
        # uvicorn's default is 16 MiB; /ws frames are small (docs/realtime.md).
        ws_max_size=settings.ws_max_frame_bytes,
        # Measured not worth it for short chat frames, and it costs memory per connection.
        ws_per_message_deflate=False,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade to head)."""
    from backend.membership.cards import CardSigner
    from backend.migrations import upgrade_to_head

    settings = _settings()
    # The card signing keys too (the key file is made by _settings): made here, before any
    # app process starts (tandem-migrate.service, compose's migrate), processes started
    # together share them instead of racing to write keys of their own.
    CardSigner.load_or_create(settings.secret_key_file.parent / "card-keys.json")
    upgrade_to_head(settings.database_url)
    typer.echo("The database schema is up to date.")


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when accounts exist already.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for the demo's choices.")] = 7,
) -> None:
    """Load the demo community (accounts in every role) through the service functions."""
    from backend.demo.cast import DEMO_PASSWORD
    from backend.demo.loader import load_demo

    settings = _settings()
    created = asyncio.run(load_demo(settings, seed=seed, only_if_empty=if_empty))
    if created:
        typer.echo(f"Demo community loaded. Every demo account's password is {DEMO_PASSWORD!r}:")
        for pseudonym, roles in created:
            typer.echo(f"  {pseudonym:<10} {roles}")
    else:
        typer.echo("Accounts exist already; the demo was not loaded.")


def _read_password(prompt: str) -> str:
    from_env = os.environ.get("TANDEM_ADMIN_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        typer.echo("The two passwords differ.", err=True)
        raise typer.Exit(1)
    return first


@app.command("create-admin")
def create_admin(
    pseudonym: Annotated[str, typer.Option(help="The admin's pseudonym.")],
) -> None:
    """Create the first admin account. The password is asked for (or read from stdin or
    TANDEM_ADMIN_PASSWORD), never given on the command line."""
    from backend.bootstrap import create_admin_account
    from backend.core.errors import TandemError

    settings = _settings()
    password = _read_password("Password for the new admin: ")
    try:
        codes = asyncio.run(create_admin_account(settings, pseudonym, password))
    except TandemError as exc:
        details = "; ".join(exc.fields.values())
        typer.echo(f"{exc.message} {details}".strip(), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Admin {pseudonym!r} created. Recovery codes (keep them safe, shown once):")
    for code in codes:
        typer.echo(f"  {code}")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Add a new vault master key and re-wrap every sealed record's data key with it."""
    from backend.bootstrap import rewrap_vault

    settings = _settings()
    ring = add_master_key(settings.secret_key_file)
    moved = asyncio.run(rewrap_vault(settings))
    typer.echo(
        f"New master key {ring.current_key_id}; {moved} sealed records re-wrapped. "
        "Older keys stay in the key file until you remove them; restart the servers."
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exits 1 and names the first broken entry."""
    from backend.core import audit

    settings = _settings()

    async def run() -> audit.ChainReport:
        database = Database(settings.database_url)
        try:
            async with database.session(write=False) as session:
                return await audit.verify_chain(session)
        finally:
            await database.dispose()

    report = asyncio.run(run())
    if report.intact:
        typer.echo(f"The audit log is intact ({report.entries_checked} entries).")
        return
    typer.echo(f"The audit log is broken at entry {report.first_broken_seq}: {report.reason}.")
    raise typer.Exit(1)


def _pg_url(url: str) -> str:
    return sync_url(url).replace("postgresql+psycopg://", "postgresql://", 1)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    typer.echo(f"{name} is not installed (Debian: apt-get install postgresql-client).", err=True)
    raise typer.Exit(2)


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="Where to write the backup.")]) -> None:
    """Copy the database while it runs (SQLite online backup, or pg_dump)."""
    settings = _settings()
    db_file = sqlite_path(settings.database_url)
    if settings.database_url.startswith("sqlite"):
        if db_file is None:
            typer.echo("An in-memory database cannot be backed up.", err=True)
            raise typer.Exit(2)
        source = sqlite3.connect(db_file)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--file",
                str(path),
                _pg_url(settings.database_url),
            ],
            check=True,
        )
    typer.echo(f"Backup written to {path}.")


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A backup made by `tandem backup`.")],
) -> None:
    """Replace the database's content with a backup. Stop the servers first."""
    settings = _settings()
    if not path.is_file():
        typer.echo(f"There is no backup at {path}.", err=True)
        raise typer.Exit(2)
    db_file = sqlite_path(settings.database_url)
    if settings.database_url.startswith("sqlite"):
        if db_file is None:
            typer.echo("An in-memory database cannot be restored into.", err=True)
            raise typer.Exit(2)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.execute("SELECT count(*) FROM audit_entry").fetchone()
        except sqlite3.DatabaseError as exc:
            source.close()
            typer.echo(f"{path} is not a Tandem backup ({exc}).", err=True)
            raise typer.Exit(2) from exc
        db_file.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(db_file)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        with path.open("rb") as handle:
            if handle.read(5) != b"PGDMP":
                typer.echo(f"{path} is not a Tandem backup (not a pg_dump archive).", err=True)
                raise typer.Exit(2)
        subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                _pg_url(settings.database_url),
                str(path),
            ],
            check=True,
        )
    typer.echo(f"Restored from {path}. Run `tandem audit verify` to check the log.")


if __name__ == "__main__":
    app()
