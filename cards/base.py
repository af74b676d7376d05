"""Building blocks shared by every card: the envelope, text, facts and actions (Adaptive Cards 1.5).

Actions use Universal Actions (`Action.Execute` with a verb) and carry an `Action.Submit` fallback with the
same data, so older clients still work; bot.py routes both by the `verb` field.
"""

from __future__ import annotations

import re
from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
Card = dict[str, Any]

# Teams renders TextBlock text and Fact titles and values as Markdown (a CommonMark subset: emphasis, links,
# lists), and chat messages too. Text that came from a person (a subject, a note, a name) must show as typed:
# "[Your session expired](https://evil.example)" must not become a link under the bot's name.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]<>#~|])")
# At a line start (Teams breaks lines at \r as well as \n): "- ", "+ ", "1. ", "1) " start a list item, and
# "---" or "===" under a line would rule it off or make it a heading.
_LINE_START = re.compile(r"(^|[\r\n])([ \t]*)([-+=]|\d{1,9}[.)](?=[ \t\r\n]|$))")
_SURROGATES = re.compile("[\ud800-\udfff]")


def plain(value: str) -> str:
    """`value` as literal text inside Markdown: its syntax characters backslash-escaped (CommonMark lets any
    ASCII punctuation be escaped so), list and rule markers at a line start defused, lone surrogates replaced."""
    escaped = _MARKDOWN_SYNTAX.sub(r"\\\1", _SURROGATES.sub("\ufffd", value))
    return _LINE_START.sub(
        lambda match: f"{match.group(1)}{match.group(2)}{match.group(3)[:-1]}\\{match.group(3)[-1]}", escaped)


def plain_facts(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Fact pairs whose titles and values are both a person's text (names, local times)."""
    return [(plain(title), plain(value)) for title, value in pairs]


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
