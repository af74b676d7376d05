"""Everyday typed requests over HTTP (issue 10): what each phrase makes the bot search, what it says about
the parts it could not use, and a time asked for by name checked first.

The bot's clock is Wed 2 Dec 2026, 08:00 in Adele's zone (Pacific), so every relative phrase has one answer.
The window searched is read where Outlook sees it: the getSchedule call the bot makes, in Adele's zone.
Adele works 8:00-17:00 Pacific and Ben 9:00-17:30 Eastern, so both are working from 8:00 to 14:30 Pacific.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

import dialogs.booking.common
from cards.common import welcome_card
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    PACIFIC,
    BookingWorld,
    at,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    slot_facts,
)
from tests.harness import TeamsUser

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=PACIFIC)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _bot_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs.booking.common, "now", lambda: NOW.astimezone(UTC))


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def local(on: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(on, time(hour, minute), tzinfo=PACIFIC)


@dataclass(frozen=True)
class Expected:
    start: datetime  # the window searched, in Adele's zone
    end: datetime
    minutes: int
    first_slot: str | None = None  # "09:30": the time asked for, offered first


def whole_days(first: date, last: date, minutes: int, first_slot: str | None = None) -> Expected:
    start = max(local(first), NOW)
    return Expected(start, local(last + timedelta(days=1)), minutes, first_slot)


# Wed 2 Dec 08:00. Thu 3, Fri 4, Sat 5, Sun 6, Mon 7, Tue 8 ... Dec.
PHRASES: list[tuple[str, Expected]] = [
    # The phrases.
    ("30 min with Ben tomorrow at 3pm", whole_days(day(1), day(1), 30)),  # 3pm is after Ben's day: see below
    ("30 min with Ben on Friday", whole_days(day(2), day(2), 30)),
    ("30 min with Ben next Tuesday afternoon", Expected(local(day(6), 12), local(day(6), 16), 30)),
    ("30 min with Ben in two weeks", whole_days(day(8), day(14), 30)),
    ("half an hour with Ben", whole_days(day(0), day(6), 30)),  # no day given: the next seven days
    ("with Ben between 8 and 10 December", whole_days(date(2026, 12, 8), date(2026, 12, 10), 30)),
    ("45m with Ben this Thursday morning", Expected(local(day(1), 8), local(day(1), 12), 45)),
    # Ten and more of our own.
    ("an hour with Ben next week", whole_days(day(5), day(11), 60)),
    ("30 min with Ben this afternoon", Expected(local(day(0), 12), local(day(0), 16), 30)),
    ("30 min with Ben on the 14th", whole_days(date(2026, 12, 14), date(2026, 12, 14), 30)),
    ("30 min with Ben Monday 9:30", whole_days(day(5), day(5), 30, "09:30")),
    ("90 minutes with Ben", whole_days(day(0), day(6), 90)),
    ("2h with Ben at noon", whole_days(day(0), day(0), 120, "12:00")),
    ("30 min with Ben end of next week", whole_days(day(8), day(11), 30)),
    ("1 hour with Ben on 9 December", whole_days(date(2026, 12, 9), date(2026, 12, 9), 60)),
    ("30 min with Ben tomorrow morning", Expected(local(day(1), 8), local(day(1), 12), 30)),
    ("15 min with Ben Friday at 10:30am", whole_days(day(2), day(2), 15, "10:30")),
    ("30 min with Ben from 2026-12-07 to 2026-12-09", whole_days(day(5), day(7), 30)),
    ("30 min with Ben this week", whole_days(day(0), day(4), 30)),
    ("a meeting with Ben Walters for 1 h 30 tomorrow", whole_days(day(1), day(1), 90)),
    ("2h with ben.walters@contoso.example on Friday", whole_days(day(2), day(2), 120)),
    ("for 45 minutes with Ben on Monday at 11am", whole_days(day(5), day(5), 45, "11:00")),
]


def searched_window(world: BookingWorld) -> tuple[datetime, datetime]:
    body: dict[str, Any] = world.emu.calls_to("getSchedule")[-1].body
    assert body["startTime"]["timeZone"] == "UTC" and body["endTime"]["timeZone"] == "UTC"
    return tuple(  # type: ignore[return-value]
        datetime.fromisoformat(body[key]["dateTime"]).replace(tzinfo=UTC).astimezone(PACIFIC)
        for key in ("startTime", "endTime"))


def last_card(world: BookingWorld) -> dict[str, Any]:
    card: dict[str, Any] = world.connector.messages(ADELE.conversation_id)[-1].cards[0]
    return card


@pytest.mark.parametrize(("phrase", "expected"), PHRASES, ids=[phrase for phrase, _ in PHRASES])
async def test_each_phrase_searches_the_window_it_names(world: BookingWorld, phrase: str,
                                                        expected: Expected) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, f"book {phrase}")

    card = last_card(world)
    assert book_buttons(card), card_text(card)
    assert searched_window(world) == (expected.start, expected.end)
    label = f"{expected.minutes} min" if expected.minutes < 60 else f"{expected.minutes // 60} h" + (
        f" {expected.minutes % 60} min" if expected.minutes % 60 else "")
    assert f"{label}," in card_text(card)
    if expected.first_slot is not None:
        adele_first = slot_facts(card)[0][0]
        assert adele_first[0] == ADELE.name and f", {expected.first_slot}–" in adele_first[1]
        assert "doesn't work" not in card_text(card)


BAD_PHRASES = [
    ("30 min with Ben yesterday",
     "I understood *Ben Walters* and *30 min*, but not *yesterday*: I can only look ahead."),
    ("30 min with Ben last Monday", "but not *last Monday*: I can only look ahead."),
    ("30 min with Ben blorp", "I understood *Ben Walters* and *30 min*, but not *blorp*."),
    ("30 min with Ben tomorrow blorp", "I understood *Ben Walters*, *30 min* and *tomorrow*, but not *blorp*."),
    ("soonish with Ben", "I understood *Ben Walters*, but not *soonish*."),
    ("30 min with Ben in 3 months", "but not *in 3 months*: I can look at most 8 weeks ahead (until Wed 27 Jan)."),
    ("30 min with Ben next week at 3pm", "but not *3pm*: give one day for a time, like Monday at 3pm."),
    ("30 min with Ben at " + "9" * 80, "but not *at " + "9" * 37 + "…*: that is more than I can read about when"),
    ("1h with Ben and Zed", "I understood *Ben Walters*, but I don't know anyone called *Zed*."),
    ("1h with Ben, Zed and optionally Yuri", "I understood *Ben Walters*, but I don't know anyone called *Zed* and "
                                             "*Yuri*."),
    ("1h with Ben and Ben", "You picked Ben Walters twice."),
    ("30 min with Adele tomorrow", "You can't book a meeting with yourself."),
    ("30 min with adele.vance@contoso.example", "You can't book a meeting with yourself."),
    ("30 min with Zelda tomorrow", 'I don\'t know anyone called \\"Zelda\\"'),
]


@pytest.mark.parametrize(("phrase", "message"), BAD_PHRASES, ids=[phrase[:40] for phrase, _ in BAD_PHRASES])
async def test_each_bad_phrase_names_the_part_not_understood(world: BookingWorld, phrase: str, message: str) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, f"book {phrase}")

    text = card_text(last_card(world))
    assert message in text
    assert "I don't know anyone called \\\"Ben" not in text
    assert world.schedule_calls() == 0


async def test_a_free_time_asked_for_is_offered_first(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    tomorrow = day(1)
    world.emu.add_busy(BEN.email, at(tomorrow, 9, 0, PACIFIC), at(tomorrow, 10, 0, PACIFIC))  # the best-ranked hour

    await world.bot.say(ADELE, "book 30 min with Ben tomorrow at 11am")

    card = last_card(world)
    facts = slot_facts(card)
    assert facts[0] == [(ADELE.name, "Thu 3 Dec, 11:00–11:30 PST"), (BEN.name, "Thu 3 Dec, 14:00–14:30 EST")]
    others = [slot[0][1] for slot in facts[1:]]
    assert others and others == sorted(others)  # below it, the nearest times in time order (one day, 24-hour)
    assert "doesn't work" not in card_text(card)


async def test_a_busy_time_asked_for_says_who_is_busy_and_offers_the_nearest(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    tomorrow = day(1)
    world.emu.add_busy(BEN.email, at(tomorrow, 10, 30, PACIFIC), at(tomorrow, 11, 30, PACIFIC))

    await world.bot.say(ADELE, "book 30 min with Ben tomorrow at 11am")

    card = last_card(world)
    assert "Thu 3 Dec, 11:00–11:30 PST doesn't work: Ben Walters is busy then. Here are the nearest times." in (
        card_text(card))
    starts = [facts[0][1] for facts in slot_facts(card)]
    # The nearest times, one meeting's length apart (30 minutes after, then an hour before and an hour after),
    # listed in time order like any page: the time asked for is on top only when it is free.
    nearest = ["Thu 3 Dec, 11:30–12:00 PST", "Thu 3 Dec, 10:00–10:30 PST", "Thu 3 Dec, 12:00–12:30 PST"]
    assert set(nearest) <= set(starts)
    assert starts == sorted(starts)  # one day, 24-hour clock: text order is time order


async def test_a_time_outside_working_hours_says_whose(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.bot.say(ADELE, "book 30 min with Ben tomorrow at 3pm")

    card = last_card(world)
    assert ("Thu 3 Dec, 15:00–15:30 PST doesn't work: it is outside Ben Walters's working hours. "
            "Here are the nearest times.") in card_text(card)
    starts = [facts[0][1] for facts in slot_facts(card)]
    assert starts == sorted(starts)  # in time order (one day, 24-hour clock)
    assert starts[-1] == "Thu 3 Dec, 14:00–14:30 PST"  # the nearest: the end of Ben's day


def help_text(world: BookingWorld, user: TeamsUser = ADELE) -> str:
    return card_text(world.connector.messages(user.conversation_id)[-1].cards[0])


async def test_help_examples_name_a_colleague_the_reader_has(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.bot.say(ADELE, "help")  # nobody else uses Rendezvous yet
    assert "book 30 min with \\\\<colleague\\\\> tomorrow at 3pm" in help_text(world)
    assert "Alice" not in help_text(world)

    await world.meet(BEN)
    await world.bot.say(ADELE, "help")
    assert "book 30 min with Ben Walters tomorrow at 3pm" in help_text(world)

    await world.meet(CHLOE)
    offered = book_buttons(await world.find_times(ADELE, day_form(CHLOE, meeting_day())))
    card_of(await world.bot.execute(ADELE, "book", offered[0]))
    await world.bot.say(ADELE, "help")
    assert "book 30 min with Chloe Martin tomorrow at 3pm" in help_text(world)  # the one booked most recently


def test_the_welcome_example_is_a_placeholder() -> None:
    # Sent on install, before Rendezvous knows whom the reader works with.
    assert "Try typing: book 30 min with \\\\<colleague\\\\> tomorrow at 3pm" in card_text(welcome_card("Adele Vance"))
