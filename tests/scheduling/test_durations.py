from __future__ import annotations

from datetime import timedelta

import pytest

from scheduling.durations import DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("15", 15),
        ("30 min", 30),
        ("30 mins", 30),
        ("45 minutes", 45),
        ("1h", 60),
        ("1 h 30", 90),
        ("1h30", 90),
        ("1 hour 15 minutes", 75),
        ("2 hours", 120),
        ("90m", 90),
        ("1.5h", 90),
        ("PT45M", 45),
        ("pt1h30m", 90),
        ("1:30", 90),
        ("  30   MIN ", 30),
        ("5", 5),
        ("8h", 480),
    ],
)
def test_parse_duration_accepts_common_spellings(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "soon", "PT", "1 h 90", "1.33h", "30 seconds", "-30", "1:75"])
def test_parse_duration_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(DurationError, match="meeting length"):
        parse_duration(text)


def test_parse_duration_bounds_have_plain_messages() -> None:
    with pytest.raises(DurationError, match="at least 5 minutes"):
        parse_duration("2")
    with pytest.raises(DurationError, match="at most 8 hours"):
        parse_duration("8h 15")
    with pytest.raises(DurationError, match="at least 5 minutes"):
        parse_duration("PT0M")
