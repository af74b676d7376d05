"""getSchedule entries as the live service writes them, including shapes the emulator never sends."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from graph.calendar import parse_schedule_entry
from scheduling.model import FreeBusyStatus

START = datetime(2025, 3, 17, 8, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def _slot(hours: float) -> dict[str, str]:
    moment = START + timedelta(hours=hours)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def test_statuses_are_read_case_insensitively() -> None:
    entry = {
        "scheduleId": "a@contoso.example",
        "availabilityView": "0120",
        "scheduleItems": [
            {"status": "Tentative", "start": _slot(0.5), "end": _slot(1)},
            {"status": "BUSY", "start": _slot(1), "end": _slot(1.5)},
            {"status": "Free", "start": _slot(1.5), "end": _slot(2)},
        ],
    }
    availability = parse_schedule_entry("a@contoso.example", entry, START, HALF_HOUR)
    assert availability.known
    assert [(b.start, b.status) for b in availability.busy] == [
        (START + HALF_HOUR, FreeBusyStatus.TENTATIVE),
        (START + 2 * HALF_HOUR, FreeBusyStatus.BUSY),
    ]


def test_view_marks_time_taken_even_without_items() -> None:
    entry = {"scheduleId": "a@contoso.example", "availabilityView": "0340", "scheduleItems": []}
    availability = parse_schedule_entry("a@contoso.example", entry, START, HALF_HOUR)
    # 3 = out of office blocks; 4 = working elsewhere does not
    assert [(b.start, b.end, b.status) for b in availability.busy] == [
        (START + HALF_HOUR, START + 2 * HALF_HOUR, FreeBusyStatus.OOF)
    ]


def test_error_or_missing_view_is_unknown_never_free() -> None:
    error = {"scheduleId": "x@fabrikam.example", "error": {"message": "...", "responseCode": "5009"}}
    no_view = {"scheduleId": "y@contoso.example", "scheduleItems": []}
    for entry in (error, no_view, None):
        availability = parse_schedule_entry("x@contoso.example", entry, START, HALF_HOUR)
        assert not availability.known
        assert availability.busy == ()
        assert availability.unknown_reason


def test_working_hours_with_a_custom_zone_and_seven_digit_times() -> None:
    entry = {
        "scheduleId": "a@contoso.example",
        "availabilityView": "0",
        "workingHours": {
            "daysOfWeek": ["Monday", "tuesday"],
            "startTime": "08:30:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"@odata.type": "#microsoft.graph.customTimeZone", "bias": -330, "name": "Customized"},
        },
    }
    hours = parse_schedule_entry("a@contoso.example", entry, START, HALF_HOUR).working_hours
    assert hours is not None
    assert hours.days == frozenset({1, 2})
    assert (hours.start, hours.end) == (time(8, 30), time(17, 0))
    opens = datetime.combine(START.date(), hours.start, tzinfo=hours.tz).astimezone(UTC)
    assert opens == datetime(2025, 3, 17, 3, 0, tzinfo=UTC)


def test_working_hours_in_an_unknown_zone_are_dropped_not_guessed() -> None:
    entry = {
        "scheduleId": "a@contoso.example",
        "availabilityView": "0",
        "workingHours": {
            "daysOfWeek": ["monday"],
            "startTime": "08:00:00",
            "endTime": "17:00:00",
            "timeZone": {"name": "Mars Standard Time"},
        },
    }
    availability = parse_schedule_entry("a@contoso.example", entry, START, HALF_HOUR)
    assert availability.known and availability.working_hours is None
