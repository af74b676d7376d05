"""A meeting asked for in a group chat, over HTTP (issue 11): the roster comes from Teams, the suggestions and
the list of members left out go to the requester's 1:1 chat only, the group reads one neutral line, and after
the booking one short line with no one's other meetings in it."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from cards.texts import ANSWERED_IN_PERSONAL_CHAT
from dialogs.booking import resume_after_sign_in
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    CONTOSO,
    EASTERN,
    FABRIKAM,
    FIONA,
    LAURA,
    BookingWorld,
    all_actions,
    at,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.harness import BOT_ID, TeamsUser

PROJECT_CHAT = "19:project-sync@thread.v2"
HENRY = TeamsUser(CONTOSO, "aacd85b0-6963-4120-8083-6ee6f57899dc", "Henry Park", "henry.park@contoso.example",
                  time_zone="Asia/Tokyo")  # in the chat, but has never used Rendezvous


async def _asked_in_the_group(world: BookingWorld, text: str) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)
    _in_the_chat(world, ADELE, BEN, CHLOE, HENRY)
    day = meeting_day()
    # Ben's other meeting: it keeps those times out, and nothing of it may reach the group.
    world.emu.add_busy(BEN.email, at(day, 14, 0, EASTERN), at(day, 15, 0, EASTERN))
    await world.bot.say(ADELE.in_group_chat(PROJECT_CHAT), text)


def _in_the_chat(world: BookingWorld, *users: TeamsUser) -> None:
    world.connector.rosters[PROJECT_CHAT] = [user.member_info() for user in users] + [
        {"id": BOT_ID, "name": "Rendezvous"}]


def _cards_to(world: BookingWorld, user: TeamsUser) -> list[dict[str, Any]]:
    return [message.cards[0] for message in world.connector.messages(user.conversation_id) if message.cards]


def _button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    [action] = [action for action in all_actions(card) if action.get("verb") == verb]
    data: dict[str, Any] = action["data"]
    return data


def _lines_in_the_group(world: BookingWorld) -> list[str]:
    return [line.body.get("summary") or line.text or "" for line in world.connector.messages(PROJECT_CHAT)]


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



async def test_a_group_request_that_needs_the_form_still_tells_the_group_once_booked(world: BookingWorld) -> None:
    day = meeting_day()
    await _asked_in_the_group(world, "find a time whenever suits")  # not understood: the form asks the rest
    [form] = _cards_to(world, ADELE)
    find_times = _button(form, "findTimes")
    assert set(find_times) == {"verb", "formId"}  # the card carries an id; the chat's reference stays here
    assert PROJECT_CHAT not in card_text(form)
    everyone = f"{BEN.aad_object_id},{CHLOE.aad_object_id}"

    suggestions = await world.find_times(ADELE, {**find_times, **day_form(BEN, day), "colleague": everyone})
    # Changing the options on the suggestions keeps the chat too.
    changed = card_of(await world.bot.execute(ADELE, "changeOptions", _button(suggestions, "changeOptions")))
    assert set(_button(changed, "findTimes")) == {"verb", "formId"}
    suggestions = await world.find_times(ADELE, {**_button(changed, "findTimes"), **day_form(BEN, day),
                                                 "colleague": everyone, "duration": "45"})
    world.connector.clear()
    first = book_buttons(suggestions)[0]
    booked = card_of(await world.bot.execute(ADELE, "book", first))
    await world.bot.execute(ADELE, "book", first)  # a double click tells the group once

    assert "Adele Vance with Ben Walters and Chloe Martin" in card_text(booked)
    [line] = _lines_in_the_group(world)
    assert line.startswith("Adele Vance booked *Adele / Ben / Chloe*, ")


async def test_a_form_id_that_is_not_this_persons_tells_no_group(world: BookingWorld) -> None:
    await _asked_in_the_group(world, "find a time whenever suits")
    [form] = _cards_to(world, ADELE)
    adeles_form = _button(form, "findTimes")["formId"]
    day = meeting_day()

    # Ben presents Adele's form id from his own chat; Adele presents one she was never given.
    for user, colleague, form_id in ((BEN, CHLOE, adeles_form), (ADELE, BEN, "forged-id")):
        card = await world.find_times(user, {"formId": form_id, **day_form(colleague, day)})
        card_of(await world.bot.execute(user, "book", book_buttons(card)[0]))

    assert len(await world.bookings()) == 2
    assert _lines_in_the_group(world) == [ANSWERED_IN_PERSONAL_CHAT]


async def test_a_one_to_one_booking_posts_in_no_group_chat(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN, CHLOE)
    await world.bot.say(ADELE, f"book 30 min with Ben on {meeting_day().isoformat()}")
    [suggestions] = _cards_to(world, ADELE)
    changed = card_of(await world.bot.execute(ADELE, "changeOptions", _button(suggestions, "changeOptions")))
    assert set(_button(changed, "findTimes")) == {"verb"}
    card = await world.find_times(ADELE, day_form(BEN, meeting_day()))

    card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))

    personal_chats = {user.conversation_id for user in (ADELE, BEN, CHLOE)}
    assert {sent.conversation_id for sent in world.connector.sent} <= personal_chats
    assert len(world.proactive_to(BEN)) == 1


async def test_an_individual_mode_group_request_tells_the_group_after_the_sign_in(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    _in_the_chat(world, FIONA, LAURA)
    await world.bot.say(FIONA.in_group_chat(PROJECT_CHAT), f"find a time 30 min on {meeting_day().isoformat()}")
    [sign_in] = _cards_to(world, FIONA)
    assert "Connect" in card_text(sign_in)
    assert PROJECT_CHAT not in card_text(sign_in)

    await world.connect_calendar(FIONA)
    assert await resume_after_sign_in(world.services, FABRIKAM, FIONA.aad_object_id, {})
    suggestions = _cards_to(world, FIONA)[-1]
    assert "Times for you and Laura Novak" in card_text(suggestions)
    world.connector.clear()
    card_of(await world.bot.execute(FIONA, "book", book_buttons(suggestions)[0]))

    [line] = _lines_in_the_group(world)
    assert line.startswith("Fiona Gallagher booked *Fiona / Laura*, ")
