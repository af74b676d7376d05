"""What reaches /api/messages and the web pages from outside: bodies that once crashed the server, invokes the
bot refuses, chats of unknown type, and the headers every page a browser opens carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot import ONE_TO_ONE_ONLY
from storage.database import Database
from storage.repositories import MemberRepository
from tests.harness import ConnectorStub, RunningBot, TeamsUser, running_bot, settings_for

TENANT = "8c1c1f2a-5b8e-4a43-9d7e-0b1f3a6c2d10"
ALICE = TeamsUser(TENANT, "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Alice Example", "alice@contoso.test")
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"
MESSAGE = b'{"type": "message", "from": {"id": "u"}, "conversation": {"id": "c"}, "serviceUrl": "http://x", '


@pytest.fixture
def connector() -> ConnectorStub:
    stub = ConnectorStub()
    stub.members[ALICE.teams_user_id] = ALICE.member_info()
    return stub


async def _post_raw(bot: RunningBot, body: bytes) -> tuple[int, Any]:
    async with bot.session.post(f"{bot.url}/api/messages", data=body,
                                headers={"Content-Type": "application/json"}) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (MESSAGE + b'"value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests more than 64 levels"),
        (MESSAGE + b'"value": ' + b'{"a": ' * 65 + b"1" + b"}" * 65 + b"}", "nests more than 64 levels"),
        (MESSAGE + b'"value": ' + b"7" * 5_000 + b"}", "number longer than 64 digits"),
        (MESSAGE + b'"value": -' + b"9" * 65 + b"}", "number longer than 64 digits"),
        (MESSAGE + b'"value": 1e999}', "number too large"),
        (MESSAGE + b'"value": NaN}', "NaN, which is not JSON"),
    ],
    ids=["100k-deep", "65-deep", "5000-digits", "65-digits", "1e999", "NaN"],
)
async def test_bodies_that_once_crashed_the_parser_get_a_clear_400(
    sqlite_url: str, tmp_path: Path, body: bytes, reason: str
) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path)) as bot:
        status, answer = await _post_raw(bot, body)
        assert status == 400
        assert reason in answer["error"]["message"], answer
        async with bot.session.get(f"{bot.url}/healthz") as health:
            assert health.status == 200


async def test_the_deepest_and_longest_an_activity_may_be_still_gets_through(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path), connector=connector) as bot:
        activity = ALICE.activity(connector.url, "message", text="help")
        nested: Any = 1
        for _ in range(60):
            nested = {"a": nested}
        activity["value"] = {"deep": nested, "number": int("9" * 64)}
        response = await bot.post(activity)
        assert response.status in (200, 201)
    assert connector.messages()[0].cards  # the help card


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"channelId": "webchat"}, "inside Microsoft Teams only"),
        ({"from": {"id": "29:guest", "name": "A Guest"}}, "guests and anonymous users"),
        ({"channelData": "not an object"}, "didn't come in the shape Teams uses"),
        ({"channelData": {"tenant": {"id": TENANT}, "team": ["not", "an", "object"]}},
         "didn't come in the shape Teams uses"),
    ],
    ids=["other-channel", "guest", "channelData-string", "channelData-malformed"],
)
async def test_a_refused_card_click_gets_a_message_saying_why(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub, change: dict[str, Any], reason: str
) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path), connector=connector) as bot:
        click = ALICE.activity(connector.url, "invoke", name="adaptiveCard/action",
                               value={"action": {"type": "Action.Execute", "verb": "myMeetings", "data": {}}})
        click.update(change)
        async with bot.session.post(f"{bot.url}/api/messages", json=click) as response:
            assert response.status == 200
            answer = await response.json()
    assert answer["statusCode"] == 200 and answer["type"] == INVOKE_MESSAGE, answer
    assert reason in answer["value"]
    assert connector.sent == []


async def test_a_refused_typeahead_search_gets_an_error_saying_why(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path), connector=connector) as bot:
        search = ALICE.activity(connector.url, "invoke", name="application/search", channelId="webchat",
                                value={"queryText": "ben", "dataset": "rendezvous.colleagues"})
        async with bot.session.post(f"{bot.url}/api/messages", json=search) as response:
            assert response.status == 200
            answer = await response.json()
    assert answer["type"] == "application/vnd.microsoft.error", answer
    assert "inside Microsoft Teams only" in answer["value"]["message"]


async def test_a_chat_of_unknown_type_is_treated_as_shared(
    sqlite_url: str, tmp_path: Path, connector: ConnectorStub
) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path), connector=connector) as bot:
        untyped = ALICE.activity(connector.url, "message", text="my meetings")
        del untyped["conversation"]["conversationType"]
        await bot.post(untyped)
        click = ALICE.activity(connector.url, "invoke", name="adaptiveCard/action",
                               value={"action": {"type": "Action.Execute", "verb": "myMeetings", "data": {}}})
        del click["conversation"]["conversationType"]
        async with bot.session.post(f"{bot.url}/api/messages", json=click) as response:
            clicked = await response.json()
        unusual = ALICE.activity(connector.url, "message", text="privacy")
        unusual["conversation"]["conversationType"] = "meeting"
        await bot.post(unusual)
        helped = ALICE.activity(connector.url, "message", text="help")
        del helped["conversation"]["conversationType"]
        await bot.post(helped)
        member = await MemberRepository(Database(sqlite_url), TENANT).get(ALICE.aad_object_id)

    replies = connector.messages(ALICE.conversation_id)
    # Not known to be 1:1 and no 1:1 chat with Alice yet: a link that opens one, nothing of hers.
    for reply in replies[:2]:
        [card] = reply.cards
        assert "our 1:1 chat" in json.dumps(card)
        assert [a["url"] for a in card["actions"]] == ["https://teams.microsoft.com/l/chat/0/0?users=28:rendezvous-bot"]
    assert clicked["value"] == ONE_TO_ONE_ONLY
    assert replies[2].cards, "help still works where others may read along"
    # Proactive messages (someone's meetings) never go to a chat that may not be 1:1.
    assert member is not None and member.conversation_reference is None


@pytest.mark.parametrize("path", ["/", "/privacy", "/terms", "/auth/signin?state=unknown&code=x",
                                  "/auth/consent?state=unknown", "/no-such-page"])
async def test_every_page_a_browser_opens_refuses_framing_sniffing_and_referrers(
    sqlite_url: str, tmp_path: Path, path: str
) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path)) as bot:
        async with bot.session.get(f"{bot.url}{path}", allow_redirects=False) as response:
            headers = response.headers
    policy = {part.split()[0]: part.split()[1:] for part in headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "script-src" not in policy  # no script may run at all, by default-src
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


async def test_the_teams_endpoint_is_left_as_it_is(sqlite_url: str, tmp_path: Path, connector: ConnectorStub) -> None:
    async with running_bot(settings_for(sqlite_url, tmp_path), connector=connector) as bot:
        response = await bot.say(ALICE, "help")
    assert response.status in (200, 201)
    assert "Content-Security-Policy" not in response.headers and "X-Frame-Options" not in response.headers
