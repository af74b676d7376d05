"""Calendars: every mailbox's events, created by the bot or generated for the demo.

Busy weeks are generated relative to today, deterministically: each (person, day) pair seeds its own
random generator, so a day's calendar is the same whichever day the emulator was started on.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Literal

from emulator.org import Org, Person, Tenant
from emulator.timezones import zone_from_name

ShowAs = Literal["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]
SHOW_AS_VALUES: tuple[str, ...] = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
GENERATED_WEEKS_BEFORE = 1
GENERATED_WEEKS_AFTER = 5

MEETING_TOPICS = (
    "Project sync", "Design review", "1:1", "Customer call", "Planning", "Interview",
    "Budget review", "Roadmap discussion", "Vendor meeting", "Retrospective", "Training",
)


def _opaque_id(prefix: str) -> str:
    # Exchange ids are long url-safe base64 strings; only their opacity and case matter to clients
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")


@dataclass
class Attendee:
    address: str
    name: str
    type: str = "required"
    response: str = "none"
    response_time: datetime | None = None


@dataclass
class CalendarEvent:
    owner_id: str
    tenant_id: str
    start: datetime
    end: datetime
    show_as: str = "busy"
    subject: str = ""
    body_content_type: str = "html"
    body_content: str = ""
    organizer_address: str = ""
    organizer_name: str = ""
    is_organizer: bool = True
    attendees: list[Attendee] = field(default_factory=list)
    response: str = "organizer"
    is_all_day: bool = False
    is_private: bool = False
    is_cancelled: bool = False
    location: str = ""
    is_online_meeting: bool = False
    online_meeting_provider: str = "unknown"
    join_url: str | None = None
    transaction_id: str | None = None
    extended_properties: dict[str, str] = field(default_factory=dict)
    original_start_time_zone: str = "UTC"
    original_end_time_zone: str = "UTC"
    importance: str = "normal"
    sensitivity: str = "normal"
    allow_new_time_proposals: bool = True
    generated: bool = False
    id: str = field(default_factory=lambda: _opaque_id("AAMkAG"))
    immutable_id: str = field(default_factory=lambda: _opaque_id("AAkALg"))
    ical_uid: str = field(default_factory=lambda: "040000008200E00074C5B7101A82E008" + secrets.token_hex(28).upper())
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    change_key: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(12)).decode())

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and self.end > start

    def touch(self) -> None:
        self.modified = datetime.now(UTC)
        self.change_key = base64.b64encode(secrets.token_bytes(12)).decode()


class EventStore:
    """All mailboxes' events, keyed by owner person id. Not thread-safe beyond the GIL: one loop uses it."""

    def __init__(self) -> None:
        self._by_owner: dict[str, list[CalendarEvent]] = {}
        self._by_transaction: dict[tuple[str, str, str], CalendarEvent] = {}

    # -- reading ------------------------------------------------------------------------------
    def events_of(self, owner_id: str) -> list[CalendarEvent]:
        return list(self._by_owner.get(owner_id, []))

    def items_between(self, owner_id: str, start: datetime, end: datetime) -> list[CalendarEvent]:
        """What free/busy sees: uncancelled events that are not `free`, overlapping [start, end)."""
        return sorted(
            (e for e in self._by_owner.get(owner_id, [])
             if not e.is_cancelled and e.show_as != "free" and e.overlaps(start, end)),
            key=lambda e: (e.start, e.end),
        )

    def find(self, owner_id: str, event_id: str) -> CalendarEvent | None:
        """By REST id or immutable id; ids are case-sensitive, as in Exchange."""
        return next((e for e in self._by_owner.get(owner_id, []) if event_id in (e.id, e.immutable_id)), None)

    def copies_of(self, ical_uid: str) -> list[CalendarEvent]:
        return [e for events in self._by_owner.values() for e in events if e.ical_uid == ical_uid]

    def by_transaction(self, tenant_id: str, organizer_id: str, transaction_id: str) -> CalendarEvent | None:
        return self._by_transaction.get((tenant_id, organizer_id, transaction_id))

    # -- writing ------------------------------------------------------------------------------
    def add(self, event: CalendarEvent) -> CalendarEvent:
        self._by_owner.setdefault(event.owner_id, []).append(event)
        if event.transaction_id and event.is_organizer:
            self._by_transaction[(event.tenant_id, event.owner_id, event.transaction_id)] = event
        return event

    def remove(self, event: CalendarEvent) -> None:
        owned = self._by_owner.get(event.owner_id, [])
        if event in owned:
            owned.remove(event)

    def send_invitations(self, tenant: Tenant, organizer_event: CalendarEvent) -> None:
        """Exchange drops a tentative copy into each internal attendee's calendar, awaiting a reply."""
        for attendee in organizer_event.attendees:
            person = tenant.person(attendee.address)
            if person is None or person.id == organizer_event.owner_id:
                continue
            self.add(CalendarEvent(
                owner_id=person.id, tenant_id=tenant.id, start=organizer_event.start,
                end=organizer_event.end, show_as="tentative", subject=organizer_event.subject,
                body_content_type=organizer_event.body_content_type,
                body_content=organizer_event.body_content,
                organizer_address=organizer_event.organizer_address,
                organizer_name=organizer_event.organizer_name, is_organizer=False,
                attendees=[Attendee(a.address, a.name, a.type) for a in organizer_event.attendees],
                response="none", location=organizer_event.location,
                is_online_meeting=organizer_event.is_online_meeting,
                online_meeting_provider=organizer_event.online_meeting_provider,
                join_url=organizer_event.join_url, ical_uid=organizer_event.ical_uid,
                original_start_time_zone=organizer_event.original_start_time_zone,
                original_end_time_zone=organizer_event.original_end_time_zone,
                sensitivity=organizer_event.sensitivity,
            ))

    def send_update(self, organizer_event: CalendarEvent) -> None:
        """The organizer changed the meeting: Exchange's update brings every attendee's copy to the new
        times and subject. Their replies are kept (whether Exchange resets them on a new time is not documented).
        """
        for copy in self.copies_of(organizer_event.ical_uid):
            if copy is organizer_event:
                continue
            copy.start, copy.end, copy.subject = organizer_event.start, organizer_event.end, organizer_event.subject
            copy.original_start_time_zone = organizer_event.original_start_time_zone
            copy.original_end_time_zone = organizer_event.original_end_time_zone
            copy.touch()

    def cancel_meeting(self, organizer_event: CalendarEvent) -> None:
        """The organizer deleted the meeting: attendees' copies become cancelled (and stop blocking time)."""
        self.remove(organizer_event)
        for copy in self.copies_of(organizer_event.ical_uid):
            copy.is_cancelled = True
            copy.subject = f"Canceled: {copy.subject}"
            copy.touch()

    def respond(self, attendee: Person, event_id: str, response: str, *, send_response: bool = True
                ) -> CalendarEvent:
        """An attendee answers an invitation; the organizer's copy records the answer when it is sent.

        A declined copy leaves the attendee's calendar (Outlook moves it to Deleted Items), so their
        free/busy no longer shows the meeting.
        """
        if response not in ("accepted", "tentativelyAccepted", "declined"):
            raise ValueError(f"unsupported response {response!r}")
        ical_uid = next((e.ical_uid for events in self._by_owner.values() for e in events
                         if event_id in (e.id, e.immutable_id)), None)
        if ical_uid is None:
            raise KeyError(event_id)
        copies = self.copies_of(ical_uid)
        organizer_copy = next((e for e in copies if e.is_organizer), None)
        own_copy = next((e for e in copies if e.owner_id == attendee.id), None)
        now = datetime.now(UTC)
        if own_copy is not None:
            own_copy.response = response
            if response == "declined":
                self.remove(own_copy)
            else:
                own_copy.show_as = (organizer_copy.show_as if organizer_copy and response == "accepted"
                                    else "tentative")
                own_copy.touch()
        if organizer_copy is not None and send_response:
            for entry in organizer_copy.attendees:
                if entry.address.lower() in (attendee.mail.lower(), attendee.upn.lower()):
                    entry.response, entry.response_time = response, now
            organizer_copy.touch()
            return organizer_copy
        assert own_copy is not None
        return own_copy


