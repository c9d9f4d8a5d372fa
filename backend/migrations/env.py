from alembic import context
from sqlalchemy import create_engine, pool

from backend.core.config import get_settings
from backend.core.db import sqlite_path, sync_url
from backend.migrations.env_helpers import render_item
from backend.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else sync_url(get_settings().database_url)


def run_migrations() -> None:
    url = _url()
    path = sqlite_path(url) if url.startswith("sqlite") else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_item=render_item,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
