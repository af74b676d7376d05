"""Bookings a crash left `reserved` reach a final state on their own, and the people concerned are told.

Each test leaves a booking as a crash would: the reservation row written (backdated past the point where a
live attempt could still be running), and the event either in Outlook or not. tests/fault/test_crash_recovery.py
gets there with a real kill -9 instead.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dialogs.booking_recovery import COULD_NOT_CHECK, NOTHING_CREATED, BookingRecovery
from graph.calendar import Caller, EventAttendee, NewEvent
from storage.models import Booking
from storage.repositories import BookingRecord, BookingRepository, GraphCallRepository
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FABRIKAM,
    FIONA,
    LAURA,
    BookingWorld,
    book_buttons,
    booking_world,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.booking.recovery_helpers import backdate, claims_in_turn
from tests.harness import TeamsUser

# The worlds of this module (conftest.py) run only the start-up pass, before any booking exists.
WORLD_SETTINGS = {"booking_recovery_interval": 3600.0}


async def _offered_slot(world: BookingWorld, organizer: TeamsUser, colleague: TeamsUser) -> dict[str, Any]:
    card = await world.find_times(organizer, day_form(colleague, meeting_day()))
    return book_buttons(card)[0]


async def _left_by_a_crash(world: BookingWorld, organizer: TeamsUser, colleague: TeamsUser, slot: dict[str, Any],
                           *, in_outlook: bool, ago: timedelta = timedelta(minutes=20)) -> BookingRecord:
    """The state a crash leaves: the row reserved `ago` and never confirmed; the event created or not."""
    start = datetime.strptime(slot["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    bookings = BookingRepository(world.db, organizer.tenant_id)
    key = f"{slot['searchId']}:{slot['slotId']}"  # what the card's button books under
    booking, _ = await bookings.reserve(organizer.aad_object_id, colleague.aad_object_id, start,
                                        start + timedelta(minutes=30), "Roadmap", key,
                                        transaction_id=f"txn-{slot['slotId']}")
    if in_outlook:
        calendar = world.services.calendar
        assert calendar is not None
        caller = (Caller.app(CONTOSO, organizer.email) if organizer.tenant_id == CONTOSO
                  else Caller.user(organizer.tenant_id, organizer.aad_object_id))
        await calendar.create_event(caller, NewEvent(
            subject=booking.subject, body_text="", start=booking.start_utc, end=booking.end_utc, time_zone="UTC",
            attendees=(EventAttendee(colleague.email, colleague.name),),
            transaction_id=booking.transaction_id or booking.id, provenance_value=booking.id))
    await backdate(world, Booking, booking.id, created=ago, updated=ago)
    world.emu.clear_calls()
    world.connector.clear()
    return booking


async def _row(world: BookingWorld, booking: BookingRecord) -> BookingRecord:
    current = await BookingRepository(world.db, booking.tenant_id).get(booking.id)
    assert current is not None
    return current


def _said_to(world: BookingWorld, user: TeamsUser) -> list[str]:
    return [sent.text for sent in world.connector.messages(user.conversation_id) if sent.text]


def _cards_to(world: BookingWorld, user: TeamsUser) -> list[str]:
    return [card_text(card) for sent in world.connector.messages(user.conversation_id) for card in sent.cards]


async def _connected(world: BookingWorld) -> dict[str, Any]:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    return await _offered_slot(world, ADELE, BEN)


async def test_an_event_that_reached_outlook_is_confirmed_and_both_are_told(world: BookingWorld) -> None:
    booking = await _left_by_a_crash(world, ADELE, BEN, await _connected(world), in_outlook=True)

    assert await BookingRecovery(world.services).run_pass() == 1

    [event] = world.emu.created_events(ADELE.email)
    confirmed = await _row(world, booking)
    assert (confirmed.status, confirmed.event_id, confirmed.join_url) == ("confirmed", event.immutable_id,
                                                                         event.join_url)
    [lookup] = world.emu.calls_to("/events")
    assert (lookup.method, lookup.mailbox, lookup.user_oid) == ("GET", ADELE.email, None)  # the app, her mailbox
    assert any("went through" in text for text in _said_to(world, ADELE))
    assert [booking.id in card for card in _cards_to(world, ADELE)] == [True]
    assert [booking.id in card for card in _cards_to(world, BEN)] == [True]
    # It is a meeting like any other now: listed, and the look at Adele's calendar is on her privacy list.
    world.connector.clear()
    await world.bot.say(ADELE, "my meetings")
    assert any("Roadmap" in card for card in _cards_to(world, ADELE))
    kinds = [call.kind for call in await GraphCallRepository(world.db, CONTOSO).list_for(ADELE.aad_object_id)]
    assert "findEvent" in kinds
    await world.bot.say(ADELE, "privacy")
    assert any("looked for a meeting it was creating when it was interrupted" in card
               for card in _cards_to(world, ADELE))


async def test_a_booking_that_never_reached_outlook_is_failed_and_the_organizer_told(world: BookingWorld) -> None:
    slot = await _connected(world)
    booking = await _left_by_a_crash(world, ADELE, BEN, slot, in_outlook=False)

    assert await BookingRecovery(world.services).run_pass() == 1

    failed = await _row(world, booking)
    assert (failed.status, failed.failure_reason) == ("failed", NOTHING_CREATED)
    assert world.emu.created_events(ADELE.email) == []
    [told] = _said_to(world, ADELE)
    assert "nothing was created in Outlook" in told and "Ben Walters" in told
    assert world.connector.messages(BEN.conversation_id) == []
    # The same button books it now, once.
    retried = card_of(await world.bot.execute(ADELE, "book", slot))
    assert booking.id in card_text(retried)
    assert len(world.emu.created_events(ADELE.email)) == 1


async def test_a_second_click_settles_a_stuck_booking_at_once(world: BookingWorld) -> None:
    slot = await _connected(world)
    booking = await _left_by_a_crash(world, ADELE, BEN, slot, in_outlook=True)

    answer = card_of(await world.bot.execute(ADELE, "book", slot))

    assert booking.id in card_text(answer) and "still booking" not in card_text(answer)
    assert (await _row(world, booking)).status == "confirmed"
    assert len(world.emu.created_events(ADELE.email)) == 1
    assert [c.method for c in world.emu.calls_to("/events")] == ["GET"]  # found, not created again
    assert _said_to(world, ADELE) == []  # she has her answer in the card
    assert [booking.id in card for card in _cards_to(world, BEN)] == [True]


async def test_a_second_click_on_a_stuck_booking_with_no_event_says_nothing_was_created(world: BookingWorld) -> None:
    slot = await _connected(world)
    booking = await _left_by_a_crash(world, ADELE, BEN, slot, in_outlook=False)

    answer = await world.bot.execute(ADELE, "book", slot)

    assert "nothing was created in Outlook" in str(answer["value"])
    assert (await _row(world, booking)).status == "failed"


async def test_a_booking_still_in_progress_is_left_alone(world: BookingWorld) -> None:
    booking = await _left_by_a_crash(world, ADELE, BEN, await _connected(world), in_outlook=False,
                                     ago=timedelta(seconds=30))

    assert await BookingRecovery(world.services).run_pass() == 0

    assert (await _row(world, booking)).status == "reserved"
    assert world.emu.calls_to("/events") == [] and world.connector.sent == []


async def test_individual_mode_asks_with_the_organizers_own_sign_in_only(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, "delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(FIONA)
    await world.connect_calendar(LAURA)
    booking = await _left_by_a_crash(world, FIONA, LAURA, await _offered_slot(world, FIONA, LAURA),
                                     in_outlook=True)

    assert await BookingRecovery(world.services).run_pass() == 1

    assert (await _row(world, booking)).status == "confirmed"
    [lookup] = world.emu.calls_to("/events")
    assert (lookup.path, lookup.user_oid) == ("/v1.0/me/events", FIONA.aad_object_id)


async def test_without_the_organizers_sign_in_it_waits_then_gives_up_and_says_so(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, "delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(LAURA)  # the colleague's sign-in is there, and must not be used
    start = datetime.combine(meeting_day(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    slot = {"searchId": "s-1", "slotId": start.strftime("%Y%m%dT%H%MZ")}
    booking = await _left_by_a_crash(world, FIONA, LAURA, slot, in_outlook=False)
    recovery = BookingRecovery(world.services)

    assert await recovery.run_pass() == 0  # within the give-up time: kept, to try again
    assert (await _row(world, booking)).status == "reserved"
    assert world.emu.calls_to("/events") == [] and world.connector.sent == []

    await backdate(world, Booking, booking.id, created=timedelta(hours=25), updated=timedelta(minutes=20))
    assert await recovery.run_pass() == 1

    failed = await _row(world, booking)
    assert (failed.status, failed.failure_reason) == ("failed", COULD_NOT_CHECK)
    [told] = _said_to(world, FIONA)
    assert "couldn't reach your Outlook calendar" in told
    assert world.emu.calls_to("/events") == []


async def test_a_second_click_when_outlook_cannot_be_asked_says_so_at_once(world: BookingWorld) -> None:
    slot = await _connected(world)
    booking = await _left_by_a_crash(world, ADELE, BEN, slot, in_outlook=True)
    world.emu.faults.fail("/events", 503, times=None)  # Outlook is down

    answer = await world.bot.execute(ADELE, "book", slot)

    assert "can't reach your Outlook calendar right now" in str(answer["value"])
    assert (await _row(world, booking)).status == "reserved"  # a later pass will know
    world.emu.faults.clear()
    await backdate(world, Booking, booking.id, created=timedelta(minutes=30), updated=timedelta(minutes=20))
    assert await BookingRecovery(world.services).run_pass() == 1
    assert any("went through" in text for text in _said_to(world, ADELE))


async def test_two_recoveries_at_once_settle_a_booking_once(
    world_on_both: BookingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_on_both
    booking = await _left_by_a_crash(world, ADELE, BEN, await _connected(world), in_outlook=True)
    # The interleaving that used to count it twice: every pass lists the booking as stuck, one claims and
    # confirms it, and only then do the others try to claim it.
    in_turn = claims_in_turn(monkeypatch, BookingRepository, "list_stuck", "claim_stuck", "confirm", passes=3)

    settled = await in_turn.run(BookingRecovery(world.services).run_pass for _ in range(3))

    assert sorted(settled) == [0, 0, 1]
    assert (await _row(world, booking)).status == "confirmed"
    assert len(_cards_to(world, BEN)) == 1 and len([t for t in _said_to(world, ADELE) if "went through" in t]) == 1


async def test_the_running_bot_settles_stuck_bookings_on_its_own(sqlite_url: str, tmp_path: Path) -> None:
    async for world in booking_world(sqlite_url, tmp_path, booking_recovery_interval=0.1):
        booking = await _left_by_a_crash(world, ADELE, BEN, await _connected(world), in_outlook=True)

        async with asyncio.timeout(20):  # the row is confirmed first, then both people are told
            while not _cards_to(world, BEN):  # noqa: ASYNC110 - what the Bot Connector received, polled
                await asyncio.sleep(0.05)

        assert (await _row(world, booking)).status == "confirmed"
        assert [booking.id in card for card in _cards_to(world, BEN)] == [True]
