"""How a booking reads to its people, for the booking dialog and for booking recovery alike.

A booking's attendees are given as one Person (a one-to-one, or recovery's view of the first attendee) or
as everyone invited, in the organizer's order; `booking.attendees` says who is optional.
"""

from __future__ import annotations

from collections.abc import Sequence

from cards import texts
from cards.base import Card
from cards.booking import ConfirmationView, cancelled_by_words, confirmation_card
from dialogs.booking_people import Person
from scheduling.display import local_label
from storage.repositories import BookingRecord

Attendees = Person | Sequence[Person]


def attendees_of(attendees: Attendees) -> list[Person]:
    return [attendees] if isinstance(attendees, Person) else list(attendees)


def names_phrase(names: Sequence[str]) -> str:
    """ "Ben", "Ben and Chloe", "Ben, Chloe and Dev". """
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + texts.LIST_AND + names[-1]


def attendee_name_list(booking: BookingRecord, attendees: Attendees) -> list[str]:
    """Everyone invited, the optional people marked: ["Ben", "Chloe", "Dev (optional)"]."""
    optional = {attendee.oid for attendee in booking.attendees if not attendee.required}
    return [texts.OPTIONAL_NAME.format(name=person.name) if person.oid in optional else person.name
            for person in attendees_of(attendees)]


def attendee_names(booking: BookingRecord, attendees: Attendees) -> str:
    """Everyone invited as one phrase: "Ben, Chloe and Dev (optional)"."""
    return names_phrase(attendee_name_list(booking, attendees))


def meeting_times(booking: BookingRecord, organizer: Person, attendees: Attendees, reader: Person
                  ) -> tuple[tuple[str, str], ...]:
    """The meeting's time for each person, in their own zone, written the way the reader's locale writes times."""
    return tuple((person.name, local_label(booking.start_utc, booking.end_utc, person.zone(), reader.locale))
                 for person in [organizer, *attendees_of(attendees)])


def confirmation_card_for(booking: BookingRecord, organizer: Person, attendees: Attendees, *,
                          for_attendee: bool = False, reader: Person | None = None, note: str | None = None) -> Card:
    """The card each person sees once the meeting is in Outlook: an attendee's offers Decline, not Cancel, and
    only the organizer's offers to find another time (an attendee proposes one in Outlook). `reader` is the
    attendee it is for (the first one unless given)."""
    people = attendees_of(attendees)
    reader = reader or (people[0] if for_attendee else organizer)
    return confirmation_card(ConfirmationView(
        booking_id=booking.id,
        subject=booking.subject,
        organizer_name=organizer.name,
        colleague_name=attendee_names(booking, people),
        times=meeting_times(booking, organizer, people, reader),
        join_url=booking.join_url,
        refresh_user_ids=tuple(uid for uid in (organizer.teams_user_id,) if uid and not for_attendee),
        for_attendee=for_attendee,
        several=len(people) > 1,
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
