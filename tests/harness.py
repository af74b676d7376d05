"""Talk to the real bot over HTTP exactly as Teams does, and record what it sends back.

`ConnectorStub` plays the Bot Connector (the service Teams gives the bot as `serviceUrl`): it records every
activity the bot sends or updates and answers the member API. `RunningBot` serves `app.create_app` on a
free port. `TeamsUser` builds Teams-shaped activities for one person.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from app import SERVICES_KEY, create_app
from config import Settings
from dialogs.context import Services

BOT_ID = "28:rendezvous-bot"


class EmulatorEndpoints(Protocol):
    """What a bot needs to know of an emulator: the in-loop handle, or one running as its own process."""

    @property
    def graph_base_url(self) -> str: ...
    @property
    def authority_host(self) -> str: ...
    @property
    def ca_file(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...


def settings_for(database_url: str, tmp_path: Path, emu: EmulatorEndpoints | None = None,
                 **overrides: Any) -> Settings:
    """Settings for a bot under test: its own data folder, and Graph/Entra pointed at the emulator if given."""
    values: dict[str, Any] = {"database_url": database_url, "data_dir": tmp_path / "data"}
    if emu is not None:
        values.update(
            graph_base_url=emu.graph_base_url,
            authority_host=emu.authority_host,
            authority_ca_bundle=emu.ca_file,
            graph_client_id=emu.client_id,
            graph_client_secret=emu.client_secret,
        )
    values.update(overrides)
    return Settings(**values)


@dataclass
class SentActivity:
    method: str  # "POST" for a new message, "PUT" for an update in place
    conversation_id: str
    activity_id: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class ConnectorStub:
    """A recording Bot Connector; `members` answers GET .../members/{id} (TeamsInfo.get_member), `rosters` (by
    conversation id, in Teams' TeamsChannelAccount shape) the chat's member list, whole or in pages."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    rosters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    roster_page_size: int = 200  # when the bot asks for no page size
    roster_requests: list[dict[str, str]] = field(default_factory=list)  # the query of each pagedmembers call
    sent: list[SentActivity] = field(default_factory=list)
    created_conversations: list[dict[str, Any]] = field(default_factory=list)
    # True: every update in place (PUT) is answered 404, as for a message the person deleted; still recorded.
    refuse_updates: bool = False
    url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._put)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        app.router.add_get("/v3/conversations/{cid}/members", self._roster)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_roster)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        activity_id = f"activity-{next(self._ids)}"
        self.sent.append(SentActivity("POST", request.match_info["cid"], activity_id, body))
        return web.json_response({"id": activity_id})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.sent.append(SentActivity("PUT", request.match_info["cid"], request.match_info["aid"], body))
        if self.refuse_updates:
            return web.json_response({"error": {"code": "NotFound", "message": "Activity not found"}}, status=404)
        return web.json_response({"id": request.match_info["aid"]})

    async def _delete(self, request: web.Request) -> web.Response:
        self.sent.append(SentActivity("DELETE", request.match_info["cid"], request.match_info["aid"], {}))
        return web.Response(status=200)

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["uid"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)

    async def _roster(self, request: web.Request) -> web.Response:
        roster = self.rosters.get(request.match_info["cid"])
        if roster is None:
            return web.json_response({"error": {"code": "ConversationNotFound"}}, status=404)
        return web.json_response(roster)

    async def _paged_roster(self, request: web.Request) -> web.Response:
        """Like the Bot Connector: `pageSize` members from the `continuationToken` on, and a token while more are
        left. The token is opaque to the bot; here it is where the next page starts."""
        self.roster_requests.append(dict(request.query))
        roster = self.rosters.get(request.match_info["cid"])
        if roster is None:
            return web.json_response({"error": {"code": "ConversationNotFound"}}, status=404)
        size = int(request.query.get("pageSize") or self.roster_page_size)
        start = int(request.query.get("continuationToken") or 0)
        page: dict[str, Any] = {"members": roster[start:start + size]}
        if start + size < len(roster):
            page["continuationToken"] = str(start + size)
        return web.json_response(page)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.created_conversations.append(body)
        return web.json_response({"id": f"a:proactive-{next(self._ids)}", "activityId": ""})

    def messages(self, conversation_id: str | None = None) -> list[SentActivity]:
        return [
            s for s in self.sent
            if s.body.get("type") == "message" and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    def clear(self) -> None:
        self.sent.clear()
        self.created_conversations.clear()
        self.roster_requests.clear()


@dataclass(frozen=True)
class TeamsUser:
    tenant_id: str
    aad_object_id: str
    name: str
    email: str
    time_zone: str = "UTC"
    teams_user_id: str = ""
    conversation_id: str = ""
    conversation_type: str = "personal"  # "groupChat" or "channel" for a chat the bot shares with others
    # What Teams sends in `locale` and clientInfo.locale. en-GB (24-hour clock, "Wed 2 Dec") is the form most
    # tests read times in; tests of the locale rule set en-US, de-DE, ... themselves.
    locale: str = "en-GB"

    def __post_init__(self) -> None:
        if not self.teams_user_id:
            object.__setattr__(self, "teams_user_id", f"29:{self.aad_object_id}")
        if not self.conversation_id:
            object.__setattr__(self, "conversation_id", f"a:personal-{self.aad_object_id}")

    def member_info(self) -> dict[str, Any]:
        return {
            "id": self.teams_user_id, "name": self.name, "aadObjectId": self.aad_object_id,
            "email": self.email, "userPrincipalName": self.email, "tenantId": self.tenant_id,
            "objectId": self.aad_object_id,
        }

    def activity(self, service_url: str, activity_type: str, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": activity_type,
            "id": f"incoming-{uuid.uuid4().hex[:10]}",
            "channelId": "msteams",
            "serviceUrl": service_url,
            "timestamp": "2026-11-24T09:00:00.000Z",
            "from": {"id": self.teams_user_id, "name": self.name, "aadObjectId": self.aad_object_id},
            "recipient": {"id": BOT_ID, "name": "Rendezvous"},
            "conversation": {"id": self.conversation_id, "conversationType": self.conversation_type,
                             "tenantId": self.tenant_id},
            "channelData": {"tenant": {"id": self.tenant_id}},
            "entities": [{"type": "clientInfo", "locale": self.locale, "timezone": self.time_zone}],
            "locale": self.locale,
        }
        body.update(fields)
        return body

    def in_tenant(self, tenant_id: str) -> TeamsUser:
        return replace(self, tenant_id=tenant_id)

    def in_group_chat(self, conversation_id: str) -> TeamsUser:
        """The same person writing in a group chat that the bot is part of."""
        return replace(self, conversation_id=conversation_id, conversation_type="groupChat")


@dataclass
class RunningBot:
    url: str
    connector: ConnectorStub
    app: web.Application
    session: aiohttp.ClientSession

    @property
    def services(self) -> Services:
        return self.app[SERVICES_KEY]

    async def post(self, body: Any, *, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        async with self.session.post(f"{self.url}/api/messages", json=body, headers=headers) as response:
            await response.read()
            return response

    async def say(self, user: TeamsUser, text: str) -> aiohttp.ClientResponse:
        return await self.post(user.activity(self.connector.url, "message", text=text))

    async def execute(self, user: TeamsUser, verb: str, data: dict[str, Any],
                      reply_to: str | None = None) -> dict[str, Any]:
        """Clicks an Action.Execute button; returns the invoke response body (the replacement card)."""
        activity = user.activity(
            self.connector.url, "invoke", name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
            replyToId=reply_to,
        )
        async with self.session.post(f"{self.url}/api/messages", json=activity) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def submit(self, user: TeamsUser, data: dict[str, Any], reply_to: str | None = None) -> None:
        """Clicks the Action.Submit fallback: a message activity whose value carries the data."""
        response = await self.post(user.activity(self.connector.url, "message", value=data, replyToId=reply_to))
        assert response.status in (200, 201), response.status


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running_bot(settings: Settings, *, bot_auth_overrides: dict[str, str] | None = None,
                      connector: ConnectorStub | None = None) -> AsyncIterator[RunningBot]:
    connector = connector or ConnectorStub()
    async with _serve(connector.app()) as connector_url:
        connector.url = connector_url
        app = create_app(settings, bot_auth_overrides=bot_auth_overrides)
        async with _serve(app) as bot_url, aiohttp.ClientSession() as session:
            yield RunningBot(url=bot_url, connector=connector, app=app, session=session)
