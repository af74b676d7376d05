"""Several hosts starting at once each migrate the one database: one applies the migrations, the others wait."""

from __future__ import annotations

import asyncio

import pytest

from storage.database import Database


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_three_migrations_at_once_leave_one_schema_at_head(database_url: str) -> None:
    hosts = [Database(database_url) for _ in range(3)]
    try:
        async with asyncio.timeout(60):  # without the lock they wait on each other's tables
            await asyncio.gather(*(db.migrate() for db in hosts))

        revisions = {await db.current_revision() for db in hosts}
        assert len(revisions) == 1 and None not in revisions
        assert await hosts[0].ping()
    finally:
        for db in hosts:
            await db.dispose()
