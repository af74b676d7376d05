from __future__ import annotations

import asyncio

import pytest

from storage.database import Database
from storage.state_store import ETagConflict, StateStore

KEY = "msteams/conversations/19:abc/dialog"


async def test_read_of_missing_keys_returns_nothing(db: Database) -> None:
    assert await StateStore(db).read([KEY, "other"]) == {}
    assert await StateStore(db).read([]) == {}


async def test_create_then_read_returns_document_and_etag(db: Database) -> None:
    store = StateStore(db)
    etag = await store.write(KEY, {"step": "pick", "n": 1}, expected_etag=None, tenant_id="t1")
    found = await store.read([KEY, "missing"])
    assert set(found) == {KEY}
    assert found[KEY].document == {"step": "pick", "n": 1}
    assert found[KEY].etag == etag


async def test_compare_and_swap_succeeds_with_current_etag_and_changes_it(db: Database) -> None:
    store = StateStore(db)
    first = await store.write(KEY, {"v": 1}, expected_etag=None)
    second = await store.write(KEY, {"v": 2}, expected_etag=first)
    assert second != first
    assert (await store.read([KEY]))[KEY].document == {"v": 2}


async def test_stale_etag_is_a_conflict_and_leaves_the_document(db: Database) -> None:
    store = StateStore(db)
    first = await store.write(KEY, {"v": 1}, expected_etag=None)
    await store.write(KEY, {"v": 2}, expected_etag=first)
    with pytest.raises(ETagConflict):
        await store.write(KEY, {"v": "stale"}, expected_etag=first)
    assert (await store.read([KEY]))[KEY].document == {"v": 2}


async def test_create_over_an_existing_document_is_a_conflict(db: Database) -> None:
    store = StateStore(db)
    await store.write(KEY, {"v": 1}, expected_etag=None)
    with pytest.raises(ETagConflict):
        await store.write(KEY, {"v": 2}, expected_etag=None)
    assert (await store.read([KEY]))[KEY].document == {"v": 1}


async def test_etag_for_a_vanished_document_is_a_conflict(db: Database) -> None:
    store = StateStore(db)
    etag = await store.write(KEY, {"v": 1}, expected_etag=None)
    await store.delete([KEY])
    with pytest.raises(ETagConflict):
        await store.write(KEY, {"v": 2}, expected_etag=etag)
    assert await store.read([KEY]) == {}


async def test_star_overwrites_whatever_is_there_or_creates(db: Database) -> None:
    store = StateStore(db)
    created = await store.write(KEY, {"v": 1}, expected_etag="*")
    replaced = await store.write(KEY, {"v": 2}, expected_etag="*")
    assert replaced != created
    stored = (await store.read([KEY]))[KEY]
    assert stored.document == {"v": 2}
    assert stored.etag == replaced


async def test_concurrent_first_writers_exactly_one_wins(db: Database) -> None:
    store = StateStore(db)
    results = await asyncio.gather(
        *(store.write(KEY, {"writer": n}, expected_etag=None) for n in range(4)), return_exceptions=True
    )
    winners = [n for n, result in enumerate(results) if isinstance(result, str)]
    conflicts = [result for result in results if isinstance(result, ETagConflict)]
    assert len(winners) == 1 and len(conflicts) == 3, results
    stored = (await store.read([KEY]))[KEY]
    assert stored.document == {"writer": winners[0]}
    assert stored.etag == results[winners[0]]


async def test_two_writers_with_the_same_etag_exactly_one_conflict(database_url: str, db: Database) -> None:
    # A second Database object is a second process: its own engine and connections.
    other_process = Database(database_url)
    try:
        first_store, second_store = StateStore(db), StateStore(other_process)
        etag = await first_store.write(KEY, {"v": 0}, expected_etag=None)
        results = await asyncio.gather(
            first_store.write(KEY, {"v": "a"}, expected_etag=etag),
            second_store.write(KEY, {"v": "b"}, expected_etag=etag),
            return_exceptions=True,
        )
        assert sum(isinstance(r, ETagConflict) for r in results) == 1, results
        winner = next(n for n, r in enumerate(results) if isinstance(r, str))
        assert (await first_store.read([KEY]))[KEY].document == {"v": "ab"[winner]}
    finally:
        await other_process.dispose()


async def test_state_survives_a_process_restart(database_url: str, db: Database) -> None:
    etag = await StateStore(db).write(KEY, {"kept": ["a", 1, None, {"x": True}]}, expected_etag=None)
    await db.dispose()

    restarted = Database(database_url)
    try:
        found = await StateStore(restarted).read([KEY])
        assert found[KEY].document == {"kept": ["a", 1, None, {"x": True}]}
        assert found[KEY].etag == etag
    finally:
        await restarted.dispose()


async def test_delete_removes_only_the_given_keys(db: Database) -> None:
    store = StateStore(db)
    await store.write("a", {"v": 1}, expected_etag=None)
    await store.write("b", {"v": 2}, expected_etag=None)
    await store.delete(["a", "never-existed"])
    assert set(await store.read(["a", "b"])) == {"b"}


async def test_keys_longer_than_the_column_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="1 to 512"):
        await StateStore(db).write("k" * 513, {}, expected_etag=None)
