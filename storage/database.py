"""The database handle: async engine, sessions, health check, and Alembic migrations.

Two backends are supported: SQLite through aiosqlite (the default, one file in the data folder)
and PostgreSQL through asyncpg.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, CursorResult, ExceptionContext, Result, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import Insert

from storage.models import Base

logger = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/rendezvous.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Accepted spellings of each backend, and the async driver each one is run with.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
# Seconds the database gets by default: for a connection (PostgreSQL), for one statement (PostgreSQL), for a
# free connection from the pool, and for another writer's lock (SQLite's busy timeout).
DEFAULT_TIMEOUT = 10.0
_PING_TIMEOUT = 5.0


def validate_database_url(url: str) -> str:
    """Returns the URL with its async driver filled in, or raises ValueError with a one-line reason.

    `sqlite:///x.db` and `postgresql://...` are accepted and mapped to aiosqlite and asyncpg.
    """
    if not url or not url.strip():
        raise ValueError("DATABASE_URL is empty; expected e.g. sqlite+aiosqlite:///data/rendezvous.db")
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"DATABASE_URL is not a valid database URL: {exc}".splitlines()[0]) from exc
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        supported = "sqlite+aiosqlite:///<path> or postgresql+asyncpg://user@host/db"
        raise ValueError(f"DATABASE_URL uses unsupported driver {parsed.drivername!r}; use {supported}")
    parsed = parsed.set(drivername=driver)
    if driver.startswith("postgresql") and not (parsed.host and parsed.database):
        raise ValueError("DATABASE_URL for PostgreSQL needs a host and a database name")
    return parsed.render_as_string(hide_password=False)


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE/DELETE matched (the typed session API hides the cursor's rowcount)."""
    return int(cast(CursorResult[Any], result).rowcount)


def _is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; SQLite leaves foreign keys off by default.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


# PostgreSQL appends a DETAIL to constraint errors that quotes the row or key ("Failing row contains
# (..., <subject>, <address>, ...)"), and every layer of the exception repeats it in its message.
_SERVER_DETAIL = re.compile(r"\nDETAIL: .*?(?=\nHINT: |\Z)", re.DOTALL)


def _without_row_values(context: ExceptionContext) -> None:
    """Removes the server's DETAIL from a failed statement's exceptions before anyone logs them.

    hide_parameters keeps SQLAlchemy from printing the statement's parameters; this keeps the values out
    of the error text as well. The SQLSTATE, constraint name and message stay, which is what a fix needs.
    """
    error: BaseException | None = context.sqlalchemy_exception
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "detail", None) and not isinstance(error, SQLAlchemyError):
            error.detail = None  # type: ignore[attr-defined]  # asyncpg's error and SQLAlchemy's adapter of it
        if error.args and isinstance(error.args[0], str):
            error.args = (_SERVER_DETAIL.sub("", error.args[0]), *error.args[1:])
        error = getattr(error, "orig", None) or error.__cause__


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        # env.py runs the migration on this connection instead of opening its own.
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(_alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(_alembic_config(connection), revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# Failures that mean the database could not be reached, stayed locked or did not answer in time (asyncpg's
# statement timeout is a bare TimeoutError); retrying later may work, and the data sent is not at fault.
DATABASE_OUTAGES: tuple[type[BaseException], ...] = (
    TimeoutError, OperationalError, SQLAlchemyTimeoutError, InterfaceError,
)


class Database:
    """One async engine for the process; hand out sessions with `async with db.session()`."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """`timeout` bounds every wait on the database, so a partition fails a turn instead of hanging it."""
        self.url = make_url(validate_database_url(url))
        self._timeout = timeout
        # A failed statement's error then names the SQL but not its values (subjects, addresses), which
        # would otherwise reach the log through every traceback of a database error.
        engine_options: dict[str, Any] = {"hide_parameters": True}
        if self.url.drivername.startswith("sqlite"):
            engine_options["connect_args"] = {"timeout": timeout}
            if _is_memory_sqlite(self.url):
                # Every new in-memory connection is an empty database: share one.
                engine_options["poolclass"] = StaticPool
            else:
                Path(str(self.url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        else:
            engine_options["pool_pre_ping"] = True
            engine_options["pool_timeout"] = timeout
            # SQLAlchemy's default (5 + 10 overflow) ran out at 200 conversations in one process (bench/README.md,
            # load test): turns waited DATABASE_TIMEOUT_SECONDS for a connection and failed. 30 per process stays
            # well inside PostgreSQL's default max_connections (100) with a few worker processes.
            engine_options["pool_size"] = 10
            engine_options["max_overflow"] = 20
            engine_options["connect_args"] = {"timeout": timeout, "command_timeout": timeout}
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_options)
        if self.dialect_name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite_connection)
        event.listen(self.engine.sync_engine, "handle_error", _without_row_values)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, fit for logs."""
        return self.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        """True when the database answers SELECT 1; False (never an exception) otherwise."""
        try:
            async with asyncio.timeout(_PING_TIMEOUT), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # a health check reports every failure as "down"
            logger.warning("database ping failed for %s: %s", self.safe_url, type(exc).__name__)
            return False
        return True

    @asynccontextmanager
    async def _migration_connection(self) -> AsyncIterator[AsyncConnection]:
        """A migration may take longer than the statement timeout meant for a turn: on PostgreSQL it gets an
        engine of its own without one (SQLite's busy timeout is only a wait for a lock, kept as it is)."""
        if self.dialect_name != "postgresql":
            async with self.engine.begin() as connection:
                yield connection
            return
        engine = create_async_engine(self.url, connect_args={"timeout": self._timeout})
        try:
            async with engine.begin() as connection:
                yield connection
        finally:
            await engine.dispose()

    async def migrate(self, revision: str = "head") -> None:
        """Alembic upgrade to `revision` (default: the latest)."""
        async with self._migration_connection() as connection:
            await connection.run_sync(_upgrade, revision)
        logger.info("database %s upgraded to %s", self.safe_url, revision)

    async def downgrade(self, revision: str) -> None:
        """Alembic downgrade to `revision` ("base" removes every table)."""
        async with self._migration_connection() as connection:
            await connection.run_sync(_downgrade, revision)
        logger.info("database %s downgraded to %s", self.safe_url, revision)

    async def current_revision(self) -> str | None:
        """The Alembic revision the database is at, or None before the first migration."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    def upsert(
        self,
        model: type[Base],
        values: Mapping[str, Any],
        key_columns: Sequence[str],
        update_columns: Sequence[str],
    ) -> Insert:
        """One atomic INSERT ... ON CONFLICT (key) DO UPDATE statement for this backend.

        On conflict only `update_columns` are overwritten (with the values given), so columns such
        as created_at keep what the first insert stored.
        """
        dialect_insert = postgresql.insert if self.dialect_name == "postgresql" else sqlite.insert
        statement = dialect_insert(model).values(**values)
        changes = {column: statement.excluded[column] for column in update_columns}
        if not changes:
            return statement.on_conflict_do_nothing(index_elements=list(key_columns))
        return statement.on_conflict_do_update(index_elements=list(key_columns), set_=changes)

    async def dispose(self) -> None:
        await self.engine.dispose()
