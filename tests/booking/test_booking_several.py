"""Meetings with several colleagues over HTTP against the emulator (issue 11): one getSchedule (or one
findMeetingTimes) for everyone, who is busy or unreadable at each time, one event with every attendee
(required and optional kept) after a double click, everyone told in their own 1:1 chat, cancel tells
everyone, and the access rules applied to each person, by name.

Adele (Pacific, 08:00-17:00) organizes; Ben (Eastern), Chloe (London) and Mateo (Rome) share her first
working hour. Grace (Eastern) is the optional one; her mailbox is outside the app's access policy, so her
calendar can never be read (emulator/demo_org.json).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    GRACE,
    MATEO,
    PACIFIC,
    PRODUCT_TEAM,
    BookingWorld,
    all_actions,
    answer_yes,
    book_buttons,
    card_of,
    card_text,
    meeting_day,
    message_of,
)
from tests.harness import TeamsUser

REQUIRED = (BEN, CHLOE, MATEO)
OPTIONAL = GRACE


def group_form(required: tuple[TeamsUser, ...], optional: tuple[TeamsUser, ...] = (), **extra: str
               ) -> dict[str, Any]:
    """What the form submits with its two multi-select pickers (Teams joins the ids with commas)."""
    day = meeting_day()
    form = {"colleague": ",".join(user.aad_object_id for user in required), "duration": "30", "window": "dates",
            "fromDate": day.isoformat(), "toDate": day.isoformat(), **extra}
    if optional:
        form["optional"] = ",".join(user.aad_object_id for user in optional)
    return form


def shared_hour() -> datetime:
    """The start of the hour everyone works: Adele's 08:00 (Chloe's and Mateo's working days end an hour later)."""
    return datetime.combine(meeting_day(), time(8, 0), tzinfo=PACIFIC).astimezone(UTC)


async def _suggested(world: BookingWorld, **extra: str) -> dict[str, Any]:
    await world.set_up_tenant()
    await world.meet(ADELE, *REQUIRED, OPTIONAL)
    return await world.find_times(ADELE, group_form(REQUIRED, (OPTIONAL,), **extra))


def schedules_asked(world: BookingWorld) -> list[list[str]]:
    return [call.body["schedules"] for call in world.emu.calls_to("getSchedule")]


async def test_one_get_schedule_for_five_calendars_and_an_unreadable_optional_one_labelled(
    world: BookingWorld,
) -> None:
    card = await _suggested(world)

    assert schedules_asked(world) == [[ADELE.email, BEN.email, CHLOE.email, MATEO.email, GRACE.email]]
    text = card_text(card)
    assert "Times for you and Ben Walters, Chloe Martin, Mateo Rossi and Grace Okafor (optional)" in text
    offered = len(book_buttons(card))
    assert offered > 0
    # Grace's calendar is never counted as free: every time says so, and none is "unverified" for her sake
    assert text.count("Calendar not read: Grace Okafor") == offered
    assert "Unverified" not in text
    # everyone's local start on one compact line: Ben and Grace share New York's clock
    assert "Adele 08:00 PST · Ben, Grace 11:00 EST · Chloe 16:00 GMT · Mateo 17:00 CET" in text


async def test_optional_people_only_rank_the_times_and_are_named_when_busy(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE, MATEO)
    start = shared_hour()
    world.emu.add_busy(MATEO.email, start, start + timedelta(minutes=30))

    card = await world.find_times(ADELE, group_form((BEN, CHLOE), (MATEO,)))

    starts = [data["slotId"] for data in book_buttons(card)]
    assert start.strftime("%Y%m%dT%H%MZ") in starts  # Mateo is optional: his meeting does not rule it out
    assert card_text(card).count("Busy: Mateo Rossi") == 2  # 08:00 and 08:15 Adele's time; 08:30 is free


async def test_a_time_that_needs_an_unreadable_calendar_is_labelled(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, *REQUIRED, MATEO)
    world.emu.faults.schedule_error(CHLOE.email)

    card = await world.find_times(ADELE, group_form(REQUIRED))

    text = card_text(card)
    offered = len(book_buttons(card))
    assert offered > 0
    assert text.count("Unverified: Chloe Martin's calendar could not be read") == offered


