from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.windows import WindowError, between, dst_changes, next_week, this_week

BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
SANTIAGO = ZoneInfo("America/Santiago")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# Wednesday 2026-03-25, 10:00 UTC.
NOW = datetime(2026, 3, 25, 10, 0, tzinfo=UTC)


def test_this_week_runs_from_now_to_sunday_midnight_local() -> None:
    window = this_week(NOW, BERLIN)
    assert window.start == NOW
    # Monday 2026-03-30 00:00 in Berlin is CEST (UTC+2): clocks went forward on Sunday the 29th.
    assert window.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_next_week_is_monday_to_monday_in_the_persons_zone() -> None:
    window = next_week(NOW, BERLIN)
    assert window.start == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 4, 5, 22, 0, tzinfo=UTC)
    assert window.end - window.start == timedelta(days=7)


def test_next_week_depends_on_the_local_date() -> None:
    # Sunday 21:30 UTC is 23:30 on Sunday in Berlin but already Monday in Sydney, where
    # "next week" therefore starts a week later.
    sunday_night = datetime(2026, 3, 29, 21, 30, tzinfo=UTC)
    assert next_week(sunday_night, SYDNEY).start.astimezone(SYDNEY).date() == date(2026, 4, 6)
    assert next_week(sunday_night, BERLIN).start.astimezone(BERLIN).date() == date(2026, 3, 30)


def test_between_covers_whole_local_days() -> None:
    window = between(date(2026, 4, 1), date(2026, 4, 3), BERLIN, now=NOW)
    assert window.start == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 4, 3, 22, 0, tzinfo=UTC)
    assert window.description == "Wed 1 Apr – Fri 3 Apr"


def test_between_starting_today_starts_now() -> None:
    window = between(date(2026, 3, 25), date(2026, 3, 26), BERLIN, now=NOW)
    assert window.start == NOW


def test_between_on_a_day_that_begins_at_one_in_the_morning() -> None:
    # America/Santiago springs forward at midnight: 2026-09-06 begins at 01:00 local (-03).
    window = between(date(2026, 9, 6), date(2026, 9, 6), SANTIAGO, now=datetime(2026, 9, 1, tzinfo=UTC))
    assert window.start == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert window.start.astimezone(SANTIAGO).hour == 1


def test_between_refuses_reversed_dates() -> None:
    with pytest.raises(WindowError, match="before it starts"):
        between(date(2026, 4, 3), date(2026, 4, 1), BERLIN, now=NOW)


def test_between_refuses_the_past() -> None:
    with pytest.raises(WindowError, match="already passed"):
        between(date(2026, 3, 1), date(2026, 3, 24), BERLIN, now=NOW)


def test_between_refuses_more_than_eight_weeks_ahead() -> None:
    between(date(2026, 5, 1), date(2026, 5, 20), BERLIN, now=NOW)  # 8 weeks exactly is fine
    with pytest.raises(WindowError, match="8 weeks"):
        between(date(2026, 5, 1), date(2026, 5, 21), BERLIN, now=NOW)


def test_dst_changes_reports_each_zone_once_in_order() -> None:
    changes = dst_changes(
        datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC), [BERLIN, LOS_ANGELES, BERLIN, SYDNEY]
    )
    assert [change.description for change in changes] == [
        "Clocks go forward 1 hour in America/Los_Angeles on Sun 8 Mar",
        "Clocks go forward 1 hour in Europe/Berlin on Sun 29 Mar",
        "Clocks go back 1 hour in Australia/Sydney on Sun 5 Apr",
    ]
    assert changes[1].at_utc == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert changes[1].tz_name == "Europe/Berlin"


def test_dst_changes_dated_as_the_old_clock_reads_in_santiago() -> None:
    # Chile goes back at 24:00 on Saturday 2026-04-04 (03:00 UTC on Sunday).
    changes = dst_changes(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC), [SANTIAGO])
    assert [change.description for change in changes] == ["Clocks go back 1 hour in America/Santiago on Sun 5 Apr"]
    assert changes[0].at_utc == datetime(2026, 4, 5, 3, 0, tzinfo=UTC)


def test_dst_changes_half_hour_shift() -> None:
    changes = dst_changes(
        datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC), [ZoneInfo("Australia/Lord_Howe")]
    )
    assert [change.description for change in changes] == [
        "Clocks go back 30 minutes in Australia/Lord_Howe on Sun 5 Apr"
    ]


def test_no_dst_changes_in_zones_without_them() -> None:
    assert dst_changes(NOW, NOW + timedelta(weeks=8), [ZoneInfo("Asia/Kolkata"), ZoneInfo("UTC")]) == []
