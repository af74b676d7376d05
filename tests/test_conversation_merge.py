"""Two turns of one chat saving at once: the three-way merge keeps both turns' changes (issue 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialogs.booking_state import ABANDONED_AFTER, BookingMemory, BookingOptions
from dialogs.bot_storage import merge_changes

READ = {"booking": {"searches": {"old": {"n": 1}}, "pending": None}, "admin": {"step": "form"}}


def test_searches_added_by_both_turns_are_both_kept() -> None:
    theirs = {"booking": {"searches": {"old": {"n": 1}, "a": {"n": 2}}, "pending": None}, "admin": {"step": "form"}}
    ours = {"booking": {"searches": {"old": {"n": 1}, "b": {"n": 3}}, "pending": None}, "admin": {"step": "form"}}

    merged = merge_changes(READ, theirs, ours)

    assert merged["booking"]["searches"] == {"old": {"n": 1}, "a": {"n": 2}, "b": {"n": 3}}


def test_a_removal_on_either_side_stays_removed_and_untouched_keys_take_the_other_side() -> None:
    theirs = {"booking": {"searches": {}, "pending": None}, "admin": {"step": "saved"}}
    ours = {"booking": {"searches": {"old": {"n": 1}, "b": {"n": 3}}, "pending": None}, "admin": {"step": "form"}}

    merged = merge_changes(READ, theirs, ours)

    assert merged == {"booking": {"searches": {"b": {"n": 3}}, "pending": None}, "admin": {"step": "saved"}}


def test_a_value_both_changed_takes_this_turns() -> None:
    theirs = {**READ, "admin": {"step": "theirs"}}
    ours = {**READ, "admin": {"step": "ours"}}
    assert merge_changes(READ, theirs, ours)["admin"] == {"step": "ours"}


def test_a_booking_left_waiting_for_sign_in_is_forgotten_once_abandoned() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    memory = BookingMemory({})
    memory.set_pending(BookingOptions("oid", 30, "30", None, "this_week", None, None, "Secret", "Note"), now)

    memory.prune(now + ABANDONED_AFTER - timedelta(minutes=1))
    assert memory.pending() is not None
    memory.prune(now + ABANDONED_AFTER + timedelta(minutes=1))
    assert memory.pending() is None
