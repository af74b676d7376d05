"""Finding and claiming bookings a crash left `reserved`: per tenant, and only one claimant at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.repositories import BookingRepository, tenants_with_stuck_bookings

TENANT_A = "aaaaaaaa-0000-0000-0000-00000000000a"
TENANT_B = "bbbbbbbb-0000-0000-0000-00000000000b"
ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


async def _reserve(repo: BookingRepository, key: str) -> str:
    booking, _ = await repo.reserve(ALICE, BOB, START, START + timedelta(minutes=30), "Sync", key)
    return booking.id


async def _reserved_at(repo: BookingRepository, key: str) -> tuple[str, datetime]:
    """A new reservation and the moment it was written: as a cutoff, "stuck since it was reserved"."""
    booking, _ = await repo.reserve(ALICE, BOB, START, START + timedelta(minutes=30), "Sync", key)
    return booking.id, booking.updated_at


def _after_now() -> datetime:
    """A cutoff later than every row written so far: each of them counts as unchanged since then."""
    return datetime.now(UTC) + timedelta(seconds=1)


async def test_only_reserved_rows_unchanged_since_the_cutoff_are_stuck(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    stuck = await _reserve(bookings, "stuck")
    confirmed = await _reserve(bookings, "confirmed")
    await bookings.confirm(confirmed, "AAMk-1", None, None)
    failed = await _reserve(bookings, "failed")
    await bookings.mark_failed(failed, "creating the event failed")
    before_any = datetime.now(UTC) - timedelta(hours=1)

    assert await bookings.list_stuck(before_any) == []
    assert [b.id for b in await bookings.list_stuck(_after_now())] == [stuck]
    assert await BookingRepository(db, TENANT_B).list_stuck(_after_now()) == []


async def test_tenants_with_stuck_bookings_names_each_tenant_once(db: Database) -> None:
    await _reserve(BookingRepository(db, TENANT_B), "one")
    await _reserve(BookingRepository(db, TENANT_B), "two")
    confirmed_only = BookingRepository(db, TENANT_A)
    await confirmed_only.confirm(await _reserve(confirmed_only, "done"), "AAMk-2", None, None)

    assert await tenants_with_stuck_bookings(db, _after_now()) == [TENANT_B]
    assert await tenants_with_stuck_bookings(db, datetime.now(UTC) - timedelta(hours=1)) == []


async def test_a_claim_makes_the_row_fresh_so_nobody_else_claims_it(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking_id, reserved_at = await _reserved_at(bookings, "k")

    claimed = await bookings.claim_stuck(booking_id, reserved_at)
    assert claimed is not None and claimed.status == "reserved"
    # The claim moved updated_at past the cutoff: as of then, the row is no longer stuck.
    assert claimed.updated_at > reserved_at
    assert await bookings.claim_stuck(booking_id, reserved_at) is None
    assert await bookings.list_stuck(reserved_at) == []
    # Once that claim is itself older than the cutoff (its claimant died), the row can be claimed again.
    assert await bookings.claim_stuck(booking_id, _after_now()) is not None


async def test_a_final_booking_cannot_be_claimed(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking_id = await _reserve(bookings, "k")
    await bookings.confirm(booking_id, "AAMk-3", None, None)

    assert await bookings.claim_stuck(booking_id, _after_now()) is None
    assert await BookingRepository(db, TENANT_B).claim_stuck(booking_id, _after_now()) is None


async def test_concurrent_claims_give_the_row_to_exactly_one(database_url: str, db: Database) -> None:
    booking_id, cutoff = await _reserved_at(BookingRepository(db, TENANT_A), "k")
    others = [Database(database_url) for _ in range(4)]
    try:
        claims = await asyncio.gather(
            *(BookingRepository(other, TENANT_A).claim_stuck(booking_id, cutoff) for other in others))
    finally:
        for other in others:
            await other.dispose()

    assert len([claim for claim in claims if claim is not None]) == 1
