"""Building blocks shared by every card: the envelope, text, facts and actions (Adaptive Cards 1.5).

Actions use Universal Actions (`Action.Execute` with a verb) and carry an `Action.Submit` fallback with the
same data, so older clients still work; bot.py routes both by the `verb` field.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
Card = dict[str, Any]


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    result: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        result["actions"] = actions
    return result


def text(value: str, *, weight: str | None = None, size: str | None = None, subtle: bool = False,
         color: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": value, "wrap": True}
    if weight:
        block["weight"] = weight
    if size:
        block["size"] = size
    if subtle:
        block["isSubtle"] = True
    if color:
        block["color"] = color
    return block


def heading(value: str) -> dict[str, Any]:
    return text(value, weight="Bolder", size="Medium")


def facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in pairs]}


def execute(title: str, verb: str, data: dict[str, Any] | None = None, *, style: str | None = None) -> dict[str, Any]:
    """An Action.Execute with an Action.Submit fallback carrying the same verb and data."""
    payload = {"verb": verb, **(data or {})}
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
    }
    if style:
        action["style"] = style
    return action


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}
