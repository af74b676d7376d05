"""Several attendees per booking, each required or optional: stored with the booking, returned in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy import inspect as sa_inspect

from storage.database import Database
from storage.models import Attendance, Booking
from storage.repositories import MAX_ATTENDEES, BookingAttendee, BookingRepository

TENANT_A = "aaaaaaaa-0000-0000-0000-00000000000a"
TENANT_B = "bbbbbbbb-0000-0000-0000-00000000000b"
ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"
CAROL = "33333333-3333-3333-3333-333333333333"
DAVE = "44444444-4444-4444-4444-444444444444"
ERIN = "55555555-5555-5555-5555-555555555555"
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
END = START + timedelta(minutes=30)

# Three required colleagues and one optional one, in the order the organizer picked them.
TEAM = (BookingAttendee(BOB), BookingAttendee(CAROL), BookingAttendee(DAVE), BookingAttendee(ERIN, required=False))


async def _reserve_team(repo: BookingRepository, key: str = "team-sync"):
    return await repo.reserve(ALICE, BOB, START, END, "Team sync", key, attendees=TEAM)


async def test_a_booking_keeps_its_attendees_in_order_with_who_is_optional(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking, created = await _reserve_team(bookings)

    assert created and booking.attendees == TEAM and booking.attendee_oid == BOB
    assert (await bookings.get(booking.id)).attendees == TEAM  # type: ignore[union-attr]
    assert (await bookings.get_by_key("team-sync")).attendees == TEAM  # type: ignore[union-attr]
    assert [b.attendees for b in await bookings.list_all()] == [TEAM]
    assert (await bookings.confirm(booking.id, "AAMk-1", None, None)).attendees == TEAM


async def test_without_an_attendee_list_the_one_attendee_is_required(db: Database) -> None:
    booking, _ = await BookingRepository(db, TENANT_A).reserve(ALICE, BOB, START, END, "1:1", "one")
    assert booking.attendees == (BookingAttendee(BOB, required=True),)


async def test_the_same_key_again_returns_the_first_booking_and_its_attendees(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    first, _ = await _reserve_team(bookings)
    again, created = await bookings.reserve(ALICE, CAROL, START, END, "Other", "team-sync",
                                            attendees=[BookingAttendee(CAROL)])
    assert created is False and again == first and again.attendees == TEAM


async def test_concurrent_reserves_with_one_key_write_one_set_of_attendees(database_url: str, db: Database) -> None:
    other_process = Database(database_url)
    try:
        repos = [BookingRepository(db, TENANT_A), BookingRepository(other_process, TENANT_A)] * 3
        results = await asyncio.gather(*(_reserve_team(repo) for repo in repos))
        assert sum(created for _, created in results) == 1
        assert {booking.attendees for booking, _ in results} == {TEAM}
        async with db.session() as session:
            assert len(list(await session.scalars(select(Attendance)))) == len(TEAM)
    finally:
        await other_process.dispose()


@pytest.mark.parametrize(
    ("attendee_oid", "attendees", "message"),
    [
        (BOB, [BookingAttendee(BOB), BookingAttendee(CAROL), BookingAttendee(BOB, required=False)],
         "listed more than once"),
        (BOB, [BookingAttendee(BOB), BookingAttendee(ALICE.upper())], "organizer .* cannot also be an attendee"),
        (ALICE, [], "organizer .* cannot also be an attendee"),
        (CAROL, [BookingAttendee(BOB), BookingAttendee(CAROL)], "first attendee must be attendee_oid"),
        (BOB, [BookingAttendee(BOB), BookingAttendee(" ")], "object id is empty"),
        (f"{0:036d}", [BookingAttendee(f"{n:036d}") for n in range(MAX_ATTENDEES + 1)],
         f"at most {MAX_ATTENDEES} attendees"),
    ],
)
async def test_bad_attendee_lists_are_refused_and_nothing_is_written(
    db: Database, attendee_oid: str, attendees: list[BookingAttendee], message: str
) -> None:
    bookings = BookingRepository(db, TENANT_A)
    with pytest.raises(ValueError, match=message):
        await bookings.reserve(ALICE, attendee_oid, START, END, "x", "k", attendees=attendees)
    assert await bookings.list_all() == []


async def test_nineteen_attendees_fit(db: Database) -> None:
    everyone = [BookingAttendee(f"{n:036d}") for n in range(MAX_ATTENDEES)]
    booking, _ = await BookingRepository(db, TENANT_A).reserve(ALICE, everyone[0].oid, START, END, "All hands", "k",
                                                               attendees=everyone)
    assert booking.attendees == tuple(everyone)


async def test_a_failed_attendee_write_leaves_no_booking(db: Database) -> None:
    # An attendee row that cannot be written (here: the same person twice, past validation) takes the booking
    # with it: all or nothing.
    bookings = BookingRepository(db, TENANT_A)
    twice = [BookingAttendee(BOB), BookingAttendee(CAROL), BookingAttendee(CAROL)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("storage.repositories._checked_attendees", lambda organizer, first, given: tuple(given))
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            await bookings.reserve(ALICE, BOB, START, END, "x", "k", attendees=twice)
    assert await bookings.list_all() == []


async def test_an_optional_attendee_finds_the_meeting_among_theirs(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    team, _ = await _reserve_team(bookings)
    own, _ = await bookings.reserve(CAROL, DAVE, START, END, "Not Erin's", "other")
    day_before = START - timedelta(days=1)

    assert [b.id for b in await bookings.list_for_member(ERIN, now=day_before)] == [team.id]
    assert {b.id for b in await bookings.list_for_member(CAROL, now=day_before)} == {team.id, own.id}
    assert await BookingRepository(db, TENANT_B).list_for_member(ERIN, upcoming_only=False) == []


async def test_cancelling_keeps_the_attendees_and_deleting_the_booking_removes_them(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking, _ = await _reserve_team(bookings)
    assert (await bookings.cancel(booking.id)).attendees == TEAM

    async with db.session() as session:
        await session.execute(delete(Booking).where(Booking.id == booking.id))
    async with db.session() as session:
        assert list(await session.scalars(select(Attendance))) == []


async def test_a_booking_without_attendee_rows_has_its_attendee_oid(db: Database) -> None:
    # Rows written by a version of the bot from before attendee lists (during a rolling upgrade).
    bookings = BookingRepository(db, TENANT_A)
    booking, _ = await _reserve_team(bookings)
    async with db.session() as session:
        await session.execute(delete(Attendance))
    assert (await bookings.get(booking.id)).attendees == (BookingAttendee(BOB),)  # type: ignore[union-attr]
    assert [b.id for b in await bookings.list_for_member(BOB, upcoming_only=False)] == [booking.id]


async def test_migration_0004_gives_every_existing_booking_its_attendee(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate("0003")
        async with db.engine.begin() as connection:
            for number, (tenant, organizer, attendee) in enumerate(
                [(TENANT_A, ALICE, BOB), (TENANT_A, BOB, CAROL), (TENANT_B, ALICE, DAVE)]
            ):
                await connection.execute(
                    text(
                        "INSERT INTO bookings (id, tenant_id, organizer_oid, attendee_oid, start_utc, end_utc, subject,"
                        " idempotency_key, status, created_at, updated_at)"
                        " VALUES (:id, :tenant, :organizer, :attendee, :start, :end, 'Sync', :key, 'confirmed',"
                        " :start, :start)"
                    ),
                    {"id": f"booking-{number}", "tenant": tenant, "organizer": organizer, "attendee": attendee,
                     "start": START.replace(tzinfo=None), "end": END.replace(tzinfo=None), "key": f"key-{number}"},
                )
        await db.migrate()

        first = await BookingRepository(db, TENANT_A).get("booking-0")
        assert first is not None and first.attendees == (BookingAttendee(BOB, required=True),)
        async with db.session() as session:
            rows = {(a.tenant_id, a.booking_id, a.attendee_oid, a.required, a.position)
                    for a in await session.scalars(select(Attendance))}
        assert rows == {(TENANT_A, "booking-0", BOB, True, 0), (TENANT_A, "booking-1", CAROL, True, 0),
                        (TENANT_B, "booking-2", DAVE, True, 0)}
        assert [b.id for b in await BookingRepository(db, TENANT_A).list_for_member(CAROL, upcoming_only=False)] == [
            "booking-1"]
    finally:
        await db.dispose()


async def test_each_attendee_keeps_the_card_they_were_sent(db: Database) -> None:
    bookings = BookingRepository(db, TENANT_A)
    booking, _ = await _reserve_team(bookings)
    await bookings.set_attendee_card(booking.id, CAROL, "activity-carol", "a:chat-carol")
    await BookingRepository(db, TENANT_B).set_attendee_card(booking.id, BOB, "activity-elsewhere", "a:other")

    stored = await bookings.get(booking.id)
    assert stored is not None
    cards = {a.oid: (a.card_activity_id, a.conversation_id) for a in stored.attendees}
    assert cards == {BOB: (None, None), CAROL: ("activity-carol", "a:chat-carol"), DAVE: (None, None),
                     ERIN: (None, None)}
    assert stored.attendees == TEAM  # the same people, invited the same way, whatever cards they were sent


async def test_migration_0005_adds_attendee_cards_and_goes_back(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate("0004")
        async with db.engine.begin() as connection:  # a booking written while attendees had no card columns
            await connection.execute(
                text(
                    "INSERT INTO bookings (id, tenant_id, organizer_oid, attendee_oid, start_utc, end_utc, subject,"
                    " idempotency_key, status, created_at, updated_at)"
                    " VALUES ('booking-0', :tenant, :organizer, :attendee, :start, :end, 'Sync', 'key-0',"
                    " 'confirmed', :start, :start)"
                ),
                {"tenant": TENANT_A, "organizer": ALICE, "attendee": BOB, "start": START.replace(tzinfo=None),
                 "end": END.replace(tzinfo=None)},
            )
            await connection.execute(
                text("INSERT INTO booking_attendees (booking_id, attendee_oid, tenant_id, required, position)"
                     " VALUES ('booking-0', :attendee, :tenant, :required, 0)"),
                {"attendee": BOB, "tenant": TENANT_A, "required": True},
            )
        await db.migrate()

        bookings = BookingRepository(db, TENANT_A)
        before = await bookings.get("booking-0")
        assert before is not None and before.attendees[0].card_activity_id is None
        await bookings.set_attendee_card("booking-0", BOB, "activity-bob", "a:chat-bob")
        after = await bookings.get("booking-0")
        assert after is not None and after.attendees[0].card_activity_id == "activity-bob"
        assert after.attendees[0].conversation_id == "a:chat-bob"

        await db.downgrade("0004")
        async with db.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa_inspect(sync).get_columns("booking_attendees")})
        assert "card_activity_id" not in columns and "conversation_id" not in columns
        await db.migrate()
        assert (await bookings.get("booking-0")).attendees == (BookingAttendee(BOB),)  # type: ignore[union-attr]
    finally:
        await db.dispose()
