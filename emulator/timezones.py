"""Time-zone names the way Graph speaks them: Windows names, a short list of IANA names, UTC.

Windows names are mapped through the CLDR table that tzlocal ships; nothing here knows the bot.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

UTC_NAMES = {"utc", "tzone://microsoft/utc", "etc/utc", "coordinated universal time"}


class UnknownTimeZone(ValueError):
    pass


def zone_from_name(name: str | None) -> tzinfo:
    """A Windows or IANA zone name (or UTC) as a tzinfo; anything else raises UnknownTimeZone."""
    cleaned = (name or "").strip()
    if not cleaned or cleaned.lower() in UTC_NAMES:
        return UTC
    iana = win_tz.get(cleaned)
    if iana is None:
        iana = cleaned if "/" in cleaned else None
    if iana is None:
        raise UnknownTimeZone(cleaned)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(cleaned) from exc


def windows_name(iana: str) -> str:
    return tz_win.get(iana, "UTC")


def format_graph_datetime(moment: datetime, zone: tzinfo) -> str:
    """Graph's shape: local wall time with seven fractional digits and no offset."""
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0"


def parse_date_time_time_zone(value: object) -> datetime:
    """A dateTimeTimeZone object -> aware UTC datetime. Raises ValueError when malformed."""
    if not isinstance(value, dict):
        raise ValueError("dateTimeTimeZone must be an object")
    fields = {str(key).lower(): item for key, item in value.items()}
    raw = fields.get("datetime")
    if not isinstance(raw, str) or not raw:
        raise ValueError("dateTime is required")
    zone = zone_from_name(fields.get("timezone") if isinstance(fields.get("timezone"), str) else None)
    # Graph sends 7 fractional digits; Python wants at most 6
    text = re.sub(r"(\.\d{6})\d+", r"\1", raw.strip())
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse_iso_duration(text: str) -> timedelta:
    """The ISO-8601 durations findMeetingTimes accepts (PT30M, PT1H30M, P1DT2H, PT90S)."""
    match = re.fullmatch(
        r"P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
        text.strip().upper(),
    )
    if not match or text.strip().upper() in {"P", "PT"}:
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    parts = {key: int(value) for key, value in match.groupdict().items() if value}
    return timedelta(**parts)
