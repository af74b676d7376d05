"""The Node.js packages behind three checks (the manifest validator, the Adaptive Cards SDK, Agents
Playground): find a recent enough `node`, and install a folder's pinned packages with `npm ci` (exact
versions from its package-lock.json) the first time they are needed.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MINIMUM_NODE_MAJOR = 18
INSTALL_TIMEOUT_S = 600


class NodeUnavailable(RuntimeError):
    """Node.js, npm or a folder's packages are missing or broken; the message says which."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise NodeUnavailable(f"{name} is not installed; this check needs Node.js {MINIMUM_NODE_MAJOR}+ and npm")
    return found


def require_node() -> str:
    """The node executable, checked to be recent enough (ES modules, top-level await)."""
    node = _tool("node")
    try:
        completed = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        raise NodeUnavailable("node --version did not answer") from None
    version = completed.stdout.strip().lstrip("v")
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) < MINIMUM_NODE_MAJOR:
        raise NodeUnavailable(f"node {version or '(unknown version)'} is too old; need {MINIMUM_NODE_MAJOR}+")
    return node


def npm_ci(folder: Path, installed: Callable[[], bool]) -> None:
    """Runs `npm ci` in `folder` unless `installed()` already holds, and checks that it then does."""
    if installed():
        return
    npm = _tool("npm")
    log.info("installing the pinned npm packages of %s", folder)
    try:
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        raise NodeUnavailable(f"npm ci did not finish within {INSTALL_TIMEOUT_S} s in {folder}") from None
    if completed.returncode != 0 or not installed():
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise NodeUnavailable(f"npm ci failed in {folder}: {detail[-1] if detail else 'no output'}")
