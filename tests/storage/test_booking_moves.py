"""Moving a confirmed booking to another time: reserved first, done once whatever the clicks and retries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.database import Database
from storage.models import BookingMove
from storage.repositories import (
    BookingAttendee,
    BookingRecord,
    BookingRepository,
    BookingStateError,
    RecordNotFound,
    tenants_with_stuck_moves,
)

TENANT_A = "aaaaaaaa-0000-0000-0000-00000000000a"
TENANT_B = "bbbbbbbb-0000-0000-0000-00000000000b"
ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"
CAROL = "33333333-3333-3333-3333-333333333333"
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
END = START + timedelta(minutes=30)
LATER = START + timedelta(hours=3)
LATER_END = LATER + timedelta(minutes=45)


async def _confirmed(repo: BookingRepository, key: str = "book") -> BookingRecord:
    booking, _ = await repo.reserve(ALICE, BOB, START, END, "Sync", key,
                                    attendees=[BookingAttendee(BOB), BookingAttendee(CAROL, required=False)])
    return await repo.confirm(booking.id, "AAMk-1", "https://teams/join", None)


async def _move_count(db: Database) -> int:
    async with db.session() as session:
        return len(list(await session.scalars(select(BookingMove))))


async def test_a_move_is_reserved_then_finished_with_the_new_times(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings)

    move, created = await bookings.begin_move(booking.id, LATER, LATER_END, "move-1")
    assert created and move.status == "reserved" and move.booking_id == booking.id
    assert (move.old_start_utc, move.old_end_utc, move.start_utc, move.end_utc) == (START, END, LATER, LATER_END)
    unchanged = await bookings.get(booking.id)
    assert unchanged is not None and (unchanged.start_utc, unchanged.end_utc) == (START, END)

    moved = await bookings.finish_move(move.id)
    assert (moved.start_utc, moved.end_utc, moved.status) == (LATER, LATER_END, "confirmed")
    assert moved.attendees == booking.attendees and moved.event_id == "AAMk-1"
    assert await bookings.get(booking.id) == moved
    assert (await bookings.get_move(move.id)).status == "done"  # type: ignore[union-attr]
    # A retry of the finish (its answer lost) gets the moved booking again.
    assert (await bookings.finish_move(move.id)).start_utc == LATER


async def test_the_same_key_twice_makes_one_move(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings)
    first, created = await bookings.begin_move(booking.id, LATER, LATER_END, "move-1")
    again, created_again = await bookings.begin_move(booking.id, LATER + timedelta(days=1),
                                                     LATER_END + timedelta(days=1), "move-1")
    assert created and not created_again and again == first
    assert await bookings.get_move_by_key("move-1") == first
    assert await _move_count(db) == 1


async def test_concurrent_moves_with_one_key_make_one(database_url: str, db: Database) -> None:
    booking = await _confirmed(BookingRepository(db, TENANT_A))
    other_process = Database(database_url)
    try:
        repos = [BookingRepository(db, TENANT_A), BookingRepository(other_process, TENANT_A)] * 3
        results = await asyncio.gather(*(repo.begin_move(booking.id, LATER, LATER_END, "double-click")
                                         for repo in repos))
        assert sum(created for _, created in results) == 1
        assert len({move.id for move, _ in results}) == 1
        assert await _move_count(db) == 1
    finally:
        await other_process.dispose()


@pytest.mark.parametrize("status", ["reserved", "failed", "cancelled"])
async def test_only_a_confirmed_booking_can_be_moved(db: Database, status: str) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking, _ = await bookings.reserve(ALICE, BOB, START, END, "Sync", "book")
    if status == "failed":
        await bookings.mark_failed(booking.id, "Graph said no")
    if status == "cancelled":
        await bookings.cancel(booking.id)
    with pytest.raises(BookingStateError, match=f"is {status}; only a confirmed booking can be moved"):
        await bookings.begin_move(booking.id, LATER, LATER_END, "move-1")
    assert await _move_count(db) == 0


async def test_a_booking_cancelled_during_the_move_keeps_its_times(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings)
    move, _ = await bookings.begin_move(booking.id, LATER, LATER_END, "move-1")
    await bookings.cancel(booking.id)

    with pytest.raises(BookingStateError, match="is cancelled; it can no longer be moved"):
        await bookings.finish_move(move.id)
    after = await bookings.get(booking.id)
    assert after is not None and (after.start_utc, after.end_utc) == (START, END)
    assert (await bookings.get_move(move.id)).status == "reserved"  # type: ignore[union-attr]  # rolled back


async def test_a_failed_move_leaves_the_booking_and_cannot_be_finished(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings)
    move, _ = await bookings.begin_move(booking.id, LATER, LATER_END, "move-1")

    failed = await bookings.fail_move(move.id, "409 conflict " + "x" * 5000)
    assert failed.status == "failed" and failed.failure_reason is not None
    assert failed.failure_reason.startswith("409 conflict") and len(failed.failure_reason) <= 2000
    with pytest.raises(BookingStateError, match="is failed; it cannot be finished"):
        await bookings.finish_move(move.id)
    assert (await bookings.get(booking.id)).start_utc == START  # type: ignore[union-attr]

    done, _ = await bookings.begin_move(booking.id, LATER, LATER_END, "move-2")
    await bookings.finish_move(done.id)
    with pytest.raises(BookingStateError, match="is done"):
        await bookings.fail_move(done.id, "late error")


async def test_bad_moves_are_refused_with_a_reason(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings)
    with pytest.raises(ValueError, match="end after it starts"):
        await bookings.begin_move(booking.id, LATER, LATER, "k")
    with pytest.raises(ValueError, match="timezone-aware"):
        await bookings.begin_move(booking.id, datetime(2030, 1, 1), datetime(2030, 1, 2), "k")
    with pytest.raises(ValueError, match="idempotency key is required"):
        await bookings.begin_move(booking.id, LATER, LATER_END, "")
    with pytest.raises(ValueError, match="already at that time"):
        await bookings.begin_move(booking.id, START, END, "k")
    with pytest.raises(RecordNotFound):
        await bookings.begin_move("no-such-booking", LATER, LATER_END, "k")
    with pytest.raises(RecordNotFound):
        await bookings.finish_move("no-such-move")
    assert await _move_count(db) == 0


async def test_stuck_moves_are_listed_and_claimed_once(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings)
    stuck, _ = await bookings.begin_move(booking.id, LATER, LATER_END, "stuck")
    finished, _ = await bookings.begin_move(booking.id, LATER, LATER_END + timedelta(minutes=15), "finished")
    await bookings.finish_move(finished.id)
    after_now = datetime.now(UTC) + timedelta(seconds=1)

    assert await bookings.list_stuck_moves(stuck.created_at - timedelta(hours=1)) == []
    assert [m.id for m in await bookings.list_stuck_moves(after_now)] == [stuck.id]
    assert await tenants_with_stuck_moves(db, after_now) == [TENANT_A]

    # Stuck since it was reserved: of several claimants only one gets it, and the claim makes it look fresh.
    claims = await asyncio.gather(*(bookings.claim_stuck_move(stuck.id, stuck.updated_at) for _ in range(4)))
    assert [claim.id for claim in claims if claim is not None] == [stuck.id]
    assert await bookings.list_stuck_moves(stuck.updated_at) == []
    assert await bookings.claim_stuck_move(finished.id, after_now) is None


async def test_another_tenant_cannot_see_or_move_a_booking(db: Database) -> None:
    bookings_a = BookingRepository(db, TENANT_A)
    booking = await _confirmed(bookings_a)
    move, _ = await bookings_a.begin_move(booking.id, LATER, LATER_END, "move-1")
    after_now = datetime.now(UTC) + timedelta(seconds=1)

    bookings_b = BookingRepository(db, TENANT_B)
    assert await bookings_b.get_move(move.id) is None
    assert await bookings_b.get_move_by_key("move-1") is None
    assert await bookings_b.list_stuck_moves(after_now) == []
    assert await bookings_b.claim_stuck_move(move.id, after_now) is None
    with pytest.raises(RecordNotFound):
        await bookings_b.begin_move(booking.id, LATER, LATER_END, "move-b")
    with pytest.raises(RecordNotFound):
        await bookings_b.finish_move(move.id)
    with pytest.raises(RecordNotFound):
        await bookings_b.fail_move(move.id, "not yours")

    # The same key in another tenant is another move (of that tenant's own booking).
    other = await _confirmed(bookings_b)
    move_b, created = await bookings_b.begin_move(other.id, LATER, LATER_END, "move-1")
    assert created and move_b.id != move.id
    assert await bookings_a.get_move(move.id) == move
    assert (await bookings_a.get(booking.id)).start_utc == START  # type: ignore[union-attr]
