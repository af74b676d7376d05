"""The booking shortcut parser on adversarial text (issue 9: 28,000 tabs took 7 s in a regular expression).

The parser reads words, never runs a pattern over the whole text, so its cost is linear. What the tests
pin down, without timing anything (the ratio is in bench/: `python -m bench.run`):
* on any text, whatever its whitespace, it reads exactly what the old regular expressions read from the
  same text with its whitespace collapsed (where they are fast and their meaning is the reference);
* long runs of any kind of whitespace, anywhere, change nothing (huge inputs with the cap lifted);
* over the cap it refuses at once, with a message, before reading anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.durations import MAX_SHORTCUT_LENGTH, ShortcutTooLong, parse_booking_shortcut
from tests.scheduling.shortcut_reference import reference_shortcut

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday

# Every word the grammar gives a meaning to, in several cases, and words it does not know.
WORDS = [
    "book", "Book", "BOOK", "a", "meeting", "call", "slot", "time", "with", "WITH", "for", "For", "this", "next",
    "week", "Week", "today", "tomorrow", "TOMORROW", "from", "between", "to", "and", "until", "till", "-", "on",
    "2026-12-01", "2026-12-03", "2026-02-30", "2025-01-01", "30", "1h", "1", "h", "min", "90m", "PT45M", "1:30",
    "99999999999h", "9" * 40, "Alice", "Smith", "bob@contoso.example", "Ünal", "李", "book,", "book-30",
]
# Whitespace Teams text may carry: str.split() and the patterns' \s agree on all of these.
SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u2003", "\u3000", "\x1c", "\u2028"]

whitespace = st.text(alphabet=SPACES, min_size=1, max_size=6) | st.builds(
    lambda space, count: space * count, st.sampled_from(SPACES), st.integers(1, 5_000))
requests = st.builds(
    lambda words, gaps, lead, tail: lead + "".join(w + g for w, g in zip(words, gaps, strict=False)) + tail,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=9),
    st.lists(whitespace, min_size=9, max_size=9),
    st.sampled_from(["", " ", "\t" * 3000]),
    st.sampled_from(["", "x", "\t" * 3000 + "x"]),
)


@settings(max_examples=300, deadline=None)
@given(text=requests)
def test_any_whitespace_reads_as_the_reference_reads_the_collapsed_text(text: str) -> None:
    collapsed = " ".join(text.split())

    parsed = parse_booking_shortcut(text, NOW, BERLIN, max_length=None)

    assert parsed == reference_shortcut(collapsed, NOW, BERLIN)
    assert parsed == parse_booking_shortcut(collapsed, NOW, BERLIN)


@settings(max_examples=100, deadline=None)
@given(text=requests)
def test_text_over_the_cap_is_refused_before_it_is_read(text: str) -> None:
    if len(text) <= MAX_SHORTCUT_LENGTH:
        parse_booking_shortcut(text, NOW, BERLIN)  # within the cap: read, never refused
        return
    with pytest.raises(ShortcutTooLong, match="longer than a booking request"):
        parse_booking_shortcut(text, NOW, BERLIN)


def test_the_issue_input_is_refused_and_with_the_cap_lifted_reads_as_a_length() -> None:
    tabs = "book a" + "\t" * 28_000 + "x"
    with pytest.raises(ShortcutTooLong):
        parse_booking_shortcut(tabs, NOW, BERLIN)
    parsed = parse_booking_shortcut(tabs, NOW, BERLIN, max_length=None)
    assert parsed == reference_shortcut("book a x", NOW, BERLIN)
    assert parsed.duration is None and parsed.person_query is None and parsed.problems


@pytest.mark.parametrize("length", ["99999999999h", "9" * 40, "9" * 5000 + " min", "pt" + "9" * 5000 + "h"])
def test_huge_lengths_are_refused_with_the_limit(length: str) -> None:
    parsed = parse_booking_shortcut(f"book {length} with Alice", NOW, BERLIN, max_length=None)
    assert parsed.problems == ("A meeting can last at most 8 hours.",)
