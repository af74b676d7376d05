"""Search windows named the way people say them ("this week", "next week", "1 to 5 Dec"),
measured in the asking person's own zone, and the clock changes a card should warn about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from scheduling.display import day_label
from scheduling.zones import as_utc, local_midnight, offset_changes, zone_name

MAX_DAYS_AHEAD = 8 * 7


class WindowError(ValueError):
    """A window that cannot be searched; the message is meant for the user."""


@dataclass(frozen=True)
class TimeWindow:
    """[start, end) in UTC, with how to name it to the user ("next week", "Mon 1 Dec – Fri 5 Dec")."""

    start: datetime
    end: datetime
    description: str


def _next_monday(now: datetime, tz: tzinfo) -> date:
    today = now.astimezone(tz).date()
    return today + timedelta(days=7 - today.weekday())


def this_week(now: datetime, tz: tzinfo) -> TimeWindow:
    """From now until the end of Sunday in `tz`."""
    now = as_utc("now", now)
    return TimeWindow(now, local_midnight(_next_monday(now, tz), tz), "this week")


def next_week(now: datetime, tz: tzinfo) -> TimeWindow:
    """Monday 00:00 to the following Monday 00:00 in `tz`, after the current week."""
    monday = _next_monday(as_utc("now", now), tz)
    return TimeWindow(local_midnight(monday, tz), local_midnight(monday + timedelta(days=7), tz), "next week")


def between(first_day: date, last_day: date, tz: tzinfo, *, now: datetime, locale: str | None = None) -> TimeWindow:
    """Whole local days `first_day` .. `last_day` (both included) in `tz`, described for a reader with `locale`.

    A window that has begun already starts now; one wholly in the past, ending before it starts,
    or reaching more than 8 weeks ahead is refused with a WindowError the user can read.
    """
    now = as_utc("now", now)
    today = now.astimezone(tz).date()

    def day(value: date) -> str:
        return day_label(value, locale)

    if last_day < first_day:
        raise WindowError(
            f"The window ends ({day(last_day)}) before it starts ({day(first_day)}). "
            "Put the earlier date first."
        )
    if last_day < today:
        raise WindowError(f"{day(last_day)} has already passed. Pick dates from today on.")
    if last_day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise WindowError(
            f"I can look at most 8 weeks ahead (until {day(today + timedelta(days=MAX_DAYS_AHEAD))})."
        )
    start = max(local_midnight(first_day, tz), now)
    end = local_midnight(last_day + timedelta(days=1), tz)
    if first_day == last_day:
        description = day(first_day)
    else:
        description = f"{day(first_day)} – {day(last_day)}"
    return TimeWindow(start, end, description)


@dataclass(frozen=True)
class DstChange:
    tz_name: str
    at_utc: datetime
    description: str


def _amount(change: timedelta) -> str:
    hours, minutes = divmod(abs(int(change.total_seconds())) // 60, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours > 1 else ""))
    if minutes:
        parts.append(f"{minutes} minutes")
    return " ".join(parts)


def dst_changes(window_start: datetime, window_end: datetime, tzs: Iterable[tzinfo],
                locale: str | None = None) -> list[DstChange]:
    """Every clock change inside the window in any of the zones, earliest first, one per zone and instant.

    The date in the description is the local date in that zone as the clock read before the change.
    """
    start, end = as_utc("window_start", window_start), as_utc("window_end", window_end)
    seen: set[str] = set()
    changes: list[DstChange] = []
    for tz in tzs:
        name = zone_name(tz)
        if name in seen:
            continue
        seen.add(name)
        for moment in offset_changes(start, end, tz):
            before = (moment - timedelta(seconds=1)).astimezone(tz).utcoffset() or timedelta(0)
            after = moment.astimezone(tz).utcoffset() or timedelta(0)
            direction = "forward" if after > before else "back"
            # Dated as the old clock reads it, as announcements do: Chile's "midnight on Sunday"
            # is Saturday 23:00 on the new clock.
            local_day = day_label((moment.replace(tzinfo=None) + before).date(), locale)
            description = f"Clocks go {direction} {_amount(after - before)} in {name} on {local_day}"
            changes.append(DstChange(name, moment, description))
    changes.sort(key=lambda change: (change.at_utc, change.tz_name))
    return changes