def new_join_url(tenant_id: str, organizer_id: str) -> str:
    """A Teams meeting link shaped like Exchange's: a new meeting thread, and a context naming the
    organizer's tenant (Tid) and object id (Oid)."""
    thread = secrets.token_hex(16)
    return (f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"
            f"?context=%7b%22Tid%22%3a%22{tenant_id}%22%2c%22Oid%22%3a%22{organizer_id}%22%7d")


# -- demo calendars -----------------------------------------------------------------------------

def generate_calendars(store: EventStore, org: Org, today: date) -> None:
    """Fills every person's calendar from last week to five weeks ahead with plausible meetings."""
    week_start = today - timedelta(days=today.weekday())
    first = week_start - timedelta(weeks=GENERATED_WEEKS_BEFORE)
    days = [first + timedelta(days=offset) for offset in range(7 * (GENERATED_WEEKS_BEFORE + GENERATED_WEEKS_AFTER))]
    for tenant in org.tenants:
        for person in tenant.people:
            if person.out_of_office_this_week:
                store.add(_out_of_office_week(person, week_start))
            for day in days:
                if person.out_of_office_this_week and week_start <= day < week_start + timedelta(days=7):
                    continue
                for event in _generated_day(person, day):
                    store.add(event)


def _local(person: Person, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone_from_name(person.time_zone)).astimezone(UTC)


