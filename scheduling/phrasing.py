"""Everyday booking requests ("30 min with Ben tomorrow at 3pm", "half an hour with Ben next Tuesday
afternoon"): which words are the length, the colleague and the time, and the search window they mean.

Pure. Reading dates and times is a recognizer's job (dialogs/booking_phrases.py wraps Microsoft's
Recognizers-Text; docs/PHRASES.md says why that one): this module hands it short texts and turns what it
found into a window in the organizer's zone. The request is split into words once, linearly, and the
recognizer only ever sees at most MAX_WHEN_CHARACTERS characters at a time: its regular expressions grow
much faster than linearly on long runs of digits and separators, so the cap is what keeps any request
cheap (the bench row `python -m bench.phrase_parsers --adversarial` shows both).

Meeting lengths are read by scheduling.durations.parse_duration first ("45m", "1 h 30"), then by the
recognizer ("half an hour").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TypeVar

from scheduling.display import day_label
from scheduling.durations import (
    MAX_DURATION,
    MAX_SHORTCUT_LENGTH,
    DurationError,
    UnreadableDuration,
    parse_duration,
    request_words,
    usable_length,
)
from scheduling.windows import MAX_DAYS_AHEAD, TimeWindow, WindowError, between, next_week, this_week
from scheduling.zones import first_instant_at_or_after

# What the recognizer is handed at once; generous for "between 8 and 10 December at 3pm" and the rest
# of a name, and short enough that its worst input costs a fraction of a second (docs/PHRASES.md).
MAX_WHEN_CHARACTERS = 60
LOOK_AHEAD = "I can only look ahead"

# Words that only join the parts of a request; never reported as not understood, never part of a name.
_JOINING = frozenset({"on", "at", "in", "for", "during", "around", "sometime", "by", "from", "between",
                      "please", "the", "a", "an", "of", "meeting", "call", "to", "and", "next", "this", ","})
_PEOPLE_JOINERS = frozenset({"and", "&", "+"})
# "with Ben and optionally Dev": the names after this word are optional attendees.
_OPTIONAL_MARKERS = frozenset({"optionally", "optional"})
# Recognizers' day ranges written as two explicit days ("between 8 and 10 December") end on the day
# *before* their end value; people mean both days included.
_NAMED_WEEKS = {"this week": this_week, "next week": next_week}
T = TypeVar("T")
_EXPLICIT_DAY_RANGE = re.compile(r"^\(.+,P\d+D\)$")


@dataclass(frozen=True)
class ReadingValue:
    """One resolution of a recognized phrase, as local wall-clock times (naive) in the organizer's zone."""

    timex: str
    start: datetime | None = None  # the day or instant ("value"), or a range's start
    end: datetime | None = None  # a range's end (exclusive)
    seconds: int | None = None  # durations


@dataclass(frozen=True)
class Reading:
    """A phrase a date-time recognizer found in the text it was given: where (offsets) and what it means.

    `values` holds the readings it could not choose between (a past and a future Friday), in its order.
    """

    kind: str  # duration, date, daterange, datetime, datetimerange, time, timerange (others are ignored)
    start: int
    end: int  # exclusive
    text: str
    values: tuple[ReadingValue, ...]


# (text, the organizer's local "now" without zone) -> what the recognizer found.
Reader = Callable[[str, datetime], Sequence[Reading]]


@dataclass(frozen=True)
class Unread:
    """A part of the request that could not be used, as typed, and why when there is a reason."""

    part: str
    why: str | None = None


@dataclass(frozen=True)
class Request:
    """What a typed booking request says, as far as it could be read."""

    duration: timedelta | None = None
    person: str | None = None  # the colleague's name as typed
    other_people: tuple[str, ...] = ()  # "with Ben and Chloe": the other required colleagues, as typed
    window: TimeWindow | None = None
    requested_start: datetime | None = None  # "at 3pm": the one time asked for, UTC
    understood: tuple[str, ...] = ()  # the length and time parts read, as typed
    unread: tuple[Unread, ...] = ()
    problems: tuple[str, ...] = ()  # whole-request problems ("two meeting lengths")
    optional_people: tuple[str, ...] = ()  # "and optionally Dev": invited, but only ranking the times


