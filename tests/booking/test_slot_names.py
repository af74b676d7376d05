"""Everyone's clocks on one line name each person so that they can be told apart (issue 11)."""

from __future__ import annotations

from dialogs.booking.search import _slot_view
from dialogs.booking_people import Person
from dialogs.booking_state import OfferedSlot


def _person(oid: str, name: str, zone: str) -> Person:
    return Person(oid, name, f"{oid}@contoso.example", None, zone, zone)


def test_two_colleagues_with_one_first_name_are_told_apart_on_the_clocks_line() -> None:
    everyone = [_person("adele", "Adele Vance", "America/Los_Angeles"),
                _person("ben-w", "Ben Walters", "America/New_York"),
                _person("ben-k", "Ben Kowalski", "Europe/Warsaw"),
                _person("chloe", "Chloe Martin", "Europe/London")]
    slot = OfferedSlot("s1", "2026-12-02T16:00:00+00:00", "2026-12-02T16:30:00+00:00", True)

    view = _slot_view(slot, everyone, {}, frozenset(), None, None, "en-GB")

    assert view.everyone is not None
    assert "Ben Walters 11:00" in view.everyone and "Ben Kowalski 17:00" in view.everyone, view.everyone
    assert "Chloe 16:00" in view.everyone and "Adele 08:00" in view.everyone, view.everyone
