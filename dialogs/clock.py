"""One clock per person: which zone a person's times are shown in, and in which locale they are written.

The rule (issue 10): a person's times are shown in their Outlook working-hours zone, because that is what
Outlook shows them and where their working day is; the zone their Teams client reports (which follows the
device: a trip, a laptop left on UTC) is used only while Outlook's is unknown. Where the two differ, the
person is told once per conversation. The same rule decides the event's own zone, every card and message,
`privacy`, `status` and `audit`.

Adaptive Cards' DATE()/TIME() functions were considered for "your" time and not used: Teams renders them in
the device's zone, which is exactly the Teams zone this rule puts second.

Times are written the way the reader's Teams locale writes them (scheduling/display.py, CLDR); proactive
messages use the recipient's stored locale, not the sender's.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from cards.texts import ZONE_NOTICE, ZONE_NOTICE_UTC
from dialogs.text_input import valid_locale, valid_time_zone
from scheduling.display import Clock, zone_place, zone_title


def zone_or_utc(name: str | None) -> tzinfo:
    """The zone of an IANA name; UTC when none is known or a stored one is unusable (rows from before issue 9 may
    hold whatever a client sent, e.g. "America", a directory that ZoneInfo fails on with IsADirectoryError)."""
    zone = valid_time_zone(name)
    return ZoneInfo(zone) if zone else UTC


def shown_time_zone(outlook: str | None, teams: str | None) -> str | None:
    """The zone a person's times are shown in: Outlook's when known, else the one Teams reported."""
    return valid_time_zone(outlook) or valid_time_zone(teams)


def reader_clock(outlook: str | None, teams: str | None, locale: str | None) -> Clock:
    """How a reader reads timestamps (`privacy`, `status`, `audit`): their shown zone, their locale."""
    return Clock(zone_or_utc(shown_time_zone(outlook, teams)), valid_locale(locale))


def zone_notice(outlook: str | None, teams: str | None, now: datetime) -> str | None:
    """The sentence that tells a person their Teams zone is not the one their times are shown in, or None.

    Two names for the same clock ("US/Pacific", "America/Los_Angeles"), or zones that read the same right now,
    need no word: the person would see no difference.
    """
    outlook_zone, teams_zone = valid_time_zone(outlook), valid_time_zone(teams)
    if not outlook_zone or not teams_zone or outlook_zone == teams_zone:
        return None
    if now.astimezone(ZoneInfo(outlook_zone)).utcoffset() == now.astimezone(ZoneInfo(teams_zone)).utcoffset():
        return None
    place = zone_place(ZoneInfo(teams_zone))
    template = ZONE_NOTICE_UTC if place == "UTC" else ZONE_NOTICE
    return template.format(place=place, title=zone_title(ZoneInfo(outlook_zone)))


def notice_key(outlook: str | None, teams: str | None) -> str:
    """What a notice was about, remembered in the conversation so the same difference is told only once."""
    return f"{outlook or ''}|{teams or ''}"
