"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL.

PostgreSQL is a real server (POSTGRES_TEST_URL, default postgres@127.0.0.1:5432). Each test that asks
for `database_url` gets its own freshly created database, dropped afterwards. When the server cannot
be reached the PostgreSQL half fails loudly under CI=true and is skipped with a visible reason
otherwise: never a silent pass.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a red build is reproducible; locally Hypothesis keeps
# exploring new ones (and remembers failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _postgres_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _postgres_reachable() -> str | None:
    """Returns None when PostgreSQL answers, or the reason it does not.

    Runs in its own thread with its own event loop, because it is first asked from inside async fixtures."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(asyncio.run, _postgres_admin("SELECT 1")).result(timeout=15)
        except Exception as exc:  # any failure to connect is reported, whatever its type
            return f"{type(exc).__name__}: {exc}"
    return None


_POSTGRES_PROBLEM: str | None = None
_POSTGRES_CHECKED = False


def postgres_problem() -> str | None:
    global _POSTGRES_PROBLEM, _POSTGRES_CHECKED
    if not _POSTGRES_CHECKED:
        _POSTGRES_PROBLEM = _postgres_reachable()
        _POSTGRES_CHECKED = True
    return _POSTGRES_PROBLEM


def pytest_report_header(config: pytest.Config) -> str:
    problem = postgres_problem()
    if problem:
        return f"PostgreSQL: UNREACHABLE at {POSTGRES_ADMIN_URL} ({problem})"
    return f"PostgreSQL: reachable at {POSTGRES_ADMIN_URL}"


def require_postgres() -> None:
    """Fails the test under CI=true, and skips it with the reason otherwise, when PostgreSQL cannot be reached."""
    problem = postgres_problem()
    if problem:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables yet) on each backend, as an SQLAlchemy async URL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'rendezvous.db'}"
        return
    require_postgres()
    name = f"rendezvous_test_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A file-backed SQLite URL for tests that only need one backend."""
    yield f"sqlite+aiosqlite:///{tmp_path / 'rendezvous.db'}"
