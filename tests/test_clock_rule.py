"""The one-clock rule's small parts (dialogs/clock.py); the HTTP-level proof is tests/booking/test_booking_clock.py."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogs.clock import reader_clock, shown_time_zone, zone_notice

WINTER = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_outlooks_zone_wins_and_teams_zone_only_fills_in() -> None:
    assert shown_time_zone("America/Los_Angeles", "Asia/Tokyo") == "America/Los_Angeles"
    assert shown_time_zone(None, "Asia/Tokyo") == "Asia/Tokyo"
    assert shown_time_zone("America", "Asia/Tokyo") == "Asia/Tokyo"  # an unusable stored value is no zone
    assert shown_time_zone(None, None) is None


def test_a_reader_without_any_zone_reads_utc_in_the_default_locale() -> None:
    clock = reader_clock(None, None, "not a locale!")
    assert clock.zone is UTC and clock.locale is None
    assert clock.moment(WINTER) == "7 Dec 2026, 12:00 UTC"


def test_the_notice_names_where_teams_puts_the_person_and_the_zone_their_times_are_in() -> None:
    assert zone_notice("America/Los_Angeles", "Asia/Tokyo", WINTER) == (
        "You appear to be in Tokyo right now; times are shown in your Outlook time zone, Pacific Time.")
    assert zone_notice("America/Los_Angeles", "UTC", WINTER) == (
        "Teams says your device is set to UTC; times are shown in your Outlook time zone, Pacific Time.")


def test_no_notice_when_the_person_would_see_no_difference() -> None:
    assert zone_notice("America/Los_Angeles", "America/Los_Angeles", WINTER) is None
    assert zone_notice("America/Los_Angeles", "US/Pacific", WINTER) is None  # another name for the same clock
    assert zone_notice("Europe/Paris", "Europe/Berlin", WINTER) is None  # same offset right now
    assert zone_notice(None, "Asia/Tokyo", WINTER) is None  # Outlook's not known yet: Teams' is shown
