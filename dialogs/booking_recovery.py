"""Bookings that a crash or a database outage left half-done reach a final state on their own.

A booking row is `reserved` before its Outlook event is created and `confirmed` once the event is back. A
process killed in between, or a database that stopped answering when the event came back, leaves the row
`reserved`: the meeting may or may not be in Outlook, and nobody has been told. Once such a row has not
changed for longer than any live attempt can take (`settings.booking_stuck_after`), recovery takes it over:

1. claim the row (`BookingRepository.claim_stuck`), so that one process, or one task, acts on it;
2. look for the event by its provenance tag in the organizer's calendar, on the organizer's authority:
   domain-wide, the app's own token for the organizer's mailbox; individual, the organizer's own sign-in
   (never anybody else's);
3. found: confirm the row with the event's id and link, as a booking does, and tell both people;
   not found: mark it failed and tell the organizer that nothing was created;
4. the calendar cannot be asked (an expired sign-in, an outage): leave the row reserved, so a later pass
   tries again; once `settings.booking_recovery_give_up` has passed since the booking was made, mark it
   failed and tell the organizer that we could not check.

A move of a confirmed meeting (`begin_move` → PATCH of the event → `finish_move`) is recovered the same way:
a move left `reserved` is claimed (`claim_stuck_move`); the event is read as the organizer; if it already has
the move's times the move is finished, else it is moved to them (a PATCH to the times it was asked: the person
clicked for them, and Exchange keeps one event, so doing it late changes nothing else) and finished; an event
that is gone or cancelled fails the move, and the booking keeps its times. The organizer is told either way,
and on a finished move the attendees too.

It runs at start-up and then every `settings.booking_recovery_interval` seconds (`run_periodically`, started
by app.py), and for one booking when its organizer clicks "Book this time" again (`resolve`).

Why a booking with no event is marked failed rather than created now with the same transactionId: the
person clicked minutes ago, was answered with silence, and may have picked another time since; a meeting
that appears later, unasked, is worse than a clear "nothing was created". The row keeps its transactionId,
so a click on the same button retries safely: if an attempt did reach Outlook after all, Exchange answers
the retry with that same event instead of a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cards import texts
from cards.base import plain
from dialogs.attendee_cards import send_attendee_card, update_attendee_card
from dialogs.booking_people import Person, person_of
from dialogs.booking_views import confirmation_card_for, names_phrase
from dialogs.context import Services
from dialogs.graph_calls import recorded
from dialogs.signin import notify_member
from graph.calendar import Caller, CreatedEvent, EventStatus
from graph.errors import AuthProblem, GraphError, NotFound, NotOurEvent
from observability.metrics import count_booking
from scheduling.display import local_label
from storage.repositories import (
    BookingRecord,
    BookingRepository,
    BookingStateError,
    MemberRepository,
    MoveRecord,
    TenantRepository,
    tenants_with_stuck_bookings,
    tenants_with_stuck_moves,
)

log = logging.getLogger(__name__)

# failure_reason values written by recovery; each has its own message for the organizer.
NOTHING_CREATED = "recovery: no event for this booking in Outlook"
COULD_NOT_CHECK = "recovery: the organizer's calendar could not be reached in time"
# failure_reason values of moves that recovery failed.
MOVE_EVENT_GONE = "recovery: the event is no longer in Outlook"
MOVE_MEETING_GONE = "recovery: the meeting was cancelled before the move finished"


class BookingRecovery:
    """Finds the outcome of stuck bookings and tells the people concerned. Stateless: build one per user."""

    def __init__(self, services: Services, *, clock: Callable[[], datetime] | None = None) -> None:
        self.services = services
        self._clock = clock or (lambda: datetime.now(UTC))
        settings = services.settings
        self.stuck_after = timedelta(seconds=settings.booking_stuck_after)
        self.give_up_after = timedelta(seconds=settings.booking_recovery_give_up)
        self.interval = settings.booking_recovery_interval

    def is_stuck(self, booking: BookingRecord) -> bool:
        """Reserved and unchanged for longer than a live attempt can take."""
        return booking.status == "reserved" and booking.updated_at <= self._cutoff()

    def _cutoff(self) -> datetime:
        return self._clock() - self.stuck_after

    # ----------------------------------------------------------------- passes
    async def run_periodically(self) -> None:
        """One pass at once, then one every interval, until cancelled. A failed pass waits for the next."""
        while True:
            try:
                settled = await self.run_pass()
                if settled:
                    log.info("booking recovery settled %d booking(s)", settled)
            except Exception as exc:  # the database may be down; the next pass tries again
                log.warning("booking recovery pass failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval)

    async def run_pass(self) -> int:
        """Looks at every tenant's stuck bookings once; returns how many reached a final state."""
        if self.services.calendar is None:
            return 0  # without Graph there is no way to know; nothing was ever created either
        cutoff = self._cutoff()
        settled = 0
        for tenant_id in await tenants_with_stuck_bookings(self.services.db, cutoff):
            for booking in await BookingRepository(self.services.db, tenant_id).list_stuck(cutoff):
                try:
                    _, settled_here = await self._settle(booking, organizer_in_chat=False)
                except Exception as exc:  # one booking's trouble must not stop the others'
                    log.warning("recovering booking %s failed: %s", booking.id, type(exc).__name__)
                    continue
                settled += settled_here
        for tenant_id in await tenants_with_stuck_moves(self.services.db, cutoff):
            for move in await BookingRepository(self.services.db, tenant_id).list_stuck_moves(cutoff):
                try:
                    settled += await self.settle_move(move)
                except Exception as exc:  # one move's trouble must not stop the others'
                    log.warning("recovering move %s failed: %s", move.id, type(exc).__name__)
        return settled

    # ----------------------------------------------------------------- one booking
    async def resolve(self, booking: BookingRecord, *, organizer_in_chat: bool = False) -> BookingRecord:
        """Settles one stuck booking now, if it is still stuck and nobody else has claimed it.

        Returns the row as it then stands: confirmed, failed, or still reserved (another process has it, or
        the calendar could not be asked yet). `organizer_in_chat`: the organizer is clicking right now and is
        answered in the card, so only the colleague gets a message.
        """
        outcome, _ = await self._settle(booking, organizer_in_chat=organizer_in_chat)
        return outcome

    async def _settle(self, booking: BookingRecord, *, organizer_in_chat: bool) -> tuple[BookingRecord, bool]:
        """`resolve`, and whether this call is what settled the booking. A booking another pass (or the live
        turn) settled meanwhile reads as final too, but it is not this call's to count: a pass that lost the
        claim after the winner had confirmed must not report it settled a second time."""
        bookings = BookingRepository(self.services.db, booking.tenant_id)
        claimed = await bookings.claim_stuck(booking.id, self._cutoff())
        if claimed is None:
            return await bookings.get(booking.id) or booking, False
        organizer = await self._person(booking.tenant_id, booking.organizer_oid)
        colleague = await self._person(booking.tenant_id, booking.attendee_oid)

        caller = await self._organizers_caller(claimed, organizer)
        try:
            if caller is None:
                raise _CalendarUnreachable("no way to reach the organizer's calendar")
            found = await self._find_event(claimed, caller)
        except (_CalendarUnreachable, GraphError, AuthProblem) as exc:
            outcome = await self._unreachable(bookings, claimed, organizer, colleague, exc, organizer_in_chat)
        else:
            if found is not None:
                outcome = await self._confirm(bookings, claimed, found, organizer, organizer_in_chat)
            else:
                outcome = await self._fail(bookings, claimed, NOTHING_CREATED, organizer, colleague,
                                           organizer_in_chat)
        return outcome, outcome.status != "reserved"

    async def _organizers_caller(self, booking: BookingRecord, organizer: Person) -> Caller | None:
        tenant = await TenantRepository(self.services.db, booking.tenant_id).get()
        if tenant is None or not tenant.enabled or not tenant.mode:
            return None
        if tenant.mode == "delegated":
            return Caller.user(booking.tenant_id, booking.organizer_oid)  # their own sign-in, nobody else's
        return Caller.app(booking.tenant_id, organizer.email) if organizer.email else None

    async def _find_event(self, booking: BookingRecord, caller: Caller) -> CreatedEvent | None:
        calendar = self.services.calendar
        assert calendar is not None  # run_pass and the booking dialog check it first
        # `privacy` lists every look at someone's calendar; this one is the organizer's.
        return await recorded(self.services.db, booking.tenant_id, [booking.organizer_oid], "findEvent",
                              texts.REASON_RECOVERY_LOOK, calendar.find_event_by_provenance(caller, booking.id))

    async def _confirm(self, bookings: BookingRepository, booking: BookingRecord, event: CreatedEvent,
                       organizer: Person, organizer_in_chat: bool) -> BookingRecord:
        confirmed = await bookings.confirm(booking.id, event.id, event.join_url, event.web_link)
        count_booking("created", booking.tenant_id)  # created by the interrupted turn, counted once it is known
        log.info("booking %s recovered: the event was in Outlook", booking.id)
        attendees = await self._attendees(confirmed)  # everyone invited
        if not organizer_in_chat:
            await notify_member(self.services, booking.tenant_id, organizer.oid,
                                card=confirmation_card_for(confirmed, organizer, attendees),
                                text=texts.RECOVERED_BOOKING.format(colleague=_names(attendees),
                                                                    when=_when(confirmed, organizer)))
        for attendee in attendees:
            await send_attendee_card(self.services, bookings, confirmed.id, attendee.oid,
                                     confirmation_card_for(confirmed, organizer, attendees, for_attendee=True,
                                                           reader=attendee))
        return confirmed

    async def _fail(self, bookings: BookingRepository, booking: BookingRecord, reason: str, organizer: Person,
                    colleague: Person, organizer_in_chat: bool) -> BookingRecord:
        try:
            failed = await bookings.mark_failed(booking.id, reason)
        except BookingStateError:  # it was confirmed meanwhile after all
            return await bookings.get(booking.id) or booking
        log.info("booking %s recovered as failed (%s)", booking.id, reason)
        if not organizer_in_chat:
            await notify_member(self.services, booking.tenant_id, organizer.oid,
                                text=failure_message(failed, organizer, colleague))
        return failed

    async def _unreachable(self, bookings: BookingRepository, booking: BookingRecord, organizer: Person,
                           colleague: Person, problem: Exception, organizer_in_chat: bool) -> BookingRecord:
        if self._clock() - booking.created_at < self.give_up_after:
            log.info("booking %s: the organizer's calendar cannot be asked yet (%s); trying again later",
                     booking.id, type(problem).__name__)
            return booking  # stays reserved; the claim keeps others away until it is stuck again
        return await self._fail(bookings, booking, COULD_NOT_CHECK, organizer, colleague, organizer_in_chat)

    # ----------------------------------------------------------------- one move
    async def settle_move(self, move: MoveRecord) -> bool:
        """Settles one stuck move if this call claims it; True when this call finished or failed it."""
        bookings = BookingRepository(self.services.db, move.tenant_id)
        claimed = await bookings.claim_stuck_move(move.id, self._cutoff())
        if claimed is None:
            return False
        booking = await bookings.get(claimed.booking_id)
        if booking is None or booking.status != "confirmed" or not booking.event_id:
            await self._fail_move(bookings, claimed, MOVE_MEETING_GONE, None)
            return True
        organizer = await self._person(booking.tenant_id, booking.organizer_oid)
        caller = await self._organizers_caller(booking, organizer)
        try:
            if caller is None:
                raise _CalendarUnreachable("no way to reach the organizer's calendar")
            event = await self._event_of(booking, caller, organizer)
            gone = event.is_cancelled
            if not gone and (event.start, event.end) != (claimed.start_utc, claimed.end_utc):
                await self._move(booking, claimed, caller, organizer)
        except (NotFound, NotOurEvent):  # deleted in Outlook, or no longer the event we created
            gone = True
        except (_CalendarUnreachable, GraphError, AuthProblem) as exc:
            if self._clock() - claimed.created_at < self.give_up_after:
                log.info("move %s: the organizer's calendar cannot be asked yet (%s); trying again later",
                         claimed.id, type(exc).__name__)
                return False  # stays reserved; the claim keeps others away until it is stuck again
            await self._fail_move(bookings, claimed, COULD_NOT_CHECK, organizer, booking)
            return True
        if gone:
            await self._fail_move(bookings, claimed, MOVE_EVENT_GONE, organizer, booking)
            return True
        moved = await bookings.finish_move(claimed.id)
        log.info("move %s recovered: the meeting has its new times", claimed.id)
        await self._tell_moved(moved, organizer)
        return True

    async def _person(self, tenant_id: str, oid: str) -> Person:
        record = await MemberRepository(self.services.db, tenant_id).get(oid)
        return person_of(record) if record else _unknown(oid)

    async def _event_of(self, booking: BookingRecord, caller: Caller, organizer: Person) -> EventStatus:
        calendar = self.services.calendar
        assert calendar is not None and booking.event_id  # run_pass and settle_move check them first
        return await recorded(self.services.db, booking.tenant_id, [organizer.oid], "getEvent",
                              texts.REASON_MOVE_RECOVERY_LOOK, calendar.get_event(caller, booking.event_id, booking.id))

    async def _move(self, booking: BookingRecord, move: MoveRecord, caller: Caller, organizer: Person) -> None:
        calendar = self.services.calendar
        assert calendar is not None and booking.event_id
        about = [organizer.oid, *(attendee.oid for attendee in booking.attendees)]
        # Written in the organizer's zone, as the event was created (dialogs/booking/book.py).
        await recorded(self.services.db, booking.tenant_id, about, "moveEvent", texts.REASON_MOVE_RECOVERY_FINISH,
                       calendar.move_event(caller, booking.event_id, booking.id, move.start_utc, move.end_utc,
                                           organizer.shown_time_zone or "UTC"))

    async def _fail_move(self, bookings: BookingRepository, move: MoveRecord, reason: str,
                         organizer: Person | None, booking: BookingRecord | None = None) -> None:
        await bookings.fail_move(move.id, reason)
        log.info("move %s recovered as failed (%s)", move.id, reason)
        if organizer is not None and booking is not None:
            attendees = await self._attendees(booking)
            await notify_member(self.services, move.tenant_id, organizer.oid, text=texts.INTERRUPTED_MOVE.format(
                with_names=_names(attendees), when=_when(booking, organizer)))

    async def _tell_moved(self, booking: BookingRecord, organizer: Person) -> None:
        attendees = await self._attendees(booking)
        await notify_member(self.services, booking.tenant_id, organizer.oid, text=texts.RECOVERED_MOVE.format(
            with_names=_names(attendees), when=_when(booking, organizer)))
        for attendee in attendees:
            # Their earlier Booked card shows the new time too, when it can be updated; the line notifies them.
            notice = texts.MEETING_MOVED_BY.format(organizer=plain(organizer.name), when=_when(booking, attendee))
            card = confirmation_card_for(booking, organizer, attendees, for_attendee=True, reader=attendee)
            if not await update_attendee_card(self.services, booking, attendee.oid, card, notice):
                await notify_member(self.services, booking.tenant_id, attendee.oid, text=notice)

    async def _attendees(self, booking: BookingRecord) -> list[Person]:
        return [await self._person(booking.tenant_id, attendee.oid) for attendee in booking.attendees]


def _names(people: list[Person]) -> str:
    """ "Ben", "Ben and Chloe", "Ben, Chloe and Dev"."""
    return names_phrase([plain(person.name) for person in people])


class _CalendarUnreachable(Exception):
    """The organizer's calendar cannot be asked at all (organization disconnected, no address known)."""


def failure_message(booking: BookingRecord, organizer: Person, colleague: Person) -> str | None:
    """What the organizer is told about a booking recovery marked failed; None for other failures."""
    opening = texts.INTERRUPTED_BOOKING.format(colleague=plain(colleague.name), when=_when(booking, organizer))
    if booking.failure_reason == NOTHING_CREATED:
        return texts.INTERRUPTED_NOTHING_CREATED.format(opening=opening)
    if booking.failure_reason == COULD_NOT_CHECK:
        return texts.INTERRUPTED_COULD_NOT_CHECK.format(opening=opening)
    return None


def _when(booking: BookingRecord, person: Person) -> str:
    return local_label(booking.start_utc, booking.end_utc, person.zone(), person.locale)


def _unknown(oid: str) -> Person:
    return Person(oid=oid, name=texts.YOUR_COLLEAGUE, email=None, teams_user_id=None, time_zone=None)
