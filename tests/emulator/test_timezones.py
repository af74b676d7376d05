"""Graph's date-time and zone spellings as the emulator reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator.timezones import UnknownTimeZone, parse_date_time_time_zone, parse_iso_duration


def test_seven_fractional_digits_in_a_windows_zone() -> None:
    parsed = parse_date_time_time_zone({"dateTime": "2030-03-05T09:30:00.1234567", "timeZone": "India Standard Time"})
    assert parsed == datetime(2030, 3, 5, 4, 0, 0, 123456, tzinfo=UTC)


def test_offset_in_the_text_wins_and_names_are_case_insensitive_keys() -> None:
    parsed = parse_date_time_time_zone({"DateTime": "2030-03-05T09:30:00.5+01:00", "TimeZone": "UTC"})
    assert parsed == datetime(2030, 3, 5, 8, 30, 0, 500000, tzinfo=UTC)


def test_unknown_zone_is_rejected() -> None:
    with pytest.raises(UnknownTimeZone):
        parse_date_time_time_zone({"dateTime": "2030-03-05T09:30:00", "timeZone": "Mars Standard Time"})


@pytest.mark.parametrize(("text", "expected"), [("PT30M", timedelta(minutes=30)), ("PT1H30M", timedelta(minutes=90)),
                                                ("P1DT2H", timedelta(hours=26))])
def test_iso_durations(text: str, expected: timedelta) -> None:
    assert parse_iso_duration(text) == expected


def test_empty_duration_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_iso_duration("PT")
