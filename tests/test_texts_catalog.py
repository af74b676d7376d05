"""What Rendezvous says to people lives in cards/texts.py only, so a translation never has to touch a dialog.

The check reads the source of the modules that talk to people and flags every string literal that reads like a
sentence: it has a space and a sentence end ('.', '!' or '?' followed by a space or the end of the literal), in
a plain literal or in the fixed parts of an f-string. Docstrings and the arguments of logging calls are skipped:
they are for developers and operators, not for the reader in Teams. Short fragments without a sentence end
("disconnect organization", "this week") are command names and keys, which the check lets through; a label such
as "Sign in" is moved by convention, not caught here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOG = "cards/texts.py"
# The list of what is stored is text only, shared by the privacy card and the /privacy page: part of the catalog.
CATALOG_PARTS = {CATALOG, "cards/stored_data.py"}
IN_FOLDERS = sorted(path.relative_to(ROOT).as_posix() for folder in ("dialogs", "web", "cards")
                    for path in (ROOT / folder).rglob("*.py"))  # packages too (dialogs/booking/)
SCANNED = ["bot.py", *(name for name in IN_FOLDERS if name not in CATALOG_PARTS)]
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


def sentences_outside_catalog(source: str, name: str) -> list[str]:
    tree = ast.parse(source, filename=name)
    skipped = _skipped_nodes(tree)
    inside_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inside_fstrings:
            continue
        text = _fixed_text(node)
        if text and " " in text.strip() and SENTENCE_END.search(text):
            found.append(f"{name}:{getattr(node, 'lineno', '?')}: {text[:70]!r}")
    return found


def test_what_the_bot_says_is_in_the_catalog() -> None:
    assert len(SCANNED) > 25, "the scan must see bot.py, the dialogs, web/ and cards/"
    problems = [problem for name in SCANNED
                for problem in sentences_outside_catalog((ROOT / name).read_text(encoding="utf-8"), name)]
    assert problems == [], f"move these sentences to {CATALOG}"


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
