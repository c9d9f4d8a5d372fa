"""Finding the live session behind a token: the one query every authenticated request runs.

It goes to the database driver directly (aiosqlite or psycopg) instead of through the ORM:
measured in bench/http, the ORM's session, unit of work and instance loading cost five
times the query itself on this path (docs/decisions/0005-session-lookup.md). Everything
else uses the ORM. The results are plain frozen values, never ORM rows: code that changes
an account loads it in its own session.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from backend.core.db import Database, is_sqlite, sqlite_path, sync_url

LOOKUP_CONNECTIONS = 4

_QUERY = """
SELECT s.id, s.account_id, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at,
       a.pseudonym, a.language, a.created_at,
       g.id, g.role, g.organisation_id, g.granted_at, a.time_zone,
       a.restrictions, s.duress
FROM auth_session s
JOIN account a ON a.id = s.account_id
LEFT JOIN role_grant g ON g.account_id = a.id
WHERE {column} = {placeholder}
"""


@dataclass(frozen=True)
class SignedInAccount:
    id: uuid.UUID
    pseudonym: str
    language: str
    created_at: datetime
    time_zone: str = "UTC"
    restrictions: str = ""


@dataclass(frozen=True)
class LiveSession:
    id: uuid.UUID
    account_id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    duress: bool = False


@dataclass(frozen=True)
class HeldRole:
    id: uuid.UUID
    role: str
    organisation_id: uuid.UUID | None
    granted_at: datetime


@dataclass(frozen=True)
class FoundSession:
    account: SignedInAccount
    session: LiveSession
    roles: list[HeldRole]


class SessionLookup(Protocol):
    async def find(self, token_hash: str) -> FoundSession | None: ...

    async def find_by_id(self, session_id: uuid.UUID) -> FoundSession | None:
        """For a socket that authenticated already: checked again on every frame."""
        ...

    async def close(self) -> None: ...


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=str(value))


def _maybe_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else _uuid(value)


def _time(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _maybe_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def _found(rows: list[Any]) -> FoundSession | None:
    if not rows:
        return None
    first = rows[0]
    return FoundSession(
        account=SignedInAccount(
            _uuid(first[1]), first[6], first[7], _time(first[8]), first[13], first[14]
        ),
        session=LiveSession(
            _uuid(first[0]),
            _uuid(first[1]),
            _time(first[2]),
            _time(first[3]),
            _time(first[4]),
            _maybe_time(first[5]),
            bool(first[15]),
        ),
        roles=[
            HeldRole(_uuid(row[9]), row[10], _maybe_uuid(row[11]), _time(row[12]))
            for row in rows
            if row[9] is not None
        ],
    )


class _Pool:
    """A few connections opened on first use, handed out one query at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: asyncio.Queue[Any] = asyncio.Queue()
        self._all: list[Any] = []
        self._opening = asyncio.Lock()

    async def _connect(self) -> Any:
        raise NotImplementedError

    async def acquire(self) -> Any:
        if self._idle.empty() and len(self._all) < self.size:
            async with self._opening:
                if len(self._all) < self.size:
                    connection = await self._connect()
                    self._all.append(connection)
                    return connection
        return await self._idle.get()

    def release(self, connection: Any) -> None:
        self._idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()
        self._all.clear()


class SQLiteSessionLookup(_Pool):
    def __init__(self, path: str, size: int = LOOKUP_CONNECTIONS) -> None:
        super().__init__(size)
        self.path = path
        self.sql = _QUERY.format(column="s.token_hash", placeholder="?")
        self.sql_by_id = _QUERY.format(column="s.id", placeholder="?")

    async def _connect(self) -> Any:
        import aiosqlite

        connection = await aiosqlite.connect(self.path, isolation_level=None)
        await connection.execute("PRAGMA busy_timeout=5000")
        return connection

    async def find(self, token_hash: str) -> FoundSession | None:
        return await self._query(self.sql, token_hash)

    async def find_by_id(self, session_id: uuid.UUID) -> FoundSession | None:
        # SQLAlchemy stores a UUID on SQLite as 32 hex digits.
        return await self._query(self.sql_by_id, session_id.hex)

    async def _query(self, sql: str, value: str) -> FoundSession | None:
        connection = await self.acquire()
        try:
            cursor = await connection.execute(sql, (value,))
            rows = list(await cursor.fetchall())
            await cursor.close()
        finally:
            self.release(connection)
        return _found(rows)


class PostgresSessionLookup(_Pool):
    def __init__(self, url: str, size: int = LOOKUP_CONNECTIONS) -> None:
        super().__init__(size)
        self.url = url
        self.sql = _QUERY.format(column="s.token_hash", placeholder="%s")
        self.sql_by_id = _QUERY.format(column="s.id", placeholder="%s")

    async def _connect(self) -> Any:
        import psycopg

        return await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    async def find(self, token_hash: str) -> FoundSession | None:
        return await self._query(self.sql, token_hash)

    async def find_by_id(self, session_id: uuid.UUID) -> FoundSession | None:
        return await self._query(self.sql_by_id, session_id)

    async def _query(self, sql: str, value: str | uuid.UUID) -> FoundSession | None:
        connection = await self.acquire()
        try:
            cursor = await connection.execute(sql, (value,))
            rows = list(await cursor.fetchall())
        finally:
            self.release(connection)
        return _found(rows)


def session_lookup_for(database: Database) -> SessionLookup:
    """The lookup matching the database, closed when the database is disposed."""
    lookup: SQLiteSessionLookup | PostgresSessionLookup
    if is_sqlite(database.url):
        path = sqlite_path(database.url)
        if path is None:
            raise ValueError("authentication needs a database file, not an in-memory one")
        lookup = SQLiteSessionLookup(str(path))
    else:
        lookup = PostgresSessionLookup(
            sync_url(database.url).replace("postgresql+psycopg://", "postgresql://", 1)
        )
    database.on_dispose(lookup.close)
    return lookup


def signed_in(account: Any) -> SignedInAccount:
    """The frozen value of an ORM account row (for code paths that loaded the row)."""
    return SignedInAccount(
        account.id,
        account.pseudonym,
        account.language,
        account.created_at,
        account.time_zone,
        account.restrictions,
    )


def live(auth_session: Any) -> LiveSession:
    return LiveSession(
        auth_session.id,
        auth_session.account_id,
        auth_session.created_at,
        auth_session.last_seen_at,
        auth_session.expires_at,
        auth_session.revoked_at,
        auth_session.duress,
    )


def held(grant: Any) -> HeldRole:
    return HeldRole(grant.id, grant.role, grant.organisation_id, grant.granted_at)
