"""Runs the Adaptive Cards JavaScript SDK (tests/cards/validator) over a batch of cards in one Node process.

The npm packages are installed from package-lock.json on first use. Which SDK events are Teams false
positives is decided here, in Python, so the Node script reports everything and hides nothing.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node_packages import NodeUnavailable, npm_ci, require_node

log = logging.getLogger(__name__)

VALIDATOR_DIR = Path(__file__).resolve().parent / "validator"
SCRIPT = VALIDATOR_DIR / "validate.cjs"
SDK_PACKAGE = VALIDATOR_DIR / "node_modules" / "adaptivecards" / "package.json"
TARGET_VERSION = "1.5"
_VALIDATE_TIMEOUT_S = 60


@dataclass(frozen=True)
class SdkEvent:
    """One event the SDK raised while parsing or validating a card."""

    event: str  # the SDK's ValidationEvent name, e.g. "InvalidPropertyValue"
    message: str
    source_type: str | None  # the element or action type it is about, e.g. "Input.ChoiceSet"
    source_id: str | None

    def __str__(self) -> str:
        where = f"{self.source_type or '?'}{f' #{self.source_id}' if self.source_id else ''}"
        return f"{self.event} at {where}: {self.message}"


# One error for "a Node-based check cannot run", whichever check it is.
CardValidatorUnavailable = NodeUnavailable


def ensure_sdk_installed() -> str:
    """The node executable, once the pinned SDK is installed beside validate.cjs."""
    node = require_node()
    npm_ci(VALIDATOR_DIR, SDK_PACKAGE.is_file)
    return node


def run_sdk(cards: Mapping[str, Any], version: str = TARGET_VERSION) -> dict[str, list[SdkEvent]]:
    """Every SDK event for every card, by card name, from ONE node process."""
    node = ensure_sdk_installed()
    with tempfile.TemporaryDirectory(prefix="cards-") as folder:
        batch = Path(folder) / "cards.json"
        batch.write_text(json.dumps(dict(cards)), encoding="utf-8")
        try:
            completed = subprocess.run(
                [node, str(SCRIPT), "--version", version, str(batch)],
                capture_output=True, text=True, timeout=_VALIDATE_TIMEOUT_S, check=False,
            )
        except subprocess.TimeoutExpired:
            raise CardValidatorUnavailable(f"the card validator ran over {_VALIDATE_TIMEOUT_S} s") from None
    if completed.returncode != 0:
        raise CardValidatorUnavailable(f"the card validator failed: {completed.stderr.strip() or completed.stdout}")
    report = json.loads(completed.stdout)
    return {
        name: [SdkEvent(e["event"], e["message"], e["sourceType"], e["sourceId"]) for e in events]
        for name, events in report.items()
    }


def _people_picker_ids(card: Any) -> set[str]:
    """Ids of Input.ChoiceSets that get their choices from the bot (`choices.data`), anywhere in the card."""
    found: set[str] = set()
    if isinstance(card, dict):
        if card.get("type") == "Input.ChoiceSet" and "choices.data" in card and isinstance(card.get("id"), str):
            found.add(card["id"])
        for value in card.values():
            found |= _people_picker_ids(value)
    elif isinstance(card, list):
        for item in card:
            found |= _people_picker_ids(item)
    return found


def is_teams_false_positive(event: SdkEvent, card: Any) -> bool:
    """Two SDK complaints that do not apply to cards Teams renders, and nothing broader.

    * A people picker / typeahead ChoiceSet (`choices.data`) may have no static choices: Teams fills them.
      Only such a ChoiceSet is excused; an ordinary ChoiceSet without choices is still an error.
    * The SDK dates `choices.data` to 1.6, Teams supports it in 1.5 cards. Other too-new properties still count.
    """
    if event.source_type != "Input.ChoiceSet" or event.source_id not in _people_picker_ids(card):
        return False
    if event.event == "CollectionCantBeEmpty":
        return True
    return event.event == "UnsupportedProperty" and '"choices.data"' in event.message


def real_problems(events: list[SdkEvent], card: Any) -> list[SdkEvent]:
    return [event for event in events if not is_teams_false_positive(event, card)]
