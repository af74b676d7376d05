"""Rules Teams (and our bot's routing) impose on a card that the Adaptive Cards SDK does not check.

Each check returns human-readable problems, empty when the card is fine, so a failing test says what
is wrong and where (a JSON pointer into the card).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

CARD_VERSION = "1.5"
# Teams rejects a bot message larger than about 28 KB; the card is most of the message.
MAX_CARD_BYTES = 28 * 1024


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object in the card with its JSON pointer, parents before children."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{pointer}/{index}")


def _is_refresh_action(pointer: str) -> bool:
    # A refresh action is never shown as a button: clients without Universal Actions just skip the refresh,
    # and the schema only allows Action.Execute there, so it neither needs nor may have a Submit fallback.
    return pointer == "/refresh/action"


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def execute_action_problems(card: dict[str, Any]) -> list[str]:
    """Every Action.Execute has a verb and a title, its data repeats the verb (bot.py routes on data.verb),
    and, unless it is the refresh action, an Action.Submit fallback with a title and the same verb."""
    problems = []
    for pointer, node in walk(card):
        if node.get("type") != "Action.Execute":
            continue
        verb = node.get("verb")
        if not _filled(verb):
            problems.append(f"{pointer}: Action.Execute has no verb")
        if not _filled(node.get("title")):
            problems.append(f"{pointer}: Action.Execute has no title")
        data = node.get("data")
        if not isinstance(data, dict) or data.get("verb") != verb:
            problems.append(f"{pointer}/data: does not carry the verb {verb!r}")
        if _is_refresh_action(pointer):
            continue
        fallback = node.get("fallback")
        if not isinstance(fallback, dict) or fallback.get("type") != "Action.Submit":
            problems.append(f"{pointer}/fallback: is not an Action.Submit (got {fallback!r})")
            continue
        if not _filled(fallback.get("title")):
            problems.append(f"{pointer}/fallback: Action.Submit has no title")
        fallback_data = fallback.get("data")
        if not isinstance(fallback_data, dict) or fallback_data.get("verb") != verb:
            problems.append(f"{pointer}/fallback/data: does not carry the verb {verb!r}")
    return problems


def version_problems(card: dict[str, Any]) -> list[str]:
    problems = []
    if card.get("type") != "AdaptiveCard":
        problems.append(f"/type: is {card.get('type')!r}, not 'AdaptiveCard'")
    if card.get("version") != CARD_VERSION:
        problems.append(f"/version: is {card.get('version')!r}, not {CARD_VERSION!r}")
    return problems


def card_size(card: dict[str, Any]) -> int:
    return len(json.dumps(card))


def size_problems(card: dict[str, Any]) -> list[str]:
    size = card_size(card)
    return [f"the card is {size} bytes of JSON, over Teams' {MAX_CARD_BYTES}"] if size > MAX_CARD_BYTES else []


def input_id_problems(card: dict[str, Any]) -> list[str]:
    """Input ids must be unique in a card: the submitted data is a flat {id: value} object."""
    seen: dict[str, str] = {}
    problems = []
    for pointer, node in walk(card):
        kind = node.get("type")
        if not isinstance(kind, str) or not kind.startswith("Input."):
            continue
        input_id = node.get("id")
        if not isinstance(input_id, str) or not input_id.strip():
            problems.append(f"{pointer}: {kind} has no id")
        elif input_id in seen:
            problems.append(f"{pointer}: input id {input_id!r} is already used at {seen[input_id]}")
        else:
            seen[input_id] = pointer
    return problems


def teams_problems(card: dict[str, Any]) -> list[str]:
    return [
        *version_problems(card),
        *execute_action_problems(card),
        *size_problems(card),
        *input_id_problems(card),
    ]
