"""botbuilder's Storage over our database: ConversationState survives restarts, and concurrent turns of the
same chat cannot silently overwrite each other."""

from __future__ import annotations

import pytest

from dialogs.bot_storage import SqlBotStorage, storage_key_tenant
from storage.database import Database
from storage.state_store import ETagConflict, StateStore

KEY = "msteams/tenants/8c1c1f2a-5b8e-4a43-9d7e-0b1f3a6c2d10/conversations/a:chat"


async def _storage(database_url: str) -> tuple[Database, SqlBotStorage]:
    db = Database(database_url)
    await db.migrate()
    return db, SqlBotStorage(StateStore(db))


async def test_state_round_trips_and_survives_a_restart(database_url: str) -> None:
    db, storage = await _storage(database_url)
    await storage.write({KEY: {"dialog": {"step": "pick", "offered": ["20261130T1630Z"]}}})
    await db.dispose()

    restarted_db, restarted = await _storage(database_url)
    stored = (await restarted.read([KEY]))[KEY]
    await restarted_db.dispose()
    assert stored["dialog"] == {"step": "pick", "offered": ["20261130T1630Z"]}
    assert stored["e_tag"]


async def test_the_second_of_two_concurrent_turns_gets_a_conflict(database_url: str) -> None:
    db, storage = await _storage(database_url)
    await storage.write({KEY: {"dialog": {"step": "start"}}})
    first_turn = (await storage.read([KEY]))[KEY]
    second_turn = (await storage.read([KEY]))[KEY]

    first_turn["dialog"] = {"step": "suggested"}
    await storage.write({KEY: first_turn})
    second_turn["dialog"] = {"step": "form"}
    with pytest.raises(ETagConflict):
        await storage.write({KEY: second_turn})

    assert (await storage.read([KEY]))[KEY]["dialog"] == {"step": "suggested"}
    await db.dispose()


async def test_two_first_writers_cannot_both_create_the_item(database_url: str) -> None:
    db, storage = await _storage(database_url)
    await storage.write({KEY: {"dialog": {"by": "first"}}})
    with pytest.raises(ETagConflict):
        await storage.write({KEY: {"dialog": {"by": "second"}}})
    await storage.delete([KEY])
    assert await storage.read([KEY]) == {}
    await db.dispose()


def test_state_rows_are_keyed_by_tenant() -> None:
    assert storage_key_tenant(KEY) == "8c1c1f2a-5b8e-4a43-9d7e-0b1f3a6c2d10"
    assert storage_key_tenant("msteams/tenants/none/conversations/x") is None
