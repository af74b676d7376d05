"""Reading what people type: meeting lengths ("30 min", "1 h 30", "PT45M"), and the first, linear step
of reading a typed booking request ("book 30 min with Alice next week"): its length cap and its words.
scheduling/phrasing.py reads the words.
"""

from __future__ import annotations

import re
from datetime import timedelta

MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=8)


class DurationError(ValueError):
    """A meeting length that cannot be used; the message is meant for the user."""


class UnreadableDuration(DurationError):
    """The text is not a meeting length at all (rather than one too short or too long)."""


_ISO = re.compile(r"^pt(?=\d)(?:(\d+)h)?(?:(\d+)m)?$")
_HOURS_MINUTES = re.compile(r"^(\d{1,2}):(\d{2})$")
_HOUR_WORDS = r"h|hr|hrs|hour|hours"
_MINUTE_WORDS = r"m|min|mins|minute|minutes"
_SPOKEN = re.compile(
    rf"^(?:(?P<hours>\d+(?:[.,]\d+)?)\s*(?:{_HOUR_WORDS}))?"
    rf"\s*(?:(?P<minutes>\d+)\s*(?:{_MINUTE_WORDS})?)?$"
)

_EXAMPLES = 'Try "30 min", "1h", "1 h 30" or "90m".'
_TOO_LONG = f"A meeting can last at most {MAX_DURATION // timedelta(hours=1)} hours."
_MAX_DIGITS = 6  # 999,999 minutes is far beyond MAX_DURATION and far inside what timedelta can hold


def parse_duration(text: str) -> timedelta:
    """A meeting length between 5 minutes and 8 hours; a bare number means minutes."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise UnreadableDuration(f"Please give a meeting length. {_EXAMPLES}")
    if _too_many_digits(cleaned):
        raise DurationError(_TOO_LONG)
    length = _read_length(cleaned)
    if length is None:
        raise UnreadableDuration(f'I could not read "{text.strip()}" as a meeting length. {_EXAMPLES}')
    return usable_length(length)


def usable_length(length: timedelta) -> timedelta:
    """`length` when a meeting may last that long; DurationError saying the limit otherwise."""
    if length < MIN_DURATION:
        raise DurationError("A meeting must last at least 5 minutes (for hours, write e.g. 2h).")
    if length > MAX_DURATION:
        raise DurationError(_TOO_LONG)
    return length


def _too_many_digits(cleaned: str) -> bool:
    """A number too big for any meeting ("99999999999h"): refused before int(), float() or timedelta()
    could overflow (or int() refuse a 5,000-digit string). Fractions stay short in the patterns."""
    run = longest = 0
    for character in cleaned:
        if character.isdigit():
            run = 0 if run == 0 and character == "0" else run + 1  # leading zeros do not count
            longest = max(longest, run)
        else:
            run = 0
    return longest > _MAX_DIGITS


def _read_length(cleaned: str) -> timedelta | None:
    iso = _ISO.match(cleaned)
    if iso:
        return timedelta(hours=int(iso.group(1) or 0), minutes=int(iso.group(2) or 0))
    clock = _HOURS_MINUTES.match(cleaned)
    if clock:
        if int(clock.group(2)) >= 60:
            return None
        return timedelta(hours=int(clock.group(1)), minutes=int(clock.group(2)))
    spoken = _SPOKEN.match(cleaned)
    if spoken and (spoken.group("hours") or spoken.group("minutes")):
        hours = float(spoken.group("hours").replace(",", ".")) if spoken.group("hours") else 0.0
        minutes = int(spoken.group("minutes") or 0)
        if spoken.group("hours") and minutes >= 60:
            return None  # "1 h 90" is more likely a typo than 2 h 30
        total = timedelta(hours=hours, minutes=minutes)
        if total % timedelta(minutes=1):
            return None  # "1.33h" is not a whole number of minutes
        return total
    return None


# A booking request is one short sentence; Teams messages can be ~28 KB. Longer text is refused before
# any parsing, with a message, so no input can make the parser (or the name search after it) slow.
MAX_SHORTCUT_LENGTH = 500


class ShortcutTooLong(ValueError):
    """The typed request is longer than any booking request; the message is meant for the user."""


_MEETING_WORDS = frozenset({"meeting", "call", "slot", "time"})


def _is_word_char(character: str) -> bool:
    return character.isalnum() or character == "_"


def _after_book(words: list[str]) -> list[str] | None:
    """The words after "book" (and "a meeting", "call", ...), or None when the text is not a booking request."""
    first = words[0]
    if first[:4].lower() != "book" or (len(first) > 4 and _is_word_char(first[4])):
        return None
    if len(first) > 4:  # "book," or "book-30": the rest of the word is already part of the request
        return [first[4:], *words[1:]]
    rest = words[1:]
    if rest and rest[0].lower() in _MEETING_WORDS:
        return rest[1:]
    if len(rest) > 1 and rest[0].lower() == "a" and rest[1].lower() in _MEETING_WORDS:
        return rest[2:]
    return rest


def request_words(text: str, max_length: int | None = MAX_SHORTCUT_LENGTH) -> list[str] | None:
    """The words of "book ..." after "book" (and "a meeting"), or None when the text is not a booking request.

    Runs in time linear in the text: it is split into words once (any run of whitespace is one separator).
    Text over `max_length` characters raises ShortcutTooLong (None lifts the cap: benchmarks and tests use
    it to show the split stays linear on huge input).
    """
    if max_length is not None and len(text) > max_length:
        raise ShortcutTooLong(
            f"That is longer than a booking request can be ({max_length} characters at most). "
            "Try something like “book 30 min with Alice next week”, or type **book** for the form."
        )
    words = text.split()
    return _after_book(words) if words else None
