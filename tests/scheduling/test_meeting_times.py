"""What individual mode asks findMeetingTimes for, and how it reads the availability of each suggestion."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.meeting_times import Standing, standing_of, working_day_slots
from scheduling.model import FreeBusyStatus, WorkingHours
from scheduling.slots import blocking_statuses

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = WorkingHours(days=frozenset({1, 2, 3, 4, 5}), start=time(8), end=time(17), tz=NEW_YORK)


def local(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def test_one_slot_per_working_day_shaped_to_the_hours_across_a_clock_change() -> None:
    # Friday 12 March 2027 to Tuesday 16 March: the weekend is skipped, and New York moves its clocks on the 14th.
    slots = working_day_slots(WEEKDAYS, local(12, 0), local(17, 0), timedelta(minutes=30))

    assert slots == [(local(day, 8).astimezone(UTC), local(day, 17).astimezone(UTC)) for day in (12, 15, 16)]
    assert [end - start for start, end in slots] == [timedelta(hours=9)] * 3


def test_the_first_and_last_day_are_clipped_to_the_window_and_too_short_days_are_left_out() -> None:
    slots = working_day_slots(WEEKDAYS, local(15, 16, 45), local(17, 9), timedelta(minutes=30))

    assert slots == [(local(16, 8).astimezone(UTC), local(16, 17).astimezone(UTC)),
                     (local(17, 8).astimezone(UTC), local(17, 9).astimezone(UTC))]
    assert working_day_slots(WEEKDAYS, local(13, 0), local(15, 0), timedelta(minutes=30)) == []


@pytest.mark.parametrize(
    ("statuses", "standing"),
    [
        ((FreeBusyStatus.FREE, FreeBusyStatus.FREE), Standing.FREE),
        ((FreeBusyStatus.WORKING_ELSEWHERE, FreeBusyStatus.FREE), Standing.FREE),
        ((FreeBusyStatus.TENTATIVE, FreeBusyStatus.FREE), Standing.BLOCKED),
        ((FreeBusyStatus.FREE, FreeBusyStatus.OOF), Standing.BLOCKED),
        ((FreeBusyStatus.FREE, FreeBusyStatus.UNKNOWN), Standing.UNVERIFIED),
        ((FreeBusyStatus.UNKNOWN, FreeBusyStatus.BUSY), Standing.BLOCKED),
    ],
)
def test_each_suggestion_is_read_with_the_getschedule_policy(statuses: tuple[FreeBusyStatus, ...],
                                                             standing: Standing) -> None:
    assert standing_of(statuses) is standing


def test_a_tenant_that_counts_tentative_as_free_gets_tentative_times() -> None:
    lenient = blocking_statuses(tentative=False)

    assert standing_of([FreeBusyStatus.TENTATIVE, FreeBusyStatus.FREE], lenient) is Standing.FREE
