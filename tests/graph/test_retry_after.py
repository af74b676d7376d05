"""Retry-After as Graph sends it: integer or fractional seconds, or an HTTP-date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.calendar import EmptySuggestionsReason, iso_duration
from graph.http import parse_retry_after

NOW = datetime(2025, 3, 17, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("10", 10.0),
        ("2.128", 2.128),
        (" 0 ", 0.0),
        ("Mon, 17 Mar 2025 10:00:07 GMT", 7.0),
        ("Mon, 17 Mar 2025 09:59:00 GMT", 0.0),  # a date in the past means "now"
    ],
)
def test_parse_retry_after(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("header", [None, "", "soon", "nan"])
def test_missing_or_garbled_retry_after_means_no_hint(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


def test_iso_durations_for_find_meeting_times() -> None:
    assert iso_duration(timedelta(minutes=30)) == "PT30M"
    assert iso_duration(timedelta(hours=1)) == "PT1H"
    assert iso_duration(timedelta(hours=2, minutes=30)) == "PT2H30M"
    with pytest.raises(ValueError):
        iso_duration(timedelta(0))


def test_empty_suggestion_reasons_are_read_as_documented_whatever_the_casing() -> None:
    assert EmptySuggestionsReason.parse("") is None
    assert EmptySuggestionsReason.parse("AttendeesUnavailable") is EmptySuggestionsReason.ATTENDEES_UNAVAILABLE
    assert EmptySuggestionsReason.parse("attendeesunavailableorunknown") is (
        EmptySuggestionsReason.ATTENDEES_UNAVAILABLE_OR_UNKNOWN)
    assert EmptySuggestionsReason.parse("somethingNew") is EmptySuggestionsReason.UNKNOWN
