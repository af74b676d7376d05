"""Who may be looked at, what Outlook's refusals sound like, and individual (delegated) mode."""

from __future__ import annotations

from dialogs.booking import resume_after_sign_in
from storage.repositories import GraphCallRepository
from tests.booking.conftest import (
    ADELE,
    BEN,
    FABRIKAM,
    FIONA,
    GRACE,
    LAURA,
    MATEO,
    PRODUCT_TEAM,
    BookingWorld,
    all_actions,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    message_of,
)


async def test_a_colleague_outside_the_security_group_is_refused_without_reading_their_calendar(
    world: BookingWorld,
) -> None:
    await world.set_up_tenant(security_group_id=PRODUCT_TEAM)
    await world.meet(ADELE, MATEO)

    reply = message_of(await world.bot.execute(ADELE, "findTimes", day_form(MATEO, meeting_day())))

    assert "Mateo Rossi isn't in it" in reply
    assert world.schedule_calls() == 0


async def test_an_organizer_outside_the_security_group_is_refused(world: BookingWorld) -> None:
    await world.set_up_tenant(security_group_id=PRODUCT_TEAM)
    await world.meet(MATEO, ADELE)

    reply = message_of(await world.bot.execute(MATEO, "findTimes", day_form(ADELE, meeting_day())))

    assert "you're not in it" in reply
    assert world.schedule_calls() == 0


async def test_members_of_the_group_book_as_usual(world: BookingWorld) -> None:
    await world.set_up_tenant(security_group_id=PRODUCT_TEAM)
    await world.meet(ADELE, BEN)

    card = await world.find_times(ADELE, day_form(BEN, meeting_day()))

    assert book_buttons(card)


async def test_the_exchange_access_policy_is_named_in_plain_words(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(GRACE, BEN)

    reply = message_of(await world.bot.execute(GRACE, "findTimes", day_form(BEN, meeting_day())))

    assert reply == ("Your organization's Exchange settings don't let Rendezvous read your calendar; "
                     "your admin can check the application access policy.")


async def test_throttling_says_try_again_in_a_minute(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    world.emu.faults.throttle("/calendar/getSchedule", times=None, retry_after="120")

    reply = message_of(await world.bot.execute(ADELE, "findTimes", day_form(BEN, meeting_day())))

    assert reply == "Outlook is busy, try again in a minute."


async def test_every_look_at_a_calendar_is_recorded_for_the_privacy_command(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)

    await world.find_times(ADELE, day_form(BEN, meeting_day()))

    looked_at_ben = await GraphCallRepository(world.db, ADELE.tenant_id).list_for(BEN.aad_object_id)
    assert [(call.kind, "Adele Vance" in (call.reason or "")) for call in looked_at_ben] == [("getSchedule", True)]


async def test_individual_mode_asks_for_sign_in_then_resumes_and_books(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    day = meeting_day()

    sign_in = card_of(await world.bot.execute(FIONA, "findTimes", day_form(LAURA, day, subject="Intro")))

    assert "Connect" in card_text(sign_in)
    assert any(a["type"] == "Action.OpenUrl" for a in all_actions(sign_in))
    assert world.emu.calls_to("findMeetingTimes") == []

    await world.connect_calendar(FIONA)
    resumed = await resume_after_sign_in(world.services, FABRIKAM, FIONA.aad_object_id, {})

    assert resumed
    suggestions = world.proactive_to(FIONA)[-1].cards[0]
    assert "Times for you and Laura Novak" in card_text(suggestions)
    assert "CET" in card_text(suggestions) and "EST" in card_text(suggestions)
    assert len(world.emu.calls_to("findMeetingTimes")) == 1

    confirmation = card_of(await world.bot.execute(FIONA, "book", book_buttons(suggestions)[0]))

    assert "Booked: Intro" in card_text(confirmation)
    [event] = world.emu.created_events(FIONA.email)
    assert [attendee.address for attendee in event.attendees] == [LAURA.email]
    assert world.proactive_to(LAURA)