def _generated_event(person: Person, start: datetime, minutes: int, subject: str, show_as: str) -> CalendarEvent:
    return CalendarEvent(
        owner_id=person.id, tenant_id=person.tenant_id, start=start, end=start + timedelta(minutes=minutes),
        show_as=show_as, subject=subject, organizer_address=person.mail, organizer_name=person.display_name,
        original_start_time_zone=person.time_zone, original_end_time_zone=person.time_zone, generated=True,
    )


def _out_of_office_week(person: Person, week_start: date) -> CalendarEvent:
    start = _local(person, week_start, time(0, 0))
    end = _local(person, week_start + timedelta(days=5), time(0, 0))
    event = _generated_event(person, start, int((end - start).total_seconds() // 60), "Vacation", "oof")
    event.is_all_day = True
    return event


def _generated_day(person: Person, day: date) -> list[CalendarEvent]:
    if day.isoweekday() not in person.working_hours.iso_weekdays():
        return []
    rng = Random(f"{person.id}:{day.isoformat()}")
    hours = person.working_hours
    day_start = _local(person, day, hours.start)
    day_end = _local(person, day, hours.end)
    half_hours = int((day_end - day_start).total_seconds() // 1800)
    events: list[CalendarEvent] = []

    def at(slot: int) -> datetime:
        return day_start + timedelta(minutes=30 * slot)

    if rng.random() < 0.7:
        events.append(_generated_event(person, at(1), 15, "Team stand-up", "busy"))
    if rng.random() < 0.6:
        events.append(_generated_event(person, _local(person, day, time(12, 0)), 60, "Lunch", "busy"))
    if rng.random() < 0.3 and half_hours > 8:
        events.append(_generated_event(person, at(rng.randrange(2, half_hours - 4)), 120, "Focus time", "busy"))
    for _ in range(rng.randint(0, 3)):
        slot = rng.randrange(0, max(1, half_hours - 1))
        minutes = rng.choice((30, 30, 60, 60, 90))
        show_as = "tentative" if rng.random() < 0.25 else "busy"
        events.append(_generated_event(person, at(slot), minutes, rng.choice(MEETING_TOPICS), show_as))
    if rng.random() < 0.05:
        events.append(_generated_event(person, day_start, int((day_end - day_start).total_seconds() // 60),
                                       "Working from the customer site", "workingElsewhere"))
    return events
