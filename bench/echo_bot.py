"""The floor: the smallest botbuilder 4.17 bot, served the way app.py serves Rendezvous.

CloudAdapter + ActivityHandler that echoes the text back through the Bot Connector, behind a hand-written
aiohttp handler, with an empty app id (no JWT checks, as in local mode). Whatever Rendezvous costs above
this is ours; this much is botbuilder, aiohttp and the loopback round trips.
"""

from __future__ import annotations

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity


class LocalModeConfiguration:
    """The attribute names ConfigurationBotFrameworkAuthentication reads; an empty app id = unauthenticated."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


def create_echo_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(LocalModeConfiguration()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.Response(status=415)
        activity = Activity().deserialize(await request.json())
        invoke_response = await adapter.process_activity(request.headers.get("Authorization", ""), activity,
                                                         bot.on_turn)
        if invoke_response is not None:
            return web.json_response(invoke_response.body, status=invoke_response.status)
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app
