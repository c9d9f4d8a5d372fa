"""The floor: what GET /api/me costs with FastAPI and the bare driver, no ORM.

The same lookups as Tandem's endpoint: the live session by sha256(token) joined to its
account, then the account's role grants. Served by uvicorn like the real app:

    BENCH_HTTP_DB=/path/to/bench.db python -m uvicorn bench.http.floor:app
"""

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import aiosqlite
from fastapi import FastAPI, Header, HTTPException

# Tandem's engine keeps up to five idle connections (SQLAlchemy's default pool size).
POOL_SIZE = 5
BUSY_TIMEOUT_MS = 5000
# Tandem's default idle limit (Settings.session_idle_minutes).
SESSION_IDLE = timedelta(hours=12)
# How SQLAlchemy stores a naive UTC DATETIME in SQLite; these strings sort as times do.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"

SESSION_QUERY = """
SELECT account.id, account.pseudonym, account.language
FROM auth_session JOIN account ON account.id = auth_session.account_id
WHERE auth_session.token_hash = ?
  AND auth_session.revoked_at IS NULL
  AND auth_session.expires_at > ?
  AND auth_session.last_seen_at > ?
"""
ROLES_QUERY = "SELECT role, organisation_id FROM role_grant WHERE account_id = ?"


class Pool:
    """A fixed set of aiosqlite connections handed out one request at a time."""

    def __init__(self) -> None:
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all: list[aiosqlite.Connection] = []

    async def open(self, path: str, size: int) -> None:
        for _ in range(size):
            conn = await aiosqlite.connect(path, isolation_level=None)
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._all.append(conn)
            self._idle.put_nowait(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._idle.get()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()
        self._idle = asyncio.Queue()


pool = Pool()


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await pool.open(os.environ["BENCH_HTTP_DB"], POOL_SIZE)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


def _bearer(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(SQLITE_DATETIME)


@app.get("/api/me")
async def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    token = _bearer(authorization)
    if token is None:
        raise HTTPException(status_code=401, detail="Please sign in.")
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        rows = await conn.execute_fetchall(
            SESSION_QUERY, (token_hash, _sqlite_time(now), _sqlite_time(now - SESSION_IDLE))
        )
        if not rows:
            raise HTTPException(status_code=401, detail="Your session has ended.")
        account_id, pseudonym, language = next(iter(rows))
        grants = await conn.execute_fetchall(ROLES_QUERY, (account_id,))
    return {
        "id": str(uuid.UUID(hex=account_id)),
        "pseudonym": pseudonym,
        "language": language,
        "roles": [
            {"role": role, "organisation_id": str(uuid.UUID(hex=org)) if org else None}
            for role, org in grants
        ],
    }


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
