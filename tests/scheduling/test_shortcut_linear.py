"""The typed-request reader on adversarial text (issue 9: 28,000 tabs took 7 s in a regular expression).

The request is split into words once, so its own cost is linear; what is not linear is the date-time
recognizer's regular expressions (500 characters of "1-1-1-…" take it seconds: see docs/PHRASES.md and
`python -m bench.phrase_parsers --adversarial`). What the tests pin down, without timing anything (the
timings are bench rows):
* the recognizer is never handed more than MAX_WHEN_CHARACTERS characters at once, whatever the request,
  and at most twice per request: the bound that keeps every request cheap;
* any run of any kind of whitespace, anywhere, reads exactly as one space (huge inputs with the cap lifted);
* over the cap a request is refused at once, with a message, before the recognizer sees anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.booking_phrases import recognize
from scheduling.durations import MAX_SHORTCUT_LENGTH, ShortcutTooLong
from scheduling.phrasing import MAX_WHEN_CHARACTERS, Reading, read_request

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday

# Words the reader or the recognizer give a meaning to, in several cases, and words neither knows.
WORDS = [
    "book", "Book", "a", "meeting", "call", "with", "WITH", "for", "and", ",", "this", "next", "week", "today",
    "tomorrow", "TOMORROW", "at", "3pm", "9:30", "noon", "on", "Friday", "Tuesday", "afternoon", "morning", "in",
    "two", "weeks", "between", "8", "10", "December", "the", "14th", "end", "of", "from", "to", "2026-12-01",
    "2025-01-01", "yesterday", "half", "an", "hour", "30", "1h", "min", "45m", "PT45M", "1:30", "99999999999h",
    "9" * 40, "1-1-1-1-1-1-1-1", "Alice", "Smith", "bob@contoso.example", "Ünal", "李", "book,", "book-30",
]
# Whitespace Teams text may carry: str.split() treats all of these as separators.
SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u2003", "\u3000", "\x1c", "\u2028"]

whitespace = st.text(alphabet=SPACES, min_size=1, max_size=6) | st.builds(
    lambda space, count: space * count, st.sampled_from(SPACES), st.integers(1, 5_000))
requests = st.builds(
    lambda words, gaps, lead, tail: lead + "".join(w + g for w, g in zip(words, gaps, strict=False)) + tail,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12),
    st.lists(whitespace, min_size=12, max_size=12),
    st.sampled_from(["", " ", "\t" * 3000]),
    st.sampled_from(["", "x", "\t" * 3000 + "x"]),
)
# Within the cap: text made to make regular expressions backtrack (digits and separators, repeated words).
adversarial = st.builds(
    lambda head, body: (head + body)[:MAX_SHORTCUT_LENGTH],
    st.sampled_from(["book ", "book 30 min with Ben ", "book with Ben ", "book for "]),
    st.text(alphabet="19-:., \t\u00a0", min_size=0, max_size=600)
    | st.lists(st.sampled_from(WORDS), max_size=120).map(" ".join),
)


class Spy:
    """The real recognizer, recording what it was handed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str, local_now: datetime) -> Sequence[Reading]:
        self.texts.append(text)
        return recognize(text, local_now)


@settings(max_examples=150, deadline=None)
@given(text=adversarial)
def test_the_recognizer_only_ever_sees_a_short_text(text: str) -> None:
    spy = Spy()

    read_request(text, NOW, BERLIN, spy)

    assert len(spy.texts) <= 2  # the length before "with", and what follows the name
    assert all(len(seen) <= MAX_WHEN_CHARACTERS for seen in spy.texts)


@settings(max_examples=100, deadline=None)
@given(text=requests)
def test_any_whitespace_reads_as_single_spaces(text: str) -> None:
    collapsed = " ".join(text.split())

    assert read_request(text, NOW, BERLIN, recognize, max_length=None) == read_request(
        collapsed, NOW, BERLIN, recognize, max_length=None)


@settings(max_examples=100, deadline=None)
@given(text=requests)
def test_text_over_the_cap_is_refused_before_it_is_read(text: str) -> None:
    spy = Spy()
    if len(text) <= MAX_SHORTCUT_LENGTH:
        read_request(text, NOW, BERLIN, spy)  # within the cap: read, never refused
        return
    with pytest.raises(ShortcutTooLong, match="longer than a booking request"):
        read_request(text, NOW, BERLIN, spy)
    assert spy.texts == []


def test_the_issue_input_is_refused_and_with_the_cap_lifted_reads_as_two_words() -> None:
    tabs = "book a" + "\t" * 28_000 + "x"
    with pytest.raises(ShortcutTooLong):
        read_request(tabs, NOW, BERLIN, recognize)
    assert read_request(tabs, NOW, BERLIN, recognize, max_length=None) == read_request(
        "book a x", NOW, BERLIN, recognize)


@pytest.mark.parametrize("length", ["99999999999h", "9" * 40, "9" * 5000 + " min", "pt" + "9" * 5000 + "h"])
def test_huge_lengths_are_refused_with_the_limit(length: str) -> None:
    request = read_request(f"book {length} with Alice", NOW, BERLIN, recognize, max_length=None)
    assert request is not None and request.problems == ("A meeting can last at most 8 hours.",)
