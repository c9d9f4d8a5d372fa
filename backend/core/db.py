"""Engines and sessions.

One request, one transaction. On SQLite, transactions that may write begin IMMEDIATE:
a deferred transaction that later upgrades to a write fails at once with "database is
locked" when another writer got there first, whatever the busy timeout says. Reads stay
deferred so WAL readers never wait on each other.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import DateTime, String, TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.context import CONTEXT_KEY, RuntimeContext

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_POOL_SIZE = 5

E = TypeVar("E", bound=StrEnum)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use core.time.utc_now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumText(TypeDecorator[E]):
    """A str enum stored as its value in a VARCHAR, and read back as the member.

    The column stays a plain VARCHAR(length), so no migration sees it and raw SQL reads
    the same text. A table model is not validated when built, so a valid value string is
    accepted too; anything else is refused here rather than stored.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length=length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.enum(value).value
        except ValueError:
            raise ValueError(f"{value!r} is not a {self.enum.__name__}") from None

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)

    @property
    def python_type(self) -> type[E]:
        return self.enum


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sync_url(url: str) -> str:
    """The URL for synchronous tools (Alembic, backups)."""
    if url.startswith("sqlite+aiosqlite:"):
        return "sqlite:" + url.removeprefix("sqlite+aiosqlite:")
    if url.startswith(("postgresql:", "postgres:")):
        return "postgresql+psycopg:" + url.split(":", 1)[1]
    return url


def async_url(url: str) -> str:
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    if url.startswith(("postgresql:", "postgres:")):
        return "postgresql+psycopg:" + url.split(":", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    path = sync_url(url).removeprefix("sqlite:///")
    if path in ("", ":memory:") or path == sync_url(url):
        return None
    return Path(path)


def _skip_idle_transaction_ends(dialect: Any) -> None:
    """Skip COMMIT and ROLLBACK when SQLite has no transaction open.

    With aiosqlite each one is a trip to the connection's thread, paid by every request
    whose session never ran a query. sqlite3 reports whether a transaction is open
    without touching the database.
    """
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def is_idle(dbapi_connection: Any) -> bool:
        driver = getattr(dbapi_connection, "driver_connection", None)
        return driver is not None and driver.in_transaction is False

    def do_commit(dbapi_connection: Any) -> None:
        if not is_idle(dbapi_connection):
            commit(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        if not is_idle(dbapi_connection):
            rollback(dbapi_connection)

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback


def _configure_sqlite(sync_engine: Any) -> None:
    _skip_idle_transaction_ends(sync_engine.dialect)

    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Freed space is zeroed at once, so erased and deleted text does not linger in the
        # file (measured in bench/secure_delete.py: within noise of off; docs/privacy.md).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("tandem_writes", True):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = is_sqlite(url)
        if self.is_sqlite:
            path = sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if self.is_sqlite:
            # Each aiosqlite connection is a thread; past a handful they only fight over
            # the GIL (measured in bench/http). Sessions always end in an explicit commit
            # or rollback, so the pool's extra rollback on return is a wasted round trip.
            options = {
                "pool_size": SQLITE_POOL_SIZE,
                "max_overflow": 0,
                "pool_reset_on_return": None,
            }
        # hide_parameters: an error's text names the statement, never the values in it
        # (message bodies, pseudonyms), so it can go to the log.
        self.engine: AsyncEngine = create_async_engine(
            async_url(url), echo=echo, hide_parameters=True, **options
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine.sync_engine)
        self._read_engine = self.engine.execution_options(tandem_writes=False)
        self._on_dispose: list[Callable[[], Awaitable[None]]] = []
        # Every session carries it in its info: backend/core/context.py.
        self.context = RuntimeContext()
        info = {CONTEXT_KEY: self.context}
        self._writer = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, info=info
        )
        self._reader = async_sessionmaker(
            self._read_engine, class_=AsyncSession, expire_on_commit=False, info=info
        )

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends, rolled back when it raises."""
        maker = self._writer if write else self._reader
        async with maker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> None:
        async with self._read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def on_dispose(self, close: Callable[[], Awaitable[None]]) -> None:
        """Close something that holds connections of its own together with this database."""
        self._on_dispose.append(close)

    async def dispose(self) -> None:
        for close in self._on_dispose:
            await close()
        await self.engine.dispose()
