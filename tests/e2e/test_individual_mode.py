"""Individual (delegated) mode through the Agents Playground, as Fabrikam's admin Fiona Gallagher meets it.

In individual mode Rendezvous reaches calendars only with each person's own sign-in. Fiona sets her
organization up, books with Laura Novak through her own connection (signing in when the bot asks, after
which the booking carries on by itself), sees every Graph call about her under `privacy`, and removes her
connection again. The emulator plays Microsoft's sign-in page and the browser, and is the observer of
what reached Outlook.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from e2e.playground import BotMessage, Stack, card_actions, card_facts, card_links
from tests.e2e.steps import book_first_suggestion, introduce, served, set_up_organization, start_time, with_link

LAURA_TIME_ZONE = "Europe/Budapest"  # Windows "Central Europe Standard Time", as the emulator's directory has it
FIONA_TIME_ZONE = "America/New_York"  # the Fabrikam Playground's own zone (e2e.playground.FABRIKAM)
CONNECT_CARD = "Connect your Outlook calendar"
SUGGESTIONS = "Times for you and Laura Novak"


async def remove_own_connection(stack: Stack) -> None:
    """`disconnect` from Fiona, who set Fabrikam up but holds no Rendezvous admin role (Entra's defaults):
    her own calendar connection is removed at once, and nothing of the organization's setup."""
    playground = stack.playground
    since = playground.mark()
    await playground.say("disconnect")
    await playground.wait_for_text("I deleted your stored sign-in", since=since)


async def privacy(stack: Stack) -> tuple[dict[str, str], str]:
    """What `privacy` shows: the stored facts about the person, and the whole card as they read it."""
    playground = stack.playground
    since = playground.mark()
    await playground.say("privacy")
    shown = await playground.wait_for_text("What Rendezvous stores about you", since=since)
    return card_facts(shown.card)[0], shown.readable


async def test_individual_mode_connect_book_privacy_and_disconnect(fabrikam_stack: Stack) -> None:
    stack = fabrikam_stack
    playground, emulator = stack.playground, stack.emulator
    org = playground.org
    fiona, laura = org.current_user, org.user("Laura")

    # Fiona sets Fabrikam up in individual mode: Microsoft's consent page grants the delegated permissions, and
    # no sign-in of hers has touched her calendar yet, so the self-test skips the free/busy probe.
    enabled = await set_up_organization(stack, "delegated")
    assert "individual mode" in enabled.readable
    assert "connect" in enabled.readable
    assert "Not connected yet" in enabled.readable, enabled.readable

    await introduce(stack, laura, LAURA_TIME_ZONE)

    # Without her sign-in the bot cannot look anything up: it asks her to connect, and Outlook is not asked.
    since = playground.mark()
    await playground.say("book 30 min with Laura next week")
    connect = await playground.wait_for_text(CONNECT_CARD, since=since)
    [sign_in_link] = card_links(connect.card)
    assert sign_in_link.startswith(f"{emulator.base_url}/{org.tenant_id}/oauth2/v2.0/authorize?")
    assert await served(stack, "POST", "/findMeetingTimes") == []

    # She opens the link and signs in as herself; the bot says she is connected, then the booking carries on
    # without her asking again: Outlook's suggestions arrive in the same chat.
    await emulator.sign_in_as(fiona.aad_object_id)
    since = playground.mark()
    status, page = await emulator.open_link(sign_in_link)
    assert status == 200, page
    assert "Your calendar is connected" in page
    suggestions: BotMessage = await playground.wait_for_text(SUGGESTIONS, since=since)
    connected = await playground.wait_for_text("Connected: Rendezvous can now use your Outlook calendar", since=since)
    assert playground.messages.index(connected) < playground.messages.index(suggestions)
    assert {connected.conversation_id, suggestions.conversation_id} == {org.personal_chat_id}

    # findMeetingTimes ran once, with Fiona's own token (/me), not the app's.
    [find] = await served(stack, "POST", "/findMeetingTimes")
    assert find["path"] == "/v1.0/me/findMeetingTimes" and find["user_oid"] == fiona.aad_object_id, find
    slots = card_facts(suggestions.card)
    assert slots, suggestions.readable
    assert len(card_actions(suggestions.card, "book")) == len(slots)
    for slot in slots:
        assert set(slot) == {"Fiona Gallagher", "Laura Novak"}
        assert re.search(r" E[SD]T$", slot["Fiona Gallagher"]), slot
        assert re.search(r" CES?T$", slot["Laura Novak"]), slot

    # "Book this time" on the first suggestion: the card turns into the confirmation.
    confirmation, teams_link = await book_first_suggestion(playground, suggestions, slots)

    # The meeting was created in Fiona's calendar with her own token, with Laura invited, at the time the
    # card shows in each person's zone.
    [created] = await served(stack, "POST", "/events")
    assert created["path"] == "/v1.0/me/events" and created["user_oid"] == fiona.aad_object_id, created
    [meeting] = with_link(await emulator.events_of(org.tenant_id, fiona.email), teams_link)
    assert [a["emailAddress"]["address"] for a in meeting["attendees"]] == [laura.email]
    starts = datetime.fromisoformat(meeting["start"]["dateTime"])
    assert datetime.fromisoformat(meeting["end"]["dateTime"]) - starts == timedelta(minutes=30)
    assert meeting["start"]["timeZone"] == "UTC", meeting["start"]  # events_of reads without a Prefer header
    for name, zone in (("Fiona Gallagher", FIONA_TIME_ZONE), ("Laura Novak", LAURA_TIME_ZONE)):
        local = starts.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        assert start_time(slots[0][name]) == timedelta(hours=local.hour, minutes=local.minute), (name, local)
        assert slots[0][name].endswith(f" {local.tzname()}"), (name, local)
    [invitation] = with_link(await emulator.events_of(org.tenant_id, laura.email), teams_link)
    assert invitation["isCancelled"] is False

    # `privacy` shows her stored sign-in, the booking, and the calls Rendezvous made about her.
    stored, readable = await privacy(stack)
    assert stored["Calendar sign-in stored"] == "yes (encrypted)"
    assert stored["Bookings involving you"] == "1"
    assert "(findMeetingTimes): suggest times for Fiona Gallagher and Laura Novak" in readable
    assert "created a meeting: book a meeting Fiona Gallagher asked for" in readable

    # She disconnects: her stored sign-in is gone, and the next booking asks her to connect again without
    # asking Outlook anything.
    await remove_own_connection(stack)
    stored, _ = await privacy(stack)
    assert stored["Calendar sign-in stored"] == "no"
    since = playground.mark()
    await playground.say("book 30 min with Laura next week")
    again = await playground.wait_for_text(CONNECT_CARD, since=since)
    [new_link] = card_links(again.card)
    assert new_link != sign_in_link  # a fresh single-use link
    assert len(await served(stack, "POST", "/findMeetingTimes")) == 1
