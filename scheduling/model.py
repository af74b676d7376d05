"""Domain types shared by the Graph layer (which fills them) and the slot finder (which reads them).

Every datetime here is timezone-aware and in UTC unless a field says otherwise; conversion to a
person's local time happens only for display.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo


class FreeBusyStatus(enum.StrEnum):
    """Outlook's `showAs` values as getSchedule reports them (compared case-insensitively)."""

    FREE = "free"
    TENTATIVE = "tentative"
    BUSY = "busy"
    OOF = "oof"
    WORKING_ELSEWHERE = "workingElsewhere"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: str | None) -> FreeBusyStatus:
        """Maps any casing of a Graph status to a member; anything unrecognised is UNKNOWN."""
        lowered = (raw or "").strip().lower()
        for member in cls:
            if member.value.lower() == lowered:
                return member
        return cls.UNKNOWN


@dataclass(frozen=True)
class BusyBlock:
    """One calendar item that overlaps the window: start/end in UTC, and how it shows."""

    start: datetime
    end: datetime
    status: FreeBusyStatus


@dataclass(frozen=True)
class WorkingHours:
    """A person's working days and hours, expressed in their own time zone.

    `days` holds ISO weekday numbers (Monday = 1 ... Sunday = 7).
    """

    days: frozenset[int]
    start: time
    end: time
    tz: tzinfo

    @classmethod
    def default(cls, tz: tzinfo) -> WorkingHours:
        """Outlook's default when a mailbox has none: Monday to Friday, 08:00 to 17:00."""
        return cls(days=frozenset({1, 2, 3, 4, 5}), start=time(8, 0), end=time(17, 0), tz=tz)


@dataclass(frozen=True)
class Availability:
    """What is known of one person's calendar inside a window.

    `known` is False when the calendar could not be read (per-schedule error, 403, 429 ...);
    `unknown_reason` then says why in plain words. Unknown never means free.
    """

    email: str
    known: bool
    busy: tuple[BusyBlock, ...] = ()
    working_hours: WorkingHours | None = None
    unknown_reason: str | None = None
    # The person's own zone when known from elsewhere (Teams clientInfo, mailbox settings); used
    # for display and default working hours when `working_hours` is missing.
    time_zone: tzinfo | None = None

    def zone(self) -> tzinfo:
        """The zone this person's times are shown in: working hours', else `time_zone`, else UTC."""
        if self.working_hours is not None:
            return self.working_hours.tz
        return self.time_zone or UTC

    def effective_working_hours(self) -> WorkingHours:
        """The person's working hours, or Outlook's default in their zone when none were read."""
        return self.working_hours or WorkingHours.default(self.zone())
