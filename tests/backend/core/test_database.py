import asyncio
from enum import StrEnum

import pytest
from sqlalchemy import Column, MetaData, Table, select, text
from sqlalchemy.exc import StatementError

from backend.core.db import Database, EnumText


@pytest.fixture
def sqlite_only(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite transaction modes")
    return database_url


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_only: str) -> None:
    database = Database(sqlite_only)
    async with database.engine.connect() as connection:
        mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
    await database.dispose()
    assert (mode, timeout, foreign_keys) == ("wal", 5000, 1)


async def test_concurrent_read_then_write_transactions_both_succeed(sqlite_only: str) -> None:
    """The classic WAL trap: two transactions read, then both write. Begun DEFERRED, the
    second upgrade fails at once with "database is locked" (the busy timeout cannot help,
    its snapshot is stale). Begun IMMEDIATE, the second waits its turn and succeeds."""
    database = Database(sqlite_only)
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        await connection.execute(text("INSERT INTO counter VALUES (0)"))
    first_has_read = asyncio.Event()

    async def increment(hold: bool) -> None:
        async with database.session() as session:
            connection = await session.connection()
            n = (await connection.execute(text("SELECT n FROM counter"))).scalar_one()
            if hold:
                first_has_read.set()
                await asyncio.sleep(0.2)
            await connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    async def second() -> None:
        await first_has_read.wait()
        await increment(hold=False)

    await asyncio.gather(increment(hold=True), second())
    async with database.engine.connect() as connection:
        final = (await connection.execute(text("SELECT n FROM counter"))).scalar_one()
    await database.dispose()
    # No lost update either: the second read after the first committed.
    assert final == 2


async def test_reads_do_not_wait_for_a_writer(sqlite_only: str) -> None:
    database = Database(sqlite_only)
    async with database.session() as writer:
        connection = await writer.connection()
        await connection.execute(text("SELECT 1"))  # holds the write lock (IMMEDIATE)
        async with database.session(write=False) as reader:
            read_connection = await reader.connection()
            value = await asyncio.wait_for(
                read_connection.execute(text("SELECT count(*) FROM account")), timeout=1
            )
            assert value.scalar_one() == 0
    await database.dispose()


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


colours = Table("enum_text_probe", MetaData(), Column("colour", EnumText(Colour, length=8)))


async def test_enum_text_stores_the_value_and_reads_the_member(database_url: str) -> None:
    database = Database(database_url)
    async with database.engine.connect() as connection:
        await connection.run_sync(colours.metadata.create_all)
        await connection.execute(colours.insert(), [{"colour": Colour.RED}, {"colour": "green"}])
        read = (await connection.execute(select(colours.c.colour))).scalars().all()
        raw = (await connection.execute(text("SELECT colour FROM enum_text_probe"))).scalars()
        assert [type(c) for c in read] == [Colour, Colour]
        assert sorted(read) == [Colour.GREEN, Colour.RED]
        assert sorted(raw.all()) == ["green", "red"]
        with pytest.raises(StatementError, match="'blue' is not a Colour"):
            await connection.execute(colours.insert(), {"colour": "blue"})
        await connection.rollback()
    await database.dispose()
