"""Plain-text labels for instants shown to people: "Tue 25 Nov, 09:00–09:30 PST".

Day and month names come from fixed English tables rather than `strftime("%a")`, whose output
follows the process locale and would change the cards on a server set to another language.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """ "Tue 25 Nov" for 2025-11-25."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def gmt_offset_label(offset: timedelta) -> str:
    """ "GMT+5:30", "GMT-3", "GMT" for a UTC offset."""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}:{rest:02d}" if rest else f"GMT{sign}{hours}"


def tz_abbrev(moment: datetime) -> str:
    """The zone abbreviation in force at an aware `moment` ("PST", "CEST", "IST").

    tzdata has no letters for many zones and names them by offset ("-03", "+0545"); those, and
    fixed-offset `timezone` objects ("UTC+05:30"), are shown as "GMT-3" / "GMT+5:45" instead.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("tz_abbrev needs an aware datetime")
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    return gmt_offset_label(offset)


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def local_label(start_utc: datetime, end_utc: datetime, tz: tzinfo) -> str:
    """How a meeting reads in one person's zone.

    "Tue 25 Nov, 09:00–09:30 PST" in the usual case; the abbreviation is repeated when the clocks
    change during the meeting ("Sun 30 Mar, 00:30 GMT – 02:30 BST"), and the day is repeated when
    the meeting runs past local midnight. A meeting ending exactly at midnight keeps one day.
    """
    start = start_utc.astimezone(tz)
    end = end_utc.astimezone(tz)
    start_abbrev, end_abbrev = tz_abbrev(start), tz_abbrev(end)
    last_day = (end - timedelta(microseconds=1)).date() if end > start else end.date()
    if last_day == start.date():
        if start_abbrev == end_abbrev:
            return f"{day_label(start.date())}, {_clock(start)}–{_clock(end)} {start_abbrev}"
        return f"{day_label(start.date())}, {_clock(start)} {start_abbrev} – {_clock(end)} {end_abbrev}"
    start_part = f"{day_label(start.date())}, {_clock(start)}"
    if start_abbrev != end_abbrev:
        start_part += f" {start_abbrev}"
    return f"{start_part} – {day_label(end.date())}, {_clock(end)} {end_abbrev}"