@dataclass(frozen=True)
class _Words:
    text: str
    offsets: tuple[tuple[int, int], ...]  # each word's [start, end) in text

    @staticmethod
    def of(words: Sequence[str]) -> _Words:
        offsets, position = [], 0
        for word in words:
            offsets.append((position, position + len(word)))
            position += len(word) + 1
        return _Words(" ".join(words), tuple(offsets))

    def uncovered(self, readings: Sequence[Reading], first_word: int = 0) -> list[str]:
        """Runs of words from `first_word` on that no reading covers and that carry meaning, as typed."""
        runs: list[list[str]] = [[]]
        for start, end in self.offsets[first_word:]:
            word = self.text[start:end]
            covered = any(reading.start < end and start < reading.end for reading in readings)
            if covered or word.lower().strip(",.") in _JOINING:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append(word)
        return [" ".join(run) for run in runs if run]


def read_request(text: str, now: datetime, tz: tzinfo, reader: Reader, *,
                 max_length: int | None = MAX_SHORTCUT_LENGTH) -> Request | None:
    """The parts of "book [length] [with someone] [for length] [when]" in `text`; None when it is no request.

    Raises scheduling.durations.ShortcutTooLong over `max_length`, before reading anything (None lifts the
    cap: benchmarks and tests use it to show that the cost stays linear in the text).
    """
    words = request_words(text, max_length)
    if words is None:
        return None
    lowered = [word.lower() for word in words]
    at_with = lowered.index("with") if "with" in lowered[:-1] else None
    lead = words if at_with is None else words[:at_with]
    if lead and lead[0].lower() == "for":
        lead = lead[1:]
    local_now = now.astimezone(tz).replace(tzinfo=None)
    readings: list[Reading] = []
    unread: list[Unread] = []
    problems: list[str] = []

    if lead:
        lead_words = _Words.of(lead)
        try:
            whole = _length_reading(lead_words, 0, len(lead_words.text))
        except DurationError as exc:
            problems.append(str(exc))
        else:
            found = [whole] if whole else _read_bounded(lead_words, reader, local_now, unread) or []
            readings.extend(found)
            unread.extend(Unread(part) for part in lead_words.uncovered(found))

    person: str | None = None
    others: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    if at_with is not None:
        tail = words[at_with + 1:]
        rest = _Words.of(tail[1:])
        lengths = _lengths_after_for(rest)
        recognized = _read_bounded(rest, reader, local_now, unread) if tail[1:] else []
        found = lengths + [reading for reading in recognized or [] if not _overlaps(reading, lengths)]
        # Too long to read: the first word is the name, the rest is already named as not understood.
        first_part = 0 if recognized is None else min((reading.start for reading in found),
                                                      default=len(rest.text) + 1)
        name_words = [tail[0]] + [rest.text[start:end] for start, end in rest.offsets if end <= first_part]
        while len(name_words) > 1 and name_words[-1].lower() in _JOINING - _PEOPLE_JOINERS:
            name_words.pop()
        person, others, optional = _people(name_words)
        after_name = sum(1 for _, end in rest.offsets if end <= first_part)
        readings.extend(found)
        if recognized is not None:
            unread.extend(Unread(part) for part in rest.uncovered(found, after_name))

    lengths_read = [reading for reading in readings if reading.kind == "duration"]
    duration = _one_duration(lengths_read, problems)
    whens = sorted((reading for reading in readings if reading.kind != "duration"), key=lambda r: r.start)
    window, requested, understood = _window_of(whens, now, tz, unread)
    understood_parts = tuple(([lengths_read[0].text] if duration else []) + understood)
    return Request(duration, person, others, window, requested, understood_parts, tuple(unread), tuple(problems),
                   optional_people=optional)


