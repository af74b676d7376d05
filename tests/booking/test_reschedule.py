"""Moving a meeting (issue 11): "Find another time" moves the same Outlook event once, as its organizer, and tells
the colleague; an attendee cannot move it; a cancelled meeting or a time taken meanwhile moves nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import update

import dialogs.booking.common
from dialogs.booking import resume_after_sign_in
from graph.calendar import Caller
from scheduling.slots import is_slot_still_free
from storage.models import BookingMove
from storage.repositories import BookingRecord, BookingRepository, ConsentRepository
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FABRIKAM,
    FIONA,
    LAURA,
    BookingWorld,
    all_actions,
    answer_yes,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    message_of,
    slot_facts,
)
from tests.harness import TeamsUser


async def _booked(world: BookingWorld, organizer: TeamsUser = ADELE, colleague: TeamsUser = BEN
                  ) -> tuple[BookingRecord, dict[str, Any]]:
    """The organizer books the first suggested time; returns the booking and the organizer's Booked card."""
    card = await world.find_times(organizer, day_form(colleague, meeting_day(), subject="Roadmap"))
    booked = card_of(await world.bot.execute(organizer, "book", book_buttons(card)[0]))
    [booking] = await world.bookings(organizer.tenant_id)
    assert booking.status == "confirmed"
    return booking, booked


async def _adele_booked_ben(world: BookingWorld) -> tuple[BookingRecord, dict[str, Any]]:
    """Domain-wide: Adele books Ben at the first suggested time."""
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    return await _booked(world)


def _verbs(card: dict[str, Any]) -> list[str]:
    return [action["verb"] for action in all_actions(card) if action.get("verb")]


def _button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    data: dict[str, Any] = next(action["data"] for action in all_actions(card) if action.get("verb") == verb)
    return data


def _move_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [action["data"] for action in all_actions(card) if action.get("verb") == "moveToSlot"]


