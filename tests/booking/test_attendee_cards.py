"""Cards that stay true in an attendee's chat: when the organizer moves or cancels the meeting, the Booked card the
attendee was sent is updated in place (same activity, a PUT), and a short notice still notifies them; when that
card cannot be updated, the move or cancel still completes and a new card goes, as before."""

from __future__ import annotations

from typing import Any

from storage.repositories import BookingRecord
from tests.booking.conftest import (
    ADELE,
    BEN,
    BookingWorld,
    all_actions,
    answer_yes,
    book_buttons,
    card_of,
    card_text,
    day_form,
    meeting_day,
    slot_facts,
)
from tests.harness import SentActivity


async def _adele_books_ben(world: BookingWorld) -> tuple[BookingRecord, dict[str, Any], SentActivity, str]:
    """Adele books Ben (domain-wide); returns the booking, her Booked card, Ben's Booked card as sent to his chat,
    and the time as Ben's card reads it."""
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    suggestions = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject="Roadmap"))
    bens_label = dict(slot_facts(suggestions)[0])["Ben Walters"]
    booked = card_of(await world.bot.execute(ADELE, "book", book_buttons(suggestions)[0]))
    [booking] = await world.bookings()
    [bens_card] = [sent for sent in world.proactive_to(BEN) if sent.method == "POST"]
    assert bens_label in card_text(bens_card.cards[0]) and "declineBooking" in _verbs(bens_card.cards[0])
    world.connector.clear()
    return booking, booked, bens_card, bens_label


async def _adele_moves_it(world: BookingWorld, booked: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Adele moves the meeting to the first other time; returns her answer and the new time as Ben reads it."""
    find = next(action["data"] for action in all_actions(booked) if action.get("verb") == "findAnotherTime")
    suggestions = card_of(await world.bot.execute(ADELE, "findAnotherTime", find))
    bens_new_label = dict(slot_facts(suggestions)[0])["Ben Walters"]
    chosen = next(action["data"] for action in all_actions(suggestions) if action.get("verb") == "moveToSlot")
    return card_of(await world.bot.execute(ADELE, "moveToSlot", chosen)), bens_new_label


def _verbs(card: dict[str, Any]) -> list[str]:
    return [action["verb"] for action in all_actions(card) if action.get("verb")]


def _to_ben(world: BookingWorld, method: str) -> list[SentActivity]:
    return [sent for sent in world.connector.messages(BEN.conversation_id) if sent.method == method]


async def test_moving_updates_bens_own_card_to_the_new_time_and_still_notifies_him(world: BookingWorld) -> None:
    booking, booked, bens_card, old_label = await _adele_books_ben(world)

    moved, new_label = await _adele_moves_it(world, booked)

    assert "Booked: Roadmap" in card_text(moved) and new_label != old_label
    [update] = _to_ben(world, "PUT")
    assert update.activity_id == bens_card.activity_id
    updated = card_text(update.cards[0])
    assert new_label in updated and old_label not in updated and "moved this meeting" in updated
    assert "declineBooking" in _verbs(update.cards[0]), "he can still decline, the meeting at its new time"
    [notice] = _to_ben(world, "POST")
    assert notice.cards == [] and 'Adele Vance moved "Roadmap"' in notice.text


async def test_cancelling_turns_bens_card_into_the_cancelled_view(world: BookingWorld) -> None:
    booking, _, bens_card, _ = await _adele_books_ben(world)

    await answer_yes(world.bot, ADELE, {"verb": "cancelBooking", "data": {"bookingId": booking.id}})

    [update] = _to_ben(world, "PUT")
    assert update.activity_id == bens_card.activity_id
    assert "cancelled by adele vance" in card_text(update.cards[0]).lower()
    assert _verbs(update.cards[0]) == [], "no Decline left on a cancelled meeting"
    [notice] = _to_ben(world, "POST")
    assert notice.cards == [] and 'Adele Vance cancelled "Roadmap"' in notice.text


async def test_a_card_that_cannot_be_updated_gets_a_new_one_and_the_move_completes(world: BookingWorld) -> None:
    booking, booked, bens_card, _ = await _adele_books_ben(world)
    world.connector.refuse_updates = True  # as if Ben had deleted the message

    moved, new_label = await _adele_moves_it(world, booked)

    assert "Booked: Roadmap" in card_text(moved)
    [stored] = await world.bookings()
    assert stored.start_utc != booking.start_utc
    [refused] = _to_ben(world, "PUT")
    assert refused.activity_id == bens_card.activity_id
    [new_card] = _to_ben(world, "POST")
    assert new_label in card_text(new_card.cards[0]) and "moved this meeting" in card_text(new_card.cards[0])

    # That new card is the one a later change updates.
    world.connector.refuse_updates = False
    world.connector.clear()
    await answer_yes(world.bot, ADELE, {"verb": "cancelBooking", "data": {"bookingId": booking.id}})
    [update] = _to_ben(world, "PUT")
    assert update.activity_id == new_card.activity_id
    assert _verbs(update.cards[0]) == []
