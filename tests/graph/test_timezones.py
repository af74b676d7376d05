"""graph.timezones: Windows/IANA names, customTimeZone rules and Graph's date-time strings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.timezones import (
    CustomTimeZone,
    UnknownTimeZone,
    iana_to_windows,
    parse_graph_datetime,
    parse_graph_time,
    to_graph_datetime,
    tz_from_graph,
    windows_to_iana,
)

# Pacific time as Outlook writes it for a mailbox with a customised zone.
PACIFIC_CUSTOM = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "name": "Customized Time Zone",
    "bias": 480,
    "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11, "year": 0},
    "daylightOffset": {
        "time": "02:00:00.0000000",
        "dayOccurrence": 2,
        "dayOfWeek": "sunday",
        "month": 3,
        "year": 0,
        "daylightBias": -60,
    },
}
# Sydney: daylight saving spans the new year (first Sunday of October to first Sunday of April).
SYDNEY_CUSTOM = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "name": "Customized Time Zone",
    "bias": -600,
    "standardOffset": {"time": "03:00:00", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 4, "year": 0},
    "daylightOffset": {
        "time": "02:00:00",
        "dayOccurrence": 1,
        "dayOfWeek": "sunday",
        "month": 10,
        "year": 0,
        "daylightBias": -60,
    },
}
# Berlin: last Sunday of March / October (dayOccurrence 5 = the last one).
BERLIN_CUSTOM = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": -60,
    "standardOffset": {"time": "03:00:00", "dayOccurrence": 5, "dayOfWeek": "sunday", "month": 10},
    "daylightOffset": {"time": "02:00:00", "dayOccurrence": 5, "dayOfWeek": "sunday", "month": 3, "daylightBias": -60},
}


def test_windows_names_map_to_iana_both_ways() -> None:
    assert windows_to_iana("Pacific Standard Time") == "America/Los_Angeles"
    assert windows_to_iana("w. europe standard time") == "Europe/Berlin"
    assert iana_to_windows("Europe/Berlin") == "W. Europe Standard Time"
    assert iana_to_windows("Asia/Kolkata") == "India Standard Time"
    assert iana_to_windows("Etc/UTC") == "UTC"


@pytest.mark.parametrize("name", ["Mars Standard Time", "Europe/Atlantis", "tzone://Microsoft/Custom", ""])
def test_unknown_names_raise_instead_of_defaulting(name: str) -> None:
    with pytest.raises(UnknownTimeZone):
        tz_from_graph(name)


def test_unknown_windows_name_error_names_the_zone() -> None:
    with pytest.raises(UnknownTimeZone, match="Mars Standard Time"):
        windows_to_iana("Mars Standard Time")
    with pytest.raises(UnknownTimeZone, match="Europe/Atlantis"):
        iana_to_windows("Europe/Atlantis")


@pytest.mark.parametrize("name", ["UTC", "tzone://Microsoft/Utc", "Etc/UTC"])
def test_utc_spellings(name: str) -> None:
    assert tz_from_graph(name).utcoffset(datetime(2025, 6, 1)) == timedelta(0)


def test_parse_graph_datetime_with_seven_fraction_digits() -> None:
    assert parse_graph_datetime("2025-03-17T12:00:00.0000000", "UTC") == datetime(2025, 3, 17, 12, tzinfo=UTC)
    assert parse_graph_datetime("2025-03-17T12:30:15.1234567", "tzone://Microsoft/Utc") == datetime(
        2025, 3, 17, 12, 30, 15, 123456, tzinfo=UTC
    )


def test_parse_graph_datetime_reads_wall_time_in_the_given_zone_across_dst() -> None:
    # US daylight time began 2025-03-09, Europe's not until 03-30: an 8-hour gap that week, not 9.
    pacific = parse_graph_datetime("2025-03-17T09:00:00.0000000", "Pacific Standard Time")
    berlin = parse_graph_datetime("2025-03-17T09:00:00.0000000", "W. Europe Standard Time")
    assert pacific == datetime(2025, 3, 17, 16, tzinfo=UTC)
    assert berlin == datetime(2025, 3, 17, 8, tzinfo=UTC)
    assert pacific.tzinfo is UTC


def test_parse_graph_time_accepts_seven_digits() -> None:
    assert parse_graph_time("08:30:00.0000000") == time(8, 30)
    with pytest.raises(ValueError):
        parse_graph_time("half past eight")


def test_to_graph_datetime_writes_wall_time_in_the_zone() -> None:
    moment = datetime(2025, 7, 1, 15, 0, tzinfo=UTC)
    assert to_graph_datetime(moment) == {"dateTime": "2025-07-01T15:00:00", "timeZone": "UTC"}
    assert to_graph_datetime(moment, "Pacific Standard Time") == {
        "dateTime": "2025-07-01T08:00:00",
        "timeZone": "Pacific Standard Time",
    }
    with pytest.raises(ValueError):
        to_graph_datetime(datetime(2025, 7, 1, 15, 0))


def test_custom_zone_working_hours_on_dst_transition_dates() -> None:
    zone = tz_from_graph(PACIFIC_CUSTOM)
    assert isinstance(zone, CustomTimeZone)
    # 08:00 local on the Friday before and the Monday after US daylight time began (2025-03-09).
    before = datetime(2025, 3, 7, 8, 0, tzinfo=zone).astimezone(UTC)
    after = datetime(2025, 3, 10, 8, 0, tzinfo=zone).astimezone(UTC)
    assert before == datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    assert after == datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    # ... and back to standard time after the first Sunday of November (2025-11-02).
    assert datetime(2025, 11, 3, 8, 0, tzinfo=zone).astimezone(UTC) == datetime(2025, 11, 3, 16, 0, tzinfo=UTC)


def test_custom_zone_without_daylight_rules_is_a_fixed_offset() -> None:
    india = tz_from_graph({"@odata.type": "#microsoft.graph.customTimeZone", "bias": -330})
    assert datetime(2025, 1, 1, 9, 0, tzinfo=india).astimezone(UTC) == datetime(2025, 1, 1, 3, 30, tzinfo=UTC)
    assert datetime(2025, 7, 1, 9, 0, tzinfo=india).astimezone(UTC) == datetime(2025, 7, 1, 3, 30, tzinfo=UTC)


def test_custom_zone_without_bias_is_rejected() -> None:
    with pytest.raises(UnknownTimeZone):
        tz_from_graph({"@odata.type": "#microsoft.graph.customTimeZone", "name": "Customized Time Zone"})


def test_timezone_object_with_windows_name() -> None:
    zone = tz_from_graph({"name": "Pacific Standard Time"})
    assert datetime(2025, 3, 10, 8, 0, tzinfo=zone).astimezone(UTC) == datetime(2025, 3, 10, 15, 0, tzinfo=UTC)


_INSTANTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC, second=0, microsecond=0)
)


@settings(max_examples=300, deadline=None)
@given(instant=_INSTANTS)
@pytest.mark.parametrize(
    ("custom", "iana"),
    [(PACIFIC_CUSTOM, "America/Los_Angeles"), (SYDNEY_CUSTOM, "Australia/Sydney"), (BERLIN_CUSTOM, "Europe/Berlin")],
)
def test_custom_zone_agrees_with_tzdata(custom: dict, iana: str, instant: datetime) -> None:
    """Both hemispheres: UTC -> local wall time and back agree with the IANA database."""
    zone = tz_from_graph(custom)
    reference = ZoneInfo(iana)
    local = instant.astimezone(zone)
    expected = instant.astimezone(reference)
    assert local.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert local.utcoffset() == expected.utcoffset()
    # Wall time read back (with its fold) lands on the same instant.
    assert local.astimezone(UTC) == instant
