"""Real cards with one deliberate mistake each: proof that the SDK run can fail, and on what.

Each probe is validated in the same node run as the bot's cards; the tests expect exactly the named
SDK event, and expect the Teams false-positive filter to let it through.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cards.booking import BookingForm, booking_form_card
from cards.common import help_card, welcome_card

Card = dict[str, Any]


@dataclass(frozen=True)
class Probe:
    name: str
    card: Card
    expected_event: str  # the SDK ValidationEvent the mistake must raise


def _broken(card: Card, mistake: Callable[[Card], None]) -> Card:
    broken = copy.deepcopy(card)
    mistake(broken)
    return broken


def _form() -> Card:
    return booking_form_card(BookingForm(colleagues=[("Alice Okafor", "00000001-4c1d-4d8e-9a0b-3f6c5d7e8a91")]))


def _find(card: Card, input_id: str) -> dict[str, Any]:
    for element in card["body"]:
        if element.get("id") == input_id:
            return element
    raise KeyError(input_id)


def _empty_ordinary_choice_set(card: Card) -> None:
    _find(card, "duration")["choices"] = []


def _too_new_property(card: Card) -> None:
    _find(card, "subject")["labelPosition"] = "inline"  # Adaptive Cards 1.6


def _duplicate_input_id(card: Card) -> None:
    _find(card, "note")["id"] = "subject"


PROBES: tuple[Probe, ...] = (
    Probe("unknown_element", _broken(help_card(), lambda c: c["body"].append({"type": "Calendar"})),
          "UnknownElementType"),
    Probe("unknown_action", _broken(help_card(), lambda c: c["actions"].append({"type": "Action.Book", "title": "x"})),
          "UnknownActionType"),
    Probe("invalid_enum", _broken(welcome_card("Alice"), lambda c: c["body"][0].update(size="Huge")),
          "InvalidPropertyValue"),
    Probe("open_url_without_url", _broken(help_card(), lambda c: c["actions"].append({"type": "Action.OpenUrl",
                                                                                          "title": "Join"})),
          "PropertyCantBeNull"),
    Probe("duplicate_id", _broken(_form(), _duplicate_input_id), "DuplicateId"),
    Probe("empty_ordinary_choice_set", _broken(_form(), _empty_ordinary_choice_set), "CollectionCantBeEmpty"),
    Probe("property_newer_than_1_5", _broken(_form(), _too_new_property), "UnsupportedProperty"),
)
