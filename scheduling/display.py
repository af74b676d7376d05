"""Plain-text labels for instants shown to people, in the reader's locale.

One meeting reads "Tue 25 Nov, 09:00–09:30 PST" to an en-GB reader, "Tue, Nov 25, 9:00 AM–9:30 AM PST"
to an en-US reader and "Di., 25. Nov., 09:00–09:30 PST" to a de-DE reader. Day and month names, their
order and the 12- or 24-hour clock come from CLDR through Babel, never from `strftime` (which follows
the server's process locale) or from tables of our own. The wording around them stays English for now,
so zone names ("Pacific Time") are English too; zone abbreviations come from tzdata.

The zone a time is shown in is the caller's choice (each person's own, see dialogs/booking_people.py);
this module only formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location, get_timezone_name

# Used when a reader's locale is unknown or not one CLDR has: a 24-hour clock and day-before-month, which
# most readers outside the US read without a second look.
DEFAULT_LOCALE = "en-GB"
_WORDING_LOCALE = "en"  # zone names sit inside English sentences


@lru_cache(maxsize=256)  # bounded: the tags come from clients
def reader_locale(tag: str | None) -> Locale:
    """The CLDR locale for a BCP 47 tag as Teams sends it ("en-US", "de-DE"); DEFAULT_LOCALE when unusable.

    A tag with parts CLDR does not know ("en-US-x-private") falls back part by part, as BCP 47 lookup does.
    """
    parts = (tag or "").split("-")
    candidates = ["-".join(parts[:count]) for count in range(len(parts), 0, -1)]
    for candidate in [*candidates, DEFAULT_LOCALE]:
        if not candidate:
            continue
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    raise AssertionError("DEFAULT_LOCALE must be a locale CLDR knows")


def day_label(day: date, locale: str | None = None) -> str:
    """The short weekday, day and month in the reader's order: "Tue 25 Nov", "Tue, Nov 25", "Di., 25. Nov."."""
    return format_skeleton("MMMEd", datetime.combine(day, time(12), tzinfo=UTC), tzinfo=UTC,
                           locale=reader_locale(locale))


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


def _clock(moment: datetime, locale: str | None) -> str:
    """The time of day the reader's way: "15:00" or "3:00 PM" (CLDR puts a narrow no-break space before PM)."""
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=reader_locale(locale))


def local_label(start_utc: datetime, end_utc: datetime, tz: tzinfo, locale: str | None = None) -> str:
    """How a meeting reads in one person's zone, written for a reader with `locale`.

    "Tue 25 Nov, 09:00–09:30 PST" in the usual case; the abbreviation is repeated when the clocks
    change during the meeting ("Sun 30 Mar, 00:30 GMT – 02:30 BST"), and the day is repeated when
    the meeting runs past local midnight. A meeting ending exactly at midnight keeps one day.
    """
    start = start_utc.astimezone(tz)
    end = end_utc.astimezone(tz)
    start_abbrev, end_abbrev = tz_abbrev(start), tz_abbrev(end)
    start_clock, end_clock = _clock(start, locale), _clock(end, locale)
    first_day = day_label(start.date(), locale)
    last_day = (end - timedelta(microseconds=1)).date() if end > start else end.date()
    if last_day == start.date():
        if start_abbrev == end_abbrev:
            return f"{first_day}, {start_clock}–{end_clock} {start_abbrev}"
        return f"{first_day}, {start_clock} {start_abbrev} – {end_clock} {end_abbrev}"
    start_part = f"{first_day}, {start_clock}"
    if start_abbrev != end_abbrev:
        start_part += f" {start_abbrev}"
    return f"{start_part} – {day_label(end.date(), locale)}, {end_clock} {end_abbrev}"


def moment_label(moment: datetime, tz: tzinfo, locale: str | None = None) -> str:
    """When something happened, in the reader's zone: "7 Dec 2026, 15:00 GMT" (en-GB), "Dec 7, 2026, 3:00 PM PST"."""
    local = moment.astimezone(tz)
    day = format_date(local.date(), "medium", locale=reader_locale(locale))
    return f"{day}, {_clock(local, locale)} {tz_abbrev(local)}"


@dataclass(frozen=True)
class Clock:
    """How one reader reads timestamps: in their zone, written the way their locale writes them."""

    zone: tzinfo = UTC
    locale: str | None = None

    def moment(self, value: datetime) -> str:
        return moment_label(value, self.zone, self.locale)


def zone_title(tz: tzinfo) -> str:
    """What people call a zone: "Pacific Time", "Central European Time"; "UTC" for UTC itself."""
    if _is_utc(tz):
        return "UTC"
    name = get_timezone_name(tz, "long", zone_variant="generic", locale=_WORDING_LOCALE)
    return name if "Unknown" not in name else _zone_key(tz)


def zone_place(tz: tzinfo) -> str:
    """Where a zone is, for "you appear to be in Tokyo": the zone's example city ("Tokyo", "New York")."""
    if _is_utc(tz):
        return "UTC"
    place = get_timezone_location(tz, locale=_WORDING_LOCALE, return_city=True)
    return place or _zone_key(tz)


def _zone_key(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else str(tz)


def _is_utc(tz: tzinfo) -> bool:
    return tz is UTC or _zone_key(tz) in {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu",
                                          "Etc/Zulu", "Etc/GMT", "GMT"}


# Between people in `everyone_local_times`: a middle dot reads as a separator in every locale we serve.
PEOPLE_SEPARATOR = " · "


def everyone_local_times(start_utc: datetime, people: Sequence[tuple[str, tzinfo]], locale: str | None = None) -> str:
    """When a meeting starts for each person, on one line: "Ben 10:00 EST · Chloe 15:00 GMT · Dev 20:30 IST".

    `people` are (name, zone) pairs in the order to show them (the organizer first, say). People whose
    clocks read the same (same time, same abbreviation) share one entry, "Ana, Ben 10:00 EST", so twenty
    people in four zones make four entries. A person whose day is not the first person's gets the weekday
    too, "Kim 02:00 AEDT Wed", so nobody mistakes a time after midnight for one on the same day.
    """
    if not people:
        return ""
    start_utc = start_utc.astimezone(UTC)
    first_day = start_utc.astimezone(people[0][1]).date()
    groups: dict[str, list[str]] = {}
    for name, zone in people:
        local = start_utc.astimezone(zone)
        reading = f"{_clock(local, locale)} {tz_abbrev(local)}"
        if local.date() != first_day:
            reading += " " + format_date(local.date(), "EEE", locale=reader_locale(locale))
        groups.setdefault(reading, []).append(name)
    return PEOPLE_SEPARATOR.join(f"{', '.join(names)} {reading}" for reading, names in groups.items())
