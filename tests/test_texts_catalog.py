"""What Rendezvous says to people lives in cards/texts.py only, so a translation never has to touch a dialog.

The check reads the source of the modules that talk to people and flags every string literal that reads like a
sentence: it has a space and a sentence end ('.', '!' or '?' followed by a space or the end of the literal), in
a plain literal or in the fixed parts of an f-string. Docstrings and the arguments of logging calls are skipped:
they are for developers and operators, not for the reader in Teams. Short fragments without a sentence end
("disconnect organization", "this week") are command names and keys, which the check lets through.

A second check catches labels: in the modules of LABEL_SCANNED_GLOBS, any literal that starts like a capitalized
word ("Status", "Join", "Refresh") is a label a person would read, unless it is a value of the Adaptive Card
schema or of the Bot Framework protocol ("TextBlock", "Bolder", "Action.Execute", "NotFound") or a type name in a
type expression. Lowercase labels ("never", "no") are moved by convention; the check cannot tell them from keys.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dialogs.booking_views import _STATUS_WORDS
from storage.models import BOOKING_STATUSES

ROOT = Path(__file__).resolve().parent.parent
CATALOG = "cards/texts.py"
# The list of what is stored is text only, shared by the privacy card and the /privacy page: part of the catalog.
CATALOG_PARTS = {CATALOG, "cards/stored_data.py"}
IN_FOLDERS = sorted(path.relative_to(ROOT).as_posix() for folder in ("dialogs", "web", "cards")
                    for path in (ROOT / folder).rglob("*.py"))  # packages too (dialogs/booking/)
SCANNED = ["bot.py", *(name for name in IN_FOLDERS if name not in CATALOG_PARTS)]
# Where a hard-coded label is caught. A module that becomes a package leaves LABEL_NOT_YET_SCANNED for a glob
# of the package in LABEL_SCANNED_GLOBS, as dialogs/booking.py did ("dialogs/booking/*.py").
LABEL_SCANNED_GLOBS = ["bot.py", "cards/*.py", "dialogs/*.py", "dialogs/booking/*.py"]
LABEL_NOT_YET_SCANNED: set[str] = set()
LABEL_SCANNED = sorted({path.relative_to(ROOT).as_posix() for pattern in LABEL_SCANNED_GLOBS
                        for path in ROOT.glob(pattern)} - CATALOG_PARTS - LABEL_NOT_YET_SCANNED)
# Capitalized words that are not read by anybody: Adaptive Card element types and enum values, invoke error codes.
SCHEMA_VALUES = {
    "AdaptiveCard", "TextBlock", "FactSet", "ActionSet", "Container", "ColumnSet", "Column",
    "Input.Text", "Input.ChoiceSet", "Input.Date", "Data.Query", "Action.Execute", "Action.Submit", "Action.OpenUrl",
    "Bolder", "Lighter", "Default", "Small", "Medium", "Large", "ExtraLarge",
    "Attention", "Warning", "Good", "Accent", "Dark", "Light",
    "Refused", "NotFound",
}
LABEL = re.compile(r"^\s*[A-Z][a-z]")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
SENTENCE_END = re.compile(r"[.!?](\s|$)")


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Docstrings and everything inside a logging call."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS:
            skipped.update(id(inner) for inner in ast.walk(node))
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
    return skipped


def _fixed_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values
                       if isinstance(part, ast.Constant) and isinstance(part.value, str))
    return None


def _type_expressions(tree: ast.AST) -> set[int]:
    """Literals inside a subscript such as Callable[["TurnContext", Actor], None]: forward references to types."""
    return {id(inner) for node in ast.walk(tree) if isinstance(node, ast.Subscript) for inner in ast.walk(node.slice)}


def _literals(source: str, name: str, *, skip_types: bool = False) -> Iterator[tuple[int | str, str]]:
    """(line, text) of every string literal a person could read: an f-string counts once, by its fixed parts."""
    tree = ast.parse(source, filename=name)
    skipped = _skipped_nodes(tree) | (_type_expressions(tree) if skip_types else set())
    inside_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inside_fstrings:
            continue
        text = _fixed_text(node)
        if text:
            yield getattr(node, "lineno", "?"), text


def sentences_outside_catalog(source: str, name: str) -> list[str]:
    return [f"{name}:{line}: {text[:70]!r}" for line, text in _literals(source, name)
            if " " in text.strip() and SENTENCE_END.search(text)]


def labels_outside_catalog(source: str, name: str) -> list[str]:
    return [f"{name}:{line}: {text[:70]!r}" for line, text in _literals(source, name, skip_types=True)
            if LABEL.match(text) and text.strip() not in SCHEMA_VALUES]


def _problems(check: Callable[[str, str], list[str]], names: list[str]) -> list[str]:
    return [problem for name in names for problem in check((ROOT / name).read_text(encoding="utf-8"), name)]


def test_what_the_bot_says_is_in_the_catalog() -> None:
    assert len(SCANNED) > 25, "the scan must see bot.py, the dialogs, web/ and cards/"
    assert _problems(sentences_outside_catalog, SCANNED) == [], f"move these sentences to {CATALOG}"


@pytest.mark.parametrize("source", [
    'def reply():\n    return "That window has already passed. Pick a later one."\n',
    'def reply(name):\n    return f"{name} has already cancelled that meeting in Outlook."\n',
    'def reply():\n    raise ValueError("Please try again!")\n',
])
def test_the_check_catches_a_sentence_in_a_dialog(source: str) -> None:
    assert len(sentences_outside_catalog(source, "dialogs/leak.py")) == 1


@pytest.mark.parametrize("source", [
    'def f():\n    """Explains things. In sentences."""\n',
    'import logging\nlog = logging.getLogger(__name__)\nlog.info("booking %s recovered. It was in Outlook.", 1)\n',
    'from cards import texts\nANSWER = texts.WINDOW_PASSED\nCOMMAND = "disconnect organization"\n',
])
def test_the_check_lets_docstrings_logs_and_keys_through(source: str) -> None:
    assert sentences_outside_catalog(source, "dialogs/fine.py") == []


def test_labels_on_cards_and_in_dialogs_are_in_the_catalog() -> None:
    assert {"bot.py", "cards/admin.py", "cards/booking.py", "dialogs/admin.py", "dialogs/booking/search.py"} <= set(
        LABEL_SCANNED)
    assert _problems(labels_outside_catalog, LABEL_SCANNED) == [], f"move these labels to {CATALOG}"


def test_every_module_left_out_of_the_label_check_still_exists() -> None:
    # A module that became a package is gone from here: its package's glob belongs in LABEL_SCANNED_GLOBS.
    missing = sorted(name for name in LABEL_NOT_YET_SCANNED if not (ROOT / name).is_file())
    assert missing == [], "scan the package that replaced these (LABEL_SCANNED_GLOBS), and drop them from the list"


@pytest.mark.parametrize("source", [
    'from cards.base import heading\nCARD = heading("Disconnect")\n',
    'def row(status):\n    return [("Status", status)]\n',
    'REFRESH = {"type": "Action.Execute", "title": "Refresh", "verb": "refreshBooking"}\n',
    'def title(name):\n    return f"Meeting with {name}"\n',
])
def test_the_check_catches_a_label_on_a_card(source: str) -> None:
    assert len(labels_outside_catalog(source, "cards/leak.py")) == 1


@pytest.mark.parametrize("source", [
    'BLOCK = {"type": "TextBlock", "weight": "Bolder", "size": "Medium", "color": "Attention"}\n',
    'from typing import Callable\nHandler = Callable[["TurnContext", str], None]\n',
    'from cards import texts\nBUTTON = {"title": texts.JOIN_BUTTON, "verb": "myMeetings"}\n',
    'import logging\nlog = logging.getLogger(__name__)\nlog.warning("Teams member lookup failed")\n',
])
def test_the_label_check_lets_schema_values_types_and_keys_through(source: str) -> None:
    assert labels_outside_catalog(source, "cards/fine.py") == []


def test_audit_words_every_stored_booking_status_from_the_catalog() -> None:
    # A new status in the database would otherwise reach the audit card as its raw database value.
    assert set(_STATUS_WORDS) | {"cancelled"} == set(BOOKING_STATUSES)
