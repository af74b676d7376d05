"""The meetings afterwards: my meetings and each one's responses, a meeting's own card, the question before
cancelling, and the cancel (organizer) or decline (invited colleague) itself."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botbuilder.core import TurnContext

from cards import texts
from cards.base import Card, plain
from cards.booking import (
    IN_LIST,
    MAX_MEETINGS_SHOWN,
    CancelQuestionView,
    DeclinedView,
    MeetingItem,
    MyMeetingsView,
    cancel_question_card,
    cancelled_by_words,
    cancelled_card,
    declined_card,
    my_meetings_card,
)
from dialogs.attendee_cards import show_attendee
from dialogs.booking import common
from dialogs.booking.common import (
    BookingBase,
    BookingStopped,
    _cancelled_view,
    _needs_sign_in,
    _reader,
    _sign_in_card,
    _typing,
    log,
)
from dialogs.booking_people import Person, organizer_of, person_of
from dialogs.booking_state import PayloadRefused
from dialogs.booking_views import attendee_name_list, attendee_names, meeting_times, names_phrase
from dialogs.context import ActionResult, Actor
from dialogs.signin import notify_member
from graph.calendar import AttendeeResponse, Invitation
from graph.errors import NotFound, NotOurEvent
from observability.metrics import count_booking
from scheduling.display import PEOPLE_SEPARATOR
from storage.repositories import BookingRecord, BookingRepository, MemberRepository, TenantRecord

_RESPONSE_WORDS = {
    AttendeeResponse.ACCEPTED: "accepted",
    AttendeeResponse.TENTATIVELY_ACCEPTED: "tentative",
    AttendeeResponse.DECLINED: "declined",
}


class MeetingSteps(BookingBase):
    """Everything about a meeting already booked."""

    async def refresh_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def show(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            booking, organizer, colleague = await self._participants_booking(actor, data)
            return await self._card_of_booking(actor, booking, organizer, colleague)

        return await self._guarded(show, turn_context, actor, data)

    async def _participants_booking(self, actor: Actor, data: dict[str, Any]
                                    ) -> tuple[BookingRecord, Person, list[Person]]:
        """The booking a card names, if the actor organizes it or is invited, with its organizer and attendees."""
        booking_id = data.get("bookingId")
        if not isinstance(booking_id, str) or not booking_id:
            raise PayloadRefused(texts.CARD_NAMES_NO_MEETING)
        booking = await BookingRepository(self.services.db, actor.tenant_id).get(booking_id)
        if booking is None or actor.aad_object_id not in (booking.organizer_oid, *_attendee_oids(booking)):
            raise PayloadRefused(texts.NOT_YOUR_MEETING)
        people = await self._people_of(actor, booking)
        if people is None:
            raise PayloadRefused(texts.PARTICIPANT_UNKNOWN)
        return booking, *people

    async def _people_of(self, actor: Actor, booking: BookingRecord) -> tuple[Person, list[Person]] | None:
        """The organizer and every attendee as members; None when one of them is no longer known."""
        members = MemberRepository(self.services.db, actor.tenant_id)
        organizer_record = await members.get(booking.organizer_oid)
        records = [await members.get(oid) for oid in _attendee_oids(booking)]
        if organizer_record is None or any(record is None for record in records):
            return None
        return person_of(organizer_record), [person_of(record) for record in records if record is not None]

    async def my_meetings_command(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        await self._send(turn_context, await self._guarded(self._my_meetings, turn_context, actor, {}))

    async def my_meetings_action(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._my_meetings, turn_context, actor, data)

    async def _my_meetings(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return ActionResult(card=await self._meetings_card(turn_context, actor))

    async def _meetings_card(self, turn_context: TurnContext, actor: Actor, *, changed: BookingRecord | None = None,
                             asking: bool = False) -> Card:
        """The list of upcoming meetings. `changed` is the one a row button acted on; the list is then rebuilt
        with the same rows: a meeting cancelled from it keeps its row (shown cancelled, without buttons), and
        with `asking` that row asks the question in place of its buttons."""
        tenant = await self._require_tenant(actor)
        now = common.now()
        bookings = await BookingRepository(self.services.db, actor.tenant_id).list_for_member(
            actor.aad_object_id, upcoming_only=changed is None, now=now)
        await _typing(turn_context)
        items: list[MeetingItem] = []
        shown_statuses = ("confirmed",) if changed is None else ("confirmed", "cancelled")
        listed = [booking for booking in bookings
                  if booking.status in shown_statuses and booking.event_id and booking.end_utc > now]
        # Only the meetings the card can show are read back from Outlook (one Graph call each).
        for booking in listed[:MAX_MEETINGS_SHOWN]:
            people = await self._people_of(actor, booking)
            if people is None:
                continue
            organizer, attendees = people
            reader = _reader(actor, organizer, attendees)
            organizes = booking.organizer_oid == actor.aad_object_id
            row = MeetingItem(
                booking_id=booking.id,
                subject=booking.subject,
                with_name=_with_whom(booking, organizer, attendees, reader),
                times=meeting_times(booking, organizer, attendees, reader),
                response="",
                join_url=booking.join_url,
                is_organizer=organizes,
            )
            if booking.status == "cancelled":  # only its organizer cancels a meeting (Outlook's roles)
                items.append(replace(row, can_respond=False, cancelled_by=organizer.name))
                continue
            if organizes:
                response, can_respond = await self._responses_of(actor, tenant, booking, organizer, attendees), True
            else:
                response, can_respond = await self._own_response(actor, tenant, booking, organizer, reader)
                response = texts.YOUR_RESPONSE.format(response=response)
            items.append(replace(row, response=response, can_respond=can_respond, can_move=organizes,
                                 asking=asking and changed is not None and booking.id == changed.id))
        notes = self._zone_notice(await self._memory(turn_context), organizer_of(actor)) if items else []
        return my_meetings_card(MyMeetingsView(tuple(items), notes=tuple(notes), total=len(listed)))

    async def _responses_of(self, actor: Actor, tenant: TenantRecord, booking: BookingRecord, organizer: Person,
                            attendees: list[Person]) -> str:
        """The organizer asks: each attendee's reply, read back from the bot's own event (tag verified) in one
        call: "Ben Walters: accepted · Chloe Martin: no reply yet"."""
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        try:
            status = await self._graph(
                actor, [organizer], "getEvent", texts.CALL_REASON_READ_REPLY,
                self._calendar().get_event(caller, booking.event_id or "", booking.id), about=organizer)
        except BookingStopped as stopped:
            cause = stopped.__cause__
            if isinstance(cause, NotFound):
                return texts.RESPONSE_EVENT_GONE
            if isinstance(cause, NotOurEvent):
                return texts.RESPONSE_NOT_OURS
            return texts.RESPONSE_NOT_ASKED
        return PEOPLE_SEPARATOR.join(
            texts.THEIR_RESPONSE.format(
                name=attendee.name,
                response=_RESPONSE_WORDS.get(status.response_of(attendee.email or ""), texts.RESPONSE_NONE_YET))
            for attendee in attendees)

    async def _own_response(self, actor: Actor, tenant: TenantRecord, booking: BookingRecord, organizer: Person,
                            attendee: Person) -> tuple[str, bool]:
        """The invited colleague asks: their own reply, read from their own copy (never the organizer's calendar).

        Returns the words and whether they can still decline.
        """
        try:
            invitation = await self._invitation(actor, tenant, booking, organizer, attendee)
        except BookingStopped as stopped:
            if stopped.__cause__ is not None and _needs_sign_in(stopped.__cause__):
                return texts.RESPONSE_NEEDS_CONNECT, True
            return texts.RESPONSE_NOT_ASKED, True
        if invitation is None:
            return texts.RESPONSE_NOT_IN_CALENDAR, False
        if invitation.is_cancelled:
            return cancelled_by_words(organizer.name), False
        return _RESPONSE_WORDS.get(invitation.response, texts.RESPONSE_NONE_YET), True

    async def _invitation(self, actor: Actor, tenant: TenantRecord, booking: BookingRecord, organizer: Person,
                          attendee: Person) -> Invitation | None:
        """The attendee's own copy of the meeting, looked up in their own calendar with their own authority."""
        caller = self._caller(actor.tenant_id, tenant.mode, attendee)
        return await self._graph(  # type: ignore[no-any-return]
            actor, [attendee], "findInvitation", texts.CALL_REASON_FIND_COPY,
            self._calendar().find_invitation(caller, organizer.email or "", booking.start_utc, booking.end_utc),
            about=attendee)

    async def cancel_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        """The button on a meeting: it only asks first ("Cancel this meeting?", or "Decline…" for the attendee).

        The role comes from the booking, never from the button, so an older card or an altered payload cannot
        make an attendee cancel someone else's meeting.
        """
        return await self._guarded(self._ask_before_cancelling, turn_context, actor, data)

    decline_booking = cancel_booking

    async def confirm_cancel_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                     ) -> ActionResult:
        """"Yes, cancel" (or "Yes, decline"): the organizer cancels the meeting for everyone, an attendee declines
        their own copy. A second click finds the meeting already cancelled and shows that, changing nothing."""
        async def act(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            result, done = await self._cancel_or_decline_once(turn_context, actor, data)
            if done and data.get("in") == IN_LIST:
                booking, _, _ = await self._participants_booking(actor, data)
                return ActionResult(card=await self._meetings_card(turn_context, actor, changed=booking))
            return result

        return await self._guarded(act, turn_context, actor, data)

    async def keep_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        """"Keep it": the meeting's card (or the list) as it was before the question; nothing is changed."""
        async def keep(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            booking, organizer, attendee = await self._participants_booking(actor, data)
            if data.get("in") == IN_LIST:
                return ActionResult(card=await self._meetings_card(turn_context, actor, changed=booking))
            return await self._card_of_booking(actor, booking, organizer, attendee)

        return await self._guarded(keep, turn_context, actor, data)

    async def _ask_before_cancelling(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                     ) -> ActionResult:
        await self._require_tenant(actor)
        booking, organizer, attendees = await self._participants_booking(actor, data)
        reader = _reader(actor, organizer, attendees)
        in_list = data.get("in") == IN_LIST
        if booking.status == "cancelled" and not in_list:
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendees, reader)))
        if booking.status not in ("confirmed", "cancelled") or not booking.event_id:
            return ActionResult(text=texts.NEVER_CREATED)
        if in_list:
            return ActionResult(card=await self._meetings_card(turn_context, actor, changed=booking, asking=True))
        return ActionResult(card=cancel_question_card(CancelQuestionView(
            booking_id=booking.id,
            subject=booking.subject,
            with_name=_with_whom(booking, organizer, attendees, reader),
            times=meeting_times(booking, organizer, attendees, reader),
            for_attendee=actor.aad_object_id != organizer.oid,
        )))

    async def _card_of_booking(self, actor: Actor, booking: BookingRecord, organizer: Person,
                               attendees: list[Person]) -> ActionResult:
        """The meeting's own card as it stands: Booked (an attendee's copy offers Decline) or Cancelled."""
        reader = _reader(actor, organizer, attendees)
        if booking.status == "cancelled":
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendees, reader)))
        return ActionResult(card=self._confirmation(booking, organizer, attendees,
                                                    for_attendee=actor.aad_object_id != organizer.oid, reader=reader))

    async def _cancel_or_decline(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                 ) -> ActionResult:
        result, _ = await self._cancel_or_decline_once(turn_context, actor, data)
        return result

    async def _cancel_or_decline_once(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                      ) -> tuple[ActionResult, bool]:
        """Cancels (organizer) or declines (attendee); also says whether the meeting is now cancelled or declined,
        rather than waiting for a sign-in or refused."""
        tenant = await self._require_tenant(actor)
        booking, organizer, attendees = await self._participants_booking(actor, data)
        reader = _reader(actor, organizer, attendees)
        if booking.status == "cancelled":
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendees, reader))), True
        if booking.status != "confirmed" or not booking.event_id:
            return ActionResult(text=texts.NEVER_CREATED), False
        if actor.aad_object_id != organizer.oid:
            return await self._decline(turn_context, actor, tenant, booking, organizer, attendees, reader)
        await _typing(turn_context)
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        await self._graph(actor, [organizer, *attendees], "cancelEvent",
                          texts.CALL_REASON_CANCEL.format(name=actor.name),
                          self._calendar().cancel_event(caller, booking.event_id, booking.id), about=organizer)
        bookings = BookingRepository(self.services.db, actor.tenant_id)
        cancelled = await bookings.cancel(booking.id)
        count_booking("cancelled", actor.tenant_id)
        view = _cancelled_view(cancelled, organizer, attendees, organizer)
        # Everyone invited is told in their own 1:1 chat; one who cannot be reached still has Outlook's notice.
        notice = texts.CANCELLED_NOTICE_ATTENDEE.format(organizer=plain(organizer.name),
                                                        subject=plain(cancelled.subject))
        for attendee in attendees:
            card = cancelled_card(_cancelled_view(cancelled, organizer, attendees, attendee))
            if not await show_attendee(self.services, bookings, cancelled, attendee.oid, card, notice):
                log.info("booking %s: an attendee could not be told of the cancellation in Teams", booking.id)
        return ActionResult(card=cancelled_card(view)), True

    async def _decline(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord, booking: BookingRecord,
                       organizer: Person, attendees: list[Person], attendee: Person) -> tuple[ActionResult, bool]:
        """The invited colleague declines their own copy, as Outlook offers them; the organizer is told.

        In individual mode this needs the colleague's own sign-in (they get the sign-in card first, and the
        decline continues after it); in domain-wide mode the app acts in the colleague's mailbox only.
        """
        await _typing(turn_context)
        try:
            invitation = await self._invitation(actor, tenant, booking, organizer, attendee)
            if invitation is not None and not invitation.is_cancelled:
                caller = self._caller(actor.tenant_id, tenant.mode, attendee)
                await self._graph(actor, [attendee], "declineEvent",
                                  texts.CALL_REASON_DECLINE.format(name=actor.name),
                                  self._calendar().decline_event(caller, invitation.id), about=attendee)
        except BookingStopped as stopped:
            if tenant.mode == "delegated" and stopped.__cause__ is not None and _needs_sign_in(stopped.__cause__):
                card = await _sign_in_card(self.services, turn_context, actor, {"decline": booking.id},
                                           stopped.result.text)
                return ActionResult(card=card), False
            raise
        if invitation is None:
            return ActionResult(text=texts.INVITATION_GONE), True
        if invitation.is_cancelled:
            return ActionResult(text=texts.ALREADY_CANCELLED_BY.format(organizer=plain(organizer.name))), True
        view = DeclinedView(subject=booking.subject, organizer_name=organizer.name, attendee_name=attendee.name,
                            times=meeting_times(booking, organizer, attendees, attendee))
        await notify_member(self.services, actor.tenant_id, organizer.oid,
                            card=declined_card(replace(view, for_organizer=True,
                                                       times=meeting_times(booking, organizer, attendees, organizer))))
        log.info("booking %s: the attendee declined their copy", booking.id)
        return ActionResult(card=declined_card(view)), True


def _attendee_oids(booking: BookingRecord) -> list[str]:
    return [attendee.oid for attendee in booking.attendees] or [booking.attendee_oid]


def _with_whom(booking: BookingRecord, organizer: Person, attendees: list[Person], reader: Person) -> str:
    """Who else is in the meeting, as the reader sees it: the organizer reads their attendees ("Ben, Chloe and
    Dev (optional)"); an attendee reads the organizer and the other attendees."""
    if reader.oid == organizer.oid:
        return attendee_names(booking, attendees)
    others = [person for person in attendees if person.oid != reader.oid]
    return names_phrase([organizer.name, *attendee_name_list(booking, others)])
