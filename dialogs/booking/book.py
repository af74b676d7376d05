"""Booking a clicked time: reserve it (idempotently), re-check it, create the event, confirm it, answer a
repeated click with the one booking's outcome, and the confirmation cards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from typing import Any, Protocol, TypeVar

from botbuilder.core import TurnContext

from cards import texts
from cards.base import plain
from cards.booking import cancelled_card
from cards.group_chat import group_booked_card
from dialogs.attendee_cards import send_attendee_card
from dialogs.booking import common
from dialogs.booking.common import MAX_SUBJECT, BookingStopped, _cancelled_view, _Search, _typing, log
from dialogs.booking.search import SearchSteps
from dialogs.booking_people import Person
from dialogs.booking_recovery import BookingRecovery, failure_message
from dialogs.booking_state import OfferedSlot, PayloadRefused, refuse_if_expired
from dialogs.booking_views import Attendees, attendees_of
from dialogs.context import ActionResult, Actor, Services
from dialogs.group_chat import post_group_line
from graph.calendar import CreatedEvent, EventAttendee, NewEvent
from observability.metrics import count_booking
from scheduling.display import local_label
from scheduling.slots import is_slot_still_free
from storage.database import DATABASE_OUTAGES
from storage.repositories import BookingAttendee, BookingRecord, BookingRepository, TenantRecord

# How long a second click waits for the first click's booking to finish before answering "in progress".
WAIT_FOR_OTHER_CLICK = timedelta(seconds=15)
_POLL_INTERVAL = 0.2
CONFIRM_ATTEMPTS = 4  # waits of 1, 2 and 4 s: a busy pool or a brief outage passes; recovery covers the rest


class BookingSteps(SearchSteps):
    """A click on a suggested time; a time taken meanwhile leads back to fresh suggestions."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._recovery = BookingRecovery(services)

    async def book(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._book, turn_context, actor, data)

    async def _book(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        memory = await self._memory(turn_context)
        offered, slot = memory.offered_slot(data, actor.aad_object_id, actor.tenant_id)
        if offered.moving_booking_id is not None:  # an altered button: these times move a meeting, never book one
            raise PayloadRefused(texts.MOVE_TIMES_NOT_FOR_BOOKING)
        tenant = await self._require_tenant(actor)
        search = await self._search_again(actor, offered)
        organizer, invitees = search.organizer, search.invitees
        people = [invitee.person for invitee in invitees]
        await self._require_allowed(actor, *people)
        bookings = BookingRepository(self.services.db, actor.tenant_id)
        key = f"{offered.search_id}:{slot.slot_id}"
        existing = await _booking_by_key(bookings, actor.aad_object_id, key)
        if existing is not None and existing.status != "failed":
            # A repeated click gets the one booking's outcome, however late it comes.
            return await self._outcome_of(bookings, existing, organizer, people)
        refuse_if_expired(offered, common.now())

        await _typing(turn_context)
        if existing is None and not await self._still_free(actor, tenant, search, slot):
            # The time may be taken by this very booking, made by a click on another device meanwhile:
            # its reservation is written before its event, so it is visible by now.
            concurrent = await _booking_by_key(bookings, actor.aad_object_id, key)
            if concurrent is not None:
                return await self._outcome_of(bookings, concurrent, organizer, people)
            return await self._suggest(turn_context, actor, tenant, search,
                                       intro=texts.TIME_TAKEN, group_origin=offered.group_origin)
        first_names = " / ".join(person.first_name for person in [organizer, *people])
        subject = (offered.options.subject or first_names)[:MAX_SUBJECT]
        booking, created = await bookings.reserve(
            actor.aad_object_id, people[0].oid, slot.start_utc, slot.end_utc, subject, key,
            transaction_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"rendezvous:{actor.tenant_id}:{key}")),
            conversation_id=actor.conversation_id,
            card_activity_id=turn_context.activity.reply_to_id,
            attendees=[BookingAttendee(invitee.person.oid, invitee.required) for invitee in invitees],
        )
        if not created and booking.status != "failed":
            return await self._outcome_of(bookings, booking, organizer, people)
        result = await self._create_event(actor, tenant, bookings, booking, search)
        memory.finish(offered.search_id, slot.slot_id)
        if offered.group_origin and result.card is not None:
            await self._tell_group(offered.group_origin, booking, organizer)
        return result

    async def _create_event(self, actor: Actor, tenant: TenantRecord, bookings: BookingRepository,
                            booking: BookingRecord, search: _Search) -> ActionResult:
        organizer, people = search.organizer, [invitee.person for invitee in search.invitees]
        note = search.options.note or ""
        body = (f"{note}\n\n" if note else "") + texts.BOOKED_BY.format(organizer=organizer.name)
        event = NewEvent(
            subject=booking.subject,
            body_text=body,
            start=booking.start_utc,
            end=booking.end_utc,
            time_zone=_zone_name(organizer),
            attendees=tuple(EventAttendee(invitee.person.email or "", invitee.person.name, required=invitee.required)
                            for invitee in search.invitees),
            transaction_id=booking.transaction_id or booking.id,
            provenance_value=booking.id,
        )
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        try:
            created = await self._graph(actor, search.people, "createEvent",
                                        texts.CALL_REASON_BOOK.format(organizer=organizer.name),
                                        self._calendar().create_event(caller, event), about=organizer)
        except BookingStopped:
            await bookings.mark_failed(booking.id, "creating the event failed")
            raise
        confirmed = await _confirm_created(bookings, booking.id, created)
        self._examples.pop((actor.tenant_id, actor.aad_object_id), None)  # help's example: now this colleague
        count_booking("created", actor.tenant_id)
        await self._tell_attendees(actor, confirmed, organizer, people)
        return ActionResult(card=self._confirmation(confirmed, organizer, people))

    async def _tell_attendees(self, actor: Actor, booking: BookingRecord, organizer: Person,
                              people: list[Person]) -> None:
        """Each attendee gets their own Booked card in their 1:1 chat, in their own words and times. Someone
        who cannot be reached is logged, never a failed booking: Outlook's invitation went to everyone."""
        bookings = BookingRepository(self.services.db, actor.tenant_id)
        for person in people:
            card = self._confirmation(booking, organizer, people, for_attendee=True, reader=person)
            if not await send_attendee_card(self.services, bookings, booking.id, person.oid, card):
                log.info("booking %s: an attendee could not be told in Teams (Outlook's invitation still went)",
                         booking.id)

    async def _tell_group(self, group_origin: dict[str, Any], booking: BookingRecord, organizer: Person) -> None:
        """The group chat the request came from gets one neutral line: who booked what, and when, which Teams
        shows each reader on their own clock (the notification summary says it in UTC). Never anyone's free/busy
        or other meetings."""
        when = local_label(booking.start_utc, booking.end_utc, UTC, None)
        summary = texts.GROUP_BOOKED_LINE.format(organizer=plain(organizer.name), subject=plain(booking.subject),
                                                 when=when)
        line = group_booked_card(plain(organizer.name), plain(booking.subject), booking.start_utc, booking.end_utc)
        try:
            delivered = await post_group_line(self.services, group_origin, summary, line)
        except Exception as exc:  # the meeting exists; a group chat that cannot be reached changes nothing
            log.warning("booking %s: the group chat could not be told: %s", booking.id, type(exc).__name__)
            return
        if not delivered:
            log.info("booking %s: the group chat could not be told", booking.id)

    async def _still_free(self, actor: Actor, tenant: TenantRecord, search: _Search, slot: OfferedSlot, *,
                          reason: str | None = None) -> bool:
        """Fresh free/busy of everyone, just before creating (or moving); unknown counts as taken unless it was
        offered so. Optional people never hold up a booking: the suggestion already said whether they can come.
        `reason` is why the look-up is recorded (privacy), when it is not a booking's re-check."""
        organizer = search.organizer
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        required = [organizer, *(invitee.person for invitee in search.invitees if invitee.required)]
        emails = [person.email or "" for person in required]
        availability = await self._graph(
            actor, required, "getSchedule", reason or texts.CALL_REASON_RECHECK.format(organizer=organizer.name),
            self._calendar().get_schedule(caller, emails, slot.start_utc, slot.end_utc), about=organizer)
        people = list(availability.values())
        if not slot.verified:
            # The person was told this time was unverified; an unreadable calendar cannot stop it now.
            people = [person for person in people if person.known]
        return is_slot_still_free(slot.start_utc, slot.end_utc, people)

    async def _outcome_of(self, bookings: BookingRepository, booking: BookingRecord, organizer: Person,
                          colleague: Attendees) -> ActionResult:
        """Answers a repeated or concurrent click with the one booking's state, waiting briefly if it is in flight.

        A booking a crash or an outage left behind is settled now (dialogs/booking_recovery.py), not waited for.
        """
        current: BookingRecord | None = booking
        if self._recovery.is_stuck(booking) and self.services.calendar is not None:
            current = await self._recovery.resolve(booking, organizer_in_chat=True)
            if current.status == "reserved":  # Outlook could not be asked; waiting here would not help
                return ActionResult(text=texts.STILL_UNSETTLED)
        current = await wait_while_reserved(current, lambda: bookings.get(booking.id))
        if current is None or current.status == "reserved":
            return ActionResult(text=texts.STILL_BOOKING)
        if current.status == "confirmed":
            return ActionResult(card=self._confirmation(current, organizer, colleague))
        if current.status == "cancelled":
            return ActionResult(card=cancelled_card(_cancelled_view(current, organizer, colleague, organizer)))
        return ActionResult(text=failure_message(current, organizer, attendees_of(colleague)[0])
                            or texts.BOOKING_FAILED_RETRY)


