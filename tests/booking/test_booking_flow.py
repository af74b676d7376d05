"""Pick a colleague, get suggestions in both zones, book, confirmation in place, colleague told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import dialogs.booking.common
from scheduling.display import day_label
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    EASTERN,
    FIONA,
    PACIFIC,
    BookingWorld,
    all_actions,
    at,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    message_of,
    slot_facts,
)


async def test_suggestions_respect_both_calendars_and_show_both_zones(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    day = meeting_day()
    # Adele (Pacific, 08:00-17:00) is busy 08:00-09:00 her time; Ben (Eastern, 09:00-17:30) 12:00-13:00 his.
    world.emu.add_busy(ADELE.email, at(day, 8, 0, PACIFIC), at(day, 9, 0, PACIFIC))
    world.emu.add_busy(BEN.email, at(day, 12, 0, EASTERN), at(day, 13, 0, EASTERN))

    card = await world.find_times(ADELE, day_form(BEN, day))

    assert "Times for you and Ben Walters" in card_text(card)
    slots = slot_facts(card)
    assert len(slots) == 5
    # Shared working time is 16:00-22:30 UTC; both busy hours end by 18:00 UTC, so the first comfortable
    # half hour is 10:00 Pacific = 13:00 Eastern.
    assert slots[0] == [("Adele Vance", f"{day_label(day)}, 10:00–10:30 PST"),
                        ("Ben Walters", f"{day_label(day)}, 13:00–13:30 EST")]
    reasons = [item["text"] for element in card["body"] if element.get("type") == "Container"
               for item in element["items"] if item.get("type") == "TextBlock"]
    assert reasons[0] == "The earliest time you are both free"
    busy = [(at(day, 8, 0, PACIFIC), at(day, 9, 0, PACIFIC)), (at(day, 12, 0, EASTERN), at(day, 13, 0, EASTERN))]
    for data in book_buttons(card):
        start = datetime.strptime(data["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        assert not any(begin <= start < end for begin, end in busy)
    assert world.typing_sent()
    verbs = {a.get("verb") for a in all_actions(card)}
    assert {"moreTimes", "changeOptions", "book"} <= verbs


async def test_booking_creates_one_event_replaces_the_card_and_tells_the_colleague(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    day = meeting_day()
    card = await world.find_times(ADELE, day_form(BEN, day, subject="Roadmap chat", note="Bring the numbers"))
    first = book_buttons(card)[0]

    confirmation = card_of(await world.bot.execute(ADELE, "book", first))

    text = card_text(confirmation)
    assert "Booked: Roadmap chat" in text
    assert "PST" in text and "EST" in text
    assert confirmation["refresh"]["userIds"] == [ADELE.teams_user_id]
    assert any(a["type"] == "Action.OpenUrl" and "teams.microsoft.com" in a["url"] for a in all_actions(confirmation))
    assert any(a.get("verb") == "cancelBooking" for a in all_actions(confirmation))
    events = world.emu.created_events(ADELE.email)
    assert len(events) == 1
    assert [attendee.address for attendee in events[0].attendees] == [BEN.email]
    assert events[0].is_online_meeting
    assert len(world.emu.created_events(BEN.email)) == 1  # the invitation copy
    [booking] = await world.bookings()
    assert booking.status == "confirmed" and booking.event_id
    told = world.proactive_to(BEN)
    assert len(told) == 1 and "Booked: Roadmap chat" in card_text(told[0].cards[0])


async def test_picker_offers_only_colleagues_who_use_the_bot(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, "book")
    [form] = world.connector.messages(ADELE.conversation_id)[-1].cards
    picker = next(e for e in form["body"] if e.get("id") == "colleague")
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": "rendezvous.colleagues"}
    assert [c["title"] for c in picker["choices"]] == ["Ben Walters"]

    search = ADELE.activity(world.connector.url, "invoke", name="application/search",
                            value={"queryText": "wal", "dataset": "rendezvous.colleagues"})
    async with world.bot.session.post(f"{world.bot.url}/api/messages", json=search) as response:
        body = await response.json()
    assert body["value"]["results"] == [{"title": "Ben Walters", "value": BEN.aad_object_id}]


async def test_colleagues_who_cannot_be_booked_are_refused_before_any_calendar_call(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    day = meeting_day()

    never_used = await world.bot.execute(ADELE, "findTimes", day_form(CHLOE, day))
    myself = await world.bot.execute(ADELE, "findTimes", day_form(ADELE, day))

    assert "ask them to open Rendezvous in Teams once" in card_text(card_of(never_used))
    assert "can't book a meeting with yourself" in card_text(card_of(myself))
    assert world.schedule_calls() == 0


async def test_people_of_another_organization_are_refused_before_any_calendar_call(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.set_up_tenant(FIONA.tenant_id, admin=FIONA)
    await world.meet(ADELE, BEN, FIONA)  # Fiona uses Rendezvous too, in her own organization

    picked = await world.bot.execute(ADELE, "findTimes", day_form(FIONA, meeting_day()))
    await world.bot.say(ADELE, f"book 30 min with {FIONA.email} next week")

    assert "ask them to open Rendezvous in Teams once" in card_text(card_of(picked))
    assert FIONA.name not in card_text(card_of(picked))
    [typed] = world.connector.messages(ADELE.conversation_id)[-1].cards
    assert f"{FIONA.email} is not in your organization" in card_text(typed)
    assert FIONA.name not in card_text(typed)
    assert world.schedule_calls() == 0


async def test_tenant_not_set_up_gets_a_clear_message(world: BookingWorld) -> None:
    await world.meet(ADELE, BEN)

    reply = await world.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day()))

    assert message_of(reply) == ("Your organization hasn't connected Rendezvous to Outlook yet. "
                                 "Ask a Teams admin to type **setup** here.")
    assert world.schedule_calls() == 0


async def test_a_clock_change_inside_the_window_is_announced(world: BookingWorld,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # No zone changes its clocks in the 8 weeks after today, so the bot's clock is moved to early March 2027.
    monkeypatch.setattr(dialogs.booking.common, "now", lambda: datetime(2027, 3, 8, 12, 0, tzinfo=UTC))
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    card = await world.find_times(ADELE, {"colleague": BEN.aad_object_id, "duration": "30", "window": "dates",
                                          "fromDate": "2027-03-12", "toDate": "2027-03-16"})

    text = card_text(card)
    assert "Clocks go forward 1 hour in America/Los_Angeles on Sun 14 Mar" in text
    assert "Clocks go forward 1 hour in America/New_York on Sun 14 Mar" in text
