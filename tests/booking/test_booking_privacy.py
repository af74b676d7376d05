"""What others in a shared chat may see: nothing of a person's meetings, data or bookings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import ANSWERED_IN_PERSONAL_CHAT
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    BookingWorld,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.harness import BOT_ID

TEAM_CHAT = "19:team-chat@thread.v2"


async def test_a_confirmation_goes_to_the_colleagues_own_chat_never_to_a_group_chat(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    await world.bot.say(BEN.in_group_chat(TEAM_CHAT), "help")  # Ben's latest words to the bot are in a group
    world.connector.clear()
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Salary review"))

    card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))

    assert world.connector.messages(TEAM_CHAT) == []
    told = world.proactive_to(BEN)
    assert len(told) == 1 and "Salary review" in card_text(told[0].cards[0])


async def test_personal_commands_in_a_group_chat_are_answered_in_the_one_to_one_chat(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Salary review"))
    card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    world.connector.clear()
    in_group = ADELE.in_group_chat(TEAM_CHAT)

    # ("book" and "find a time" in a group chat propose a meeting with the chat: test_booking_group_chat.py)
    for command in ("my meetings", "privacy", "audit"):
        await world.bot.say(in_group, command)
    clicked = await world.bot.execute(in_group, "findTimes", day_form(BEN, meeting_day()))

    replies = world.connector.messages(TEAM_CHAT)
    assert [(reply.text, reply.cards) for reply in replies] == [(ANSWERED_IN_PERSONAL_CHAT, [])] * 3
    assert "1:1 chat" in str(clicked["value"])
    everything_said = str([reply.body for reply in replies]) + str(clicked)
    assert "Salary review" not in everything_said and ADELE.email not in everything_said
    # The answers themselves went to Adele's own 1:1 chat, one per command.
    answered = [card_text(sent.cards[0]) for sent in world.proactive_to(ADELE)]
    assert len(answered) == 3
    assert "Salary review" in answered[0]  # my meetings
    assert "What Rendezvous stores about you" in answered[1]


async def test_without_a_one_to_one_chat_a_link_opens_it(world: BookingWorld) -> None:
    await world.set_up_tenant()
    newcomer = CHLOE.in_group_chat(TEAM_CHAT)  # Chloe has only ever written in the group

    await world.bot.say(newcomer, "my meetings")

    [reply] = world.connector.messages(TEAM_CHAT)
    [card] = reply.cards
    assert "our 1:1 chat" in card_text(card)
    [link] = [action["url"] for action in card["actions"] if action["type"] == "Action.OpenUrl"]
    assert link == f"https://teams.microsoft.com/l/chat/0/0?users={BOT_ID}"
    assert world.connector.messages(CHLOE.conversation_id) == []


@pytest.mark.parametrize("kind", ["groupChat", "channel"])
async def test_the_install_welcome_in_a_group_chat_or_channel_addresses_everyone(world: BookingWorld,
                                                                                 kind: str) -> None:
    installer = replace(BEN.in_group_chat(TEAM_CHAT), conversation_type=kind)
    update = installer.activity(world.connector.url, "conversationUpdate", membersAdded=[{"id": BOT_ID}])
    if kind == "channel":
        update["channelData"].update(eventType="teamMemberAdded", team={"id": TEAM_CHAT},
                                     channel={"id": TEAM_CHAT})

    await world.bot.post(update)

    [welcome] = world.connector.messages(TEAM_CHAT)
    text = card_text(welcome.cards[0])
    assert "Hi everyone" in text and "Ben" not in text
    actions = welcome.cards[0]["actions"]
    assert [a["url"] for a in actions if a["type"] == "Action.OpenUrl"] == [
        f"https://teams.microsoft.com/l/chat/0/0?users={BOT_ID}"]
    assert "startBooking" not in text, "booking starts in a 1:1 chat, not here"
