"""One clock per person, in the reader's locale (issue 10), through the HTTP boundary.

Adele's Outlook working hours are in Pacific time (emulator/demo_org.json). Here her Teams client says Tokyo,
as it would on a trip: every card must still show her times in Pacific time, the one Outlook shows her, and
tell her once why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dialogs.access import remember_admin_proof
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    EASTERN,
    FABRIKAM,
    FIONA,
    LAURA,
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

TRAVELLING_ADELE = replace(ADELE, time_zone="Asia/Tokyo")
NOTICE = "You appear to be in Tokyo right now; times are shown in your Outlook time zone, Pacific Time."


def _last_card(world: BookingWorld, user: TeamsUser) -> dict[str, Any]:
    cards = [sent.cards[0] for sent in world.connector.messages(user.conversation_id) if sent.cards]
    assert cards, "no card was sent"
    return cards[-1]


def _facts(card: dict[str, Any]) -> dict[str, str]:
    """Every fact of a card, title -> value, at any depth (the cards here show each title once)."""
    found: dict[str, str] = {}
    pending: list[Any] = [card]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                found.update({fact["title"]: fact["value"] for fact in node["facts"]})
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _clock_reading(moment: datetime, zone: Any) -> tuple[str, str]:
    """("10:00", "PST"): the time of day a 24-hour (en-GB) reader sees `moment` at in `zone`, and the zone."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M}", local.tzname() or ""


def _reads(label: str, moment: datetime, zone: Any) -> bool:
    """Whether a label starts a time at `moment` as read in `zone`: "Wed 2 Dec, 10:00–10:30 PST"."""
    clock, abbreviation = _clock_reading(moment, zone)
    return f"{clock}–" in label and label.endswith(f" {abbreviation}")


