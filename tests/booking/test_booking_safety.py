"""One event per booking whatever the clicks; stale, foreign or altered card payloads book nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import dialogs.booking.common
from tests.booking.conftest import (
    ADELE,
    BEN,
    EASTERN,
    PACIFIC,
    BookingWorld,
    at,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    message_of,
    slot_facts,
)
from tests.harness import TeamsUser


async def _suggested(world: BookingWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day()))
    return card, book_buttons(card)[0]


async def test_a_second_click_returns_the_same_confirmation_and_no_second_event(world: BookingWorld) -> None:
    _, first = await _suggested(world)

    one = card_of(await world.bot.execute(ADELE, "book", first))
    two = card_of(await world.bot.execute(ADELE, "book", first))
    await world.bot.submit(ADELE, {"verb": "book", **first})  # the Action.Submit fallback, a third time

    assert one == two
    assert len(world.emu.created_events(ADELE.email)) == 1
    assert len([c for c in world.emu.calls_to("/events") if c.method == "POST"]) == 1
    assert len(await world.bookings()) == 1
    assert len(world.proactive_to(BEN)) == 1


async def test_two_devices_clicking_at_once_create_one_event(world_on_both: BookingWorld) -> None:
    world = world_on_both
    _, first = await _suggested(world)

    one, two = await asyncio.gather(world.bot.execute(ADELE, "book", first),
                                    world.bot.execute(ADELE, "book", first))

    assert len(world.emu.created_events(ADELE.email)) == 1
    [booking] = await world.bookings()
    assert booking.status == "confirmed"
    for response in (one, two):
        assert booking.id in card_text(card_of(response))
    assert not any("went wrong" in message.text for message in world.connector.messages())


async def test_a_slot_taken_meanwhile_brings_fresh_suggestions(world: BookingWorld) -> None:
    _, first = await _suggested(world)
    start = datetime.strptime(first["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    world.emu.add_busy(BEN.email, start, start + timedelta(minutes=30))

    fresh = card_of(await world.bot.execute(ADELE, "book", first))

    assert "That time was taken in the meantime" in card_text(fresh)
    assert first["slotId"] not in [data["slotId"] for data in book_buttons(fresh)]
    assert world.emu.created_events(ADELE.email) == []
    assert await world.bookings() == []


async def test_an_unreadable_calendar_marks_slots_unverified(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    world.emu.faults.schedule_error(BEN.email)
    day = meeting_day()
    world.emu.add_busy(BEN.email, at(day, 9, 0, EASTERN), at(day, 17, 30, EASTERN))  # cannot be seen

    card = await world.find_times(ADELE, day_form(BEN, day))

    text = card_text(card)
    assert "I couldn't read Ben Walters's calendar" in text
    assert text.count("Unverified: Ben Walters's calendar could not be read") == len(slot_facts(card)) > 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: {**data, "slotId": "20300101T0900Z"}, "was not one I offered"),
        (lambda data: {**data, "searchId": "made-up"}, "don't know those times"),
        (lambda data: {"verb": "book", "searchId": data["searchId"]}, "did not say which time"),
        (lambda data: {"verb": "book"}, "missing what I need"),
    ],
    ids=["slot-not-offered", "unknown-search", "missing-slot", "missing-everything"],
)
async def test_altered_payloads_book_nothing(world: BookingWorld, change: Any, expected: str) -> None:
    _, first = await _suggested(world)

    reply = message_of(await world.bot.execute(ADELE, "book", change(first)))

    assert expected in reply
    assert world.emu.created_events(ADELE.email) == []
    assert await world.bookings() == []


async def test_someone_else_cannot_book_times_offered_to_another_person(world: BookingWorld) -> None:
    group_chat = "19:group-chat@thread.v2"
    adele = TeamsUser(ADELE.tenant_id, ADELE.aad_object_id, ADELE.name, ADELE.email, ADELE.time_zone,
                      conversation_id=group_chat)
    ben = TeamsUser(BEN.tenant_id, BEN.aad_object_id, BEN.name, BEN.email, BEN.time_zone, conversation_id=group_chat)
    await world.set_up_tenant()
    await world.meet(adele, ben)
    card = await world.find_times(adele, day_form(ben, meeting_day()))

    reply = message_of(await world.bot.execute(ben, "book", book_buttons(card)[0]))

    assert "offered to someone else" in reply
    assert world.emu.created_events(ADELE.email) == [] and world.emu.created_events(BEN.email) == []


async def test_times_older_than_fifteen_minutes_are_refused(world: BookingWorld,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _, first = await _suggested(world)
    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr(dialogs.booking.common, "now", lambda: later)

    reply = message_of(await world.bot.execute(ADELE, "book", first))

    assert "more than 15 minutes old" in reply
    assert world.emu.created_events(ADELE.email) == []


async def test_a_time_offered_as_unverified_can_still_be_booked(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    world.emu.faults.schedule_error(BEN.email)
    day = meeting_day()
    world.emu.add_busy(ADELE.email, at(day, 8, 0, PACIFIC), at(day, 9, 0, PACIFIC))
    card = await world.find_times(ADELE, day_form(BEN, day))

    confirmation = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))

    assert "Booked:" in card_text(confirmation)
    assert len(world.emu.created_events(ADELE.email)) == 2  # her own busy hour and the new meeting


async def test_a_late_repeat_click_still_gets_the_confirmation(world: BookingWorld,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, first = await _suggested(world)
    booked = card_of(await world.bot.execute(ADELE, "book", first))
    later = datetime.now(UTC) + timedelta(minutes=30)
    monkeypatch.setattr(dialogs.booking.common, "now", lambda: later)

    again = card_of(await world.bot.execute(ADELE, "book", first))

    assert again == booked
    assert len(world.emu.created_events(ADELE.email)) == 1


async def test_a_lost_answer_from_outlook_is_retried_without_a_second_event(world: BookingWorld) -> None:
    _, first = await _suggested(world)
    world.emu.faults.drop_response("/events", method="POST")

    confirmation = card_of(await world.bot.execute(ADELE, "book", first))

    assert "Booked:" in card_text(confirmation)
    assert len([c for c in world.emu.calls_to("/events") if c.method == "POST"]) == 2
    assert len(world.emu.created_events(ADELE.email)) == 1
