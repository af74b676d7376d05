"""Cards that stay true in each attendee's 1:1 chat: the Booked card an attendee was sent is remembered, and when
the organizer moves or cancels the meeting that very card is updated in place (plus a short notice, so the change
still notifies them). An earlier card that cannot be updated (deleted, or the Bot Connector refuses) gets a new card
instead, as before; nothing here ever fails the booking, move or cancel: Outlook has told everyone already."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from cards.base import Card
from dialogs.context import Actor, Services
from dialogs.personal_chat import run_in_personal_chat
from dialogs.replies import card_message
from dialogs.signin import notify_member
from storage.repositories import BookingAttendee, BookingRecord, BookingRepository

log = logging.getLogger(__name__)


async def send_attendee_card(services: Services, bookings: BookingRepository, booking_id: str, oid: str,
                             card: Card) -> bool:
    """Sends the attendee a new card about the booking and remembers it; False when they cannot be reached."""
    sent = await notify_member(services, bookings.tenant_id, oid, card=card)
    if sent is None:
        return False
    if sent.card_activity_id:
        await bookings.set_attendee_card(booking_id, oid, sent.card_activity_id, sent.conversation_id)
    return True


async def show_attendee(services: Services, bookings: BookingRepository, booking: BookingRecord, oid: str,
                        card: Card, notice: str) -> bool:
    """Shows the attendee the booking as it now stands: their earlier card updated to `card` plus `notice` as a new
    message, or else `card` as a new message. False when they cannot be reached in Teams at all."""
    if await update_attendee_card(services, booking, oid, card, notice):
        return True
    return await send_attendee_card(services, bookings, booking.id, oid, card)


async def update_attendee_card(services: Services, booking: BookingRecord, oid: str, card: Card, notice: str) -> bool:
    """Updates the card the attendee was sent about the booking to `card`, then sends `notice` as a new message;
    False (nothing sent) when there is no such card or it cannot be updated."""
    earlier = next((attendee for attendee in booking.attendees if attendee.oid == oid), None)
    if earlier is None or not earlier.card_activity_id:
        return False
    if await _update_in_place(services, booking.tenant_id, oid, earlier, card, notice):
        return True
    log.info("booking %s: an attendee's earlier card could not be updated", booking.id)
    return False


async def _update_in_place(services: Services, tenant_id: str, oid: str, earlier: BookingAttendee, card: Card,
                           notice: str) -> bool:
    updated: list[bool] = []

    async def turn(turn_context: TurnContext, actor: Actor) -> None:
        if actor.conversation_id != earlier.conversation_id:
            return  # their 1:1 chat is another one now: the card there is out of reach
        replacement = card_message(card)
        replacement.id = earlier.card_activity_id
        try:
            await turn_context.update_activity(replacement)
        except Exception as exc:  # a deleted message, or the Bot Connector refusing: a new card goes instead
            log.info("updating an attendee's card failed: %s", type(exc).__name__)
            return
        updated.append(True)
        await turn_context.send_activity(notice)

    await run_in_personal_chat(services, tenant_id, oid, turn)
    return bool(updated)
