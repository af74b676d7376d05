"""Cards for Teams mobile, where Action.Execute has been reported broken since January 2026.

AdaptiveCards issue 9315 (and msteams-docs issue 13924): on Teams for iOS and Android a Universal Action
button does nothing, most visibly on cards with inputs. `Action.Submit` still works there; it reaches the bot
as a message activity whose `value` holds the button's data and the card's inputs, which bot.py routes by
the same `verb` as an Action.Execute. Pure: a card in, the same card with Submit buttons out.
"""

from __future__ import annotations

from typing import Any

from cards.base import Card

# What an Action.Execute has that Action.Submit also understands (besides type, title and data).
_SHARED_PROPERTIES = ("id", "style", "tooltip", "isEnabled", "mode", "iconUrl")


def with_submit_actions(card: Card) -> Card:
    """`card` with every Action.Execute turned into the Action.Submit carrying the same data (verb included).

    The card-level `refresh`, which only an Action.Execute can perform, is left out: the card shows what
    was true when it was sent, and the person's next click is answered with a fresh card anyway.
    """
    converted: Card = _converted(card)
    converted.pop("refresh", None)
    return converted


def _converted(node: Any) -> Any:
    if isinstance(node, list):
        return [_converted(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "Action.Execute":
        return _submit_for(node)
    return {key: _converted(value) for key, value in node.items()}


def _submit_for(action: dict[str, Any]) -> dict[str, Any]:
    raw_data = action.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    submit: dict[str, Any] = {"type": "Action.Submit", "title": action.get("title", "")}
    submit.update({key: action[key] for key in _SHARED_PROPERTIES if key in action})
    submit["data"] = {**data, "verb": action.get("verb") or data.get("verb")}
    return submit
