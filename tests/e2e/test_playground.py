"""Rendezvous as a Teams user meets it, through Microsoft 365 Agents Playground (an offline Teams client).

Everything the user does goes through the Playground: typing, clicking card buttons, the app being
installed. The only other hands are the emulator's: choosing who signs in on Microsoft's page, playing
the browser that opens the consent link, and reading calendars through Graph to see what really landed.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from e2e.playground import CONTOSO, BotMessage, Stack, card_actions, card_facts, card_text
from scheduling.display import day_label, local_label
from tests.e2e.steps import book_first_suggestion, introduce, served, set_up_organization, start_time, with_link

BEN_TIME_ZONE = "America/New_York"
PLAYGROUND_LOCALE = "en-US"  # what Agents Playground sends as the activity locale
WELCOME = "I'm Rendezvous"


async def test_installing_the_app_greets_the_user_once(stack: Stack) -> None:
    playground = stack.playground
    since = playground.mark()
    # Teams sends two activities for one install (installationUpdate, conversationUpdate with membersAdded);
    # install() returns once the bot has answered both.
    await playground.install()
    welcome = await playground.wait_for_text(WELCOME, since=since)
    assert "Hi Adele" in welcome.readable
    assert [button["verb"] for button in card_actions(welcome.card)] == ["startBooking", "help"]

    # The chat shows messages in the order they were sent: once the answer to a later "help" is in,
    # every greeting the install caused is in too.
    await playground.say("help")
    help_card = await playground.wait_for_text("What I can do", since=since)
    greetings = [m for m in playground.messages[since:playground.messages.index(help_card)] if WELCOME in m.readable]
    assert len(greetings) == 1, f"the user was greeted {len(greetings)} times for one install"


async def test_admin_sets_up_then_a_member_books_and_cancels_a_meeting(stack: Stack) -> None:
    playground, emulator = stack.playground, stack.emulator
    org = playground.org
    adele, ben = org.current_user, org.user("Ben")

    # Help lists the commands.
    since = playground.mark()
    await playground.say("help")
    help_message = await playground.wait_for_message(since=since)
    assert "What I can do" in help_message.readable
    assert "book: Book a meeting with a colleague (try: book 30 min with" in help_message.readable

    # Before setup nothing is enabled (and nobody is known to be an admin yet, so status is not even shown).
    since = playground.mark()
    await playground.say("status")
    before = await playground.wait_for_message(since=since)
    assert "Integration: Enabled" not in before.readable

    # The admin sets up domain-wide mode, signs in on Microsoft's page and consents there; back in Teams, the
    # bot says so in the chat, unprompted.
    enabled = await set_up_organization(stack, "domain_wide")
    assert "domain-wide" in enabled.readable

    since = playground.mark()
    await playground.say("status")
    after = await playground.wait_for_message(since=since)
    assert "Integration: Enabled" in after.readable
    assert "Set up by: Adele Vance" in after.readable

    # A colleague in another time zone talks to the bot once (in the group chat), so it knows him.
    await introduce(stack, ben, BEN_TIME_ZONE)

    # Adele asks in her own words for a time tomorrow (her zone); each suggestion shows both people's local
    # times. 3pm in Los Angeles is 6pm in New York, after Ben's day: the bot says so and offers the nearest
    # times that day. With no working day tomorrow the same request is made for Monday.
    tomorrow = datetime.now(ZoneInfo(CONTOSO.time_zone)).date() + timedelta(days=1)
    when, day = ("tomorrow", tomorrow) if tomorrow.weekday() < 5 else (
        "on Monday", tomorrow + timedelta(days=7 - tomorrow.weekday()))
    since = playground.mark()
    await playground.say(f"book 30 min with Ben {when} at 3pm")
    suggestions: BotMessage = await playground.wait_for_text("Times for you and Ben Walters", since=since)
    # The Playground's locale is en-US: a 12-hour clock, month before day ("Tue, Dec 1, 3:00 PM–3:30 PM PST").
    asked = datetime.combine(day, time(15), tzinfo=ZoneInfo(CONTOSO.time_zone))
    asked_label = local_label(asked, asked + timedelta(minutes=30), ZoneInfo(CONTOSO.time_zone), PLAYGROUND_LOCALE)
    assert asked_label in suggestions.readable, suggestions.readable
    assert "doesn't work: it is outside Ben Walters's working hours" in suggestions.readable
    slots = card_facts(suggestions.card)
    assert slots, suggestions.readable
    assert all(slot["Adele Vance"].startswith(day_label(day, PLAYGROUND_LOCALE)) for slot in slots), slots
    assert len(card_actions(suggestions.card, "book")) == len(slots)
    for slot in slots:
        assert set(slot) == {"Adele Vance", "Ben Walters"}
        assert re.search(r" P[SD]T$", slot["Adele Vance"]), slot
        assert re.search(r" E[SD]T$", slot["Ben Walters"]), slot
        # New York is three hours ahead of Los Angeles all year round.
        assert (start_time(slot["Ben Walters"]) - start_time(slot["Adele Vance"])) % timedelta(days=1) == \
            timedelta(hours=3), slot

    # One click books the first suggestion; the card turns into the confirmation.
    confirmation, teams_link = await book_first_suggestion(playground, suggestions, slots)
    assert [button["title"] for button in card_actions(confirmation, "cancelBooking")] == ["Cancel meeting"]

    # Outlook got exactly one meeting, in Adele's calendar, with Ben invited and the link the card shows.
    created = await served(stack, "POST", "/events")
    assert len(created) == 1, created
    [meeting] = with_link(await emulator.events_of(org.tenant_id, adele.email), teams_link)
    assert [a["emailAddress"]["address"] for a in meeting["attendees"]] == [ben.email]
    assert datetime.fromisoformat(meeting["end"]["dateTime"]) - datetime.fromisoformat(
        meeting["start"]["dateTime"]) == timedelta(minutes=30)
    [invitation] = with_link(await emulator.events_of(org.tenant_id, ben.email), teams_link)
    assert invitation["isCancelled"] is False

    # "my meetings" lists it, with a way to cancel.
    since = playground.mark()
    await playground.say("my meetings")
    mine = await playground.wait_for_text("Your meetings booked with Rendezvous", since=since)
    assert f"Ben Walters: {slots[0]['Ben Walters']}" in mine.readable
    [cancel] = card_actions(mine.card, "cancelBooking")

    # Cancel asks first, in the row; "Yes, cancel" does it and the row then says who cancelled.
    asking = await playground.invoke("cancelBooking", cancel["data"], reply_to=mine.message_id,
                                     title=cancel["title"])
    assert "Cancel this meeting?" in card_text(asking["value"]), asking
    [yes] = card_actions(asking["value"], "confirmCancelBooking")
    cancelled = await playground.invoke("confirmCancelBooking", yes["data"], reply_to=mine.message_id,
                                        title=yes["title"])
    assert "Cancelled by Adele Vance" in card_text(cancelled["value"]), cancelled

    # Gone from Adele's calendar; Ben's copy is marked cancelled, as Outlook does.
    assert with_link(await emulator.events_of(org.tenant_id, adele.email), teams_link) == []
    [withdrawn] = with_link(await emulator.events_of(org.tenant_id, ben.email), teams_link)
    assert withdrawn["isCancelled"] is True

    since = playground.mark()
    await playground.say("my meetings")
    empty = await playground.wait_for_text("Your meetings booked with Rendezvous", since=since)
    assert "no upcoming meetings" in empty.readable
    assert slots[0]["Ben Walters"] not in empty.readable
