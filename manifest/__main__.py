"""Command line for the Teams app package.

    python -m manifest build [--app-id GUID] [--base-url https://...] [--out manifest/build/rendezvous.zip]
    python -m manifest validate PATH [PATH...]     # manifest.json, a folder with one, or a package zip
    python -m manifest icons                       # redraw color.png and outline.png

`build` takes its defaults from the same settings the bot runs with (MicrosoftAppId, GRAPH_CLIENT_ID,
PUBLIC_BASE_URL, environment or .env). A refusal is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from config import ConfigError, load_settings
from manifest.icons import write_icons
from manifest.package import DEFAULT_OUT, PackageError, PackageOptions, build_package
from manifest.validation import ValidatorUnavailable, validate_paths

log = logging.getLogger("manifest")

EXIT_INVALID = 1
EXIT_REFUSED = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m manifest", description="Build and validate the Teams app package.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="write the app package zip")
    build.add_argument("--app-id", help="the bot's Entra app id (default: MicrosoftAppId)")
    build.add_argument("--base-url", help="the bot's public root URL (default: PUBLIC_BASE_URL)")
    build.add_argument("--teams-app-id", help="the Teams app id, if it differs from the bot's app id")
    build.add_argument("--graph-client-id", help="the Entra app that calls Graph (default: GRAPH_CLIENT_ID)")
    build.add_argument("--version", dest="app_version", help="the app version (default: pyproject.toml's)")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write the zip (default: {DEFAULT_OUT})")
    build.add_argument(
        "--allow-http", action="store_true", help="accept an http base URL (local Agents Playground package only)"
    )
    build.add_argument("--validate", action="store_true", help="run the offline validator on the built package")

    validate = commands.add_parser("validate", help="validate manifests or packages offline (needs Node.js)")
    validate.add_argument("paths", nargs="+", type=Path)

    commands.add_parser("icons", help="redraw color.png and outline.png")
    return parser


def _build(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        # A bad unrelated setting must not hide behind explicit options: only fail when we need it.
        if args.app_id is None or args.base_url is None:
            log.error("error: %s", exc)
            return EXIT_REFUSED
        settings = None
    options = PackageOptions(
        app_id=args.app_id if args.app_id is not None else (settings.app_id if settings else ""),
        base_url=args.base_url if args.base_url is not None else (settings.public_base_url if settings else ""),
        teams_app_id=args.teams_app_id or "",
        graph_client_id=args.graph_client_id or (settings.graph_client_id if settings else ""),
        version=args.app_version or "",
        allow_http=args.allow_http,
    )
    try:
        out = build_package(options, args.out)
    except PackageError as exc:
        log.error("error: %s", exc)
        return EXIT_REFUSED
    log.info("wrote %s", out)
    if args.validate:
        return _validate([out])
    return 0


def _validate(paths: Sequence[Path]) -> int:
    try:
        results = validate_paths(paths)
    except ValidatorUnavailable as exc:
        log.error("error: %s", exc)
        return EXIT_REFUSED
    for target, errors in results.items():
        if not errors:
            log.info("%s: valid", target)
            continue
        log.error("%s: %d error(s)", target, len(errors))
        for line in errors:
            log.error("  %s", line)
    return EXIT_INVALID if any(results.values()) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "build":
        return _build(args)
    if args.command == "validate":
        return _validate(args.paths)
    write_icons()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    sys.exit(main())
