"""How a booking reads to its two people, for the booking dialog and for booking recovery alike."""

from __future__ import annotations

from cards import texts
from cards.base import Card
from cards.booking import ConfirmationView, cancelled_by_words, confirmation_card
from dialogs.booking_people import Person
from scheduling.display import local_label
from storage.repositories import BookingRecord


def meeting_times(booking: BookingRecord, organizer: Person, colleague: Person, reader: Person
                  ) -> tuple[tuple[str, str], ...]:
    """The meeting's time for each person, in their own zone, written the way the reader's locale writes times."""
    return (
        (organizer.name, local_label(booking.start_utc, booking.end_utc, organizer.zone(), reader.locale)),
        (colleague.name, local_label(booking.start_utc, booking.end_utc, colleague.zone(), reader.locale)),
    )


def confirmation_card_for(booking: BookingRecord, organizer: Person, colleague: Person, *,
                          for_attendee: bool = False, note: str | None = None) -> Card:
    """The card each person sees once the meeting is in Outlook: the colleague's offers Decline, not Cancel, and
    only the organizer's offers to find another time (an attendee proposes one in Outlook)."""
    return confirmation_card(ConfirmationView(
        booking_id=booking.id,
        subject=booking.subject,
        organizer_name=organizer.name,
        colleague_name=colleague.name,
        times=meeting_times(booking, organizer, colleague, colleague if for_attendee else organizer),
        join_url=booking.join_url,
        refresh_user_ids=tuple(uid for uid in (organizer.teams_user_id,) if uid and not for_attendee),
        for_attendee=for_attendee,
        can_move=not for_attendee and booking.status == "confirmed",
        note=note,
    ))


# The stored status (storage/models.py BOOKING_STATUSES) as the reader's words; "cancelled" names who cancelled.
_STATUS_WORDS = {"reserved": texts.BOOKING_RESERVED, "confirmed": texts.BOOKING_CONFIRMED,
                 "failed": texts.BOOKING_FAILED}


def status_words(booking: BookingRecord, organizer_name: str) -> str:
    """A booking's state in a listing such as `audit`: a cancellation names who cancelled, as every card does
    (only the organizer can cancel; an attendee declines their own copy)."""
    if booking.status == "cancelled":
        return cancelled_by_words(organizer_name)
    return _STATUS_WORDS.get(booking.status, booking.status)
