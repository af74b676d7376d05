"""With an app id configured, only requests signed by the channel get in (botbuilder's real JWT validation,
with its OpenID metadata pointed at a local key set)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from storage.database import Database
from storage.repositories import MemberRepository
from tests.harness import ConnectorStub, RunningBot, running_bot
from tests.test_app_http import ALICE, TENANT, make_settings

APP_ID = "3a7c9e1b-2d4f-4b6a-8c0e-1f2a3b4c5d6e"
ISSUER = "https://api.botframework.com"
KEY_ID = "test-signing-key"


class LocalKeySet:
    """Serves OpenID metadata and a JWKS the way the Bot Framework channel does.

    It runs on a plain threaded HTTP server: botbuilder fetches metadata with blocking `requests` calls
    from inside the event loop, so a server on that same loop could never answer.
    """

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.url = ""

    def documents(self) -> dict[str, dict[str, Any]]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]})
        return {
            "/openid": {"issuer": ISSUER, "jwks_uri": f"{self.url}/keys"},
            "/keys": {"keys": [jwk]},
        }

    @contextmanager
    def serving(self) -> Iterator[str]:
        key_set = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                document = key_set.documents().get(self.path)
                payload = json.dumps(document).encode()
                self.send_response(200 if document else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self.url
        finally:
            server.shutdown()
            server.server_close()

    def token(self, service_url: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": APP_ID, "nbf": now - 60, "exp": now + 3600, "serviceurl": service_url}
        claims.update(overrides)
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": KEY_ID})


@pytest.fixture
async def signed_bot(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[RunningBot, LocalKeySet]]:
    keys = LocalKeySet()
    with keys.serving() as keys_url:
        connector = ConnectorStub()
        settings = make_settings(sqlite_url, tmp_path, app_id=APP_ID, app_password="not-used-offline")
        overrides = {
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": f"{keys_url}/openid",
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": f"{keys_url}/openid",
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": f"{keys_url}/botframework.com",
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
        }
        async with running_bot(settings, bot_auth_overrides=overrides, connector=connector) as bot:
            yield bot, keys


def _member_update(bot: RunningBot) -> dict[str, Any]:
    # A conversationUpdate that needs no reply, so nothing has to reach Microsoft's token service.
    return ALICE.activity(bot.connector.url, "conversationUpdate", membersAdded=[{"id": ALICE.teams_user_id}])


async def _recorded_members(bot: RunningBot) -> list[Any]:
    return await MemberRepository(Database(bot.services.settings.database_url), TENANT).list_all()


async def test_unsigned_request_is_401_and_nothing_is_recorded(signed_bot: tuple[RunningBot, LocalKeySet]) -> None:
    bot, _ = signed_bot
    response = await bot.post(_member_update(bot))
    assert response.status == 401
    assert await _recorded_members(bot) == []


async def test_wrongly_signed_or_wrong_audience_tokens_are_401(signed_bot: tuple[RunningBot, LocalKeySet]) -> None:
    bot, keys = signed_bot
    forger = LocalKeySet()
    forged = forger.token(bot.connector.url)
    other_audience = keys.token(bot.connector.url, aud="99999999-9999-9999-9999-999999999999")
    expired = keys.token(bot.connector.url, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)
    for token in (forged, other_audience, expired):
        response = await bot.post(_member_update(bot), headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401
    assert await _recorded_members(bot) == []


async def test_correctly_signed_request_is_processed(signed_bot: tuple[RunningBot, LocalKeySet]) -> None:
    bot, keys = signed_bot
    token = keys.token(bot.connector.url)
    response = await bot.post(_member_update(bot), headers={"Authorization": f"Bearer {token}"})
    assert response.status in (200, 201)
    members = await _recorded_members(bot)
    assert [m.aad_object_id for m in members] == [ALICE.aad_object_id]
