"""Teams rules the SDK does not check, on every card the bot can send, and proof each check can fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cards.base import card, execute, open_url, text
from cards.booking import MAX_MEETINGS_SHOWN, ConfirmationView, confirmation_card
from tests.cards.samples import MANY_MEETINGS, all_samples
from tests.cards.teams_rules import (
    MAX_CARD_BYTES,
    card_size,
    execute_action_problems,
    input_id_problems,
    size_problems,
    teams_problems,
    version_problems,
    walk,
)

SAMPLES = {sample.name: sample for sample in all_samples()}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_card_follows_teams_rules(name: str) -> None:
    assert teams_problems(SAMPLES[name].card) == []


def test_largest_samples_are_the_long_lists() -> None:
    # The size rule is only meaningful if the samples that grow with data really are big.
    biggest = max(SAMPLES.values(), key=lambda sample: card_size(sample.card))
    assert biggest.name in {"my_meetings_all_long", "my_meetings_full", "audit_full", "privacy_full"}
    assert card_size(biggest.card) > MAX_CARD_BYTES // 4


def _one_action_card(action: dict[str, Any]) -> dict[str, Any]:
    return card([text("Pick one")], [action])


def test_execute_without_verb_or_title_is_reported() -> None:
    action = execute("Book", "book")
    action["verb"] = ""
    action["title"] = " "
    problems = execute_action_problems(_one_action_card(action))
    assert "/actions/0: Action.Execute has no verb" in problems
    assert "/actions/0: Action.Execute has no title" in problems


def test_execute_without_submit_fallback_is_reported() -> None:
    action = execute("Book", "book")
    del action["fallback"]
    assert execute_action_problems(_one_action_card(action)) == ["/actions/0/fallback: is not an Action.Submit "
                                                                 "(got None)"]


def test_fallback_with_another_verb_is_reported() -> None:
    action = execute("Book", "book", {"slotId": "s1"})
    action["fallback"]["data"] = {**action["data"], "verb": "cancelBooking"}
    assert execute_action_problems(_one_action_card(action)) == ["/actions/0/fallback/data: does not carry the "
                                                                 "verb 'book'"]


def test_nested_execute_in_an_action_set_is_checked() -> None:
    action = execute("Book", "book")
    action["fallback"] = {"type": "drop"}
    nested = card([{"type": "ActionSet", "actions": [open_url("Join", "https://example.com"), action]}])
    assert execute_action_problems(nested) == ["/body/0/actions/1/fallback: is not an Action.Submit "
                                               "(got {'type': 'drop'})"]


def test_refresh_action_needs_a_verb_but_no_fallback() -> None:
    view = ConfirmationView("b-1", "Sync", "Ann", "Bo", (("Ann", "Mon 9 Mar, 09:00–09:30 PST"),), None, ("29:ann",))
    confirmation = confirmation_card(view)
    assert execute_action_problems(confirmation) == []
    broken = copy.deepcopy(confirmation)
    broken["refresh"]["action"]["verb"] = None
    assert "/refresh/action: Action.Execute has no verb" in execute_action_problems(broken)


def test_other_card_versions_are_reported() -> None:
    older = card([text("hi")])
    older["version"] = "1.4"
    assert version_problems(older) == ["/version: is '1.4', not '1.5'"]


def test_oversized_card_is_reported() -> None:
    big = card([text("x" * MAX_CARD_BYTES)])
    assert size_problems(big) == [f"the card is {card_size(big)} bytes of JSON, over Teams' {MAX_CARD_BYTES}"]


def test_duplicate_input_ids_are_reported_even_when_nested() -> None:
    form = card([
        {"type": "Input.Text", "id": "subject"},
        {"type": "Container", "items": [{"type": "Input.Date", "id": "subject"}, {"type": "Input.Toggle"}]},
    ])
    assert input_id_problems(form) == [
        "/body/1/items/0: input id 'subject' is already used at /body/0",
        "/body/1/items/1: Input.Toggle has no id",
    ]


def test_long_meeting_list_is_cut_to_fit_and_says_how_many_are_left() -> None:
    full = SAMPLES["my_meetings_full"].card
    cancel_ids = [node["data"]["bookingId"] for _, node in walk(full)
                  if node.get("type") == "Action.Execute" and node.get("verb") == "cancelBooking"]
    assert len(cancel_ids) == MAX_MEETINGS_SHOWN
    hidden = MANY_MEETINGS - MAX_MEETINGS_SHOWN
    texts = [node["text"] for _, node in walk(full) if node.get("type") == "TextBlock"]
    note = f"The next {MAX_MEETINGS_SHOWN} of {MANY_MEETINGS}; the other {hidden} are in your Outlook calendar."
    assert note in texts
