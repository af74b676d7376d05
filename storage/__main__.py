"""Database migrations from the command line, for the database named by DATABASE_URL.

    python -m storage upgrade [REV]     # default: head
    python -m storage downgrade REV     # e.g. base, or a revision id
    python -m storage current           # prints the revision the database is at
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from alembic.util import CommandError

from config import load_settings
from storage.database import Database

logger = logging.getLogger("storage")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storage", description="Rendezvous database migrations")
    commands = parser.add_subparsers(dest="command", required=True)
    upgrade = commands.add_parser("upgrade", help="apply migrations up to REV (default: head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = commands.add_parser("downgrade", help="revert migrations down to REV ('base' = empty)")
    downgrade.add_argument("revision")
    commands.add_parser("current", help="print the database's current revision")
    return parser


def configured_database_url(env_file: Path | None = None) -> str:
    """DATABASE_URL exactly as the app reads it: the environment first, then the project's .env file."""
    return load_settings(env_file=env_file).database_url


async def _run(command: str, revision: str | None) -> None:
    database = Database(configured_database_url())
    try:
        if command == "upgrade":
            await database.migrate(revision or "head")
        elif command == "downgrade":
            await database.downgrade(revision or "base")
        else:
            # The command's answer, meant for scripts: stdout, one line.
            sys.stdout.write(f"{await database.current_revision() or 'base'}\n")
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_run(arguments.command, getattr(arguments, "revision", None)))
    except (ValueError, CommandError) as exc:  # a bad DATABASE_URL or revision: one line, no traceback
        logger.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
