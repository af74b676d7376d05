"""What others in a shared chat may see: nothing of a person's meetings, data or bookings."""

from __future__ import annotations

from tests.booking.conftest import ADELE, BEN, BookingWorld, book_buttons, card_of, card_text, day_form, meeting_day

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


async def test_personal_commands_in_a_group_chat_point_to_the_one_to_one_chat(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Salary review"))
    card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    world.connector.clear()
    looked_before = world.schedule_calls()
    in_group = ADELE.in_group_chat(TEAM_CHAT)

    for command in ("my meetings", "privacy", "book 30 min with Ben next week", "audit"):
        await world.bot.say(in_group, command)
    clicked = await world.bot.execute(in_group, "findTimes", day_form(BEN, meeting_day()))

    replies = world.connector.messages(TEAM_CHAT)
    assert len(replies) == 4
    for reply in replies:
        assert reply.cards == [] and "1:1 chat" in reply.text
    assert "1:1 chat" in str(clicked["value"])
    everything_said = str([reply.body for reply in replies]) + str(clicked)
    assert "Salary review" not in everything_said and ADELE.email not in everything_said
    assert world.schedule_calls() == looked_before  # no calendar was read for the group chat
