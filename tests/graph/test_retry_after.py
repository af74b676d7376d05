"""Retry-After as Graph sends it: integer or fractional seconds, or an HTTP-date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.calendar import empty_reason_text, iso_duration
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


def test_empty_suggestion_reasons_in_plain_words() -> None:
    assert empty_reason_text("") is None
    assert "busy" in (empty_reason_text("AttendeesUnavailable") or "")
    assert empty_reason_text("attendeesUnavailable") == empty_reason_text("AttendeesUnavailable")
    assert "could not see" in (empty_reason_text("attendeesUnavailableOrUnknown") or "")
    assert empty_reason_text("somethingNew") == empty_reason_text("unknown")
