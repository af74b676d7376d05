"""Moves a crash left `reserved` reach a final state on their own: the same Outlook event at the new times and the
booking with them, or a failed move and the booking at its old times; the people concerned are told.

Each test books a meeting through the bot, then leaves a move of it as a crash would: the move row reserved (and
backdated past any live attempt), the event PATCHed or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dialogs.booking_recovery import COULD_NOT_CHECK, MOVE_EVENT_GONE, BookingRecovery
from graph.calendar import Caller
from storage.models import BookingMove
from storage.repositories import BookingRecord, BookingRepository, GraphCallRepository, MoveRecord
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    BookingWorld,
    book_buttons,
    card_of,
    day_form,
    meeting_day,
)
from tests.booking.recovery_helpers import backdate, claims_in_turn
from tests.harness import TeamsUser

# The worlds of this module (conftest.py) run only the start-up pass, before any booking exists.
WORLD_SETTINGS = {"booking_recovery_interval": 3600.0}
ADELES_MAILBOX = Caller.app(CONTOSO, ADELE.email)


async def _booked(world: BookingWorld) -> BookingRecord:
    """Adele books a meeting with Ben through the bot, as anyone would."""
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    slot = book_buttons(await world.find_times(ADELE, day_form(BEN, meeting_day())))[0]
    card_of(await world.bot.execute(ADELE, "book", slot))
    [booking] = await world.bookings()
    assert booking.status == "confirmed" and booking.event_id
    return booking


async def _move_left_by_a_crash(world: BookingWorld, booking: BookingRecord, *, patched: bool,
                                ago: timedelta = timedelta(minutes=20)) -> MoveRecord:
    """The state a crash leaves: the move reserved `ago` and never finished; the event moved in Outlook or not."""
    bookings = BookingRepository(world.db, CONTOSO)
    start = booking.start_utc + timedelta(hours=2)
    move, _ = await bookings.begin_move(booking.id, start, start + (booking.end_utc - booking.start_utc), "move-1")
    if patched:
        calendar = world.services.calendar
        assert calendar is not None and booking.event_id
        await calendar.move_event(ADELES_MAILBOX, booking.event_id, booking.id, move.start_utc, move.end_utc, "UTC")
    await backdate(world, BookingMove, move.id, created=ago, updated=ago)
    world.emu.clear_calls()
    world.connector.clear()
    return move


async def _now(world: BookingWorld, booking: BookingRecord, move: MoveRecord) -> tuple[BookingRecord, MoveRecord]:
    bookings = BookingRepository(world.db, CONTOSO)
    current_booking, current_move = await bookings.get(booking.id), await bookings.get_move(move.id)
    assert current_booking is not None and current_move is not None
    return current_booking, current_move


def _event_times(world: BookingWorld) -> list[tuple[datetime, datetime]]:
    return [(event.start, event.end) for event in world.emu.created_events(ADELE.email)]


def _said_to(world: BookingWorld, user: TeamsUser) -> list[str]:
    return [sent.text for sent in world.connector.messages(user.conversation_id) if sent.text]


async def test_a_move_that_never_reached_outlook_is_made_and_finished(world: BookingWorld) -> None:
    booking = await _booked(world)
    move = await _move_left_by_a_crash(world, booking, patched=False)

    assert await BookingRecovery(world.services).run_pass() == 1

    moved, done = await _now(world, booking, move)
    assert done.status == "done"
    assert (moved.start_utc, moved.end_utc, moved.event_id) == (move.start_utc, move.end_utc, booking.event_id)
    assert _event_times(world) == [(move.start_utc, move.end_utc)]  # the same event, at the new times
    assert [call.method for call in world.emu.calls_to("/events/")] == ["GET", "GET", "PATCH"]
    assert any("the move went through" in text for text in _said_to(world, ADELE))
    assert any("Adele Vance moved your meeting" in text for text in _said_to(world, BEN))
    # and the Booked card Ben was sent is updated in place, no longer showing the old time
    [bens_card] = [sent for sent in world.connector.messages(BEN.conversation_id) if sent.method == "PUT"]
    assert bens_card.activity_id == booking.attendees[0].card_activity_id is not None
    assert bens_card.cards and "Booked" in str(bens_card.cards[0])
    kinds = [call.kind for call in await GraphCallRepository(world.db, CONTOSO).list_for(BEN.aad_object_id)]
    assert "moveEvent" in kinds


async def test_a_move_that_reached_outlook_is_finished_without_a_second_change(world: BookingWorld) -> None:
    booking = await _booked(world)
    move = await _move_left_by_a_crash(world, booking, patched=True)

    assert await BookingRecovery(world.services).run_pass() == 1

    moved, done = await _now(world, booking, move)
    assert done.status == "done" and (moved.start_utc, moved.end_utc) == (move.start_utc, move.end_utc)
    assert [call.method for call in world.emu.calls_to("/events/")] == ["GET"]  # read, not changed again


async def test_a_move_of_a_meeting_gone_from_outlook_fails_and_the_booking_keeps_its_times(
    world: BookingWorld,
) -> None:
    booking = await _booked(world)
    calendar = world.services.calendar
    assert calendar is not None and booking.event_id
    await calendar.cancel_event(ADELES_MAILBOX, booking.event_id, booking.id)
    move = await _move_left_by_a_crash(world, booking, patched=False)

    assert await BookingRecovery(world.services).run_pass() == 1

    kept, failed = await _now(world, booking, move)
    assert (failed.status, failed.failure_reason) == ("failed", MOVE_EVENT_GONE)
    assert (kept.start_utc, kept.end_utc) == (booking.start_utc, booking.end_utc)
    assert [call.method for call in world.emu.calls_to("/events/")] == ["GET"]
    [told] = _said_to(world, ADELE)
    assert "couldn't finish moving your meeting with Ben Walters" in told
    assert _said_to(world, BEN) == []


async def test_a_move_still_in_progress_is_left_alone(world: BookingWorld) -> None:
    booking = await _booked(world)
    move = await _move_left_by_a_crash(world, booking, patched=False, ago=timedelta(seconds=30))

    assert await BookingRecovery(world.services).run_pass() == 0

    assert (await _now(world, booking, move))[1].status == "reserved"
    assert world.emu.calls_to("/events/") == [] and world.connector.sent == []


async def test_while_outlook_cannot_be_asked_the_move_waits_then_gives_up_and_says_so(world: BookingWorld) -> None:
    booking = await _booked(world)
    move = await _move_left_by_a_crash(world, booking, patched=False)
    world.emu.faults.fail("/events/", 503, times=None)  # Outlook is down
    recovery = BookingRecovery(world.services)

    assert await recovery.run_pass() == 0  # within the give-up time: kept, to try again
    assert (await _now(world, booking, move))[1].status == "reserved"

    await backdate(world, BookingMove, move.id, created=timedelta(hours=25), updated=timedelta(minutes=20))
    assert await recovery.run_pass() == 1

    kept, failed = await _now(world, booking, move)
    assert (failed.status, failed.failure_reason) == ("failed", COULD_NOT_CHECK)
    assert (kept.start_utc, kept.end_utc) == (booking.start_utc, booking.end_utc)
    assert any("couldn't finish moving" in text for text in _said_to(world, ADELE))


async def test_two_recoveries_at_once_settle_a_move_once(
    world_on_both: BookingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_on_both
    booking = await _booked(world)
    move = await _move_left_by_a_crash(world, booking, patched=False)
    in_turn = claims_in_turn(monkeypatch, BookingRepository, "list_stuck_moves", "claim_stuck_move", "finish_move",
                             passes=3)

    settled = await in_turn.run(BookingRecovery(world.services).run_pass for _ in range(3))

    assert sorted(settled) == [0, 0, 1]
    assert (await _now(world, booking, move))[1].status == "done"
    assert [call.method for call in world.emu.calls_to("/events/")].count("PATCH") == 1
    assert len([text for text in _said_to(world, BEN) if "moved your meeting" in text]) == 1
