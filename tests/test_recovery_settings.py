"""The booking-recovery settings: documented defaults, small values for tests, one clear line for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import LONGEST_BOOKING_ATTEMPT_SECONDS, ConfigError, load_settings

EMPTY_ENV_FILE = Path("/nonexistent/.env")


def test_defaults_leave_a_live_booking_alone() -> None:
    settings = load_settings({}, env_file=EMPTY_ENV_FILE)
    assert settings.booking_recovery_interval == 60
    assert settings.booking_stuck_after == LONGEST_BOOKING_ATTEMPT_SECONDS
    assert settings.booking_recovery_give_up == 86400


def test_fractions_of_a_second_are_accepted() -> None:
    settings = load_settings({"BOOKING_RECOVERY_INTERVAL_SECONDS": "0.5", "BOOKING_STUCK_AFTER_SECONDS": "1.5",
                              "BOOKING_RECOVERY_GIVE_UP_SECONDS": "30"}, env_file=EMPTY_ENV_FILE)
    assert (settings.booking_recovery_interval, settings.booking_stuck_after,
            settings.booking_recovery_give_up) == (0.5, 1.5, 30)


@pytest.mark.parametrize("name", ["BOOKING_RECOVERY_INTERVAL_SECONDS", "BOOKING_STUCK_AFTER_SECONDS",
                                  "BOOKING_RECOVERY_GIVE_UP_SECONDS"])
@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf", "1e9"])
def test_a_bad_value_is_one_clear_line(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"{name} must be a number of seconds above 0 and below 10000000, "
                                          f"got '{value}'"):
        load_settings({name: value}, env_file=EMPTY_ENV_FILE)
