"""Reading what people type: meeting lengths ("30 min", "1 h 30", "PT45M") and the one-line
booking shortcut ("book 30 min with Alice next week").

The shortcut parser never guesses: a part it cannot read is left out (None) or, when the user
clearly meant it but it is invalid, reported in `problems` with a message they can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from scheduling.windows import TimeWindow, WindowError, between, next_week, this_week

MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=8)


class DurationError(ValueError):
    """A meeting length that cannot be used; the message is meant for the user."""


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
        raise DurationError(f"Please give a meeting length. {_EXAMPLES}")
    if _too_many_digits(cleaned):
        raise DurationError(_TOO_LONG)
    length = _read_length(cleaned)
    if length is None:
        raise DurationError(f'I could not read "{text.strip()}" as a meeting length. {_EXAMPLES}')
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


@dataclass(frozen=True)
class ShortcutParts:
    duration: timedelta | None
    person_query: str | None
    window: TimeWindow | None
    # Messages for parts the user clearly gave but that cannot be used ("3 min", a past date).
    problems: tuple[str, ...] = ()


# A booking request is one short sentence; Teams messages can be ~28 KB. Longer text is refused before
# any parsing, with a message, so no input can make the parser (or the name search after it) slow.
MAX_SHORTCUT_LENGTH = 500


class ShortcutTooLong(ValueError):
    """The typed request is longer than any booking request; the message is meant for the user."""


@dataclass(frozen=True)
class WindowWords:
    """The window as written: a named one ("next week"), or first and last ISO dates (equal for "on")."""

    named: str | None = None
    first: str | None = None
    last: str | None = None


_MEETING_WORDS = frozenset({"meeting", "call", "slot", "time"})
_TWO_WORD_WINDOWS = frozenset({"this week", "next week"})
_ONE_WORD_WINDOWS = frozenset({"today", "tomorrow"})
_RANGE_OPENERS = frozenset({"from", "between"})
_RANGE_JOINERS = frozenset({"to", "and", "until", "till", "-"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def resolve_window(words: WindowWords, now: datetime, tz: tzinfo) -> TimeWindow:
    """The search window the words name, in `tz`; WindowError when the dates cannot be used."""
    if words.named == "this week":
        return this_week(now, tz)
    if words.named == "next week":
        return next_week(now, tz)
    today = now.astimezone(tz).date()
    if words.named == "today":
        return between(today, today, tz, now=now)
    if words.named == "tomorrow":
        return between(today + timedelta(days=1), today + timedelta(days=1), tz, now=now)
    try:
        first, last = date.fromisoformat(words.first or ""), date.fromisoformat(words.last or "")
    except ValueError as exc:
        raise WindowError("Dates must be real calendar dates written like 2026-12-01.") from exc
    return between(first, last, tz, now=now)


def _is_date(word: str) -> bool:
    return len(word) == 10 and _DATE.fullmatch(word) is not None


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


def _split_window(words: list[str]) -> tuple[list[str], WindowWords | None]:
    """Splits a trailing window ("next week", "from D to D", "on D") off the words."""
    lowered = [word.lower() for word in words[-4:]]
    if (len(lowered) == 4 and lowered[0] in _RANGE_OPENERS and _is_date(lowered[1])
            and lowered[2] in _RANGE_JOINERS and _is_date(lowered[3])):
        return words[:-4], WindowWords(first=words[-3], last=words[-1])
    if len(lowered) >= 2 and " ".join(lowered[-2:]) in _TWO_WORD_WINDOWS:
        return words[:-2], WindowWords(named=" ".join(lowered[-2:]))
    if lowered and lowered[-1] in _ONE_WORD_WINDOWS:
        return words[:-1], WindowWords(named=lowered[-1])
    if len(lowered) >= 2 and lowered[-2] == "on" and _is_date(lowered[-1]):
        return words[:-2], WindowWords(first=words[-1], last=words[-1])
    return words, None


def _split_person(words: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(words before "with", the person, a length after "for") from "... with <person> [for <length>]"."""
    lowered = [word.lower() for word in words]
    start = next((index for index, word in enumerate(lowered[:-1]) if word == "with"), None)
    if start is None:
        return words, [], []
    # The first "for" that leaves at least one word for the person and one for the length.
    end = next((index for index in range(start + 2, len(words) - 1) if lowered[index] == "for"), None)
    if end is None:
        return words[:start], words[start + 1:], []
    return words[:start], words[start + 1:end], words[end + 1:]


def parse_booking_shortcut(text: str, now: datetime, tz: tzinfo, *,
                           max_length: int | None = MAX_SHORTCUT_LENGTH) -> ShortcutParts:
    """The parts of "book [length] [with someone] [for length] [window]" that are present.

    Text that does not start with "book" yields no parts at all. Runs in time linear in the text: it is
    split into words once (any run of whitespace is one separator) and read word by word; the only
    pattern is matched against single words. Text over `max_length` characters raises ShortcutTooLong
    (None lifts the cap: benchmarks and tests use it to show the parser stays linear on huge input).
    """
    if max_length is not None and len(text) > max_length:
        raise ShortcutTooLong(
            f"That is longer than a booking request can be ({max_length} characters at most). "
            "Try something like “book 30 min with Alice next week”, or type **book** for the form."
        )
    words = text.split()
    rest = _after_book(words) if words else None
    if rest is None:
        return ShortcutParts(None, None, None)
    problems: list[str] = []

    window: TimeWindow | None = None
    rest, window_words = _split_window(rest)
    if window_words is not None:
        try:
            window = resolve_window(window_words, now, tz)
        except WindowError as exc:
            problems.append(str(exc))

    before, person_words, length_words = _split_person(rest)
    person = " ".join(person_words) or None
    duration_texts = [" ".join(length_words)] if length_words else []
    if len(before) > 1 and before[0].lower() == "for":
        before = before[1:]
    if before:
        duration_texts.insert(0, " ".join(before))
    duration = one_length(duration_texts, problems)
    return ShortcutParts(duration, person, window, tuple(problems))


def one_length(texts: list[str], problems: list[str]) -> timedelta | None:
    """The meeting length among the request's length texts; a problem when there are two or it is unusable."""
    if len(texts) > 1:
        problems.append("I found two meeting lengths; please give just one.")
    elif texts:
        try:
            return parse_duration(texts[0])
        except DurationError as exc:
            problems.append(str(exc))
    return None
