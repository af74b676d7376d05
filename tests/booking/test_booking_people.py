"""Edge cases around the people in a booking: unknown addresses, and both of them acting at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.repositories import BookingRepository, GraphCallRepository
from tests.booking.conftest import (
    ADELE,
    BEN,
    CONTOSO,
    FABRIKAM,
    FIONA,
    LAURA,
    BookingWorld,
    all_actions,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
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


async def test_cancelling_twice_at_once_cancels_once_and_both_clicks_see_cancelled(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Retro"))
    confirmation = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    cancel = next(a for a in all_actions(confirmation) if a.get("verb") == "cancelBooking")

    question = card_of(await world.bot.execute(ADELE, "cancelBooking", cancel["data"]))
    [yes] = [a for a in all_actions(question) if a.get("verb") == "confirmCancelBooking"]
    first, second = await asyncio.gather(world.bot.execute(ADELE, "confirmCancelBooking", yes["data"]),
                                         world.bot.execute(ADELE, "confirmCancelBooking", yes["data"]))

    for response in (first, second):
        assert "Cancelled: Retro" in card_text(card_of(response)), response
    assert world.emu.created_events(ADELE.email) == []
    [booking] = await world.bookings()
    assert booking.status == "cancelled"


async def test_a_look_up_that_never_reached_outlook_is_not_recorded(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)

    sign_in = card_of(await world.bot.execute(FIONA, "findTimes", day_form(LAURA, meeting_day())))

    assert "Connect" in card_text(sign_in)
    assert world.emu.calls_to("findMeetingTimes") == []
    calls = GraphCallRepository(world.db, FABRIKAM)
    assert await calls.list_for(LAURA.aad_object_id) == []
    assert await calls.list_for(FIONA.aad_object_id) == []


async def test_my_meetings_shows_the_next_ten_and_asks_outlook_only_about_those(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    bookings = BookingRepository(world.db, CONTOSO)
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for index in range(12):
        start = first + timedelta(hours=index)
        booking, _ = await bookings.reserve(ADELE.aad_object_id, BEN.aad_object_id, start,
                                            start + timedelta(minutes=30), f"Topic {index}", f"key-{index}")
        await bookings.confirm(booking.id, f"event-{index}", None, None)
    world.emu.clear_calls()

    await world.bot.say(ADELE, "my meetings")

    listing = card_text(world.connector.messages(ADELE.conversation_id)[-1].cards[0])
    assert "The next 10 of 12; the other 2 are in your Outlook calendar." in listing
    assert "Topic 9" in listing and "Topic 10" not in listing
    assert len(world.emu.calls_to("/events/")) == 10
