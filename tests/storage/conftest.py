"""Fixtures for storage tests: a migrated database on each backend (through `database_url`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet

from storage.crypto import TokenCipher
from storage.database import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(Fernet.generate_key())
