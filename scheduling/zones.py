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

from scheduling.model import WorkingHours


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
    """One working day of one person, as UTC instants; `day` is the local date it starts on."""

    day: date
    start: datetime
    end: datetime


def working_days(hours: WorkingHours, window_start: datetime, window_end: datetime) -> list[WorkingDay]:
    """Every working day in `hours` that overlaps [window_start, window_end), whole (not clipped).

    An end time at or before the start time means the day runs past midnight (a night shift).
    Days that vanish entirely in a DST gap are left out.
    """
    tz = hours.tz
    first_date = window_start.astimezone(tz).date() - timedelta(days=1)
    last_date = window_end.astimezone(tz).date() + timedelta(days=1)
    overnight = hours.end <= hours.start
    days: list[WorkingDay] = []
    current = first_date
    while current <= last_date:
        if current.isoweekday() in hours.days:
            start = first_instant_at_or_after(datetime.combine(current, hours.start), tz)
            end_date = current + timedelta(days=1) if overnight else current
            end = first_instant_at_or_after(datetime.combine(end_date, hours.end), tz)
            if end > start and end > window_start and start < window_end:
                days.append(WorkingDay(current, start, end))
        current += timedelta(days=1)
    return days


def offset_changes(window_start: datetime, window_end: datetime, tz: tzinfo) -> Iterator[datetime]:
    """The UTC instants inside [window_start, window_end) at which `tz` changes its UTC offset."""
    step = timedelta(hours=12)
    cursor = window_start
    while cursor < window_end:
        step_end = min(cursor + step, window_end)
        if cursor.astimezone(tz).utcoffset() != step_end.astimezone(tz).utcoffset():
            before = cursor.astimezone(tz).utcoffset()
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
        cursor = step_end
