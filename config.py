"""One settings object, read once from the environment (and an optional `.env` file).

The names are the Bot Framework's and ../shared/DESIGN.md's, because deployment tooling relies on them.
A bad value stops start-up with one clear line (ConfigError), never a traceback.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from log_safety import LOG_LEVELS
from storage.database import validate_database_url

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/rendezvous.db"
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
# The longest one live booking attempt can take, from the click to the booking row's final state: the Graph
# create with its retries (graph/http.py: 5 attempts of at most 20 s each plus waits of at most 60 s, about
# 6 minutes in the worst case) with margin. A booking still `reserved` after this long has been left behind by
# a crash or an outage, and recovery (dialogs/booking_recovery.py) may take it over. Any work that finishes a
# booking in the background must end within this too.
LONGEST_BOOKING_ATTEMPT_SECONDS = 600.0
# Teams gives a bot 15 s to answer an invoke (a card button); a turn deadline must leave room for the trip.
TEAMS_INVOKE_LIMIT_SECONDS = 15.0
MAX_OUTBOUND_TIMEOUT_SECONDS = 300.0
MAX_INTERVAL_SECONDS = 10_000_000.0  # about four months: anything longer is a typo
MAX_WORKERS = 64  # more processes than this on one host is a typo (each holds its own database pool)


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    port: int = 3978
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    authority_host: str = "https://login.microsoftonline.com"
    authority_ca_bundle: str | None = None
    public_base_url: str = "http://localhost:3978"
    database_url: str = DEFAULT_DATABASE_URL
    token_encryption_key: str | None = field(default=None, repr=False)
    admin_user_ids: frozenset[str] = frozenset()
    data_dir: Path = PROJECT_ROOT / "data"
    log_level: str = "INFO"
    # Recovery of bookings a crash left behind (dialogs/booking_recovery.py).
    booking_recovery_interval: float = 60.0
    booking_stuck_after: float = LONGEST_BOOKING_ATTEMPT_SECONDS
    booking_recovery_give_up: float = 24 * 3600.0
    # Seconds. A turn not finished by its deadline is answered "still working" and finishes in the background.
    turn_deadline_seconds: float = 10.0
    # Seconds to wait for an answer from each outside service before giving up on that request.
    entra_timeout_seconds: float = 10.0
    graph_timeout_seconds: float = 20.0
    bot_connector_timeout_seconds: float = 10.0
    database_timeout_seconds: float = 10.0
    # Worker processes of the production entry (serve.py); `python app.py` is always one.
    web_concurrency: int = 1

    @property
    def authentication_enabled(self) -> bool:
        """An empty app id means local development: Teams requests are not authenticated."""
        return bool(self.app_id)


def _guid(name: str, value: str) -> str:
    try:
        return str(uuid.UUID(value)).lower()
    except ValueError:
        raise ConfigError(f"{name} must be a GUID (8-4-4-4-12 hex digits), got {value!r}") from None


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise ConfigError(f"{name} must be an absolute {' or '.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def _port(value: str) -> int:
    if not re.fullmatch(r"\d{1,5}", value.strip()) or not 1 <= int(value) <= 65535:
        raise ConfigError(f"PORT must be an integer between 1 and 65535, got {value!r}")
    return int(value)


def _workers(value: str) -> int:
    if not re.fullmatch(r"\d{1,3}", value.strip()) or not 1 <= int(value) <= MAX_WORKERS:
        raise ConfigError(f"WEB_CONCURRENCY must be a number of processes from 1 to {MAX_WORKERS}, got {value!r}")
    return int(value)


def _seconds(name: str, value: str, default: float, upper: float) -> float:
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < upper:  # also refuses nan and inf
        raise ConfigError(f"{name} must be a number of seconds above 0 and below {upper:.10g}, got {value!r}")
    return seconds


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Reads the settings; the process environment wins over the `.env` file."""
    file_values: dict[str, str] = {}
    env_path = env_file or PROJECT_ROOT / ".env"
    if env_path.is_file():
        file_values = {k: v for k, v in dotenv_values(env_path).items() if v is not None}
    merged = {**file_values, **(os.environ if environ is None else environ)}

    def get(name: str, default: str = "") -> str:
        return merged.get(name, default).strip()

    def seconds(name: str, default: float) -> float:
        return _seconds(name, get(name), default, MAX_INTERVAL_SECONDS)

    def timeout(name: str, default: float) -> float:
        return _seconds(name, get(name), default, MAX_OUTBOUND_TIMEOUT_SECONDS)

    port = _port(get("PORT", "3978"))
    app_id = get("MicrosoftAppId")
    if app_id:
        app_id = _guid("MicrosoftAppId", app_id)
    app_type = get("MicrosoftAppType", "MultiTenant") or "MultiTenant"
    if app_type not in APP_TYPES:
        raise ConfigError(f"MicrosoftAppType must be one of {', '.join(APP_TYPES)}, got {app_type!r}")
    app_tenant_id = get("MicrosoftAppTenantId")
    if app_tenant_id:
        app_tenant_id = _guid("MicrosoftAppTenantId", app_tenant_id)
    if app_type == "SingleTenant" and not app_tenant_id:
        raise ConfigError("MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId")
    graph_client_id = get("GRAPH_CLIENT_ID") or app_id
    if graph_client_id:
        graph_client_id = _guid("GRAPH_CLIENT_ID", graph_client_id)

    ca_bundle = get("AUTHORITY_CA_BUNDLE") or None
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ConfigError(f"AUTHORITY_CA_BUNDLE points at {ca_bundle!r}, which is not a readable file")

    database_url = get("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL
    try:
        database_url = validate_database_url(database_url)
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None

    log_level = (get("LOG_LEVEL", "INFO") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    admin_ids = frozenset(
        _guid("ADMIN_USER_IDS", item) for item in re.split(r"[,\s]+", get("ADMIN_USER_IDS")) if item
    )
    return Settings(
        port=port,
        app_id=app_id,
        app_password=get("MicrosoftAppPassword"),
        app_type=app_type,
        app_tenant_id=app_tenant_id,
        graph_client_id=graph_client_id,
        graph_client_secret=get("GRAPH_CLIENT_SECRET") or get("MicrosoftAppPassword"),
        graph_base_url=_url("GRAPH_BASE_URL", get("GRAPH_BASE_URL", Settings.graph_base_url), ("https",)),
        authority_host=_url("AUTHORITY_HOST", get("AUTHORITY_HOST", Settings.authority_host), ("https",)),
        authority_ca_bundle=ca_bundle,
        public_base_url=_url(
            "PUBLIC_BASE_URL", get("PUBLIC_BASE_URL") or f"http://localhost:{port}", ("http", "https")
        ),
        database_url=database_url,
        token_encryption_key=get("TOKEN_ENCRYPTION_KEY") or None,
        admin_user_ids=admin_ids,
        data_dir=Path(get("RENDEZVOUS_DATA_DIR") or PROJECT_ROOT / "data"),
        log_level=log_level,
        booking_recovery_interval=seconds("BOOKING_RECOVERY_INTERVAL_SECONDS", Settings.booking_recovery_interval),
        booking_stuck_after=seconds("BOOKING_STUCK_AFTER_SECONDS", Settings.booking_stuck_after),
        booking_recovery_give_up=seconds("BOOKING_RECOVERY_GIVE_UP_SECONDS", Settings.booking_recovery_give_up),
        turn_deadline_seconds=_seconds("TURN_DEADLINE_SECONDS", get("TURN_DEADLINE_SECONDS"),
                                       Settings.turn_deadline_seconds, TEAMS_INVOKE_LIMIT_SECONDS),
        entra_timeout_seconds=timeout("ENTRA_TIMEOUT_SECONDS", Settings.entra_timeout_seconds),
        graph_timeout_seconds=timeout("GRAPH_TIMEOUT_SECONDS", Settings.graph_timeout_seconds),
        bot_connector_timeout_seconds=timeout("BOT_CONNECTOR_TIMEOUT_SECONDS", Settings.bot_connector_timeout_seconds),
        database_timeout_seconds=timeout("DATABASE_TIMEOUT_SECONDS", Settings.database_timeout_seconds),
        web_concurrency=_workers(get("WEB_CONCURRENCY", "1") or "1"),
    )
