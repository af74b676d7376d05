"""The typed shortcut, paging and changing options, no-slot reasons, my meetings and cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from scheduling.display import day_label
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    EASTERN,
    PACIFIC,
    BookingWorld,
    all_actions,
    answer_yes,
    at,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    message_of,
    slot_facts,
)


def _last_card(world: BookingWorld) -> dict[str, Any]:
    return world.connector.messages(ADELE.conversation_id)[-1].cards[0]


async def test_the_full_shortcut_goes_straight_to_suggestions(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, "book 45 min with Ben next week")

    card = _last_card(world)
    text = card_text(card)
    assert "Times for you and Ben Walters" in text
    assert "45 min, next week" in text
    assert book_buttons(card)
    assert world.schedule_calls() == 1


async def test_a_shortcut_without_a_colleague_asks_for_the_rest_on_the_form(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, "book 90 min the day after tomorrow")

    form = _last_card(world)
    values = {element.get("id"): element.get("value") for element in form["body"] if element.get("id")}
    assert "colleague" not in values or not values["colleague"]
    assert values["duration"] == "custom" and values["customDuration"] == "1 h 30 min"
    day_after_tomorrow = (datetime.now(PACIFIC) + timedelta(days=2)).date().isoformat()
    assert values["window"] == "dates"
    dates = [(item["id"], item.get("value")) for column in form["body"] if column.get("type") == "ColumnSet"
             for part in column["columns"] for item in part["items"] if item.get("type") == "Input.Date"]
    assert dates == [("fromDate", day_after_tomorrow), ("toDate", day_after_tomorrow)]
    assert world.schedule_calls() == 0


async def test_a_shortcut_without_a_day_looks_at_the_next_seven_days(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, "book 90 min with Ben")

    text = card_text(_last_card(world))
    today = datetime.now(PACIFIC).date()
    assert f"1 h 30 min, {day_label(today)} – {day_label(today + timedelta(days=6))}" in text


async def test_shortcut_problems_are_explained_on_the_form(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, "book 3 min with Zelda next week")

    text = card_text(_last_card(world))
    assert "at least 5 minutes" in text
    assert 'I don\'t know anyone called \\"Zelda\\"' in text
    assert "ask them to open Rendezvous in Teams once" in text
    assert world.schedule_calls() == 0


async def test_a_bad_form_is_shown_again_with_every_problem_and_nothing_is_looked_up(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    day = meeting_day()

    card = await world.find_times(ADELE, {"colleague": BEN.aad_object_id, "duration": "custom",
                                          "customDuration": "9 hours", "window": "dates",
                                          "fromDate": (day + timedelta(days=3)).isoformat(),
                                          "toDate": day.isoformat()})

    text = card_text(card)
    assert "at most 8 hours" in text
    assert "before it starts" in text
    assert world.schedule_calls() == 0


async def test_more_times_and_change_options(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    first_page = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Sync"))
    search_id = book_buttons(first_page)[0]["searchId"]

    second_page = card_of(await world.bot.execute(ADELE, "moreTimes", {"searchId": search_id}))
    form = card_of(await world.bot.execute(ADELE, "changeOptions", {"searchId": search_id}))

    first_starts = {data["slotId"] for data in book_buttons(first_page)}
    second_starts = {data["slotId"] for data in book_buttons(second_page)}
    assert second_starts and not first_starts & second_starts  # the next page of the same ranking
    values = {element.get("id"): element.get("value") for element in form["body"] if element.get("id")}
    assert values["colleague"] == BEN.aad_object_id and values["subject"] == "Sync"


async def test_no_slot_says_why_and_offers_the_next_window(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    day = meeting_day()
    world.emu.add_busy(BEN.email, at(day, 0, 0, EASTERN), at(day + timedelta(days=1), 0, 0, EASTERN), status="oof")

    card = await world.find_times(ADELE, day_form(BEN, day))

    text = card_text(card)
    assert f"Ben Walters is out of office until {day_label(day)}" in text
    next_button = next(a for a in all_actions(card) if a.get("verb") == "nextWindow")
    assert day_label(day + timedelta(days=1)) in next_button["title"]
    later = card_of(await world.bot.execute(ADELE, "nextWindow", next_button["data"]))
    assert slot_facts(later) and day_label(day + timedelta(days=1)) in card_text(later)


async def test_my_meetings_shows_the_colleagues_reply_and_cancel_tells_them(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Budget"))
    confirmation = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    [event] = world.emu.created_events(ADELE.email)
    world.emu.respond(BEN.email, event.id, "tentativelyAccepted")
    world.connector.clear()

    await world.bot.say(ADELE, "my meetings")

    listing = _last_card(world)
    assert "Budget" in card_text(listing) and "Ben Walters: tentative" in card_text(listing)
    cancel = next(a for a in all_actions(confirmation) if a.get("verb") == "cancelBooking")

    cancelled = card_of(await answer_yes(world.bot, ADELE, cancel))

    assert "Cancelled: Budget" in card_text(cancelled)
    assert "cancelled by Adele Vance" in card_text(cancelled)
    assert world.emu.created_events(ADELE.email) == []
    assert all(copy.is_cancelled for copy in world.emu.created_events(BEN.email))
    [booking] = await world.bookings()
    assert booking.status == "cancelled"
    told = world.proactive_to(BEN)
    assert told and "Cancelled: Budget" in card_text(told[-1].cards[0])
    assert "cancelled by Adele Vance" in card_text(told[-1].cards[0])
    await world.bot.say(ADELE, "my meetings")
    assert "no upcoming meetings" in card_text(_last_card(world))


async def test_nobody_else_can_cancel_a_booking(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day()))
    confirmation = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    cancel = next(a for a in all_actions(confirmation) if a.get("verb") == "cancelBooking")

    reply = message_of(await world.bot.execute(CHLOE, "cancelBooking", cancel["data"]))

    assert "can't find that meeting" in reply
    assert len(world.emu.created_events(ADELE.email)) == 1