async def test_one_event_with_every_attendee_after_a_double_click_and_everyone_told(world: BookingWorld) -> None:
    card = await _suggested(world, subject="Sync")
    first = book_buttons(card)[0]

    one = card_of(await world.bot.execute(ADELE, "book", first))
    two = card_of(await world.bot.execute(ADELE, "book", first))

    assert one == two
    [event] = world.emu.created_events(ADELE.email)
    assert [(attendee.address, attendee.type) for attendee in event.attendees] == [
        (BEN.email, "required"), (CHLOE.email, "required"), (MATEO.email, "required"), (GRACE.email, "optional")]
    assert len([c for c in world.emu.calls_to("/events") if c.method == "POST"]) == 1
    [booking] = await world.bookings()
    assert [(attendee.oid, attendee.required) for attendee in booking.attendees] == [
        (BEN.aad_object_id, True), (CHLOE.aad_object_id, True), (MATEO.aad_object_id, True),
        (GRACE.aad_object_id, False)]
    assert "Adele Vance with Ben Walters, Chloe Martin, Mateo Rossi and Grace Okafor (optional)" in card_text(one)
    for attendee in (*REQUIRED, OPTIONAL):
        [told] = world.proactive_to(attendee)
        told_text = card_text(told.cards[0])
        assert "Sync" in told_text and "declineBooking" in told_text
        assert attendee.name in told_text


