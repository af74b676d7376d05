"""Issue 11 through the production path (msal + httpx against the emulator): meetings with several
colleagues, each required or optional, and moving a meeting instead of cancelling it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from emulator.testing import EmulatorHandle
from graph.calendar import CalendarClient, Caller, EventAttendee, NewEvent
from graph.errors import NotFound, NotOurEvent
from graph.http import GraphHttp
from graph.tokens import AppTokenProvider, DelegatedAuth
from scheduling.model import FreeBusyStatus
from tests.graph.conftest import ADELE, BEN, CONTOSO, FABRIKAM, FIONA_OID, GRACE, KENJI_OID, sign_in

ORGANIZER = Caller.app(CONTOSO, ADELE)
CHLOE = "chloe.martin@contoso.example"
PRIYA = "priya.sharma@contoso.example"
DIEGO = "diego.siciliani@contoso.example"
TEAM = (
    EventAttendee(BEN, "Ben Walters"),
    EventAttendee(CHLOE, "Chloe Martin"),
    EventAttendee(PRIYA, "Priya Sharma"),
    EventAttendee(DIEGO, "Diego Siciliani", required=False),
)
FIONA = Caller.user(FABRIKAM, FIONA_OID)
KENJI = Caller.user(FABRIKAM, KENJI_OID)
LAURA = "laura.novak@fabrikam.example"  # Central Europe, 08:00-16:00: with Fiona, 13:00-14:00 UTC all year
KENJI_MAIL = "kenji.watanabe@fabrikam.example"
OUTSIDE = "sam.rivera@northwind.example"  # not in Fabrikam's directory: Outlook cannot know their time


def _next_wednesday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=(2 - today.weekday()) % 7 or 7)


def _meeting(start: datetime, booking_id: str, attendees: tuple[EventAttendee, ...] = TEAM) -> NewEvent:
    return NewEvent(
        subject="Rendezvous: planning", body_text="Booked with Rendezvous.", start=start,
        end=start + timedelta(minutes=30), time_zone="Pacific Standard Time", attendees=attendees,
        transaction_id=f"txn-{booking_id}", provenance_value=booking_id,
    )


def _patches(emu: EmulatorHandle) -> list[str]:
    return [call.path for call in emu.calls if call.method == "PATCH"]


# -- several attendees ------------------------------------------------------------------------------


async def test_every_attendee_gets_a_copy_with_their_type(http: GraphHttp, app_tokens: AppTokenProvider,
                                                          emu: EmulatorHandle) -> None:
    heard: list[tuple[str, ...]] = []
    client = CalendarClient(http, app_tokens, None, on_call=lambda _tenant, subjects, _kind: heard.append(subjects))
    start = datetime.combine(_next_wednesday(), time(16, 0), tzinfo=UTC)

    created = await client.create_event(ORGANIZER, _meeting(start, "team-1"))

    [post] = [call for call in emu.calls_to("/events") if call.method == "POST"]
    assert [(a["emailAddress"]["address"], a["type"]) for a in post.body["attendees"]] == [
        (BEN, "required"), (CHLOE, "required"), (PRIYA, "required"), (DIEGO, "optional")]
    [organizer_copy] = emu.created_events(ADELE)
    assert organizer_copy.immutable_id == created.id
    expected_types = {BEN: "required", CHLOE: "required", PRIYA: "required", DIEGO: "optional"}
    for person in TEAM:
        [copy] = emu.created_events(person.email)
        assert copy.ical_uid == organizer_copy.ical_uid and not copy.is_organizer
        assert copy.join_url == created.join_url
        assert {a.address: a.type for a in copy.attendees} == expected_types
    assert heard == [(ADELE, BEN, CHLOE, PRIYA, DIEGO)]  # the privacy log names everyone the call concerned


async def test_an_attendee_is_needed_and_each_address_counts_once(calendar: CalendarClient,
                                                                  emu: EmulatorHandle) -> None:
    start = datetime.combine(_next_wednesday(), time(17, 0), tzinfo=UTC)
    with pytest.raises(ValueError, match="at least one attendee"):
        await calendar.create_event(ORGANIZER, _meeting(start, "nobody", attendees=()))
    with pytest.raises(ValueError, match="Chloe Martin has no email address"):
        await calendar.create_event(ORGANIZER, _meeting(start, "blank", (EventAttendee(" ", "Chloe Martin"),)))
    assert not emu.calls_to("/events")

    twice = (EventAttendee(BEN, "Ben Walters", required=False), EventAttendee(BEN.upper(), "Ben"))
    await calendar.create_event(ORGANIZER, _meeting(start, "twice", attendees=twice))
    [post] = emu.calls_to("/events")
    assert post.body["attendees"] == [{"type": "required", "emailAddress": {"address": BEN, "name": "Ben Walters"}}]


async def test_one_get_schedule_call_for_the_organizer_and_nineteen_more(emu: EmulatorHandle,
                                                                         calendar: CalendarClient) -> None:
    day = _next_wednesday()
    start = datetime.combine(day, time(0, 0), tzinfo=UTC)
    others = [BEN, CHLOE, PRIYA, DIEGO, GRACE] + [f"guest{n}@contoso.example" for n in range(14)]

    found = await calendar.get_schedule(ORGANIZER, [ADELE, *others], start, start + timedelta(days=1))

    assert len(found) == 20 and len(emu.calls_to("/calendar/getSchedule")) == 1
    assert all(found[email].known for email in (ADELE, BEN, CHLOE, PRIYA, DIEGO))
    assert not found[GRACE].known  # outside the access policy: an error entry, never free
    assert not found["guest0@contoso.example"].known
    with pytest.raises(ValueError, match="at most 20"):
        await calendar.get_schedule(ORGANIZER, [ADELE, *others, "one.more@contoso.example"], start,
                                    start + timedelta(days=1))
    assert len(emu.calls_to("/calendar/getSchedule")) == 1


async def test_find_meeting_times_asks_once_about_three_attendees(
    emu: EmulatorHandle, delegated: DelegatedAuth, calendar: CalendarClient
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    day = _next_wednesday()
    window = (datetime.combine(day, time(13, 0), tzinfo=UTC), datetime.combine(day, time(14, 0), tzinfo=UTC))
    emu.clear_calendar("fiona.gallagher@fabrikam.example")
    emu.clear_calendar(LAURA)
    emu.add_busy(LAURA, window[0], window[0] + timedelta(minutes=30))
    attendees = [EventAttendee(LAURA, "Laura Novak"), EventAttendee(BEN, "Ben Walters"),
                 EventAttendee(OUTSIDE, "Sam Rivera", required=False)]

    found = await calendar.find_meeting_times(FIONA, attendees, timedelta(minutes=30), [window],
                                              minimum_attendee_percentage=50)

    [call] = emu.calls_to("/me/findMeetingTimes")
    assert [(a["emailAddress"]["address"], a["type"]) for a in call.body["attendees"]] == [
        (LAURA, "required"), (BEN, "required"), (OUTSIDE, "optional")]
    [slot] = found.slots  # 13:00 is taken by Laura; 13:30 is the one time inside everyone's working hours
    assert slot.start == window[0] + timedelta(minutes=30)
    assert slot.availability_of(LAURA) is FreeBusyStatus.FREE
    assert slot.availability_of(BEN) is FreeBusyStatus.UNKNOWN  # another organization's calendar
    assert slot.availability_of(OUTSIDE.upper()) is FreeBusyStatus.UNKNOWN
    # Outlook counts the optional person like a required one: (100 + 49 + 49) / 3.
    assert slot.confidence == pytest.approx(66.0)


# -- moving a meeting -------------------------------------------------------------------------------


async def test_move_keeps_the_meeting_and_moves_everyone(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    day = _next_wednesday()
    old = datetime.combine(day, time(16, 0), tzinfo=UTC)
    new = datetime.combine(day, time(18, 0), tzinfo=UTC)
    for person in (ADELE, BEN, CHLOE):
        emu.clear_calendar(person)
    attendees = (EventAttendee(BEN, "Ben Walters"), EventAttendee(CHLOE, "Chloe Martin", required=False))
    created = await calendar.create_event(ORGANIZER, _meeting(old, "move-1", attendees))
    emu.respond(BEN, emu.created_events(BEN)[0].id, "accepted")

    moved = await calendar.move_event(ORGANIZER, created.id, "move-1", new, new + timedelta(minutes=45),
                                      "America/Los_Angeles")

    assert (moved.id, moved.join_url) == (created.id, created.join_url)
    assert (moved.start, moved.end) == (new, new + timedelta(minutes=45))
    assert not moved.is_cancelled
    [patch] = [call for call in emu.calls if call.method == "PATCH"]
    assert patch.path.endswith(f"/users/{ADELE}/events/{created.id}")
    pacific = ZoneInfo("America/Los_Angeles")
    assert patch.body == {  # only the times, as wall time in the organizer's zone, named as Windows names it
        "start": {"dateTime": new.astimezone(pacific).strftime("%Y-%m-%dT%H:%M:%S"),
                  "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": (new + timedelta(minutes=45)).astimezone(pacific).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "Pacific Standard Time"},
    }
    for person in (ADELE, BEN, CHLOE):
        [copy] = emu.created_events(person)
        assert (copy.start, copy.end) == (new, new + timedelta(minutes=45))
        assert copy.join_url == created.join_url

    busy = await calendar.get_schedule(ORGANIZER, [ADELE, BEN, CHLOE], old, new + timedelta(hours=1))
    for person in (ADELE, BEN, CHLOE):
        blocks = [(block.start, block.end) for block in busy[person].busy]
        assert blocks == [(new, new + timedelta(minutes=45))], person  # the new time, and nothing at the old
    assert (await calendar.get_event(ORGANIZER, created.id, "move-1")).start == new


async def test_moving_twice_to_the_same_time_leaves_one_event(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    day = _next_wednesday()
    old = datetime.combine(day, time(20, 0), tzinfo=UTC)
    new = old + timedelta(hours=1)
    created = await calendar.create_event(ORGANIZER, _meeting(old, "move-2", (EventAttendee(BEN, "Ben Walters"),)))

    first = await calendar.move_event(ORGANIZER, created.id, "move-2", new, new + timedelta(minutes=30), "UTC")
    again = await calendar.move_event(ORGANIZER, created.id, "move-2", new, new + timedelta(minutes=30), "UTC")

    assert first == again
    assert len(_patches(emu)) == 1  # the second asks Outlook first and sends Ben no second update
    for person in (ADELE, BEN):
        [copy] = emu.created_events(person)
        assert copy.start == new


async def test_a_foreign_event_is_never_moved(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    someone_elses = next(e for e in emu.events_of(ADELE) if e.generated)
    before = (someone_elses.start, someone_elses.end)
    start = datetime.combine(_next_wednesday(), time(22, 0), tzinfo=UTC)

    with pytest.raises(NotOurEvent):
        await calendar.move_event(ORGANIZER, someone_elses.immutable_id, "move-3", start,
                                  start + timedelta(minutes=30), "UTC")

    assert (someone_elses.start, someone_elses.end) == before
    assert _patches(emu) == []


async def test_a_throttled_move_waits_the_retry_after(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    start = datetime.combine(_next_wednesday(), time(21, 0), tzinfo=UTC)
    created = await calendar.create_event(ORGANIZER, _meeting(start, "move-4", (EventAttendee(BEN, "Ben Walters"),)))
    emu.faults.throttle("/events/", method="PATCH", times=1, retry_after="0.6")
    later = start + timedelta(hours=1)

    moved = await calendar.move_event(ORGANIZER, created.id, "move-4", later, later + timedelta(minutes=30), "UTC")

    assert moved.start == later
    first, second = [call for call in emu.calls if call.method == "PATCH"]
    assert (first.status, second.status) == (429, 200)
    assert (second.at - first.at).total_seconds() >= 0.6
    assert [copy.start for copy in emu.created_events(BEN)] == [later]


async def test_an_attendee_cannot_move_the_organizers_meeting(
    emu: EmulatorHandle, delegated: DelegatedAuth, calendar: CalendarClient
) -> None:
    await sign_in(emu, delegated, FABRIKAM, FIONA_OID)
    await sign_in(emu, delegated, FABRIKAM, KENJI_OID)
    start = datetime.combine(_next_wednesday(), time(14, 0), tzinfo=UTC)
    created = await calendar.create_event(FIONA, _meeting(start, "move-5", (EventAttendee(KENJI_MAIL, "Kenji"),)))
    [kenji_copy] = emu.created_events(KENJI_MAIL)
    later = start + timedelta(hours=1)

    with pytest.raises(NotFound):  # the organizer's event is not in Kenji's mailbox
        await calendar.move_event(KENJI, created.id, "move-5", later, later + timedelta(minutes=30), "UTC")
    with pytest.raises(NotOurEvent):  # his own copy carries no tag of ours: only the organizer's event does
        await calendar.move_event(KENJI, kenji_copy.id, "move-5", later, later + timedelta(minutes=30), "UTC")

    assert _patches(emu) == []
    assert [e.start for e in emu.created_events("fiona.gallagher@fabrikam.example")] == [start]
    assert kenji_copy.start == start
