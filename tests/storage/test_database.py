from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text

from storage.__main__ import main as storage_cli
from storage.database import Database, validate_database_url
from storage.models import Base, GraphCall

APPLICATION_TABLES = {
    "tenants",
    "members",
    "bookings",
    "booking_attendees",
    "booking_moves",
    "consent_requests",
    "token_caches",
    "bot_state",
    "graph_calls",
}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrate_up_down_and_up_again(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_table_names) == set()
        assert await db.current_revision() is None

        await db.migrate()
        async with db.engine.connect() as connection:
            assert APPLICATION_TABLES <= await connection.run_sync(_table_names)
        head = await db.current_revision()
        assert head is not None

        await db.downgrade("base")
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_table_names) - {"alembic_version"} == set()
        assert await db.current_revision() is None

        await db.migrate()
        assert await db.current_revision() == head
    finally:
        await db.dispose()


async def test_migration_creates_exactly_what_the_models_describe(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_schema_differences) == []


async def test_migrate_twice_is_harmless(db: Database) -> None:
    before = await db.current_revision()
    await db.migrate()
    assert await db.current_revision() == before


async def test_datetimes_round_trip_as_aware_utc(db: Database) -> None:
    # 09:30 in UTC+02:00 is 07:30 UTC; it must come back as that instant, marked UTC.
    local = datetime(2025, 3, 4, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    async with db.session() as session:
        session.add(GraphCall(tenant_id="t", subject_oid="s", kind="getSchedule", at=local))
    async with db.session() as session:
        stored = await session.scalar(select(GraphCall.at))
    assert stored == local
    assert stored is not None and stored.utcoffset() == timedelta(0)
    assert stored.hour == 7


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.session() as session:
            session.add(GraphCall(tenant_id="t", subject_oid="s", kind="k", at=datetime(2025, 1, 1)))


async def test_session_rolls_back_when_the_block_raises(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            session.add(GraphCall(tenant_id="t", subject_oid="s", kind="k", at=datetime.now(UTC)))
            await session.flush()
            raise RuntimeError("boom")
    async with db.session() as session:
        assert (await session.execute(select(GraphCall))).first() is None


async def test_ping_true_when_the_database_answers(db: Database) -> None:
    assert await db.ping() is True


async def test_ping_false_on_unreachable_database() -> None:
    # Port 1 on localhost refuses connections at once; ping must report, not raise.
    db = Database("postgresql+asyncpg://nobody:secret@127.0.0.1:1/nothing")
    try:
        assert await db.ping() is False
    finally:
        await db.dispose()


async def test_ping_false_when_the_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    db_file = tmp_path / "x.db"
    db_file.write_bytes(b"this is not an SQLite database file, just some bytes" * 100)
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    try:
        assert await db.ping() is False
    finally:
        await db.dispose()


async def test_sqlite_creates_its_folder_and_uses_wal(tmp_path: Path) -> None:
    db_file = tmp_path / "nested" / "deeper" / "rendezvous.db"
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    try:
        async with db.engine.connect() as connection:
            journal_mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        assert journal_mode == "wal"
        assert foreign_keys == 1
        assert db_file.exists()
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite+aiosqlite:///data/rendezvous.db", "sqlite+aiosqlite:///data/rendezvous.db"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://u:p@db.example:5432/rdv", "postgresql+asyncpg://u:p@db.example:5432/rdv"),
        ("postgres://u@db/rdv", "postgresql+asyncpg://u@db/rdv"),
        ("postgresql+asyncpg://u@db/rdv", "postgresql+asyncpg://u@db/rdv"),
    ],
)
def test_validate_database_url_accepts_and_normalises(given: str, expected: str) -> None:
    assert validate_database_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "empty"),
        ("not a url", "not a valid database URL"),
        ("mysql+aiomysql://u@h/db", "unsupported driver 'mysql\\+aiomysql'"),
        ("postgresql+psycopg2://u@h/db", "unsupported driver"),
        ("postgresql+asyncpg://u@h", "needs a host and a database name"),
    ],
)
def test_validate_database_url_rejects_with_one_line(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        validate_database_url(given)
    assert "\n" not in str(raised.value)


def test_invalid_url_message_does_not_leak_the_password() -> None:
    with pytest.raises(ValueError) as raised:
        validate_database_url("oracle://admin:hunter2@h/db")
    assert "hunter2" not in str(raised.value)


def test_cli_upgrade_current_downgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db_file = tmp_path / "cli" / "rendezvous.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")

    assert storage_cli(["upgrade"]) == 0
    with sqlite3.connect(db_file) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert APPLICATION_TABLES <= tables

    capsys.readouterr()
    assert storage_cli(["current"]) == 0
    head = capsys.readouterr().out.strip()
    assert head not in ("", "base")

    assert storage_cli(["downgrade", "base"]) == 0
    assert storage_cli(["current"]) == 0
    assert capsys.readouterr().out.strip() == "base"


def test_cli_reports_a_bad_url_without_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u@h/db")
    assert storage_cli(["current"]) == 2
    assert "unsupported driver" in caplog.text