async def test_the_recheck_before_booking_ignores_optional_people(world: BookingWorld) -> None:
    card = await _suggested(world)
    first = book_buttons(card)[0]
    start = datetime.strptime(first["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    world.emu.add_busy(GRACE.email, start, start + timedelta(minutes=30))  # only the optional one is taken
    world.emu.clear_calls()

    booked = card_text(card_of(await world.bot.execute(ADELE, "book", first)))

    assert "Adele Vance with" in booked
    assert schedules_asked(world) == [[ADELE.email, BEN.email, CHLOE.email, MATEO.email]]
    assert len(world.emu.created_events(ADELE.email)) == 1


async def test_cancel_tells_everyone(world: BookingWorld) -> None:
    card = await _suggested(world)
    booked = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    world.connector.clear()
    [cancel] = [action for action in all_actions(booked) if action.get("verb") == "cancelBooking"]

    await answer_yes(world.bot, ADELE, cancel)

    for attendee in (*REQUIRED, OPTIONAL):
        [told] = world.proactive_to(attendee)
        assert "was cancelled by Adele Vance" in card_text(told.cards[0])


async def test_my_meetings_rows_name_everyone(world: BookingWorld) -> None:
    card = await _suggested(world)
    await world.bot.execute(ADELE, "book", book_buttons(card)[0])

    organizer_list = card_text(card_of(await world.bot.execute(ADELE, "myMeetings", {})))
    attendee_list = card_text(card_of(await world.bot.execute(CHLOE, "myMeetings", {})))

    assert "with Ben Walters, Chloe Martin, Mateo Rossi and Grace Okafor (optional)" in organizer_list
    assert "Ben Walters: " in organizer_list and "Grace Okafor: " in organizer_list
    assert "with Adele Vance, Ben Walters, Mateo Rossi and Grace Okafor (optional)" in attendee_list


async def test_individual_mode_asks_find_meeting_times_once_with_every_attendee(world: BookingWorld) -> None:
    await world.set_up_tenant(mode="delegated")
    await world.meet(ADELE, *REQUIRED)
    await world.connect_calendar(ADELE)

    card = await world.find_times(ADELE, group_form((BEN, CHLOE), (MATEO,)))

    [call] = world.emu.calls_to("/me/findMeetingTimes")
    assert call.body["attendees"] == [
        {"type": "required", "emailAddress": {"address": BEN.email, "name": BEN.name}},
        {"type": "required", "emailAddress": {"address": CHLOE.email, "name": CHLOE.name}},
        {"type": "optional", "emailAddress": {"address": MATEO.email, "name": MATEO.name}},
    ]
    assert book_buttons(card)
    assert "Times for you and Ben Walters, Chloe Martin and Mateo Rossi (optional)" in card_text(card)


async def test_typed_with_several_and_optionally(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, *REQUIRED)

    await world.bot.say(ADELE, f"book 30 min with Ben, Chloe and optionally Mateo on {meeting_day().isoformat()}")

    assert schedules_asked(world) == [[ADELE.email, BEN.email, CHLOE.email, MATEO.email]]
    [sent] = [s for s in world.connector.messages(ADELE.conversation_id) if s.cards]
    assert "Ben Walters, Chloe Martin and Mateo Rossi (optional)" in card_text(sent.cards[0])


async def test_a_colleague_outside_the_security_group_is_named_and_nothing_is_read(world: BookingWorld) -> None:
    await world.set_up_tenant(security_group_id=PRODUCT_TEAM)
    await world.meet(ADELE, BEN, CHLOE, MATEO)

    reply = message_of(await world.bot.execute(ADELE, "findTimes", group_form((BEN, CHLOE, MATEO))))

    assert "Mateo Rossi isn't in it" in reply
    assert "Ben Walters" not in reply and "Chloe Martin" not in reply
    assert world.schedule_calls() == 0


async def test_the_form_refuses_someone_twice_yourself_nobody_required_and_too_many(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)

    twice = card_text(await world.find_times(ADELE, group_form((BEN, CHLOE), (BEN,))))
    yourself = card_text(await world.find_times(ADELE, group_form((BEN, ADELE))))
    nobody_required = card_text(await world.find_times(ADELE, {**group_form((BEN,), (CHLOE,)), "colleague": ""}))

    too_many = card_text(await world.find_times(ADELE, {
        **group_form((BEN,)), "colleague": ",".join(str(uuid.UUID(int=n)) for n in range(1, 15)),
        "optional": ",".join(str(uuid.UUID(int=n)) for n in range(15, 21))}))

    assert "You picked Ben Walters twice" in twice
    assert "A meeting can have at most 19 colleagues" in too_many and "you picked 20" in too_many
    assert "You can't book a meeting with yourself" in yourself
    assert "Please pick the colleague you want to meet" in nobody_required
    assert world.schedule_calls() == 0


async def test_a_form_shown_again_for_a_mistake_keeps_both_pickers(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)

    again = await world.find_times(ADELE, group_form((BEN,), (CHLOE,), duration=""))  # no length picked

    pickers = {element["id"]: element for element in again["body"] if element.get("type") == "Input.ChoiceSet"}
    assert pickers["colleague"].get("value") == BEN.aad_object_id
    assert pickers["optional"].get("value") == CHLOE.aad_object_id
    assert world.schedule_calls() == 0


async def test_the_form_offers_two_multi_select_pickers(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    form = card_of(await world.bot.execute(ADELE, "startBooking", {}))

    pickers = {element["id"]: element for element in form["body"] if element.get("type") == "Input.ChoiceSet"}
    for picker in (pickers["colleague"], pickers["optional"]):
        assert picker["isMultiSelect"] is True
        assert picker["choices.data"] == {"type": "Data.Query", "dataset": "rendezvous.colleagues"}
        assert {"title": BEN.name, "value": BEN.aad_object_id} in picker["choices"]
    assert pickers["colleague"].get("isRequired") is True and "isRequired" not in pickers["optional"]


async def test_moving_a_meeting_with_several_keeps_everyone_and_tells_each_once(world: BookingWorld) -> None:
    card = await _suggested(world)
    booked = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    world.connector.clear()
    [find_another] = [action["data"] for action in all_actions(booked) if action.get("verb") == "findAnotherTime"]

    others = card_of(await world.bot.execute(ADELE, "findAnotherTime", find_another))
    [_, *_, last] = [action["data"] for action in all_actions(others) if action.get("verb") == "moveToSlot"]
    world.emu.clear_calls()
    moved = card_of(await world.bot.execute(ADELE, "moveToSlot", last))
    card_of(await world.bot.execute(ADELE, "moveToSlot", last))  # a double click moves it once

    assert "Move your meeting with Ben Walters, Chloe Martin, Mateo Rossi and Grace Okafor (optional)" in card_text(
        others)
    assert len([call for call in world.emu.calls if call.method == "PATCH"]) == 1
    # the re-check before moving reads the required calendars only
    assert schedules_asked(world) == [[ADELE.email, BEN.email, CHLOE.email, MATEO.email]]
    [event] = world.emu.created_events(ADELE.email)
    assert [(attendee.address, attendee.type) for attendee in event.attendees][-1] == (GRACE.email, "optional")
    assert "Ben Walters, Chloe Martin, Mateo Rossi and Grace Okafor (optional)" in card_text(moved)
    for attendee in (*REQUIRED, OPTIONAL):
        [told] = world.proactive_to(attendee)
        assert "moved this meeting" in card_text(told.cards[0])
