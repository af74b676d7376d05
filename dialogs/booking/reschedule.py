"""Moving a meeting to another time (issue 11): "Find another time" searches again for the same people and length,
and a click on one of those times moves the same Outlook event (PATCH of its start and end: same event, same
Teams link), never cancel-and-recreate.

* Only the organizer moves a meeting (Outlook's roles); an attendee proposes a new time from Outlook instead.
  Every call runs as the organizer: their own sign-in (individual mode) or the app in their mailbox (domain-wide).
* Idempotent like booking: the move row's unique key (search id + slot) decides double clicks, concurrent clicks
  and retries, so the meeting moves once; a later click answers with that move's outcome.
* A move a crash left `reserved` is finished by a retry of the same click once it is stuck (PATCH to the times it
  already has changes nothing), and otherwise by the periodic recovery (dialogs/booking_recovery.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext

from cards import texts
from cards.base import Card, plain
from cards.booking import cancelled_card
from dialogs.attendee_cards import show_attendee
from dialogs.booking import common
from dialogs.booking.book import BookingSteps, _zone_name, wait_while_reserved, written_soon
from dialogs.booking.common import BookingStopped, Invitee, _cancelled_view, _Search, _sign_in_card, _typing, log
from dialogs.booking.meetings import MeetingSteps
from dialogs.booking.search import (
    _duration_values,
    _invitee_values,
    _next_days,
    _options_from_values,
    _window_values,
)
from dialogs.booking_people import Person, organizer_of
from dialogs.booking_state import PayloadRefused, refuse_if_expired
from dialogs.booking_views import attendee_names
from dialogs.context import ActionResult, Actor
from graph.errors import NotFound, NotOurEvent, ServiceUnavailable
from observability.metrics import count_booking
from storage.repositories import BookingRecord, BookingRepository, BookingStateError, MoveRecord, TenantRecord


class RescheduleSteps(BookingSteps, MeetingSteps):
    """"Find another time" on a meeting, and a click on one of the times it found."""

    async def find_another_time(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._find_another_time, turn_context, actor, data)

    async def move_to_slot(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._move_to_slot, turn_context, actor, data)

    async def _find_another_time(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                 ) -> ActionResult:
        tenant = await self._require_tenant(actor)
        booking, organizer, _ = await self._organizers_booking(actor, data)
        _refuse_unless_movable(booking)
        search = await self._search_for_moving(actor, booking)
        try:
            return await self._suggest(turn_context, actor, tenant, search, moving=booking)
        except BookingStopped as stopped:
            if stopped.result.card is None:
                raise
            # The organizer must sign in again first (individual mode): what continues after it is this search
            # for moving the meeting, not the search for a new booking the suggestions would otherwise resume.
            (await self._memory(turn_context)).set_pending(None)
            return ActionResult(card=await _sign_in_card(self.services, turn_context, actor, {"move": booking.id},
                                                         None))

    async def _organizers_booking(self, actor: Actor, data: dict[str, Any]
                                  ) -> tuple[BookingRecord, Person, list[Person]]:
        """The booking a card points at, if the person clicking organized it. The role comes from the booking, never
        from the button, so an attendee's altered payload moves nothing."""
        booking, organizer, attendees = await self._participants_booking(actor, data)
        if actor.aad_object_id != organizer.oid:
            raise PayloadRefused(texts.ONLY_ORGANIZER_MOVES.format(organizer=plain(organizer.name)))
        return booking, organizer, attendees

    async def _search_for_moving(self, actor: Actor, booking: BookingRecord) -> _Search:
        """The same people (each required or optional, as booked) and length as the booking, over the organizer's
        next days from now (as a typed request without a day looks). Each is checked again like a fresh pick."""
        colleagues = self._colleagues(actor)
        invitees = [Invitee(await colleagues.by_id(attendee.oid), attendee.required) for attendee in booking.attendees]
        organizer = organizer_of(actor)
        now, zone = common.now(), organizer.zone()
        window = _next_days(now, zone)
        minutes = int((booking.end_utc - booking.start_utc).total_seconds() // 60)
        values = {**_duration_values(timedelta(minutes=minutes)), **_window_values(window, zone),
                  **_invitee_values(invitees)}
        return _Search(organizer, tuple(invitees), window, _options_from_values(values, minutes))

    async def _move_to_slot(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        tenant = await self._require_tenant(actor)
        booking, organizer, attendees = await self._organizers_booking(actor, data)
        memory = await self._memory(turn_context)
        offered, slot = memory.offered_slot(data, actor.aad_object_id, actor.tenant_id)
        if offered.moving_booking_id != booking.id:
            raise PayloadRefused(texts.MOVE_FOR_ANOTHER_MEETING)
        bookings = BookingRepository(self.services.db, actor.tenant_id)
        key = f"move:{offered.search_id}:{slot.slot_id}"
        existing = await bookings.get_move_by_key(key)
        if existing is not None:
            # A repeated click (or a retry after a crash) gets the one move's outcome.
            return await self._move_outcome(actor, tenant, bookings, existing, organizer, attendees)
        refuse_if_expired(offered, common.now())
        _refuse_unless_movable(booking)

        await _typing(turn_context)
        recheck = texts.CALL_REASON_RECHECK_MOVE.format(organizer=organizer.name)
        search = await self._search_for_moving(actor, booking)
        if not await self._still_free(actor, tenant, search, slot, reason=recheck):
            # Taken by this very move, made by a click on another device meanwhile? Its row is written before
            # the event is changed, so it is visible by now.
            concurrent = await bookings.get_move_by_key(key)
            if concurrent is not None:
                return await self._move_outcome(actor, tenant, bookings, concurrent, organizer, attendees)
            return await self._suggest(turn_context, actor, tenant, search, intro=texts.TIME_TAKEN, moving=booking)
        try:
            move, created = await bookings.begin_move(booking.id, slot.start_utc, slot.end_utc, key)
        except BookingStateError:
            raise BookingStopped(ActionResult(text=texts.MOVE_BOOKING_CHANGED)) from None
        except ValueError:
            raise BookingStopped(ActionResult(text=texts.MOVE_SAME_TIME)) from None
        if not created:
            return await self._move_outcome(actor, tenant, bookings, move, organizer, attendees)
        result = await self._change_event(actor, tenant, bookings, move, organizer, attendees)
        memory.finish(offered.search_id, slot.slot_id)
        return result

    async def _change_event(self, actor: Actor, tenant: TenantRecord, bookings: BookingRepository, move: MoveRecord,
                            organizer: Person, attendees: list[Person]) -> ActionResult:
        """Moves the Outlook event as its organizer, records it, and tells each attendee the new time."""
        booking = await bookings.get(move.booking_id)
        if booking is None or not booking.event_id:
            await bookings.fail_move(move.id, "the booking has no event")
            raise BookingStopped(ActionResult(text=texts.MOVE_NEVER_CREATED))
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        try:
            await self._graph(
                actor, [organizer, *attendees], "moveEvent", texts.CALL_REASON_MOVE.format(name=actor.name),
                self._calendar().move_event(caller, booking.event_id, booking.id, move.start_utc, move.end_utc,
                                            _zone_name(organizer)),
                about=organizer)
        except BookingStopped as stopped:
            cause = stopped.__cause__
            if isinstance(cause, ServiceUnavailable):
                # No answer: the event may have moved. The move stays `reserved`; a retry or recovery settles it.
                raise BookingStopped(ActionResult(text=texts.MOVE_UNSETTLED)) from cause
            reason = texts.MOVE_EVENT_GONE if isinstance(cause, (NotFound, NotOurEvent)) else stopped.result.text
            await bookings.fail_move(move.id, type(cause).__name__ if cause is not None else "moving the event failed")
            raise BookingStopped(ActionResult(text=texts.MOVE_FAILED.format(reason=reason))) from cause
        try:
            moved = await written_soon(lambda: bookings.finish_move(move.id), f"move {move.id}")
        except BookingStateError:
            log.warning("move %s: the booking changed while its event was moved", move.id)
            raise BookingStopped(ActionResult(text=texts.MOVE_BOOKING_CHANGED)) from None
        count_booking("moved", actor.tenant_id)
        notice = texts.MOVED_NOTICE_ATTENDEE.format(organizer=plain(organizer.name), subject=plain(moved.subject))
        for attendee in attendees:
            card = self._confirmation(moved, organizer, attendees, for_attendee=True, reader=attendee,
                                      note=texts.MOVED_NOTE_ATTENDEE.format(organizer=plain(organizer.name)))
            if not await show_attendee(self.services, bookings, moved, attendee.oid, card, notice):
                log.info("move %s: an attendee could not be told in Teams (Outlook's update still went)", move.id)
        return ActionResult(card=self._moved_card(moved, organizer, attendees))

    def _moved_card(self, booking: BookingRecord, organizer: Person, attendees: list[Person]) -> Card:
        """The organizer's Booked card at the new time, noting that everyone has been sent it."""
        note = texts.MOVED_NOTE_ORGANIZER.format(colleague=plain(attendee_names(booking, attendees)))
        return self._confirmation(booking, organizer, attendees, note=note)

    async def _move_outcome(self, actor: Actor, tenant: TenantRecord, bookings: BookingRepository, move: MoveRecord,
                            organizer: Person, attendees: list[Person]) -> ActionResult:
        """Answers a repeated or concurrent click with the one move's state, waiting briefly while it is in flight.

        A move left `reserved` for longer than any live attempt takes (a crash between reserving and recording it)
        is taken over and finished now: moving the event to the times it may already have changes nothing.
        """
        cutoff = common.now() - self._recovery.stuck_after
        if move.status == "reserved" and move.updated_at <= cutoff:
            claimed = await bookings.claim_stuck_move(move.id, cutoff)
            if claimed is not None:
                return await self._change_event(actor, tenant, bookings, claimed, organizer, attendees)
        current = await wait_while_reserved(move, lambda: bookings.get_move(move.id))
        if current is None or current.status == "reserved":
            return ActionResult(text=texts.STILL_MOVING)
        if current.status == "failed":
            return ActionResult(text=texts.MOVE_FAILED_BEFORE)
        booking = await bookings.get(current.booking_id)
        if booking is None:
            return ActionResult(text=texts.NOT_YOUR_MEETING)
        if booking.status == "cancelled":
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendees, organizer)))
        return ActionResult(card=self._moved_card(booking, organizer, attendees))


def _refuse_unless_movable(booking: BookingRecord) -> None:
    """Only a meeting that is in Outlook and still ahead can move."""
    if booking.status == "cancelled":
        raise PayloadRefused(texts.MOVE_CANCELLED)
    if booking.status != "confirmed" or not booking.event_id:
        raise PayloadRefused(texts.MOVE_NEVER_CREATED)
    if booking.start_utc <= common.now():
        raise PayloadRefused(texts.MOVE_PAST)
