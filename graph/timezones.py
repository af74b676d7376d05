"""Time zones as Microsoft Graph writes them, turned into Python tzinfo objects.

Graph speaks Windows zone names ("Pacific Standard Time"), "UTC", the legacy "tzone://Microsoft/Utc",
a few IANA names, and `customTimeZone` objects with their own DST rules in working hours. Python's
`zoneinfo` knows only IANA names, so Windows names go through the CLDR-derived table that `tzlocal`
maintains (never a hand-typed one). A name nobody knows raises `UnknownTimeZone`: guessing UTC would
silently put meetings at the wrong hour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

_UTC_NAMES = frozenset({"utc", "tzone://microsoft/utc", "etc/utc", "z", "gmt+0", "coordinated universal time"})
_WIN_BY_FOLDED = {name.casefold(): name for name in win_tz}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Python's time parsing stops at 6 fractional digits; Graph sends 7 ("08:00:00.0000000").
_FRACTION = re.compile(r"(\.\d{6})\d+")


class UnknownTimeZone(ValueError):
    """A zone name or customTimeZone that cannot be turned into rules; the message names it."""


def windows_to_iana(windows_name: str) -> str:
    """'Pacific Standard Time' -> 'America/Los_Angeles' (case-insensitive on the Windows name)."""
    canonical = _WIN_BY_FOLDED.get(windows_name.strip().casefold())
    if canonical is None:
        raise UnknownTimeZone(f"unknown Windows time zone name {windows_name!r}")
    return win_tz[canonical]


def iana_to_windows(iana_name: str) -> str:
    """'Europe/Berlin' -> 'W. Europe Standard Time'; legacy aliases ('Asia/Calcutta') are accepted."""
    name = iana_name.strip()
    if name.casefold() in _UTC_NAMES:
        return "UTC"
    windows = tz_win.get(name)
    if windows is None:
        raise UnknownTimeZone(f"no Windows time zone corresponds to {iana_name!r}")
    return windows


def is_windows_name(name: str) -> bool:
    return name.strip().casefold() in _WIN_BY_FOLDED


def tz_from_graph(zone: str | Mapping[str, Any]) -> tzinfo:
    """A tzinfo for a Graph zone: a Windows or IANA name, a UTC spelling, or a timeZoneBase object."""
    if isinstance(zone, Mapping):
        if _is_custom(zone):
            return CustomTimeZone.from_graph(zone)
        name = zone.get("name")
        if not isinstance(name, str) or not name:
            raise UnknownTimeZone(f"time zone object without a usable name: {dict(zone)!r}")
        return tz_from_graph(name)
    name = zone.strip()
    if name.casefold() in _UTC_NAMES:
        return UTC
    if is_windows_name(name):
        return ZoneInfo(windows_to_iana(name))
    if "/" in name and not name.startswith("tzone://"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise UnknownTimeZone(f"unknown time zone {zone!r}")


def _is_custom(zone: Mapping[str, Any]) -> bool:
    odata_type = str(zone.get("@odata.type", ""))
    return odata_type.lower().endswith("customtimezone") or "bias" in zone


def parse_graph_time(value: str) -> time:
    """'08:00:00.0000000' -> time(8, 0)."""
    try:
        return time.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        raise ValueError(f"not a Graph time of day: {value!r}") from None


def parse_graph_datetime(date_time: str, time_zone: str) -> datetime:
    """A Graph dateTimeTimeZone pair -> an aware datetime in UTC.

    `date_time` carries no offset ("2025-03-17T12:00:00.0000000") and is read in `time_zone`;
    should it carry one anyway, the offset wins.
    """
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", date_time.strip()))
    except ValueError:
        raise ValueError(f"not a Graph date-time: {date_time!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz_from_graph(time_zone))
    return parsed.astimezone(UTC)


def to_graph_datetime(moment: datetime, zone_name: str = "UTC") -> dict[str, str]:
    """An aware datetime -> Graph's dateTimeTimeZone, as wall time in `zone_name` (Windows or UTC)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    local = moment.astimezone(tz_from_graph(zone_name)).replace(tzinfo=None)
    return {"dateTime": local.isoformat(timespec="seconds"), "timeZone": zone_name}


