"""Finding the bot's own event by its provenance tag, for a booking whose create answer was lost."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from emulator.testing import EmulatorHandle
from graph.calendar import PROVENANCE_PROPERTY_ID, CalendarClient, Caller, EventAttendee, NewEvent
from graph.errors import GraphError
from tests.graph.conftest import ADELE, BEN, CONTOSO

ORGANIZER = Caller.app(CONTOSO, ADELE)


def _event(start: datetime, booking_id: str) -> NewEvent:
    return NewEvent(subject="Catch-up", body_text="Booked with Rendezvous.", start=start,
                    end=start + timedelta(minutes=30), time_zone="Pacific Standard Time",
                    attendees=(EventAttendee(BEN, "Ben Walters"),), transaction_id=f"txn-{booking_id}",
                    provenance_value=booking_id)


def _start(hour: int) -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=3), time(hour, 0), tzinfo=UTC)


async def test_the_event_of_a_lost_answer_is_found_with_its_link(emu: EmulatorHandle,
                                                                  calendar: CalendarClient) -> None:
    emu.faults.drop_response("/events", method="POST", times=5)  # every answer to the create is lost
    with pytest.raises(GraphError):  # the create gives up; the event is in Outlook all the same
        await calendar.create_event(ORGANIZER, _event(_start(17), "booking-lost"))

    found = await calendar.find_event_by_provenance(ORGANIZER, "booking-lost")

    [organizer_copy] = emu.created_events(ADELE)
    assert found is not None
    assert found.id == organizer_copy.immutable_id
    assert found.join_url == organizer_copy.join_url and found.join_url
    assert (found.start, found.end) == (_start(17), _start(17) + timedelta(minutes=30))
    [lookup] = [c for c in emu.calls_to("/events") if c.method == "GET"]
    assert lookup.query["$filter"] == (f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROVENANCE_PROPERTY_ID}' "
                                       "and ep/value eq 'booking-lost')")


async def test_nothing_is_found_for_another_booking_or_someone_elses_event(emu: EmulatorHandle,
                                                                           calendar: CalendarClient) -> None:
    await calendar.create_event(ORGANIZER, _event(_start(18), "booking-a"))

    assert await calendar.find_event_by_provenance(ORGANIZER, "booking-b") is None
    assert await calendar.find_event_by_provenance(ORGANIZER, "it's-quoted") is None  # quotes are escaped
    assert await calendar.find_event_by_provenance(Caller.app(CONTOSO, BEN), "booking-a") is None  # the invitation