async def test_a_person_away_from_their_outlook_zone_sees_one_clock_on_every_card(world: BookingWorld) -> None:
    await world.set_up_tenant(admin=TRAVELLING_ADELE)
    await world.meet(TRAVELLING_ADELE, BEN)

    suggestions = await world.find_times(TRAVELLING_ADELE, day_form(BEN, meeting_day(), subject="Roadmap"))

    assert card_text(suggestions).count(NOTICE) == 1
    first = book_buttons(suggestions)[0]
    adele_time = dict(slot_facts(suggestions)[0])["Adele Vance"]
    start = datetime.strptime(first["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    assert _reads(adele_time, start, PACIFIC)  # Outlook's zone, not Tokyo's
    assert start.astimezone(PACIFIC).date() == meeting_day()  # the day asked for is a day in Pacific time

    booked = card_of(await world.bot.execute(TRAVELLING_ADELE, "book", first))
    assert _facts(booked)["Adele Vance"] == adele_time
    [event] = world.emu.created_events(ADELE.email)
    assert event.original_start_time_zone == "Pacific Standard Time"  # Outlook shows her the times we did

    world.connector.clear()
    await world.bot.say(TRAVELLING_ADELE, "my meetings")
    listing = _last_card(world, TRAVELLING_ADELE)
    assert _facts(listing)["Adele Vance"] == adele_time
    assert NOTICE not in card_text(listing)  # told once in this conversation

    await remember_admin_proof(world.services, CONTOSO, ADELE.aad_object_id)  # she signed in as an admin just now
    await world.bot.say(TRAVELLING_ADELE, "audit")
    audit = card_text(_last_card(world, TRAVELLING_ADELE))
    [booking] = await world.bookings()
    for moment in (booking.start_utc, booking.created_at):  # the meeting, and when it was booked
        clock, abbreviation = _clock_reading(moment, PACIFIC)
        assert f"{moment.astimezone(PACIFIC).day} " in audit and f"{clock} {abbreviation}" in audit
    assert "UTC" not in audit and "JST" not in audit

    await world.bot.say(TRAVELLING_ADELE, "status")
    enabled_since = _facts(_last_card(world, TRAVELLING_ADELE))["Enabled since"]
    assert enabled_since.endswith(datetime.now(UTC).astimezone(PACIFIC).tzname() or "")

    await world.bot.say(TRAVELLING_ADELE, "privacy")
    privacy = _last_card(world, TRAVELLING_ADELE)
    stored = _facts(privacy)
    outlook_zone = stored["Time zone of your Outlook working hours"]
    assert outlook_zone.replace("\\", "") == "America/Los_Angeles"  # shown as Markdown-escaped text
    assert stored["Time zone Teams reports"] == "Asia/Tokyo"
    assert stored["Locale Teams reports"] == "en-GB"
    looked_up = [title for title in stored if title.endswith(("PST", "PDT"))]
    assert looked_up and "UTC" not in card_text(privacy) and "JST" not in card_text(privacy)

    again = await world.find_times(TRAVELLING_ADELE, day_form(BEN, meeting_day() + timedelta(days=7)))
    assert NOTICE not in card_text(again)


async def test_no_word_about_zones_when_teams_and_outlook_agree(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    suggestions = await world.find_times(ADELE, day_form(BEN, meeting_day()))

    assert "appear to be in" not in card_text(suggestions)


async def _only_three_pm_eastern(world: BookingWorld, day: date) -> None:
    """Adele is busy all day but 15:00–15:30 Eastern (12:00 Pacific), so that is the one time offered."""
    world.emu.add_busy(ADELE.email, at(day, 0, 0, EASTERN), at(day, 15, 0, EASTERN))
    world.emu.add_busy(ADELE.email, at(day, 15, 30, EASTERN), at(day + timedelta(days=1), 0, 0, EASTERN))


async def _ben_reads(world: BookingWorld, adele: TeamsUser, ben: TeamsUser) -> tuple[str, str]:
    """Ben's time on Adele's suggestions (in her locale) and on the confirmation sent to him (in his)."""
    await world.set_up_tenant()
    await world.meet(adele, ben)
    day = meeting_day()
    await _only_three_pm_eastern(world, day)
    suggestions = await world.find_times(adele, day_form(BEN, day))
    [only] = slot_facts(suggestions)
    await world.bot.execute(adele, "book", book_buttons(suggestions)[0])
    [told] = world.proactive_to(ben)
    return dict(only)["Ben Walters"], _facts(told.cards[0])["Ben Walters"]


async def test_an_en_us_reader_sees_a_12_hour_clock(world: BookingWorld) -> None:
    shown, _ = await _ben_reads(world, replace(ADELE, locale="en-US"), BEN)

    # CLDR puts a narrow no-break space between the time and PM, so the two never part at a line end.
    assert "3:00 PM–3:30 PM EST" in shown.replace("\u202f", " ")
    assert shown.startswith("Wed, ")  # the weekday, then the month before the day


async def test_an_en_gb_reader_sees_a_24_hour_clock(world: BookingWorld) -> None:
    shown, _ = await _ben_reads(world, replace(ADELE, locale="en-GB"), BEN)

    assert "15:00–15:30 EST" in shown and "PM" not in shown
    assert shown.startswith(f"Wed {meeting_day().day} ")


async def test_a_de_de_reader_sees_german_day_names_and_a_24_hour_clock(world: BookingWorld) -> None:
    shown, _ = await _ben_reads(world, replace(ADELE, locale="de-DE"), BEN)

    assert "15:00–15:30 EST" in shown
    assert shown.startswith(f"Mi., {meeting_day().day}. ")  # Mittwoch, then the day before the month
    assert "Wed" not in shown


async def test_what_is_sent_to_the_colleague_is_in_the_colleagues_own_locale(world: BookingWorld) -> None:
    shown_to_adele, shown_to_ben = await _ben_reads(world, replace(ADELE, locale="de-DE"),
                                                    replace(BEN, locale="en-US"))

    assert "15:00" in shown_to_adele
    assert "3:00 PM" in shown_to_ben.replace("\u202f", " ")


async def test_an_unknown_locale_reads_as_the_default_24_hour_clock(world: BookingWorld) -> None:
    shown, _ = await _ben_reads(world, replace(ADELE, locale="xx-ZZ"), BEN)

    assert "15:00–15:30 EST" in shown


async def test_in_individual_mode_the_outlook_zone_comes_from_the_persons_own_working_hours(
        world: BookingWorld) -> None:
    travelling_fiona = replace(FIONA, time_zone="Asia/Tokyo")  # Outlook: New York (emulator/demo_org.json)
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(travelling_fiona, LAURA)
    await world.connect_calendar(FIONA)
    day = meeting_day()

    suggestions = await world.find_times(travelling_fiona, day_form(LAURA, day))

    assert "You appear to be in Tokyo right now" in card_text(suggestions)
    first = book_buttons(suggestions)[0]
    start = datetime.strptime(first["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    fiona_time = dict(slot_facts(suggestions)[0])["Fiona Gallagher"]
    assert _reads(fiona_time, start, EASTERN) and start.astimezone(EASTERN).date() == day
    booked = card_of(await world.bot.execute(travelling_fiona, "book", first))
    assert _facts(booked)["Fiona Gallagher"] == fiona_time
    [event] = world.emu.created_events(FIONA.email)
    assert event.original_start_time_zone == "Eastern Standard Time"


async def test_the_colleague_follows_the_same_rule_and_is_told_on_their_first_list(world: BookingWorld) -> None:
    travelling_ben = replace(BEN, time_zone="Asia/Tokyo")  # Outlook: New York
    await world.set_up_tenant()
    await world.meet(ADELE, travelling_ben)
    suggestions = await world.find_times(ADELE, day_form(BEN, meeting_day()))
    first = book_buttons(suggestions)[0]
    start = datetime.strptime(first["slotId"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    ben_time = dict(slot_facts(suggestions)[0])["Ben Walters"]
    assert _reads(ben_time, start, EASTERN)  # Adele sees Ben's Outlook zone, learnt from his working hours

    await world.bot.execute(ADELE, "book", first)
    [told] = world.proactive_to(travelling_ben)
    assert _facts(told.cards[0])["Ben Walters"] == ben_time

    await world.bot.say(travelling_ben, "my meetings")
    listing = _last_card(world, travelling_ben)
    assert _facts(listing)["Ben Walters"] == ben_time
    assert ("You appear to be in Tokyo right now; times are shown in your Outlook time zone, Eastern Time."
            in card_text(listing))
    await world.bot.say(travelling_ben, "my meetings")
    assert "appear to be in" not in card_text(_last_card(world, travelling_ben))