class _TransitionRule:
    """'The n-th <weekday> of <month> at <time>' (n = 5 means the last one), local wall time."""

    def __init__(self, month: int, occurrence: int, weekday: int, at: time) -> None:
        self.month = month
        self.occurrence = occurrence
        self.weekday = weekday
        self.at = at

    @classmethod
    def from_graph(cls, offset: Mapping[str, Any]) -> _TransitionRule:
        weekday_name = str(offset.get("dayOfWeek", "")).lower()
        if weekday_name not in _WEEKDAYS:
            raise UnknownTimeZone(f"customTimeZone rule with unknown dayOfWeek {offset.get('dayOfWeek')!r}")
        month = int(offset.get("month") or 0)
        occurrence = int(offset.get("dayOccurrence") or 0)
        if not 1 <= month <= 12 or not 1 <= occurrence <= 5:
            raise UnknownTimeZone(f"customTimeZone rule out of range: month={month}, dayOccurrence={occurrence}")
        at = parse_graph_time(str(offset.get("time") or "00:00:00"))
        return cls(month, occurrence, _WEEKDAYS.index(weekday_name), at)

    def local_moment(self, year: int) -> datetime:
        first = date(year, self.month, 1)
        day = first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.occurrence - 1))
        while day.month != self.month:  # "5th" means the last one in months with four
            day -= timedelta(days=7)
        return datetime.combine(day, self.at)


class CustomTimeZone(tzinfo):
    """A Graph customTimeZone: `bias` minutes WEST of UTC, optional daylight rule with `daylightBias`.

    Daylight time begins at the daylight rule's wall time (read in standard time) and ends at the
    standard rule's wall time (read in daylight time); southern-hemisphere rules, where daylight
    spans the new year, work the same way.
    """

    def __init__(
        self,
        bias_minutes: int,
        daylight_bias_minutes: int = 0,
        daylight_start: _TransitionRule | None = None,
        standard_start: _TransitionRule | None = None,
        name: str = "Customized Time Zone",
    ) -> None:
        self._standard = timedelta(minutes=-bias_minutes)
        self._daylight = timedelta(minutes=-(bias_minutes + daylight_bias_minutes))
        self._rules = (daylight_start, standard_start) if daylight_start and standard_start else None
        self._name = name

    @classmethod
    def from_graph(cls, zone: Mapping[str, Any]) -> CustomTimeZone:
        try:
            bias = int(zone["bias"])
        except (KeyError, TypeError, ValueError):
            raise UnknownTimeZone(f"customTimeZone without a numeric bias: {dict(zone)!r}") from None
        daylight = zone.get("daylightOffset") or {}
        standard = zone.get("standardOffset") or {}
        daylight_bias = int(daylight.get("daylightBias") or 0)
        # Windows encodes "no daylight saving" as month 0 in the rules.
        if not daylight_bias or not daylight.get("month") or not standard.get("month"):
            return cls(bias, name=str(zone.get("name") or "Customized Time Zone"))
        return cls(
            bias,
            daylight_bias,
            _TransitionRule.from_graph(daylight),
            _TransitionRule.from_graph(standard),
            name=str(zone.get("name") or "Customized Time Zone"),
        )

    def _window(self, year: int) -> tuple[datetime, datetime]:
        assert self._rules is not None
        daylight_rule, standard_rule = self._rules
        return daylight_rule.local_moment(year), standard_rule.local_moment(year)

    @staticmethod
    def _inside(moment: datetime, begin: datetime, end: datetime) -> bool:
        if begin < end:
            return begin <= moment < end
        return not end <= moment < begin  # daylight spans the turn of the year

    def _is_daylight_local(self, local: datetime) -> bool:
        if self._rules is None:
            return False
        naive = local.replace(tzinfo=None)
        begin, end = self._window(naive.year)
        shift = self._daylight - self._standard
        # The repeated hour before `end` happens twice; fold=1 picks the second (standard) pass.
        if local.fold and end - shift <= naive < end:
            return False
        return self._inside(naive, begin, end)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self._standard
        return self._daylight if self._is_daylight_local(dt) else self._standard

    def dst(self, dt: datetime | None) -> timedelta:
        if dt is None or not self._is_daylight_local(dt):
            return timedelta(0)
        return self._daylight - self._standard

    def tzname(self, dt: datetime | None) -> str:
        return self._name

    def fromutc(self, dt: datetime) -> datetime:
        if dt.tzinfo is not self:
            raise ValueError("fromutc: dt.tzinfo is not self")
        if self._rules is None:
            return dt + self._standard
        naive_utc = dt.replace(tzinfo=None)
        begin, end = self._window((naive_utc + self._standard).year)
        begin_utc, end_utc = begin - self._standard, end - self._daylight
        if self._inside(naive_utc, begin_utc, end_utc):
            return dt + self._daylight
        local = dt + self._standard
        shift = self._daylight - self._standard
        if end - shift <= local.replace(tzinfo=None) < end:
            return local.replace(fold=1)
        return local

    def __repr__(self) -> str:
        return f"CustomTimeZone({self._name!r}, standard={self._standard}, daylight={self._daylight})"
