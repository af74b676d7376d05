"""Runs the offline Node validator (validate.mjs), installing its pinned dependencies on first use.

Validation is in Node because the schemas and the schema checker Microsoft's own tooling uses ship
in the npm package @microsoft/app-manifest; validate.mjs keeps it from ever downloading a schema.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST_DIR = Path(__file__).resolve().parent
VALIDATOR = MANIFEST_DIR / "validate.mjs"
NODE_MODULES = MANIFEST_DIR / "node_modules"
# Both must be present: the library requires fs-extra without declaring it.
REQUIRED_NODE_PACKAGES = ("@microsoft/app-manifest", "fs-extra")
MINIMUM_NODE_MAJOR = 18
_INSTALL_TIMEOUT_S = 300
_VALIDATE_TIMEOUT_S = 120


class ValidatorUnavailable(RuntimeError):
    """Node, npm or the validator's packages are missing or broken; the message says which."""


def node_dependencies_installed() -> bool:
    return all((NODE_MODULES / name / "package.json").is_file() for name in REQUIRED_NODE_PACKAGES)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ValidatorUnavailable(f"{name} is not installed; the manifest validator needs Node.js 18+ and npm")
    return found


def require_node() -> str:
    """The node executable, checked to be recent enough for validate.mjs (ESM, top-level await)."""
    node = _tool("node")
    try:
        completed = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        raise ValidatorUnavailable("node --version did not answer") from None
    version = completed.stdout.strip().lstrip("v")
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) < MINIMUM_NODE_MAJOR:
        raise ValidatorUnavailable(f"node {version or '(unknown version)'} is too old; need {MINIMUM_NODE_MAJOR}+")
    return node


def ensure_node_dependencies() -> None:
    """Installs the exact versions from package-lock.json into manifest/node_modules when missing."""
    if node_dependencies_installed():
        return
    npm = _tool("npm")
    log.info("installing the manifest validator's npm packages into %s", NODE_MODULES)
    try:
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=MANIFEST_DIR,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ValidatorUnavailable(f"npm ci did not finish within {_INSTALL_TIMEOUT_S} s") from None
    if completed.returncode != 0 or not node_dependencies_installed():
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise ValidatorUnavailable(f"npm ci failed in {MANIFEST_DIR}: {detail[-1] if detail else 'no output'}")


def validate_paths(paths: Sequence[Path | str]) -> dict[str, list[str]]:
    """Validates each manifest.json, folder or package zip; returns its errors (empty = valid) by path."""
    if not paths:
        return {}
    node = require_node()
    ensure_node_dependencies()
    targets = [str(path) for path in paths]
    try:
        completed = subprocess.run(
            [node, str(VALIDATOR), "--json", *targets],
            capture_output=True,
            text=True,
            timeout=_VALIDATE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ValidatorUnavailable(f"the manifest validator did not finish within {_VALIDATE_TIMEOUT_S} s") from None
    if completed.returncode not in (0, 1):
        detail = completed.stderr.strip() or completed.stdout.strip()
        raise ValidatorUnavailable(f"the manifest validator failed: {detail}")
    try:
        results: dict[str, list[str]] = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise ValidatorUnavailable(f"the manifest validator printed no report: {completed.stderr.strip()}") from None
    return results
