"""Steps several end-to-end scenarios share: an admin setting the organization up, a colleague showing up
once, booking the first suggestion, and reading what the emulator saw. Each step asserts what a person
would notice on the way."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from e2e.playground import BotMessage, ChatUser, Playground, Stack, card_actions, card_links, card_text

ENABLED = "Calendar integration is now enabled"


async def set_up_organization(stack: Stack, mode: str) -> BotMessage:
    """The current user (a Global Administrator in the emulator; Contoso's is also a Rendezvous admin) types
    `setup`, picks `mode`, signs in when asked and consents on Microsoft's page; returns the message the bot
    then posts, unprompted, in the 1:1 chat."""
    playground, emulator = stack.playground, stack.emulator
    org = playground.org
    since = playground.mark()
    await playground.say("setup")
    setup = await playground.wait_for_text("Connect your organization's Outlook calendars", since=since)
    inputs = {"tenantId": org.tenant_id, "mode": mode, "securityGroupId": ""}
    save = card_actions(setup.card, "saveSetup")[0]
    sign_in = await playground.invoke("saveSetup", {**save["data"], **inputs}, reply_to=setup.message_id)
    sign_in_card = sign_in["value"]
    assert isinstance(sign_in_card, dict), sign_in
    # Contoso consented before, so its Rendezvous admin signs in first; a fresh tenant goes to consent at once.
    assert "Sign in" in card_text(sign_in_card) or "Grant permissions" in card_text(sign_in_card)
    [sign_in_link] = card_links(sign_in_card)
    assert sign_in_link.startswith(emulator.base_url + "/")  # Microsoft's page (here: the emulator's)

    await emulator.sign_in_as(org.current_user.aad_object_id)
    since = playground.mark()
    status, page = await emulator.open_link(sign_in_link)
    assert status == 200, page
    assert ENABLED in page
    enabled = await playground.wait_for_text(ENABLED, since=since)
    assert enabled.conversation_id == org.personal_chat_id
    return enabled


async def introduce(stack: Stack, colleague: ChatUser, time_zone: str) -> None:
    """A colleague talks to the bot once (in the group chat), so the bot knows them and may book them."""
    playground = stack.playground
    since = playground.mark()
    await playground.say_as(colleague, "help", conversation_id=playground.org.group_chat_id, time_zone=time_zone)
    in_group = await playground.wait_for_message(since=since)
    assert in_group.conversation_id == playground.org.group_chat_id
    assert "What I can do" in in_group.readable


async def served(stack: Stack, method: str, path_end: str) -> list[dict[str, Any]]:
    """The Graph requests the emulator answered successfully whose path ends with `path_end`."""
    return [call for call in await stack.emulator.calls()
            if call["method"] == method and call["path"].endswith(path_end) and 200 <= call["status"] < 300]


def start_time(shown: str) -> timedelta:
    """The start of a time range as shown on a card, as time of day: the Playground's locale is en-US, so
    "Mon, Nov 30, 10:00 AM–10:30 AM PST" (CLDR puts a narrow no-break space before AM); "10:00–10:30" also reads."""
    match = re.search(r"(\d{1,2}):(\d{2})(?:\s*([AP]M))?\s*[–-]", shown)
    assert match, f"no time range in {shown!r}"
    hour = int(match.group(1))
    if match.group(3):  # 12-hour clock: 12 AM is midnight, 12 PM noon
        hour = hour % 12 + (12 if match.group(3) == "PM" else 0)
    return timedelta(hours=hour, minutes=int(match.group(2)))


def with_link(events: list[dict[str, Any]], join_url: str) -> list[dict[str, Any]]:
    """The calendar events whose Teams meeting has this join link."""
    return [event for event in events if (event.get("onlineMeeting") or {}).get("joinUrl") == join_url]


async def book_first_suggestion(playground: Playground, suggestions: BotMessage,
                                slots: list[dict[str, str]]) -> tuple[dict[str, Any], str]:
    """Clicks "Book this time" on the first suggestion and checks the card turned into a confirmation showing
    that slot in every person's zone. Returns the confirmation card and its Teams link."""
    booked = await playground.click(suggestions, "book", reply_to=suggestions.message_id)
    confirmation = booked["value"]
    assert isinstance(confirmation, dict), booked
    confirmation_text = card_text(confirmation)
    assert confirmation_text.startswith("Booked"), confirmation_text
    for person, shown in slots[0].items():
        assert f"{person}: {shown}" in confirmation_text
    [teams_link] = [link for link in card_links(confirmation) if link.startswith("https://teams.microsoft.com/")]
    return confirmation, teams_link

