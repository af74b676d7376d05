from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from scheduling.display import (
    Clock,
    day_label,
    everyone_local_times,
    local_label,
    tz_abbrev,
    zone_place,
    zone_title,
)


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        ("America/Los_Angeles", datetime(2025, 11, 25, 17, tzinfo=UTC), "PST"),
        ("America/Los_Angeles", datetime(2025, 7, 1, 17, tzinfo=UTC), "PDT"),
        ("Europe/Berlin", datetime(2025, 11, 25, tzinfo=UTC), "CET"),
        ("Asia/Kolkata", datetime(2025, 11, 25, tzinfo=UTC), "IST"),
        ("America/St_Johns", datetime(2025, 11, 25, tzinfo=UTC), "NST"),
        ("America/Santiago", datetime(2025, 11, 25, tzinfo=UTC), "GMT-3"),
        ("Asia/Kathmandu", datetime(2025, 11, 25, tzinfo=UTC), "GMT+5:45"),
        ("UTC", datetime(2025, 11, 25, tzinfo=UTC), "UTC"),
    ],
)
def test_tz_abbrev_uses_letters_or_a_gmt_offset(zone: str, moment: datetime, expected: str) -> None:
    assert tz_abbrev(moment.astimezone(ZoneInfo(zone))) == expected


def test_tz_abbrev_of_a_fixed_offset_reads_as_gmt() -> None:
    assert tz_abbrev(datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == "GMT+5:30"


def test_tz_abbrev_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        tz_abbrev(datetime(2025, 1, 1))


def test_local_label_in_the_usual_case() -> None:
    start = datetime(2025, 11, 25, 17, 0, tzinfo=UTC)
    label = local_label(start, start + timedelta(minutes=30), ZoneInfo("America/Los_Angeles"))
    assert label == "Tue 25 Nov, 09:00–09:30 PST"


def test_local_label_half_hour_zone() -> None:
    start = datetime(2025, 11, 25, 4, 0, tzinfo=UTC)
    assert local_label(start, start + timedelta(hours=1), ZoneInfo("Asia/Kolkata")) == "Tue 25 Nov, 09:30–10:30 IST"


def test_local_label_shows_both_abbreviations_when_clocks_change_during_the_meeting() -> None:
    # Europe/London springs forward at 01:00 UTC on 2025-03-30.
    start = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    label = local_label(start, start + timedelta(hours=1), ZoneInfo("Europe/London"))
    assert label == "Sun 30 Mar, 00:30 GMT – 02:30 BST"


def test_local_label_across_midnight_repeats_the_day() -> None:
    start = datetime(2025, 11, 25, 22, 30, tzinfo=UTC)
    label = local_label(start, start + timedelta(hours=2), ZoneInfo("Europe/London"))
    assert label == "Tue 25 Nov, 22:30 – Wed 26 Nov, 00:30 GMT"


def test_local_label_ending_at_midnight_keeps_one_day() -> None:
    start = datetime(2025, 11, 25, 23, 30, tzinfo=UTC)
    label = local_label(start, start + timedelta(minutes=30), ZoneInfo("Europe/London"))
    assert label == "Tue 25 Nov, 23:30–00:00 GMT"


def test_day_label() -> None:
    assert day_label(datetime(2026, 3, 29).date()) == "Sun 29 Mar"


# -- the reader's locale (CLDR through Babel) ----------------------------------------------------------------
MEETING = (datetime(2026, 12, 7, 23, tzinfo=UTC), datetime(2026, 12, 7, 23, 30, tzinfo=UTC))  # 15:00 in Los Angeles


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "Mon, Dec 7, 3:00\u202fPM–3:30\u202fPM PST"),  # CLDR's narrow no-break space before PM
        ("en-GB", "Mon 7 Dec, 15:00–15:30 PST"),
        ("de-DE", "Mo., 7. Dez., 15:00–15:30 PST"),
        ("fr-FR", "lun. 7 déc., 15:00–15:30 PST"),
        (None, "Mon 7 Dec, 15:00–15:30 PST"),  # unknown: the default, en-GB
        ("xx-ZZ", "Mon 7 Dec, 15:00–15:30 PST"),  # well-formed but not a locale CLDR has
        ("en-US-x-private", "Mon, Dec 7, 3:00\u202fPM–3:30\u202fPM PST"),  # unknown parts fall away, as in BCP 47
    ],
)
def test_a_meeting_reads_the_way_the_readers_locale_writes_times(locale: str | None, expected: str) -> None:
    assert local_label(*MEETING, ZoneInfo("America/Los_Angeles"), locale) == expected


def test_a_meeting_past_midnight_names_both_days_in_the_readers_language() -> None:
    start = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    label = local_label(start, start + timedelta(hours=2), ZoneInfo("Europe/Berlin"), "de-DE")
    assert label == "Mo., 7. Dez., 23:30 – Di., 8. Dez., 01:30 CET"  # tzdata's abbreviation, English like the wording


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en-US", "Dec 7, 2026, 3:00\u202fPM PST"), ("en-GB", "7 Dec 2026, 15:00 PST"),
     ("de-DE", "07.12.2026, 15:00 PST")],
)
def test_a_timestamp_reads_in_the_readers_zone_and_locale(locale: str, expected: str) -> None:
    assert Clock(ZoneInfo("America/Los_Angeles"), locale).moment(MEETING[0]) == expected


def test_zone_names_are_the_ones_people_use() -> None:
    assert zone_title(ZoneInfo("America/Los_Angeles")) == "Pacific Time"
    assert zone_place(ZoneInfo("Asia/Tokyo")) == "Tokyo"
    assert zone_title(ZoneInfo("UTC")) == zone_place(ZoneInfo("Etc/UTC")) == "UTC"


TEAM = [("Ben", ZoneInfo("America/New_York")), ("Chloe", ZoneInfo("Europe/London")),
        ("Dev", ZoneInfo("Asia/Kolkata")), ("Ana", ZoneInfo("America/New_York"))]


def test_everyone_local_times_on_one_line_for_a_british_reader() -> None:
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert everyone_local_times(start, TEAM[:3], "en-GB") == "Ben 10:00 EST · Chloe 15:00 GMT · Dev 20:30 IST"


def test_everyone_local_times_on_a_twelve_hour_clock_for_an_american_reader() -> None:
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    # CLDR puts a narrow no-break space before AM/PM.
    assert everyone_local_times(start, TEAM[:3], "en-US") == (
        "Ben 10:00\u202fAM EST · Chloe 3:00\u202fPM GMT · Dev 8:30\u202fPM IST"
    )


def test_everyone_local_times_groups_people_on_the_same_clock_and_names_another_day() -> None:
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday; already Wednesday in Sydney
    people = [*TEAM, ("Kim", ZoneInfo("Australia/Sydney"))]
    assert everyone_local_times(start, people, "en-GB") == (
        "Ben, Ana 10:00 EST · Chloe 15:00 GMT · Dev 20:30 IST · Kim 02:00 AEDT Wed"
    )
    assert everyone_local_times(start, []) == ""
