"""The service at its HTTP boundary, as Teams talks to it: replies, welcome, refusals, bad input, health."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app import BOT_KEY
from config import Settings
from storage.database import Database
from storage.repositories import MemberRepository
from tests.conftest import _postgres_admin
from tests.harness import ConnectorStub, TeamsUser, running_bot, settings_for

TENANT = "8c1c1f2a-5b8e-4a43-9d7e-0b1f3a6c2d10"
ALICE = TeamsUser(TENANT, "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Alice Example", "alice@contoso.test",
                  time_zone="America/Los_Angeles")


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return settings_for(database_url, tmp_path, **overrides)


@pytest.fixture
def connector() -> ConnectorStub:
    stub = ConnectorStub()
    stub.members[ALICE.teams_user_id] = ALICE.member_info()
    return stub


async def test_help_reply_reaches_the_connector_and_member_is_recorded(
    database_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(make_settings(database_url, tmp_path), connector=connector) as bot:
        response = await bot.say(ALICE, "help")
        assert response.status in (200, 201)
        replies = connector.messages(ALICE.conversation_id)
        assert len(replies) == 1
        help_text = json.dumps(replies[0].cards)
        assert "book" in help_text and "my meetings" in help_text

        member = await MemberRepository(Database(database_url), TENANT).get(ALICE.aad_object_id)
    assert member is not None
    assert member.email == "alice@contoso.test"
    assert member.time_zone == "America/Los_Angeles"
    assert member.teams_user_id == ALICE.teams_user_id
    assert (member.conversation_reference or {})["conversation"]["id"] == ALICE.conversation_id


async def test_install_sends_the_welcome_card(database_url: str, tmp_path: Path, connector: ConnectorStub) -> None:
    async with running_bot(make_settings(database_url, tmp_path), connector=connector) as bot:
        update = ALICE.activity(connector.url, "conversationUpdate",
                                membersAdded=[{"id": "28:rendezvous-bot"}])
        response = await bot.post(update)
        assert response.status in (200, 201)
    cards = connector.messages()[0].cards
    assert "Hi Alice" in json.dumps(cards)
    verbs = [action["verb"] for action in cards[0]["actions"]]
    assert "startBooking" in verbs


async def test_installing_greets_once_although_teams_sends_two_activities(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(make_settings(sqlite_url, tmp_path), connector=connector) as bot:
        await bot.post(ALICE.activity(connector.url, "installationUpdate", action="add"))
        await bot.post(ALICE.activity(connector.url, "conversationUpdate",
                                      membersAdded=[{"id": ALICE.teams_user_id}, {"id": "28:rendezvous-bot"}]))
    welcomes = [m for m in connector.messages(ALICE.conversation_id) if "Hi Alice" in json.dumps(m.cards)]
    assert len(welcomes) == 1


async def test_unknown_text_gets_a_pointer_to_help(database_url: str, tmp_path: Path,
                                                   connector: ConnectorStub) -> None:
    async with running_bot(make_settings(database_url, tmp_path), connector=connector) as bot:
        await bot.say(ALICE, "make me a sandwich")
    assert "help" in connector.messages()[0].text


async def test_other_channels_and_missing_tenant_are_politely_refused(
    database_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(make_settings(database_url, tmp_path), connector=connector) as bot:
        webchat = ALICE.activity(connector.url, "message", text="help", channelId="webchat")
        await bot.post(webchat)
        no_tenant = ALICE.activity(connector.url, "message", text="help", channelData={})
        no_tenant["conversation"].pop("tenantId")
        await bot.post(no_tenant)
        members = await MemberRepository(Database(database_url), TENANT).list_all()
    texts = [m.text for m in connector.messages()]
    assert "Teams only" in texts[0]
    assert "organization" in texts[1]
    assert members == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"type": "message"}', "text/plain", 415),
        (b'{"type": "message", "serviceUrl": "http://x", "conversation": {"id": "c"}}', "application/json", 400),
        (b'{"type": "message", "serviceUrl": "http://x", "from": {"id": "u"}}', "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
    ],
)
async def test_malformed_requests_get_4xx_and_the_server_stays_up(
    sqlite_url: str, tmp_path: Path, body: bytes, content_type: str, status: int
) -> None:
    async with running_bot(make_settings(sqlite_url, tmp_path)) as bot:
        async with bot.session.post(f"{bot.url}/api/messages", data=body,
                                    headers={"Content-Type": content_type}) as response:
            assert response.status == status
            assert "error" in await response.json()
        async with bot.session.get(f"{bot.url}/healthz") as health:
            assert health.status == 200


async def test_a_five_megabyte_body_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    async with running_bot(make_settings(sqlite_url, tmp_path)) as bot:
        huge = b'{"type": "message", "text": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        async with bot.session.post(f"{bot.url}/api/messages", data=huge,
                                    headers={"Content-Type": "application/json"}) as response:
            assert response.status == 413
        async with bot.session.get(f"{bot.url}/healthz") as health:
            assert health.status == 200


async def test_readyz_is_503_once_the_database_is_gone_while_healthz_stays_200(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("an open SQLite file keeps answering after it is deleted; PostgreSQL shows the outage")
    async with running_bot(make_settings(database_url, tmp_path)) as bot:
        async with bot.session.get(f"{bot.url}/readyz") as ready, bot.session.get(f"{bot.url}/healthz") as health:
            assert (ready.status, health.status) == (200, 200)
            assert (await ready.json())["status"] == "ready"
        await _destroy_database(database_url)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{bot.url}/readyz") as ready:
                assert ready.status == 503
                assert (await ready.json())["status"] == "database unavailable"
            # Liveness does not depend on the database: restarting the process would not bring it back.
            async with session.get(f"{bot.url}/healthz") as health:
                assert health.status == 200


async def _destroy_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    await _postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_a_failing_turn_gives_a_reference_not_a_stack_trace(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(*_: object) -> None:
        raise RuntimeError("database said: secret-internal-detail")

    caplog.set_level(logging.INFO)
    async with running_bot(make_settings(sqlite_url, tmp_path), connector=connector) as bot:
        bot.app[BOT_KEY].commands["explode"] = explode
        response = await bot.say(ALICE, "explode")
        assert response.status in (200, 201)
        followup = await bot.say(ALICE, "help")
        assert followup.status in (200, 201)
    apology = connector.messages()[0].text
    reference = re.search(r"reference \*\*([0-9A-F]{8})\*\*", apology)
    assert reference, apology
    assert "secret-internal-detail" not in apology and "Traceback" not in apology
    assert any(reference.group(1) in r.getMessage() and r.exc_info for r in caplog.records)
    assert any(f"outcome=error {reference.group(1)}" in r.getMessage() for r in caplog.records)
    assert connector.messages()[1].cards, "the bot keeps working after a failed turn"


async def test_one_log_line_per_turn_without_tokens(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(make_settings(sqlite_url, tmp_path), connector=connector) as bot:
        await bot.post(ALICE.activity(connector.url, "message", text="help"))
        await bot.post(ALICE.activity(connector.url, "message", text="help"),
                       headers={"Authorization": "Bearer not-a-real-token-abc123"})
        await bot.post(ALICE.activity(connector.url, "message", text="help", channelId="slack"))
    turn_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("turn ")]
    assert len(turn_lines) == 3
    assert f"tenant={TENANT}" in turn_lines[0] and "type=message" in turn_lines[0]
    assert "outcome=ok" in turn_lines[0] and "duration_ms=" in turn_lines[0]
    assert "outcome=unauthorized" in turn_lines[1]
    assert "outcome=refused" in turn_lines[2]
    assert not any("not-a-real-token-abc123" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path", ["/", "/privacy", "/terms"])
async def test_the_manifests_public_pages_exist(sqlite_url: str, tmp_path: Path, path: str) -> None:
    async with running_bot(make_settings(sqlite_url, tmp_path)) as bot:
        async with bot.session.get(f"{bot.url}{path}") as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            assert "Rendezvous" in await response.text()


async def test_a_tenant_named_only_in_the_conversation_is_accepted(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    # Some Teams activities (and Agents Playground's custom ones) carry the tenant only as conversation.tenantId.
    async with running_bot(make_settings(sqlite_url, tmp_path), connector=connector) as bot:
        activity = ALICE.activity(connector.url, "message", text="help", channelData={})
        response = await bot.post(activity)
        assert response.status in (200, 201)
        member = await MemberRepository(Database(sqlite_url), TENANT).get(ALICE.aad_object_id)
    assert member is not None
    assert connector.messages()[0].cards


async def test_a_tenant_that_is_not_an_object_is_refused_politely(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(make_settings(sqlite_url, tmp_path), connector=connector) as bot:
        odd_tenant = ALICE.activity(connector.url, "message", text="help", channelData={"tenant": TENANT})
        odd_tenant["conversation"].pop("tenantId")
        response = await bot.post(odd_tenant)
        assert response.status in (200, 201)
    [reply] = connector.messages()
    assert "organization" in reply.text and "reference" not in reply.text


@pytest.mark.parametrize("data", ["colleague=someone", ["book"], 42])
async def test_a_card_action_whose_data_is_not_an_object_gets_a_clear_message(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub, data: object
) -> None:
    async with running_bot(make_settings(sqlite_url, tmp_path), connector=connector) as bot:
        clicked = ALICE.activity(connector.url, "invoke", name="adaptiveCard/action",
                                 value={"action": {"type": "Action.Execute", "verb": "findTimes", "data": data}})
        async with bot.session.post(f"{bot.url}/api/messages", json=clicked) as response:
            assert response.status == 200
            answer = await response.json()
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "didn't understand that button" in answer["value"]
    assert connector.messages() == []  # no apology with an error reference


def test_the_connector_retry_speed_up_keeps_the_same_retry_codes() -> None:
    from msrest.universal_http.requests import ClientRetryPolicy

    original_safe = [code for code in range(500) if code != 408] + [501, 505]
    expected = [code for code in range(999) if code not in original_safe]
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)  # app.py's patch is in force
    assert ClientRetryPolicy().policy.status_forcelist == expected
