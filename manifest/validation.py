"""Runs the offline Node validator (validate.mjs), installing its pinned dependencies on first use.

Validation is in Node because the schemas and the schema checker Microsoft's own tooling uses ship
in the npm package @microsoft/app-manifest; validate.mjs keeps it from ever downloading a schema.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path

from node_packages import NodeUnavailable, npm_ci, require_node

log = logging.getLogger(__name__)

MANIFEST_DIR = Path(__file__).resolve().parent
VALIDATOR = MANIFEST_DIR / "validate.mjs"
NODE_MODULES = MANIFEST_DIR / "node_modules"
# Both must be present: the library requires fs-extra without declaring it.
REQUIRED_NODE_PACKAGES = ("@microsoft/app-manifest", "fs-extra")
_VALIDATE_TIMEOUT_S = 120


# One error for "a Node-based check cannot run", whichever check it is.
ValidatorUnavailable = NodeUnavailable


def node_dependencies_installed() -> bool:
    return all((NODE_MODULES / name / "package.json").is_file() for name in REQUIRED_NODE_PACKAGES)


def ensure_node_dependencies() -> None:
    """Installs the exact versions from package-lock.json into manifest/node_modules when missing."""
    npm_ci(MANIFEST_DIR, node_dependencies_installed)


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
