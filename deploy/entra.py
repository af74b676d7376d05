"""`python -m deploy.entra --base-url https://<host> [--out deploy/build]`: the Entra app manifest for one deployment.

`deploy/entra-app-manifest.json` is written for the placeholder host https://rendezvous.example.com. This writes
three files into `--out`, with that host replaced by the bot's PUBLIC_BASE_URL:

* `entra-app-manifest.json`: the whole manifest, for the manifest editor of the Entra admin center;
* `app-roles.json` and `required-resource-access.json`: its `appRoles` and `requiredResourceAccess`, the shapes
  `az ad app create/update --app-roles @file --required-resource-accesses @file` take.

A base URL that is not https (Entra ID accepts http redirect URIs only for localhost) is refused with one line
and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TEMPLATE = Path(__file__).resolve().parent / "entra-app-manifest.json"
PLACEHOLDER_BASE_URL = "https://rendezvous.example.com"
DEFAULT_OUT = Path("deploy/build")


def manifest_for(base_url: str) -> dict[str, Any]:
    """The template with every URL under the placeholder host moved to `base_url`."""
    split = urlsplit(base_url)
    if split.scheme != "https" or not split.hostname or split.query or split.fragment:
        raise ValueError(f"--base-url must be the bot's public https root (PUBLIC_BASE_URL), got {base_url!r}")
    text = TEMPLATE.read_text(encoding="utf-8").replace(PLACEHOLDER_BASE_URL, base_url.rstrip("/"))
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def write(manifest: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "entra-app-manifest.json": manifest,
        "app-roles.json": manifest["appRoles"],
        "required-resource-access.json": manifest["requiredResourceAccess"],
    }
    written = []
    for name, content in files.items():
        path = out / name
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.entra", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base-url", required=True, help="the bot's public root, e.g. https://rendezvous.azurewebsites.net")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        manifest = manifest_for(args.base_url)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in write(manifest, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
