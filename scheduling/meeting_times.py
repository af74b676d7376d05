"""Individual mode's side of the slot finder: what to ask findMeetingTimes, and how to read its answer.

Pure. Outlook suggests the times there, but the bot still decides what a suggestion means with the
same policy as the getSchedule path (`DEFAULT_BLOCKING`): a time at which anyone is tentative, busy or
out of office is not offered as free, whichever mode the organization uses, and unknown is never free.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

from scheduling.model import FreeBusyStatus, WorkingHours
from scheduling.slots import DEFAULT_BLOCKING
from scheduling.zones import as_utc, working_days


class Standing(enum.Enum):
    """What a suggested time is worth once everyone's availability has been read."""

    FREE = "free"  # everyone's calendar is known and nothing blocks it
    UNVERIFIED = "unverified"  # nothing known blocks it, but someone's calendar could not be read
    BLOCKED = "blocked"  # someone is tentative, busy or out of office (by the blocking policy)


def working_day_slots(hours: WorkingHours, window_start: datetime, window_end: datetime,
                      duration: timedelta) -> list[tuple[datetime, datetime]]:
    """One time slot per working day of `hours` inside the window, clipped to it, in UTC.

    Days whose remaining working time is shorter than the meeting are left out; an empty list means
    there is nothing to ask Outlook about.
    """
    start, end = as_utc("window_start", window_start), as_utc("window_end", window_end)
    slots = []
    for day in working_days(hours, start, end):
        slot = (max(day.start, start), min(day.end, end))
        if slot[1] - slot[0] >= duration:
            slots.append(slot)
    return slots


def standing_of(statuses: Iterable[FreeBusyStatus],
                blocking: frozenset[FreeBusyStatus] = DEFAULT_BLOCKING) -> Standing:
    """Everyone's status at one suggested time (organizer included) -> free, unverified or blocked.

    An `unknown` availability means Outlook could not read that calendar: like an unreadable calendar
    on the getSchedule path, the time may be offered only as unverified, never as free.
    """
    seen = list(statuses)
    if any(status in blocking and status is not FreeBusyStatus.UNKNOWN for status in seen):
        return Standing.BLOCKED
    if FreeBusyStatus.UNKNOWN in seen:
        return Standing.UNVERIFIED
    return Standing.FREE
