"""Builds the Teams app package: manifest.json (from the template) and the two icons, zipped at the root.

The template holds `${{NAME}}` placeholders (the Teams Toolkit spelling). They are filled in the parsed
JSON, string by string, so a value can never change the document's structure.
"""

from __future__ import annotations

import json
import re
import tomllib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from manifest.icons import COLOR_ICON, COLOR_SIZE, OUTLINE_ICON, OUTLINE_SIZE, png_size

MANIFEST_DIR = Path(__file__).resolve().parent
TEMPLATE = MANIFEST_DIR / "manifest.template.json"
DEFAULT_OUT = MANIFEST_DIR / "build" / "rendezvous.zip"
PYPROJECT = MANIFEST_DIR.parent / "pyproject.toml"
PLACEHOLDER = re.compile(r"\$\{\{([A-Z0-9_]+)\}\}")
# Fixed zip timestamps make the same inputs give the same package bytes.
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """The package cannot be built as asked; the message is one line meant for the operator."""


@dataclass(frozen=True)
class PackageOptions:
    """What varies between deployments. Empty optional ids fall back to the bot's app id."""

    app_id: str
    base_url: str
    teams_app_id: str = ""
    graph_client_id: str = ""
    version: str = ""
    allow_http: bool = False


def _guid(label: str, value: str) -> str:
    if not value:
        raise PackageError(f"{label} is missing: pass --app-id or set MicrosoftAppId (the bot's Entra app id, a GUID)")
    try:
        return str(uuid.UUID(value.strip())).lower()
    except ValueError:
        raise PackageError(f"{label} must be a GUID (8-4-4-4-12 hex digits), got {value!r}") from None


def _base_url(value: str, allow_http: bool) -> tuple[str, str]:
    """Returns (base URL without trailing slash, host for validDomains)."""
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PackageError(f"the base URL must be an absolute https URL, got {value!r}")
    if parsed.scheme == "http" and not allow_http:
        raise PackageError(
            f"the base URL must be https for a Teams package, got {value!r} "
            "(pass --base-url https://... or --allow-http for a local Playground package)"
        )
    return value.strip().rstrip("/"), parsed.hostname.lower()


def project_version() -> str:
    """The app version Teams sees; it must grow with every upload, so it follows pyproject.toml."""
    with PYPROJECT.open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def placeholder_values(options: PackageOptions) -> dict[str, str]:
    """Checks the options and returns the value of every template placeholder."""
    bot_id = _guid("the bot app id", options.app_id)
    base_url, host = _base_url(options.base_url, options.allow_http)
    teams_app_id = _guid("the Teams app id", options.teams_app_id) if options.teams_app_id else bot_id
    graph_client_id = _guid("the Graph client id", options.graph_client_id) if options.graph_client_id else bot_id
    return {
        "BOT_ID": bot_id,
        "TEAMS_APP_ID": teams_app_id,
        "GRAPH_CLIENT_ID": graph_client_id,
        "PUBLIC_BASE_URL": base_url,
        "PUBLIC_HOST": host,
        "APP_VERSION": options.version or project_version(),
    }


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise PackageError(f"the manifest template uses an unknown placeholder ${{{{{name}}}}}")
            return values[name]

        return PLACEHOLDER.sub(replace, node)
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill(item, values) for key, item in node.items()}
    return node


def render_manifest(options: PackageOptions, template: Path = TEMPLATE) -> dict[str, Any]:
    """The manifest.json document for these options."""
    document = json.loads(template.read_text(encoding="utf-8"))
    filled: dict[str, Any] = _fill(document, placeholder_values(options))
    return filled


def _checked_icon(path: Path, size: int) -> bytes:
    if not path.is_file():
        raise PackageError(f"icon {path} is missing (run: python -m manifest.icons)")
    data = path.read_bytes()
    try:
        dimensions = png_size(data)
    except ValueError:
        raise PackageError(f"icon {path} is not a PNG file") from None
    if dimensions != (size, size):
        raise PackageError(f"icon {path} is {dimensions[0]}x{dimensions[1]}, Teams needs {size}x{size}")
    return data


def build_package(
    options: PackageOptions,
    out: Path = DEFAULT_OUT,
    color_icon: Path = COLOR_ICON,
    outline_icon: Path = OUTLINE_ICON,
) -> Path:
    """Writes the app package zip (manifest.json, color.png, outline.png at the root) and returns its path."""
    manifest = render_manifest(options)
    icons = manifest["icons"]
    files = {
        "manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        icons["color"]: _checked_icon(color_icon, COLOR_SIZE),
        icons["outline"]: _checked_icon(outline_icon, OUTLINE_SIZE),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, data)
    # Replace atomically so a failed build never leaves a half-written package where Teams expects one.
    partial.replace(out)
    return out
