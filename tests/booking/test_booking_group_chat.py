"""A meeting asked for in a group chat, over HTTP (issue 11): the roster comes from Teams, the suggestions and
the list of members left out go to the requester's 1:1 chat only, the group reads one neutral line, and after
the booking one short line with no one's other meetings in it."""

from __future__ import annotations

from datetime import UTC, timedelta

from cards.texts import ANSWERED_IN_PERSONAL_CHAT
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    CONTOSO,
    EASTERN,
    BookingWorld,
    at,
    book_buttons,
    card_of,
    card_text,
    meeting_day,
)
from tests.harness import BOT_ID, TeamsUser

PROJECT_CHAT = "19:project-sync@thread.v2"
HENRY = TeamsUser(CONTOSO, "aacd85b0-6963-4120-8083-6ee6f57899dc", "Henry Park", "henry.park@contoso.example",
                  time_zone="Asia/Tokyo")  # in the chat, but has never used Rendezvous


async def _asked_in_the_group(world: BookingWorld, text: str) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)
    world.connector.rosters[PROJECT_CHAT] = [
        user.member_info() for user in (ADELE, BEN, CHLOE, HENRY)] + [{"id": BOT_ID, "name": "Rendezvous"}]
    day = meeting_day()
    # Ben's other meeting: it keeps those times out, and nothing of it may reach the group.
    world.emu.add_busy(BEN.email, at(day, 14, 0, EASTERN), at(day, 15, 0, EASTERN))
    await world.bot.say(ADELE.in_group_chat(PROJECT_CHAT), text)


async def test_suggestions_arrive_only_in_the_requesters_chat(world: BookingWorld) -> None:
    await _asked_in_the_group(world, f"find a time 30 min on {meeting_day().isoformat()}")

    group = world.connector.messages(PROJECT_CHAT)
    assert [(reply.text, reply.cards) for reply in group] == [(ANSWERED_IN_PERSONAL_CHAT, [])]
    [call] = world.emu.calls_to("getSchedule")
    assert call.body["schedules"] == [ADELE.email, BEN.email, CHLOE.email]
    personal = world.connector.messages(ADELE.conversation_id)
    said = " ".join(message.text or "" for message in personal)
    assert "Henry Park has never used Rendezvous" in said
    [suggestions] = [message.cards[0] for message in personal if message.cards]
    assert "Times for you and Ben Walters and Chloe Martin" in card_text(suggestions)
    assert book_buttons(suggestions)
    for other in (BEN, CHLOE, HENRY):
        assert world.connector.messages(other.conversation_id) == []


async def test_after_booking_the_group_gets_one_line_without_anyones_other_meetings(world: BookingWorld) -> None:
    await _asked_in_the_group(world, f"book 30 min on {meeting_day().isoformat()}")
    [suggestions] = [message.cards[0] for message in world.connector.messages(ADELE.conversation_id)
                     if message.cards]
    first = book_buttons(suggestions)[0]
    world.connector.clear()

    booked = card_of(await world.bot.execute(ADELE, "book", first))
    await world.bot.execute(ADELE, "book", first)  # a double click tells the group once

    assert "Adele Vance with Ben Walters and Chloe Martin" in card_text(booked)
    [line] = world.connector.messages(PROJECT_CHAT)
    # Teams writes the time on each reader's own clock (its DATE/TIME functions); the notification says UTC.
    [card] = line.cards
    shown = card["body"][0]["text"]
    [booking] = await world.bookings()
    start = booking.start_utc
    stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert shown.startswith("Adele Vance booked *Adele / Ben / Chloe*, ")
    assert f"{{{{DATE({stamp}, SHORT)}}}}, {{{{TIME({stamp})}}}}–" in shown
    assert shown.endswith(" – invitations sent.")
    assert line.body["summary"].startswith("Adele Vance booked *Adele / Ben / Chloe*, ")
    assert line.body["summary"].endswith(" UTC – invitations sent.")
    busy_start = at(meeting_day(), 14, 0, EASTERN)
    for other_meeting in (busy_start, busy_start + timedelta(minutes=30)):
        other = other_meeting.astimezone(UTC)
        assert other.strftime("%Y-%m-%dT%H:%M:%SZ") not in shown
        assert other.strftime("%H:%M") not in line.body["summary"]

