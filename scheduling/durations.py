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


def parse_duration(text: str) -> timedelta:
    """A meeting length between 5 minutes and 8 hours; a bare number means minutes."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise DurationError(f"Please give a meeting length. {_EXAMPLES}")
    length = _read_length(cleaned)
    if length is None:
        raise DurationError(f'I could not read "{text.strip()}" as a meeting length. {_EXAMPLES}')
    if length < MIN_DURATION:
        raise DurationError("A meeting must last at least 5 minutes (for hours, write e.g. 2h).")
    if length > MAX_DURATION:
        raise DurationError("A meeting can last at most 8 hours.")
    return length


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


_BOOK = re.compile(r"^\s*book\b(?:\s+(?:a\s+)?(?:meeting|call|slot|time))?", re.IGNORECASE)
_DATE = r"\d{4}-\d{2}-\d{2}"
_WINDOW = re.compile(
    rf"\s*\b(?:(?P<named>this week|next week|today|tomorrow)"
    rf"|(?:from|between)\s+(?P<first>{_DATE})\s+(?:to|and|until|till|-)\s+(?P<last>{_DATE})"
    rf"|on\s+(?P<single>{_DATE}))\s*$",
    re.IGNORECASE,
)
_WITH = re.compile(r"(?:^|\s)with\s+(?P<person>.+?)(?:\s+for\s+(?P<duration>.+))?$", re.IGNORECASE)


def _window(match: re.Match[str], now: datetime, tz: tzinfo) -> TimeWindow:
    named = (match.group("named") or "").lower()
    if named == "this week":
        return this_week(now, tz)
    if named == "next week":
        return next_week(now, tz)
    today = now.astimezone(tz).date()
    if named == "today":
        return between(today, today, tz, now=now)
    if named == "tomorrow":
        return between(today + timedelta(days=1), today + timedelta(days=1), tz, now=now)
    first_text = match.group("first") or match.group("single")
    last_text = match.group("last") or match.group("single")
    try:
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
    except ValueError as exc:
        raise WindowError("Dates must be real calendar dates written like 2026-12-01.") from exc
    return between(first, last, tz, now=now)


def parse_booking_shortcut(text: str, now: datetime, tz: tzinfo) -> ShortcutParts:
    """The parts of "book [length] [with someone] [for length] [window]" that are present.

    Text that does not start with "book" yields no parts at all.
    """
    book = _BOOK.match(text)
    if not book:
        return ShortcutParts(None, None, None)
    rest = text[book.end() :].strip()
    problems: list[str] = []

    window: TimeWindow | None = None
    window_match = _WINDOW.search(rest)
    if window_match:
        rest = rest[: window_match.start()].strip()
        try:
            window = _window(window_match, now, tz)
        except WindowError as exc:
            problems.append(str(exc))

    person: str | None = None
    duration_texts: list[str] = []
    with_match = _WITH.search(rest)
    if with_match:
        person = with_match.group("person").strip() or None
        if with_match.group("duration"):
            duration_texts.append(with_match.group("duration"))
        rest = rest[: with_match.start()].strip()
    if rest:
        duration_texts.insert(0, re.sub(r"^for\s+", "", rest, flags=re.IGNORECASE))

    duration: timedelta | None = None
    if len(duration_texts) > 1:
        problems.append("I found two meeting lengths; please give just one.")
    elif duration_texts:
        try:
            duration = parse_duration(duration_texts[0])
        except DurationError as exc:
            problems.append(str(exc))
    return ShortcutParts(duration, person, window, tuple(problems))