def _start_of(slot: dict[str, Any]) -> datetime:
    return datetime.strptime(slot["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def _patches(world: BookingWorld) -> list[Any]:
    return [call for call in world.emu.calls if call.method == "PATCH"]


async def _other_times(world: BookingWorld, organizer: TeamsUser, booked: dict[str, Any]) -> dict[str, Any]:
    return card_of(await world.bot.execute(organizer, "findAnotherTime", _button(booked, "findAnotherTime")))


async def _free(world: BookingWorld, person: TeamsUser, start: datetime, end: datetime) -> bool:
    """The person's free/busy for [start, end), read through Graph's getSchedule as the app."""
    calendar = world.services.calendar
    assert calendar is not None
    availability = await calendar.get_schedule(Caller.app(person.tenant_id, person.email), [person.email], start, end)
    return is_slot_still_free(start, end, list(availability.values()))


async def test_moving_changes_the_same_event_once_on_a_double_click_and_tells_the_colleague(
    world_on_both: BookingWorld,
) -> None:
    world = world_on_both
    booking, booked = await _adele_booked_ben(world)
    [event] = world.emu.created_events(ADELE.email)
    world.emu.clear_calls()

    suggestions = await _other_times(world, ADELE, booked)
    slots = _move_buttons(suggestions)
    assert "Move your meeting with Ben Walters" in card_text(suggestions)
    assert slots and book_buttons(suggestions) == []
    assert booking.start_utc not in [_start_of(slot) for slot in slots], "its own time is not offered"
    chosen = slots[0]
    new_start = _start_of(chosen)
    new_end = new_start + (booking.end_utc - booking.start_utc)
    bens_label = dict(slot_facts(suggestions)[0])["Ben Walters"]

    one, two = await asyncio.gather(world.bot.execute(ADELE, "moveToSlot", chosen),
                                    world.bot.execute(ADELE, "moveToSlot", chosen))
    three = card_of(await world.bot.execute(ADELE, "moveToSlot", chosen))  # later, a third time

    assert len(_patches(world)) == 1
    [moved_event] = world.emu.created_events(ADELE.email)
    assert moved_event.id == event.id and moved_event.join_url == event.join_url
    assert (moved_event.start, moved_event.end) == (new_start, new_end)
    [moved] = await world.bookings()
    assert (moved.id, moved.start_utc, moved.end_utc, moved.join_url) == (booking.id, new_start, new_end,
                                                                          booking.join_url)
    for response in (card_of(one), card_of(two), three):
        assert "Booked: Roadmap" in card_text(response) and bens_label in card_text(response)
    assert not await _free(world, BEN, new_start, new_end)
    assert await _free(world, BEN, booking.start_utc, booking.end_utc)
    told = [sent for sent in world.proactive_to(BEN) if "moved this meeting" in card_text(sent.cards[0])]
    assert len(told) == 1 and bens_label in card_text(told[0].cards[0])
    await world.bot.say(BEN, "my meetings")  # his list finds his own copy at the new time
    bens_list = card_text(world.connector.messages(BEN.conversation_id)[-1].cards[0])
    assert bens_label in bens_list and "You: none yet" in bens_list


async def test_an_attendee_cannot_move_the_meeting(world: BookingWorld) -> None:
    booking, booked = await _adele_booked_ben(world)
    invitation = world.proactive_to(BEN)[-1].cards[0]
    adeles_move = _move_buttons(await _other_times(world, ADELE, booked))[0]
    await world.bot.say(BEN, "my meetings")
    bens_list = world.connector.messages(BEN.conversation_id)[-1].cards[0]
    await world.bot.say(ADELE, "my meetings")
    adeles_list = world.connector.messages(ADELE.conversation_id)[-1].cards[0]

    assert "findAnotherTime" in _verbs(booked) and "findAnotherTime" in _verbs(adeles_list)
    assert "findAnotherTime" not in _verbs(invitation) and "findAnotherTime" not in _verbs(bens_list)
    asked = message_of(await world.bot.execute(BEN, "findAnotherTime", {"bookingId": booking.id}))
    forged = message_of(await world.bot.execute(BEN, "moveToSlot", adeles_move))

    for refusal in (asked, forged):
        assert "Only Adele Vance" in refusal and "Propose new time" in refusal
    assert _patches(world) == []
    [event] = world.emu.created_events(ADELE.email)
    assert (event.start, event.end) == (booking.start_utc, booking.end_utc)
    assert await world.bookings() == [booking]


async def test_a_cancelled_meeting_cannot_be_moved(world: BookingWorld) -> None:
    booking, booked = await _adele_booked_ben(world)
    move = _move_buttons(await _other_times(world, ADELE, booked))[0]
    await answer_yes(world.bot, ADELE, {"verb": "cancelBooking", "data": {"bookingId": booking.id}})

    clicked = message_of(await world.bot.execute(ADELE, "moveToSlot", move))
    asked = message_of(await world.bot.execute(ADELE, "findAnotherTime", {"bookingId": booking.id}))

    for refusal in (clicked, asked):
        assert "was cancelled, so it cannot be moved" in refusal
    assert _patches(world) == []
    [cancelled] = await world.bookings()
    assert (cancelled.status, cancelled.start_utc) == ("cancelled", booking.start_utc)


async def test_a_meeting_under_way_cannot_be_moved(world: BookingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    booking, booked = await _adele_booked_ben(world)
    started = booking.start_utc + timedelta(minutes=5)
    monkeypatch.setattr(dialogs.booking.common, "now", lambda: started)

    refused = message_of(await world.bot.execute(ADELE, "findAnotherTime", _button(booked, "findAnotherTime")))

    assert "already started or is over, so it can no longer be moved" in refused
    assert _patches(world) == [] and await world.bookings() == [booking]


async def test_a_time_taken_meanwhile_brings_fresh_times_and_leaves_the_meeting(world: BookingWorld) -> None:
    booking, booked = await _adele_booked_ben(world)
    move = _move_buttons(await _other_times(world, ADELE, booked))[0]
    start = _start_of(move)
    world.emu.add_busy(BEN.email, start, start + timedelta(minutes=30))

    fresh = card_of(await world.bot.execute(ADELE, "moveToSlot", move))

    assert "That time was taken in the meantime" in card_text(fresh)
    assert _move_buttons(fresh) and move["slotId"] not in [slot["slotId"] for slot in _move_buttons(fresh)]
    assert _patches(world) == []
    [event] = world.emu.created_events(ADELE.email)
    assert (event.start, event.end) == (booking.start_utc, booking.end_utc)
    assert await world.bookings() == [booking]


async def test_in_individual_mode_the_organizer_moves_with_their_own_token(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(FIONA)
    booking, booked = await _booked(world, FIONA, LAURA)
    world.emu.clear_calls()

    move = _move_buttons(await _other_times(world, FIONA, booked))[0]
    moved = card_of(await world.bot.execute(FIONA, "moveToSlot", move))

    assert "Booked: Roadmap" in card_text(moved)
    [patch] = _patches(world)
    assert patch.token_subject == FIONA.aad_object_id and patch.path.startswith("/v1.0/me/events/")
    graph_calls = [call for call in world.emu.calls if call.path.startswith("/v1.0/")]
    assert {call.token_subject for call in graph_calls} == {FIONA.aad_object_id}
    [event] = world.emu.created_events(FIONA.email)
    assert event.start == _start_of(move)
    assert any("moved this meeting" in card_text(sent.cards[0]) for sent in world.proactive_to(LAURA))


async def test_a_move_interrupted_before_it_was_recorded_is_finished_by_the_same_click(
    world_on_both: BookingWorld,
) -> None:
    world = world_on_both
    booking, booked = await _adele_booked_ben(world)
    move = _move_buttons(await _other_times(world, ADELE, booked))[0]
    start = _start_of(move)
    end = start + (booking.end_utc - booking.start_utc)
    bookings = BookingRepository(world.db, CONTOSO)
    # The process died after reserving the move (same key as the click), long enough ago to be stuck.
    reserved, _ = await bookings.begin_move(booking.id, start, end, f"move:{move['searchId']}:{move['slotId']}")
    async with world.db.session() as session:
        await session.execute(update(BookingMove).where(BookingMove.id == reserved.id)
                              .values(updated_at=datetime.now(UTC) - timedelta(hours=1)))

    finished = card_of(await world.bot.execute(ADELE, "moveToSlot", move))

    assert "Booked: Roadmap" in card_text(finished)
    assert len(_patches(world)) == 1
    [event] = world.emu.created_events(ADELE.email)
    assert (event.start, event.end) == (start, end)
    assert (await bookings.get_move(reserved.id)).status == "done"  # type: ignore[union-attr]
    [moved] = await world.bookings()
    assert (moved.start_utc, moved.end_utc) == (start, end)
    assert any("moved this meeting" in card_text(sent.cards[0]) for sent in world.proactive_to(BEN))


async def test_a_sign_in_needed_first_resumes_the_search_for_moving_not_a_new_booking(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(FIONA)
    booking, booked = await _booked(world, FIONA, LAURA)
    world.emu.revoke_refresh_tokens(FABRIKAM, FIONA.aad_object_id)
    world.emu.expire_tokens()

    sign_in = await _other_times(world, FIONA, booked)

    [link] = [action["url"] for action in all_actions(sign_in) if action["type"] == "Action.OpenUrl"]
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    waiting = (await ConsentRepository(world.db).consume(state)).payload["resume"]
    await world.connect_calendar(FIONA)
    assert await resume_after_sign_in(world.services, FABRIKAM, FIONA.aad_object_id, waiting)

    resumed = world.proactive_to(FIONA)[-1].cards[0]
    assert "Move your meeting with Laura Novak" in card_text(resumed)
    assert _move_buttons(resumed) and book_buttons(resumed) == []
    assert await world.bookings(FABRIKAM) == [booking]


async def test_outlook_refusing_the_move_leaves_the_meeting_as_it_was(world: BookingWorld) -> None:
    booking, booked = await _adele_booked_ben(world)
    move = _move_buttons(await _other_times(world, ADELE, booked))[0]
    world.emu.faults.fail("/events", 403, method="PATCH", times=None)

    refused = message_of(await world.bot.execute(ADELE, "moveToSlot", move))
    again = message_of(await world.bot.execute(ADELE, "moveToSlot", move))

    assert "The meeting keeps its time: nothing was changed." in refused
    assert "failed a moment ago, and it kept its time" in again
    [event] = world.emu.created_events(ADELE.email)
    assert (event.start, event.end) == (booking.start_utc, booking.end_utc)
    assert await world.bookings() == [booking]
    assert not any("moved this meeting" in card_text(sent.cards[0]) for sent in world.proactive_to(BEN))


async def test_no_answer_from_outlook_keeps_the_move_open_rather_than_guessing(world: BookingWorld) -> None:
    booking, booked = await _adele_booked_ben(world)
    move = _move_buttons(await _other_times(world, ADELE, booked))[0]
    world.emu.faults.drop_response("/events", method="PATCH", times=None)  # Outlook may have moved it

    unsettled = message_of(await world.bot.execute(ADELE, "moveToSlot", move))

    assert "can't tell yet whether the meeting moved" in unsettled
    move_key = f"move:{move['searchId']}:{move['slotId']}"
    reserved = await BookingRepository(world.db, CONTOSO).get_move_by_key(move_key)
    assert reserved is not None and reserved.status == "reserved", "left for the retry or the recovery to settle"
    assert await world.bookings() == [booking]
