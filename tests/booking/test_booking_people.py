"""People whose work address Teams never shared cannot be booked, and are told so instead of a crash."""

from __future__ import annotations

from tests.booking.conftest import ADELE, CONTOSO, BookingWorld, card_text
from tests.harness import TeamsUser

# Henry is not in the connector stub's member list, so Teams' member API cannot tell the bot his address.
HENRY = TeamsUser(CONTOSO, "aacd85b0-6963-4120-8083-6ee6f57899dc", "Henry Park", "henry.park@contoso.example",
                  time_zone="Asia/Tokyo")


async def test_a_colleague_without_a_known_address_is_refused_clearly(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, HENRY)

    await world.bot.say(ADELE, "book 30 min with Henry next week")

    [reply] = world.connector.messages(ADELE.conversation_id)
    text = card_text(reply.cards[0])
    assert "hasn't shared Henry Park's work email address" in text
    assert "went wrong" not in reply.text
    assert world.schedule_calls() == 0
