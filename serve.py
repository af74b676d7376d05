"""The production entry: `python serve.py` (scripts/serve) runs WEB_CONCURRENCY aiohttp worker processes under gunicorn.

    WEB_CONCURRENCY=4 DATABASE_URL=postgresql+asyncpg://... python serve.py

* The settings are read and checked once, here; a bad value stops start-up with one line, as `python app.py` does.
  More than one worker needs PostgreSQL: SQLite serves one process, and asking for more is refused.
* The database is migrated once, here, before any worker starts; the workers never migrate.
* Each worker builds its own application (`app.create_app`) after the fork, so no connection, thread pool or
  event loop is shared between processes. What they share goes through the database (docs/ARCHITECTURE.md,
  "Several processes").
* SIGTERM (or SIGINT) to the master: every worker stops accepting connections, lets the turns in flight finish
  and background work end (dialogs/deadlines.py gives it 20 s), closes its resources and exits; then the master
  exits. A worker that is not done after GRACEFUL_SECONDS is killed.

`python app.py` stays the one-process start for development (scripts/run).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication

from app import create_app
from config import ConfigError, Settings, load_settings
from log_safety import configure_logging
from storage.crypto import load_or_create_key
from storage.database import Database

log = logging.getLogger("rendezvous")

# Background turns get 20 s on shutdown (dialogs/deadlines.py); the workers get a little more than that in all.
GRACEFUL_SECONDS = 30
WORKER_CLASS = "aiohttp.GunicornWebWorker"


def check_workers(settings: Settings) -> None:
    """SQLite is one file that one process writes: several workers on it would wait on each other's locks."""
    if settings.web_concurrency > 1 and settings.database_url.startswith("sqlite"):
        raise ConfigError(
            f"WEB_CONCURRENCY={settings.web_concurrency} needs PostgreSQL: SQLite serves one process; "
            "set DATABASE_URL to postgresql+asyncpg://... or WEB_CONCURRENCY=1"
        )


async def migrate_once(settings: Settings) -> None:
    db = Database(settings.database_url, timeout=settings.database_timeout_seconds)
    try:
        await db.migrate()
    finally:
        await db.dispose()


class RendezvousServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn configured from Settings rather than from its command line or a config file."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in {
            "bind": [f"0.0.0.0:{self.settings.port}"],
            "workers": self.settings.web_concurrency,
            "worker_class": WORKER_CLASS,
            "graceful_timeout": GRACEFUL_SECONDS,
            # A worker busy with a long turn still answers its heartbeat (the event loop runs), so the watchdog
            # only catches a worker that is truly stuck.
            "timeout": GRACEFUL_SECONDS * 2,
            "proc_name": "rendezvous",
            # No gunicorn access log: its request line would carry sign-in callbacks' codes and states (app.py
            # logs every turn without them).
            "accesslog": None,
        }.items():
            self.cfg.set(name, value)

    def load(self) -> Callable[[], Awaitable[web.Application]]:
        """Called in each worker after the fork: the worker awaits this to build its own application."""
        settings = self.settings

        async def application() -> web.Application:
            return create_app(settings, migrate=False)

        return application


def main(argv: list[str] | None = None) -> None:
    try:
        settings = load_settings()
        check_workers(settings)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, with_process_id=True)
    if not settings.authentication_enabled:
        log.warning("MicrosoftAppId is empty: requests to /api/messages are NOT authenticated (local mode)")
    asyncio.run(migrate_once(settings))
    # The workers read the key this writes (when none is configured) instead of each warning about it.
    if load_or_create_key(settings.token_encryption_key, settings.data_dir)[1]:
        log.warning("TOKEN_ENCRYPTION_KEY is not set: generated one in %s. Several hosts must share one key: set it.",
                    settings.data_dir)
    log.info("starting %d worker process(es) on port %d", settings.web_concurrency, settings.port)
    sys.argv = sys.argv[:1]  # gunicorn would read our arguments as its own
    server: Any = RendezvousServer(settings)
    server.run()


if __name__ == "__main__":
    main()
