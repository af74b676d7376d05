"""Alembic environment.

`Database.migrate()` passes an open connection in `config.attributes["connection"]`. The plain
`alembic` command line has none, so it opens the database named by DATABASE_URL itself.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from storage.database import DEFAULT_DATABASE_URL, Database, validate_database_url
from storage.models import Base

target_metadata = Base.metadata


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_own_database(url: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await database.dispose()


def _run() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run_migrations(given)
        return
    url = validate_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_on_own_database(url))


_run()
