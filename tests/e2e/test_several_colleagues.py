"""Issue 11 through Microsoft 365 Agents Playground: a meeting with two colleagues, then moved to another time.

Adele (Pacific) books with Ben (New York) and Chloe (London): three zones whose working days overlap only in
Adele's early morning. Moving the meeting must change the same Outlook event (same id, same Teams link),
never cancel it and book a new one, and both colleagues' copies must follow.
"""

from __future__ import annotations

from datetime import datetime

from e2e.playground import Stack, card_actions, card_links, card_text
from tests.e2e.steps import introduce, served, set_up_organization, with_link

BEN_TIME_ZONE = "America/New_York"
CHLOE_TIME_ZONE = "Europe/London"


def _starts(event: dict[str, object]) -> datetime:
    start = event["start"]
    assert isinstance(start, dict)
    return datetime.fromisoformat(str(start["dateTime"]))


async def test_a_member_books_with_two_colleagues_then_moves_the_meeting(stack: Stack) -> None:
    playground, emulator = stack.playground, stack.emulator
    org = playground.org
    adele, ben, chloe = org.current_user, org.user("Ben"), org.user("Chloe")

    await set_up_organization(stack, "domain_wide")
    await introduce(stack, ben, BEN_TIME_ZONE)
    await introduce(stack, chloe, CHLOE_TIME_ZONE)

    # One request names both colleagues; every suggestion shows each person's own clock.
    since = playground.mark()
    await playground.say("book 30 min with Ben and Chloe next week")
    suggestions = await playground.wait_for_message(lambda message: bool(message.cards and card_actions(
        message.card, "book")), since=since)
    assert "Ben Walters" in suggestions.readable and "Chloe Martin" in suggestions.readable, suggestions.readable
    schedule_reads = await served(stack, "POST", "/calendar/getSchedule")
    assert schedule_reads, "the search read no free/busy"
    assert len(schedule_reads[-1]["body"]["schedules"]) == 3, schedule_reads[-1]  # one read for all three

    booked = await playground.click(suggestions, "book", reply_to=suggestions.message_id)
    confirmation = booked["value"]
    assert isinstance(confirmation, dict), booked
    assert card_text(confirmation).startswith("Booked"), card_text(confirmation)
    [teams_link] = [link for link in card_links(confirmation) if link.startswith("https://teams.microsoft.com/")]

    # One event in Adele's calendar, both colleagues invited; each has their own copy.
    assert len(await served(stack, "POST", "/events")) == 1
    [meeting] = with_link(await emulator.events_of(org.tenant_id, adele.email), teams_link)
    assert sorted(a["emailAddress"]["address"] for a in meeting["attendees"]) == sorted([ben.email, chloe.email])
    booked_start = _starts(meeting)

    # "Find another time" on the Booked card searches again for the same people; "Move here" moves the meeting.
    moving = await playground.click(confirmation, "findAnotherTime", reply_to=suggestions.message_id)
    move_card = moving["value"]
    assert isinstance(move_card, dict), moving
    assert "Move your meeting" in card_text(move_card), card_text(move_card)
    moved = await playground.click(move_card, "moveToSlot", reply_to=suggestions.message_id)
    moved_card = moved["value"]
    assert isinstance(moved_card, dict), moved
    assert card_text(moved_card).startswith("Booked"), card_text(moved_card)
    assert teams_link in card_links(moved_card), "the moved meeting keeps its Teams link"

    # The same event, at a new time: changed in place (PATCH), never cancelled and booked again.
    patches = [call for call in await served(stack, "PATCH", "") if "/events/" in call["path"]]
    assert len(patches) == 1, patches
    assert len(await served(stack, "POST", "/events")) == 1
    [same] = with_link(await emulator.events_of(org.tenant_id, adele.email), teams_link)
    assert same["id"] == meeting["id"]
    assert _starts(same) != booked_start
    for colleague in (ben, chloe):
        [copy] = with_link(await emulator.events_of(org.tenant_id, colleague.email), teams_link)
        assert copy["isCancelled"] is False
        assert _starts(copy) == _starts(same), f"{colleague.name}'s copy did not follow the move"


async def test_find_a_time_in_a_group_chat_answers_in_the_requesters_own_chat(stack: Stack) -> None:
    playground = stack.playground
    org = playground.org
    ben, chloe = org.user("Ben"), org.user("Chloe")

    await set_up_organization(stack, "domain_wide")
    await introduce(stack, ben, BEN_TIME_ZONE)
    await introduce(stack, chloe, CHLOE_TIME_ZONE)

    # Adele asks in the group chat; the roster comes from Teams (the Playground's group chat).
    since = playground.mark()
    await playground.say("find a time 30 min next week", conversation_id=org.group_chat_id)
    suggestions = await playground.wait_for_message(lambda message: bool(
        message.conversation_id == org.personal_chat_id and message.cards and card_actions(message.card, "book")),
        since=since)
    assert "Ben Walters" in suggestions.readable and "Chloe Martin" in suggestions.readable, suggestions.readable
    await playground.settled()
    in_group = [message for message in playground.messages[since:] if message.conversation_id == org.group_chat_id]
    # The group reads only that the answer went to the 1:1 chat: no times, no names left out, no cards with buttons.
    assert [message.readable for message in in_group] == [
        "I've answered you in our 1:1 chat, so your calendar and your data stay between us."], in_group
    left_out = [message.readable for message in playground.messages[since:]
                if message.conversation_id == org.personal_chat_id and "never used Rendezvous" in message.readable]
    assert left_out, "the requester is not told who was left out"

    # Booking from the 1:1 chat tells the group one line, with the time in each reader's own clock.
    since = playground.mark()
    booked = await playground.click(suggestions, "book", reply_to=suggestions.message_id)
    assert card_text(booked["value"]).startswith("Booked"), booked
    line = await playground.wait_for_message(lambda message: message.conversation_id == org.group_chat_id,
                                             since=since)
    assert "booked" in line.readable and "invitations sent" in line.readable, line.readable
    assert "{{TIME(" in line.readable
    assert not card_actions(line.card), "the group's line has no buttons"