def _length_reading(words: _Words, start: int, end: int) -> Reading | None:
    """words.text[start:end] as a meeting length when parse_duration reads it ("45m" and "1 h 30", which
    the recognizer misses or splits); None when it is no length. DurationError for a length that is
    clearly one but too short or too long ("99999999999h", refused before any number is built)."""
    try:
        seconds = int(parse_duration(words.text[start:end]).total_seconds())
    except UnreadableDuration:
        return None
    return Reading("duration", start, end, words.text[start:end], (ReadingValue("", seconds=seconds),))


def _lengths_after_for(words: _Words) -> list[Reading]:
    """The longest run of at most four words after each "for" that is a meeting length."""
    found: list[Reading] = []
    lowered = [words.text[start:end].lower() for start, end in words.offsets]
    for index, word in enumerate(lowered):
        if word != "for":
            continue
        for last in range(min(index + 4, len(lowered) - 1), index, -1):
            try:
                reading = _length_reading(words, words.offsets[index + 1][0], words.offsets[last][1])
            except DurationError:  # too short or too long: the length check after reading says so
                reading = None
            if reading is not None:
                found.append(reading)
                break
    return found


def _overlaps(reading: Reading, others: Sequence[Reading]) -> bool:
    return any(reading.start < other.end and other.start < reading.end for other in others)


def _read_bounded(words: _Words, reader: Reader, local_now: datetime, unread: list[Unread]) -> list[Reading] | None:
    """What the recognizer finds in `words`; None (and the text named as unread) when it is too long to hand over."""
    if len(words.text) > MAX_WHEN_CHARACTERS:
        shown = words.text[:40].rstrip() + "…"
        unread.append(Unread(shown, "that is more than I can read about when; say it in fewer words, "
                                    "like next Tuesday afternoon"))
        return None
    return list(reader(words.text, local_now))


