"""Free/busy arithmetic behind getSchedule and findMeetingTimes. Pure: no HTTP, no clock.

Rules taken from the Graph documentation (summarised in ../shared/reference/graph-contracts.md §1-2,
beside the project): an availabilityView slot shows the worst status of any item touching it;
findMeetingTimes scores each attendee free 100, unknown 49, busy 0 and averages them; `work` keeps to
everyone's working hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from emulator.org import Person
from emulator.state import CalendarEvent
from emulator.timezones import format_graph_datetime, zone_from_name

# Higher wins when items overlap a slot.
SEVERITY = {"free": 0, "workingElsewhere": 1, "unknown": 2, "tentative": 3, "busy": 4, "oof": 5}
VIEW_DIGIT = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4", "unknown": "2"}
ATTENDEE_SCORE = {"free": 100.0, "workingElsewhere": 100.0, "tentative": 50.0, "unknown": 49.0,
                  "busy": 0.0, "oof": 0.0}
CANDIDATE_STEP = timedelta(minutes=30)


def worst_status(items: Sequence[CalendarEvent], start: datetime, end: datetime) -> str:
    status = "free"
    for item in items:
        if item.overlaps(start, end) and SEVERITY[item.show_as] > SEVERITY[status]:
            status = item.show_as
    return status


def availability_view(items: Sequence[CalendarEvent], start: datetime, end: datetime, interval_minutes: int) -> str:
    step = timedelta(minutes=interval_minutes)
    slots = math.ceil((end - start) / step)
    return "".join(VIEW_DIGIT[worst_status(items, start + i * step, min(start + (i + 1) * step, end))]
                   for i in range(slots))


def date_time_time_zone(moment: datetime, zone: tzinfo, zone_name: str) -> dict[str, str]:
    return {"dateTime": format_graph_datetime(moment, zone), "timeZone": zone_name}


def schedule_item(event: CalendarEvent, zone: tzinfo, zone_name: str, *, with_details: bool) -> dict[str, Any]:
    """One scheduleItem; subject and location only for the mailbox's own owner (never app-only)."""
    item: dict[str, Any] = {
        "isPrivate": event.is_private or event.sensitivity in ("private", "confidential"),
        "status": event.show_as,
        "isMeeting": bool(event.attendees),
        "isRecurring": False,
        "isException": False,
        "isReminderSet": not event.generated,
        "start": date_time_time_zone(event.start, zone, zone_name),
        "end": date_time_time_zone(event.end, zone, zone_name),
    }
    if with_details and not item["isPrivate"]:
        item["subject"] = event.subject
        item["location"] = event.location
    return item


def working_hours(person: Person) -> dict[str, Any]:
    hours = person.working_hours
    time_zone = person.custom_time_zone or {"name": person.time_zone}
    return {
        "daysOfWeek": list(hours.days),
        "startTime": hours.start.strftime("%H:%M:%S") + ".0000000",
        "endTime": hours.end.strftime("%H:%M:%S") + ".0000000",
        "timeZone": time_zone,
    }


def within_working_hours(person: Person, start: datetime, end: datetime, *, any_day: bool) -> bool:
    zone = zone_from_name(person.time_zone)
    local_start = start.astimezone(zone)
    day = local_start.date()
    if not any_day and day.isoweekday() not in person.working_hours.iso_weekdays():
        return False
    opens = datetime.combine(day, person.working_hours.start, tzinfo=zone)
    closes = datetime.combine(day, person.working_hours.end, tzinfo=zone)
    return opens <= local_start and end.astimezone(zone) <= closes


@dataclass
class MeetingAttendee:
    address: str
    type: str
    person: Person | None  # None: outside the directory, availability unknown
    items: Sequence[CalendarEvent]


@dataclass
class MeetingRequest:
    organizer: Person
    organizer_items: Sequence[CalendarEvent]
    attendees: list[MeetingAttendee]
    windows: list[tuple[datetime, datetime]]
    duration: timedelta
    activity_domain: str = "work"
    max_candidates: int = 5
    minimum_attendee_percentage: float = 50.0
    is_organizer_optional: bool = False
    return_reasons: bool = False
    location_required: bool = False


def find_meeting_times(request: MeetingRequest, zone: tzinfo, zone_name: str) -> dict[str, Any]:
    """The meetingTimeSuggestionsResult body (without @odata.context)."""
    people_for_hours = [request.organizer] + [a.person for a in request.attendees if a.person is not None]
    hours_filter: Callable[[datetime, datetime], bool]
    if request.activity_domain == "unrestricted":
        def hours_filter(start: datetime, end: datetime) -> bool:
            return True
    else:
        any_day = request.activity_domain == "personal"

        def hours_filter(start: datetime, end: datetime) -> bool:
            return all(within_working_hours(p, start, end, any_day=any_day) for p in people_for_hours)

    scored: list[tuple[float, datetime, str, list[tuple[MeetingAttendee, str]]]] = []
    organizer_ever_free = False
    any_unknown = False
    for window_start, window_end in request.windows:
        start = _round_up(window_start)
        while start + request.duration <= window_end:
            end = start + request.duration
            if hours_filter(start, end):
                organizer_status = worst_status(request.organizer_items, start, end)
                organizer_free = organizer_status not in ("busy", "oof")
                organizer_ever_free = organizer_ever_free or organizer_free
                if organizer_free or request.is_organizer_optional:
                    statuses = [(a, worst_status(a.items, start, end) if a.person else "unknown")
                                for a in request.attendees]
                    any_unknown = any_unknown or any(s == "unknown" for _, s in statuses)
                    confidence = (sum(ATTENDEE_SCORE[s] for _, s in statuses) / len(statuses)
                                  if statuses else 100.0)
                    if confidence >= request.minimum_attendee_percentage:
                        scored.append((confidence, start, organizer_status, statuses))
            start += CANDIDATE_STEP
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    suggestions = []
    for order, (confidence, start, organizer_status, statuses) in enumerate(scored[: request.max_candidates], 1):
        suggestion: dict[str, Any] = {
            "confidence": round(confidence, 2),
            "order": order,
            "organizerAvailability": organizer_status,
            "attendeeAvailability": [
                {"attendee": {"type": a.type, "emailAddress": {"address": a.address}}, "availability": s}
                for a, s in statuses
            ],
            "locations": [],
            "meetingTimeSlot": {
                "start": date_time_time_zone(start, zone, zone_name),
                "end": date_time_time_zone(start + request.duration, zone, zone_name),
            },
        }
        if request.return_reasons:
            suggestion["suggestionReason"] = (
                "Suggested because it is one of the nearest times when all attendees are available."
                if confidence >= 100 else "Suggested because it is one of the nearest times when most attendees "
                "are available.")
        suggestions.append(suggestion)
    reason = ""
    if request.location_required:
        return {"emptySuggestionsReason": "locationsUnavailable", "meetingTimeSuggestions": []}
    if not suggestions:
        if not organizer_ever_free and not request.is_organizer_optional:
            reason = "organizerUnavailable"
        elif any_unknown:
            reason = "attendeesUnavailableOrUnknown"
        else:
            reason = "attendeesUnavailable"
    return {"emptySuggestionsReason": reason, "meetingTimeSuggestions": suggestions}


def _round_up(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    base = moment.replace(minute=0, second=0, microsecond=0)
    while base < moment:
        base += CANDIDATE_STEP
    return base
