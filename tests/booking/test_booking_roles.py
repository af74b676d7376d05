"""Outlook's roles in both modes: the organizer cancels for everyone, the invited colleague declines their own
copy (and the organizer is told), and nobody's delegated token is ever used for someone else's action."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from dialogs.booking import resume_after_sign_in
from storage.repositories import ConsentRepository
from tests.booking.conftest import (
    ADELE,
    BEN,
    FABRIKAM,
    FIONA,
    LAURA,
    BookingWorld,
    all_actions,
    answer_yes,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
)
from tests.harness import TeamsUser


async def _booked(world: BookingWorld, organizer: TeamsUser, colleague: TeamsUser, subject: str
                  ) -> dict[str, Any]:
    """The organizer books the first suggested time; returns the card the colleague was sent."""
    card = await world.find_times(organizer, day_form(colleague, meeting_day(), subject=subject))
    await world.bot.execute(organizer, "book", book_buttons(card)[0])
    return world.proactive_to(colleague)[-1].cards[0]


def _button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    return next(action for action in all_actions(card) if action.get("verb") == verb)


def _graph_calls(world: BookingWorld) -> list[Any]:
    return [call for call in world.emu.calls if call.path.startswith("/v1.0/")]


@pytest.mark.parametrize("verb", ["declineBooking", "cancelBooking"], ids=["decline-button", "older-cancel-button"])
async def test_in_domain_wide_mode_the_colleague_declines_their_copy_and_the_organizer_is_told(
    world: BookingWorld, verb: str
) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    invitation = await _booked(world, ADELE, BEN, "Roadmap")
    assert _button(invitation, "declineBooking")["title"] == "Decline"
    assert not any(action.get("verb") == "cancelBooking" for action in all_actions(invitation))
    world.emu.clear_calls()
    world.connector.clear()

    question = card_of(await world.bot.execute(BEN, verb, _button(invitation, "declineBooking")["data"]))
    assert "Decline this meeting?" in card_text(question)
    assert _graph_calls(world) == [], "nothing happens before the answer"
    yes = _button(question, "confirmCancelBooking")
    declined = card_of(await world.bot.execute(BEN, "confirmCancelBooking", yes["data"]))

    assert "Declined: Roadmap" in card_text(declined)
    [meeting] = world.emu.created_events(ADELE.email)
    assert not meeting.is_cancelled, "the organizer's meeting stays"
    assert [(attendee.address, attendee.response) for attendee in meeting.attendees] == [(BEN.email, "declined")]
    assert world.emu.created_events(BEN.email) == []
    calls = _graph_calls(world)
    assert [call.method for call in calls if call.path.endswith("/decline")] == ["POST"]
    assert {call.mailbox for call in calls} == {BEN.email}, "only Ben's own mailbox was touched"
    assert not any(call.method == "DELETE" for call in calls)
    [told] = world.proactive_to(ADELE)
    assert "Ben Walters declined your meeting" in card_text(told.cards[0])
    [booking] = await world.bookings()
    assert booking.status == "confirmed"


async def test_my_meetings_offers_each_person_the_action_of_their_role(world: BookingWorld) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    invitation = await _booked(world, ADELE, BEN, "Budget")

    await world.bot.say(BEN, "my meetings")
    bens_list = world.connector.messages(BEN.conversation_id)[-1].cards[0]
    await world.bot.say(ADELE, "my meetings")
    adeles_list = world.connector.messages(ADELE.conversation_id)[-1].cards[0]

    assert [a["title"] for a in all_actions(bens_list) if a.get("verb")] == ["Decline", "Book a meeting"]
    assert "You: none yet" in card_text(bens_list)
    assert [a["title"] for a in all_actions(adeles_list) if a.get("verb")] == ["Find another time", "Cancel",
                                                                                "Book a meeting"]
    assert "Ben Walters: none yet" in card_text(adeles_list)

    await answer_yes(world.bot, BEN, _button(invitation, "declineBooking"))
    await world.bot.say(BEN, "my meetings")
    await world.bot.say(ADELE, "my meetings")

    bens_list = world.connector.messages(BEN.conversation_id)[-1].cards[0]
    assert "not in your Outlook calendar any more" in card_text(bens_list)
    assert [a["title"] for a in all_actions(bens_list) if a.get("verb")] == ["Book a meeting"]
    assert "Ben Walters: declined" in card_text(world.connector.messages(ADELE.conversation_id)[-1].cards[0])


async def test_in_individual_mode_the_colleague_declines_with_their_own_sign_in(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(FIONA)
    invitation = await _booked(world, FIONA, LAURA, "1:1")
    decline = _button(invitation, "declineBooking")["data"]
    world.emu.clear_calls()

    sign_in = card_of(await answer_yes(world.bot, LAURA, {"verb": "declineBooking", "data": decline}))

    assert "Connect your Outlook calendar" in card_text(sign_in)
    assert _graph_calls(world) == [], "nothing is sent with Fiona's token for Laura's click"
    [link] = [a["url"] for a in all_actions(sign_in) if a["type"] == "Action.OpenUrl"]
    state = dict(parse_qsl(urlsplit(link).query))["state"]
    waiting = (await ConsentRepository(world.db).consume(state)).payload["resume"]

    await world.connect_calendar(LAURA)
    assert await resume_after_sign_in(world.services, FABRIKAM, LAURA.aad_object_id, waiting)

    calls = _graph_calls(world)
    assert calls and {call.token_subject for call in calls} == {LAURA.aad_object_id}
    assert all(call.path.startswith("/v1.0/me/") for call in calls)
    assert "Declined: 1:1" in card_text(world.proactive_to(LAURA)[-1].cards[0])
    [meeting] = world.emu.created_events(FIONA.email)
    assert not meeting.is_cancelled
    assert [attendee.response for attendee in meeting.attendees] == ["declined"]
    assert "Laura Novak declined your meeting" in card_text(world.proactive_to(FIONA)[-1].cards[0])


async def test_in_individual_mode_the_organizer_cancels_with_their_own_token(world: BookingWorld) -> None:
    await world.set_up_tenant(FABRIKAM, mode="delegated", admin=FIONA)
    await world.meet(FIONA, LAURA)
    await world.connect_calendar(FIONA)
    await _booked(world, FIONA, LAURA, "Sync")
    [booking] = await world.bookings(FABRIKAM)
    world.emu.clear_calls()

    cancel = {"verb": "cancelBooking", "data": {"bookingId": booking.id}}
    cancelled = card_of(await answer_yes(world.bot, FIONA, cancel))

    assert "Cancelled: Sync" in card_text(cancelled)
    assert {call.token_subject for call in _graph_calls(world)} == {FIONA.aad_object_id}
    assert all(copy.is_cancelled for copy in world.emu.created_events(LAURA.email))
    assert "Cancelled: Sync" in card_text(world.proactive_to(LAURA)[-1].cards[0])
