"""`python -m storage` finds the database the same way the app does, .env file included."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.__main__ import configured_database_url


def test_the_migrations_command_reads_database_url_from_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'from-env-file.db'}\n")

    assert configured_database_url(env_file) == f"sqlite+aiosqlite:///{tmp_path / 'from-env-file.db'}"


def test_the_environment_wins_over_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/rendezvous")
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite+aiosqlite:///ignored.db\n")

    assert configured_database_url(env_file) == "postgresql+asyncpg://postgres@127.0.0.1:5432/rendezvous"
