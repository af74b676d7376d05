"""The Microsoft 365 Agents Toolkit CLI pinned in deploy/toolkit/, installed with `npm ci` on first use."""

from __future__ import annotations

from config import PROJECT_ROOT
from node_packages import npm_ci

TOOLKIT_DIR = PROJECT_ROOT / "deploy" / "toolkit"
ATK = TOOLKIT_DIR / "node_modules" / ".bin" / "atk"


def toolkit_installed() -> bool:
    return ATK.exists()


def ensure_toolkit() -> None:
    """Raises node_packages.NodeUnavailable when npm or the package cannot be had."""
    npm_ci(TOOLKIT_DIR, toolkit_installed)