async def _confirm_created(bookings: BookingRepository, booking_id: str, created: CreatedEvent) -> BookingRecord:
    """Records the event Outlook just created."""
    return await written_soon(
        lambda: bookings.confirm(booking_id, created.id, created.join_url, created.web_link), f"booking {booking_id}")


async def written_soon(write: Callable[[], Awaitable[_Written]], what: str) -> _Written:
    """Records what Outlook just did (an event created, a meeting moved). It is done there now, so a database that
    does not answer is tried again for a few seconds rather than leaving the row `reserved` until recovery takes
    it over."""
    for attempt in range(CONFIRM_ATTEMPTS - 1):
        try:
            return await write()
        except DATABASE_OUTAGES:
            log.warning("%s: recording what Outlook did failed (database); trying again", what)
            await asyncio.sleep(2 ** attempt)
    return await write()


class _Reserved(Protocol):
    @property
    def status(self) -> str: ...


_Row = TypeVar("_Row", bound=_Reserved)
_Written = TypeVar("_Written")


async def wait_while_reserved(current: _Row | None, fetch: Callable[[], Awaitable[_Row | None]]) -> _Row | None:
    """A repeated or concurrent click on something in flight (a booking, a move): waits up to WAIT_FOR_OTHER_CLICK
    for the first click's outcome, reading the row again; returns it as it is then (still `reserved` if slow)."""
    deadline = common.now() + WAIT_FOR_OTHER_CLICK
    while current is not None and current.status == "reserved" and common.now() < deadline:
        await asyncio.sleep(_POLL_INTERVAL)
        current = await fetch()
    return current


async def _booking_by_key(bookings: BookingRepository, organizer_oid: str, key: str) -> BookingRecord | None:
    booking = await bookings.get_by_key(key)
    return booking if booking is not None and booking.organizer_oid == organizer_oid else None


def _zone_name(person: Person) -> str:
    """The zone the event is written in: the organizer's shown zone, so Outlook shows the times the cards show."""
    return person.shown_time_zone or "UTC"