def _people(name_words: list[str]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The first colleague named, any other required ones joined with "and", "&" or commas, and the optional
    ones: every name after "optionally" ("with Ben, Chloe and optionally Dev")."""
    names: list[tuple[list[str], bool]] = [([], False)]
    optional = False
    for word in name_words:
        pieces = word.split(",")
        for index, piece in enumerate(pieces):
            if index:
                names.append(([], optional))
            if piece.lower() in _PEOPLE_JOINERS:
                names.append(([], optional))
            elif piece.lower() in _OPTIONAL_MARKERS and any(words for words, _ in names):
                optional = True
                if names[-1][0]:
                    names.append(([], True))
                else:
                    names[-1] = ([], True)
            elif piece:
                names[-1][0].append(piece)
    required = [" ".join(words) for words, is_optional in names if words and not is_optional]
    optional_names = tuple(" ".join(words) for words, is_optional in names if words and is_optional)
    if not required:
        return " ".join(name_words), (), ()
    return required[0], tuple(required[1:]), optional_names


def _one_duration(lengths: list[Reading], problems: list[str]) -> timedelta | None:
    if len(lengths) > 1:
        problems.append("I found two meeting lengths; please give just one.")
        return None
    if not lengths or not lengths[0].values or lengths[0].values[0].seconds is None:
        return None
    # A recognized "99999999999 hours" is far past any timedelta: anything over the limit reads as just over it.
    seconds = min(lengths[0].values[0].seconds, int(MAX_DURATION.total_seconds()) + 1)
    try:
        return usable_length(timedelta(seconds=seconds))
    except DurationError as exc:
        problems.append(str(exc))
        return None


def _aware(local: datetime, tz: tzinfo) -> datetime:
    """A local wall-clock time as the UTC instant it first occurs (a time skipped by DST moves on)."""
    return first_instant_at_or_after(local, tz)


def _window_of(whens: list[Reading], now: datetime, tz: tzinfo, unread: list[Unread]
               ) -> tuple[TimeWindow | None, datetime | None, list[str]]:
    """The search window (and the one time asked for) the time phrases name, in the organizer's zone."""
    if not whens:
        return None, None, []
    first, *others = whens
    # "on Friday ... at 3pm": a day and a time said apart are one moment.
    if others and first.kind == "date" and others[0].kind == "time" and first.values and others[0].values:
        day, clock = first.values[-1].start, others[0].values[0].start
        if day is not None and clock is not None:
            joined = ReadingValue(first.values[-1].timex, datetime.combine(day.date(), clock.time()))
            first = Reading("datetime", first.start, others[0].end, f"{first.text} {others[0].text}", (joined,))
            others = others[1:]
    for extra in others:
        why = ("give one day for a time, like Monday at 3pm" if extra.kind == "time"
               else "I can only look in one window at a time")
        unread.append(Unread(extra.text, why))
    try:
        window, requested = _resolve(first, now, tz)
    except WindowError as exc:
        unread.append(Unread(first.text, str(exc)))
        return None, None, []
    return window, requested, [first.text]


def _resolve(reading: Reading, now: datetime, tz: tzinfo) -> tuple[TimeWindow, datetime | None]:
    local_now = now.astimezone(tz).replace(tzinfo=None)
    today = local_now.date()
    kind = reading.kind
    values = [value for value in reading.values if value.start is not None]
    if not values:
        raise WindowError("I couldn't tell which day that is")
    if kind == "date":
        day = _first([value.start.date() for value in values if value.start], lambda d: d >= today)
        return between(day, day, tz, now=now), None
    if kind == "daterange" and reading.text.lower() in _NAMED_WEEKS:  # named as the form names them
        return _NAMED_WEEKS[reading.text.lower()](now, tz), None
    if kind == "daterange":
        ranges = [(value.start.date(), _last_day(value)) for value in values if value.start and value.end]
        first_day, last_day = _first(ranges, lambda pair: pair[1] >= today)
        return between(max(first_day, today), last_day, tz, now=now), None
    if kind in ("datetime", "time"):
        moments = [value.start for value in values if value.start]
        if kind == "time":  # a time alone: today if it is still ahead, else tomorrow
            moments = [m for clock in moments for m in (datetime.combine(today, clock.time()),
                                                         datetime.combine(today + timedelta(days=1), clock.time()))]
        moment = _first(moments, lambda m: m > local_now)
        return between(moment.date(), moment.date(), tz, now=now), _aware(moment, tz)
    if kind in ("datetimerange", "timerange"):
        spans = [(value.start, value.end) for value in values if value.start and value.end]
        if kind == "timerange":
            spans = [(datetime.combine(day, start.time()), datetime.combine(day, end.time()))
                     for start, end in spans for day in (today, today + timedelta(days=1))]
        start, end = _first(spans, lambda span: span[1] > local_now)
        if (end.date() - today).days > MAX_DAYS_AHEAD:
            between(start.date(), end.date(), tz, now=now)  # refused with the 8-week message
        description = f"{day_label(start.date())}, {start:%H:%M}–{end:%H:%M}"
        return TimeWindow(max(_aware(start, tz), now), _aware(end, tz), description), None
    raise WindowError("I couldn't tell which day that is")


def _last_day(value: ReadingValue) -> date:
    assert value.start is not None and value.end is not None
    if _EXPLICIT_DAY_RANGE.match(value.timex) or value.end.date() == value.start.date():
        return value.end.date()
    return (value.end - timedelta(days=1)).date()  # the end is the first day after the range


def _first(candidates: list[T], ahead: Callable[[T], bool]) -> T:
    """The first candidate still ahead; WindowError (look ahead) when every one has passed."""
    for candidate in candidates:
        if ahead(candidate):
            return candidate
    raise WindowError(LOOK_AHEAD)


def time_of(moment: datetime, tz: tzinfo) -> str:
    """ "Thu 26 Nov 15:00" for the requested time as the organizer reads it."""
    local = moment.astimezone(tz)
    return f"{day_label(local.date())} {local:%H:%M}"

