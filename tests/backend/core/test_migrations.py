from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from backend.core.db import sync_url
from backend.migrations.env_helpers import render_item
from backend.models import metadata


def test_fresh_migrate_matches_the_models(database_url: str) -> None:
    # database_url is a fresh copy of a database built by `alembic upgrade head` alone.
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_item}
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_migrations_are_the_only_schema_source(database_url: str) -> None:
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        from sqlalchemy import inspect

        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert tables == set(metadata.tables) | {"alembic_version"}
