"""Imports flow downward only (docs/ARCHITECTURE.md), checked by reading every module's import statements.

The rules, each of which a real change could break:
* graph/ knows nothing of Teams, cards or tables; storage/ nothing of Graph or Teams;
* cards/ and scheduling/ are pure: only the standard library's pure modules and each other;
* botbuilder (archived upstream) only in app.py, bot.py and dialogs/;
* dialogs/ never imports bot.py, app.py or web/; web/ (HTTP answers other than /api/messages) may use
  dialogs/, storage/, graph/, cards/ and scheduling/ but not bot.py, app.py or the emulator;
* no production module imports tests/ or bench/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("app.py", "serve.py", "bot.py", "config.py", "log_safety.py", "cards", "deploy", "dialogs", "emulator",
              "graph", "manifest", "observability", "scheduling", "storage", "web")
BOTBUILDER_ALLOWED = ("app.py", "bot.py", "dialogs/")
FORBIDDEN: dict[str, set[str]] = {
    "graph/": {"storage", "dialogs", "bot", "app", "cards", "emulator", "aiohttp", "sqlalchemy", "observability"},
    # The telemetry setup knows the libraries it instruments, not the bot's layers.
    "observability/": {"storage", "dialogs", "bot", "app", "cards", "graph", "emulator", "scheduling"},
    "storage/": {"graph", "dialogs", "bot", "app", "cards", "scheduling", "emulator", "msal", "httpx"},
    "dialogs/": {"bot", "app", "web"},
    "web/": {"bot", "app", "emulator"},
    "bot.py": {"app"},
    "": {"tests", "bench"},  # every production module
}
# What a pure layer may import: itself, its pure neighbour, and standard-library modules that do no I/O.
PURE_STDLIB = {"__future__", "typing", "dataclasses", "datetime", "collections", "enum", "re", "bisect", "math",
               "itertools", "functools", "zoneinfo", "html", "json", "textwrap", "operator", "string"}
# Babel formats dates from CLDR data shipped inside the package: no network, no state, no clock of its own.
PURE_ALLOWED = {"cards/": PURE_STDLIB | {"cards", "scheduling"}, "scheduling/": PURE_STDLIB | {"scheduling", "babel"}}
# graph/ may use the shared domain types of scheduling/, nothing else of it.
GRAPH_MAY_USE_FROM_SCHEDULING = {"scheduling.model"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (TYPE_CHECKING blocks and function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def production_files() -> list[Path]:
    files: list[Path] = []
    for entry in PRODUCTION:
        path = ROOT / entry
        found = [path] if path.is_file() else sorted(path.rglob("*.py"))
        files.extend(p for p in found if "node_modules" not in p.parts)
    return files


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def top(module: str) -> str:
    return module.split(".")[0]


def layering_violations(files: list[Path]) -> list[str]:
    problems: list[str] = []
    for path in files:
        name = relative(path)
        modules = imported_modules(path)
        for module in sorted(modules):
            root = top(module)
            if root == "botbuilder" and not name.startswith(BOTBUILDER_ALLOWED):
                problems.append(f"{name} imports {module}: botbuilder belongs in app.py, bot.py and dialogs/ only")
            for prefix, banned in FORBIDDEN.items():
                if name.startswith(prefix) and root in banned:
                    problems.append(f"{name} imports {module}, which its layer must not know")
            for prefix, allowed in PURE_ALLOWED.items():
                if name.startswith(prefix) and root not in allowed:
                    problems.append(f"{name} imports {module}: {prefix} is pure (no I/O, no frameworks)")
            if name.startswith("graph/") and root == "scheduling" and module not in GRAPH_MAY_USE_FROM_SCHEDULING:
                problems.append(f"{name} imports {module}: graph/ may only share scheduling.model's types")
    return problems


def test_every_layer_imports_only_downward() -> None:
    files = production_files()
    assert len(files) > 40, "the scan must see the project's modules"
    assert layering_violations(files) == []


@pytest.mark.parametrize(
    ("file_name", "source", "complaint"),
    [
        ("graph/leak.py", "from storage.repositories import MemberRepository\n", "must not know"),
        ("storage/leak.py", "import graph.http\n", "must not know"),
        ("cards/leak.py", "import httpx\n", "is pure"),
        ("scheduling/leak.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlalchemy\n",
         "is pure"),
        ("graph/leak.py", "def later():\n    from botbuilder.core import TurnContext\n", "botbuilder belongs"),
        ("dialogs/leak.py", "def later():\n    from bot import card_message\n", "must not know"),
        ("graph/leak.py", "from scheduling.slots import find_slots\n", "scheduling.model"),
        ("dialogs/leak.py", "def later():\n    from web.auth_routes import page\n", "must not know"),
        ("web/leak.py", "from bot import RendezvousBot\n", "must not know"),
        ("web/leak.py", "from botbuilder.core import TurnContext\n", "botbuilder belongs"),
    ],
)
def test_the_check_catches_a_wrong_way_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_name: str,
                                               source: str, complaint: str) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    leaking = tmp_path / file_name
    leaking.parent.mkdir(parents=True)
    leaking.write_text(source, encoding="utf-8")

    [problem] = layering_violations([leaking])

    assert problem.startswith(file_name) and complaint in problem
