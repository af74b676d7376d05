from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.durations import DurationError, parse_booking_shortcut, parse_duration

BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


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


def test_shortcut_with_duration_person_and_next_week() -> None:
    parts = parse_booking_shortcut("book 30 min with Alice next week", NOW, BERLIN)
    assert parts.duration == timedelta(minutes=30)
    assert parts.person_query == "Alice"
    assert parts.window is not None
    assert parts.window.description == "next week"
    # Monday 2026-11-30 00:00 in Berlin (CET, UTC+1).
    assert parts.window.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert parts.problems == ()


def test_shortcut_with_email_and_this_week() -> None:
    parts = parse_booking_shortcut("book 1h with bob@contoso.com this week", NOW, BERLIN)
    assert parts.duration == timedelta(hours=1)
    assert parts.person_query == "bob@contoso.com"
    assert parts.window is not None and parts.window.start == NOW


def test_shortcut_with_only_a_person() -> None:
    parts = parse_booking_shortcut("book with Priya", NOW, BERLIN)
    assert (parts.duration, parts.person_query, parts.window) == (None, "Priya", None)


def test_shortcut_with_date_range() -> None:
    parts = parse_booking_shortcut("book 45m with Alice from 2026-12-01 to 2026-12-05", NOW, BERLIN)
    assert parts.duration == timedelta(minutes=45)
    assert parts.person_query == "Alice"
    assert parts.window is not None
    assert parts.window.start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert parts.window.end == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)


def test_shortcut_duration_after_the_person() -> None:
    parts = parse_booking_shortcut("Book a meeting with Alice Smith for 1 h 30 tomorrow", NOW, BERLIN)
    assert parts.duration == timedelta(minutes=90)
    assert parts.person_query == "Alice Smith"
    assert parts.window is not None and parts.window.description == "Thu 26 Nov"


def test_shortcut_bare_book_has_no_parts() -> None:
    assert parse_booking_shortcut("book", NOW, BERLIN) == parse_booking_shortcut("hello", NOW, BERLIN)
    parts = parse_booking_shortcut("bookmark this", NOW, BERLIN)
    assert (parts.duration, parts.person_query, parts.window) == (None, None, None)


def test_shortcut_reports_invalid_parts_instead_of_guessing() -> None:
    parts = parse_booking_shortcut("book 3 min with Alice from 2026-01-01 to 2026-01-02", NOW, BERLIN)
    assert parts.person_query == "Alice"
    assert parts.duration is None and parts.window is None
    assert any("at least 5 minutes" in problem for problem in parts.problems)
    assert any("already passed" in problem for problem in parts.problems)


def test_shortcut_unreadable_length_is_a_problem_not_a_person() -> None:
    parts = parse_booking_shortcut("book soonish with Alice", NOW, BERLIN)
    assert parts.duration is None
    assert parts.person_query == "Alice"
    assert parts.problems and "meeting length" in parts.problems[0]


def test_shortcut_two_lengths_is_a_problem() -> None:
    parts = parse_booking_shortcut("book 30 min with Alice for 1h", NOW, BERLIN)
    assert parts.duration is None
    assert parts.problems == ("I found two meeting lengths; please give just one.",)


def test_shortcut_invalid_calendar_date_is_a_problem() -> None:
    parts = parse_booking_shortcut("book with Alice from 2026-02-30 to 2026-03-02", NOW, BERLIN)
    assert parts.window is None
    assert parts.problems == ("Dates must be real calendar dates written like 2026-12-01.",)
