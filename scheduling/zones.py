"""Local wall-clock time -> UTC instants, done with zoneinfo's rules (never a fixed offset).

Two things make this more than `datetime.replace(tzinfo=...)`: a wall time can be skipped when the
clocks go forward (02:30 on a spring-forward night never happens) and can occur twice when they
go back. We always want "the first instant whose wall-clock reading is at or after this time":
the first occurrence of a repeated time, and the moment the clocks jump for a skipped one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from scheduling.model import WorkingHours


def as_utc(name: str, value: datetime) -> datetime:
    """`value` in UTC; naive datetimes are refused because their zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def zone_name(tz: tzinfo) -> str:
    """The IANA key of a ZoneInfo ("Europe/Berlin"), or a readable name for anything else."""
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else str(tz)


def _wall(moment_utc: datetime, tz: tzinfo) -> datetime:
    return moment_utc.astimezone(tz).replace(tzinfo=None)


def first_instant_at_or_after(wall: datetime, tz: tzinfo) -> datetime:
    """The earliest UTC instant whose local reading in `tz` is at or after the naive `wall` time."""
    first_guess = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first_guess, tz) == wall:
        return first_guess
    # `wall` falls in a gap. The two folds interpret it with the offsets before and after the jump;
    # the jump itself lies between them. Bisect on whole seconds (tzdata transitions are whole).
    other_guess = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low = int(min(first_guess, other_guess).timestamp())
    high = int(max(first_guess, other_guess).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The UTC instant a local day begins (in America/Santiago some days begin at 01:00)."""
    return first_instant_at_or_after(datetime.combine(day, time(0)), tz)


@dataclass(frozen=True)
class WorkingDay:
    """One working day of one person: the local date it starts on and its UTC pieces.

    A day is the set of instants whose local clock reading lies in [start, end) of that date.
    Usually one piece; two when the clocks go back inside the working hours and the repeated
    hour reads earlier than the day's start (a clock that returns to 01:15 on a day that starts
    at 01:30 is not inside working hours). `start`/`end` span all pieces.
    """

    day: date
    pieces: tuple[tuple[datetime, datetime], ...]

    @property
    def start(self) -> datetime:
        return self.pieces[0][0]

    @property
    def end(self) -> datetime:
        return self.pieces[-1][1]


@lru_cache(maxsize=256)
def _offset_segments(start: datetime, end: datetime, tz: tzinfo) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """[start, end) cut where `tz` changes offset: (segment start, segment end, offset inside it).

    Remembered: colleagues in one zone with different hours, and searches of the same window, share it."""
    cuts = [start, *offset_changes(start, end, tz), end]
    segments = []
    for segment_start, segment_end in zip(cuts, cuts[1:], strict=False):
        offset = segment_start.astimezone(tz).utcoffset() or timedelta(0)
        segments.append((segment_start, segment_end, offset))
    return tuple(segments)


def forget_offsets() -> None:
    """Drops the remembered offset changes (see `_offset_segments`)."""
    _offset_segments.cache_clear()


def _since_midnight(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second,
                     microseconds=moment.microsecond)


def working_days(hours: WorkingHours, window_start: datetime, window_end: datetime) -> list[WorkingDay]:
    """Every working day in `hours` that overlaps [window_start, window_end), whole (not clipped).

    Within a stretch of constant UTC offset the local reading is UTC + offset, so the instants
    reading between the day's start and end form one interval there; the day is the union of
    those intervals over the offset stretches. This needs no special case for skipped or
    repeated local times. An end at or before the start means the day runs past midnight.
    """
    tz = hours.tz
    first_date = window_start.astimezone(tz).date() - timedelta(days=1)
    last_date = window_end.astimezone(tz).date() + timedelta(days=1)
    # Local readings are within a day of UTC; two days of margin cover any zone and night shifts.
    margin = timedelta(days=2)
    segments = _offset_segments(window_start - margin, window_end + margin, tz)
    one_day = timedelta(days=1)
    # The wall readings of a day's start and end, as offsets from its midnight (read as if it were UTC).
    day_start = _since_midnight(hours.start)
    day_end = _since_midnight(hours.end) + (one_day if hours.end <= hours.start else timedelta(0))
    days: list[WorkingDay] = []
    current = first_date
    midnight = datetime.combine(first_date, time(0), tzinfo=UTC)
    while current <= last_date:
        if current.isoweekday() in hours.days:
            wall_start, wall_end = midnight + day_start, midnight + day_end
            pieces: list[tuple[datetime, datetime]] = []
            for segment_start, segment_end, offset in segments:
                piece_start = max(segment_start, wall_start - offset)
                piece_end = min(segment_end, wall_end - offset)
                if piece_end <= piece_start:
                    continue
                if pieces and pieces[-1][1] == piece_start:  # the clocks jumped forward mid-day
                    pieces[-1] = (pieces[-1][0], piece_end)
                else:
                    pieces.append((piece_start, piece_end))
            if pieces and pieces[-1][1] > window_start and pieces[0][0] < window_end:
                days.append(WorkingDay(current, tuple(pieces)))
        current += one_day
        midnight += one_day
    return days


def offset_changes(window_start: datetime, window_end: datetime, tz: tzinfo) -> Iterator[datetime]:
    """The UTC instants inside [window_start, window_end) at which `tz` changes its UTC offset.

    Looks every 12 hours (no zone changes its clocks twice that quickly) and bisects a step whose ends
    differ; each step's end offset is the next step's start offset, so each instant is converted once.
    """
    step = timedelta(hours=12)
    cursor = window_start
    before = cursor.astimezone(tz).utcoffset()
    while cursor < window_end:
        step_end = min(cursor + step, window_end)
        after = step_end.astimezone(tz).utcoffset()
        if before != after:
            low, high = int(cursor.timestamp()), int(step_end.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            change = datetime.fromtimestamp(high, UTC)
            if change < window_end:
                yield change
        cursor, before = step_end, after
