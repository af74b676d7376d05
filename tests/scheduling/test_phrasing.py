"""Reading a typed request with the real recognizer: which words are the length, the colleague and the time.

The HTTP-boundary table (tests/booking/test_booking_phrases.py) shows what the bot then does; these pin down
the splitting rules themselves, in Berlin, on Wed 25 Nov 2026.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialogs.booking_phrases import recognize
from scheduling.phrasing import LOOK_AHEAD, Request, Unread, read_request

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Berlin


def read(text: str) -> Request:
    request = read_request(text, NOW, BERLIN, recognize)
    assert request is not None
    return request


def test_length_person_and_next_week() -> None:
    request = read("book 30 min with Alice next week")
    assert (request.duration, request.person, request.unread, request.problems) == (
        timedelta(minutes=30), "Alice", (), ())
    assert request.window is not None and request.window.description == "next week"
    assert request.window.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 00:00 in Berlin


def test_an_address_and_this_week() -> None:
    request = read("book 1h with bob@contoso.com this week")
    assert (request.duration, request.person) == (timedelta(hours=1), "bob@contoso.com")
    assert request.window is not None and request.window.start == NOW


def test_a_name_of_several_words_then_a_length_then_a_day() -> None:
    request = read("Book a meeting with Alice Smith for 1 h 30 tomorrow")
    assert (request.duration, request.person) == (timedelta(minutes=90), "Alice Smith")
    assert request.window is not None and request.window.description == "Thu 26 Nov"
    assert request.understood == ("1 h 30", "tomorrow")


def test_a_time_asked_for_is_kept_in_utc() -> None:
    request = read("book 30 min with Alice tomorrow at 3pm")
    assert request.requested_start == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def test_only_a_person() -> None:
    request = read("book with Priya")
    assert (request.duration, request.person, request.window) == (None, "Priya", None)


def test_words_that_are_no_request() -> None:
    assert read_request("bookmark this", NOW, BERLIN, recognize) is None
    assert read("book") == Request()


def test_a_past_window_and_a_short_length_are_both_reported() -> None:
    request = read("book 3 min with Alice from 2026-01-01 to 2026-01-02")
    assert request.person == "Alice" and request.duration is None and request.window is None
    assert request.problems == ("A meeting must last at least 5 minutes (for hours, write e.g. 2h).",)
    assert request.unread == (Unread("from 2026-01-01 to 2026-01-02", LOOK_AHEAD),)


def test_an_unreadable_length_is_named_not_taken_for_a_person() -> None:
    request = read("book soonish with Alice")
    assert (request.duration, request.person, request.unread) == (None, "Alice", (Unread("soonish"),))


def test_two_lengths_are_a_problem() -> None:
    request = read("book 30 min with Alice for 1h")
    assert request.duration is None
    assert request.problems == ("I found two meeting lengths; please give just one.",)


def test_several_colleagues_are_kept_apart() -> None:
    request = read("book 1h with Ben, Chloe and Dan Brown tomorrow")
    assert (request.person, request.other_people) == ("Ben", ("Chloe", "Dan Brown"))
    assert request.window is not None and request.window.description == "Thu 26 Nov"


@pytest.mark.parametrize(("text", "required", "optional"), [
    ("book 30 min with Ben and Chloe tomorrow", ("Ben", "Chloe"), ()),
    ("book 1h with Ben and Chloe", ("Ben", "Chloe"), ()),
    ("book with Ben, Chloe and optionally Dev tomorrow", ("Ben", "Chloe"), ("Dev",)),
    ("book with Ben optionally Dev Patel", ("Ben",), ("Dev Patel",)),
    ("book with Ben, optionally Dev and Erin next week", ("Ben",), ("Dev", "Erin")),
    ("book with Ben & Chloe + Dan Brown", ("Ben", "Chloe", "Dan Brown"), ()),
])
def test_required_and_optional_colleagues(text: str, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    request = read(text)
    assert ((request.person, *request.other_people), request.optional_people) == (required, optional)
    assert request.unread == ()
