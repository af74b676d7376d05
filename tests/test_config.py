"""Settings: the documented names, defaults, and one clear line for every bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import PROJECT_ROOT, ConfigError, load_settings

EMPTY_ENV_FILE = Path("/nonexistent/.env")


def test_defaults_follow_the_design() -> None:
    settings = load_settings({}, env_file=EMPTY_ENV_FILE)
    assert settings.port == 3978
    assert settings.app_type == "MultiTenant"
    assert settings.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert settings.authority_host == "https://login.microsoftonline.com"
    assert settings.public_base_url == "http://localhost:3978"
    assert settings.database_url == "sqlite+aiosqlite:///data/rendezvous.db"
    assert not settings.authentication_enabled


def test_graph_identity_defaults_to_the_bot_identity() -> None:
    settings = load_settings(
        {"MicrosoftAppId": "11111111-2222-3333-4444-555555555555", "MicrosoftAppPassword": "s3cret"},
        env_file=EMPTY_ENV_FILE,
    )
    assert settings.graph_client_id == "11111111-2222-3333-4444-555555555555"
    assert settings.graph_client_secret == "s3cret"
    assert "s3cret" not in repr(settings)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nPUBLIC_BASE_URL=https://bot.example.com\n")
    settings = load_settings({"PORT": "5000"}, env_file=env_file)
    assert settings.port == 5000
    assert settings.public_base_url == "https://bot.example.com"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be an integer"),
        ({"PORT": "70000"}, "PORT must be an integer"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId must be a GUID"),
        ({"DATABASE_URL": "mysql://root@localhost/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "::::"}, "DATABASE_URL"),
        ({"GRAPH_BASE_URL": "http://graph.example.com/v1.0"}, "GRAPH_BASE_URL must be an absolute https URL"),
        ({"AUTHORITY_CA_BUNDLE": "/no/such/ca.pem"}, "AUTHORITY_CA_BUNDLE"),
        ({"ADMIN_USER_IDS": "abc"}, "ADMIN_USER_IDS must be a GUID"),
        ({"MicrosoftAppType": "Nope"}, "MicrosoftAppType must be one of"),
        ({"TURN_DEADLINE_SECONDS": "15"}, "TURN_DEADLINE_SECONDS must be a number of seconds above 0 and below 15"),
        ({"TURN_DEADLINE_SECONDS": "soon"}, "TURN_DEADLINE_SECONDS must be a number of seconds"),
        ({"GRAPH_TIMEOUT_SECONDS": "0"}, "GRAPH_TIMEOUT_SECONDS must be a number of seconds above 0"),
        ({"DATABASE_TIMEOUT_SECONDS": "nan"}, "DATABASE_TIMEOUT_SECONDS must be a number of seconds"),
    ],
)
def test_bad_values_are_one_clear_message(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, env_file=EMPTY_ENV_FILE)


def test_deadline_and_timeouts_default_inside_teams_limit_and_can_be_set() -> None:
    defaults = load_settings({}, env_file=EMPTY_ENV_FILE)
    assert defaults.turn_deadline_seconds == 10.0
    assert (defaults.entra_timeout_seconds, defaults.graph_timeout_seconds, defaults.bot_connector_timeout_seconds,
            defaults.database_timeout_seconds) == (10.0, 20.0, 10.0, 10.0)
    tuned = load_settings({"TURN_DEADLINE_SECONDS": "8.5", "ENTRA_TIMEOUT_SECONDS": "4"}, env_file=EMPTY_ENV_FILE)
    assert (tuned.turn_deadline_seconds, tuned.entra_timeout_seconds) == (8.5, 4.0)


def test_admin_ids_are_a_normalized_set() -> None:
    settings = load_settings(
        {"ADMIN_USER_IDS": "AAAAAAAA-0000-0000-0000-000000000001, aaaaaaaa-0000-0000-0000-000000000002"},
        env_file=EMPTY_ENV_FILE,
    )
    assert settings.admin_user_ids == {
        "aaaaaaaa-0000-0000-0000-000000000001",
        "aaaaaaaa-0000-0000-0000-000000000002",
    }


def test_start_up_with_a_bad_value_prints_one_line_and_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PORT": "not-a-port", "HOME": "/tmp"},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "Configuration error: PORT must be an integer between 1 and 65535, got 'not-a-port'"
    assert "Traceback" not in result.stderr
