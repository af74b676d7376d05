"""Wires Rendezvous together and serves it: `python app.py`.

settings -> database (migrated on start-up) -> Graph clients -> bot -> aiohttp routes:
  POST /api/messages   activities from Teams (JWT-checked by CloudAdapter when MicrosoftAppId is set), each
                       turn answered within TURN_DEADLINE_SECONDS (dialogs/deadlines.py)
  everything else     web/: health and readiness, the sign-in and consent callbacks, the public pages
and one background task: booking recovery (dialogs/booking_recovery.py), from start-up until shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from http import HTTPStatus
from typing import Any

import httpx
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes
from msrest.universal_http.requests import ClientRetryPolicy
from sqlalchemy.engine import make_url

from bot import TURN_KIND, TURN_OUTCOME, RendezvousBot
from config import ConfigError, Settings, load_settings
from dialogs.booking_recovery import BookingRecovery
from dialogs.bot_connector import BoundedConnectorAuthentication
from dialogs.bot_storage import SqlBotStorage, TenantConversationState
from dialogs.context import Services, tenant_of
from dialogs.deadlines import TurnDeadlines
from dialogs.signin import RepositoryTokenCacheStore
from dialogs.state_pruning import IdleConversationPruner
from graph.calendar import CalendarClient
from graph.http import GraphHttp
from graph.mailbox_slots import LocalMailboxSlots, MailboxSlots
from graph.msal_threads import MsalThreads
from graph.tokens import AppTokenProvider, DelegatedAuth
from log_safety import configure_logging
from observability import configure_telemetry
from observability.metrics import record_turn
from storage.crypto import TokenCipher, load_or_create_key
from storage.database import DATABASE_OUTAGES, Database
from storage.mailbox_slots import PostgresMailboxSlots
from storage.repositories import ConsentRepository
from storage.state_store import StateStore
from web import add_web_routes
from web.http_guard import BodyRefused, read_json_body

log = logging.getLogger("rendezvous")

# msrest (under botbuilder's connector client) builds two ClientRetryPolicy objects per outgoing call, each
# testing 999 status codes against a 501-item *list*: about 5 ms of CPU per turn (bench/README.md). A frozenset
# holds the same codes, so the retry behaviour is unchanged; only the membership test gets cheap.
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]

# Teams limits a message to about 100 KB counted in UTF-16 (learn.microsoft.com/microsoftteams/platform/bots/
# how-to/format-your-bot-messages); escaped as JSON inside an activity that is at most a few hundred KB.
# A larger body is refused with 413 before it is read.
MAX_BODY_BYTES = 1024 * 1024
SERVICES_KEY = web.AppKey("services", Services)
BOT_KEY = web.AppKey("bot", RendezvousBot)
DEADLINES_KEY = web.AppKey("turn_deadlines", TurnDeadlines)
GRAPH_CONNECT_TIMEOUT = 5.0
# Activity types a metric label may carry; anything else a client writes is "other".
ACTIVITY_KINDS = frozenset(kind.value for kind in ActivityTypes)


class BotAuthConfiguration:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads.

    `overrides` (e.g. TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, TO_BOT_FROM_CHANNEL_TOKEN_ISSUER) let tests point
    the channel's OpenID metadata at a local key set, so the real JWT validation runs offline.
    """

    def __init__(self, settings: Settings, overrides: dict[str, str] | None = None) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id
        for name, value in (overrides or {}).items():
            setattr(self, name, value)


class FailClosedAuthentication:
    """Wraps botbuilder's authentication so that every failure to validate a request is a PermissionError.

    botbuilder 4.17 sometimes fails with AttributeError or a bare Exception (an unsigned request in the
    parameterized path, an unknown signing key) where it should refuse; those must be 401s, not 500s.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        try:
            return await self._inner.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as exc:
            raise PermissionError(f"request authentication failed ({type(exc).__name__})") from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """aiohttp's access log without query strings: sign-in callbacks carry an authorization code and a
    single-use state in theirs, and neither may reach a log."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s" %s %.1fms', request.remote, request.method, request.path,
                         response.status, time * 1000)


def _bad_request(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": HTTPStatus(status).phrase, "message": message}}, status=status)


async def messages(request: web.Request) -> web.Response:
    """POST /api/messages. Written by hand rather than CloudAdapter.process: botbuilder 4.17's process()
    serializes invoke bodies twice and answers every Universal Action with 500."""
    services = request.app[SERVICES_KEY]
    bot = request.app[BOT_KEY]
    started = time.perf_counter()
    if request.content_type != "application/json":
        return _bad_request(415, "Expected an application/json Bot Framework activity")
    try:
        body = await read_json_body(request)
    except BodyRefused as refused:
        return _bad_request(400, str(refused))
    if not isinstance(body, dict):
        return _bad_request(400, "The body must be a JSON object (an activity)")
    missing = [name for name in ("type", "from", "conversation", "serviceUrl") if not body.get(name)]
    if missing:
        return _bad_request(400, f"The activity is missing: {', '.join(missing)}")
    conversation = body["conversation"] if isinstance(body["conversation"], dict) else {}
    if conversation.get("tenantId") and not conversation.get("tenantID"):
        # Teams writes conversation.tenantId; botbuilder 4.17's schema only reads "tenantID".
        conversation["tenantID"] = conversation["tenantId"]
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises a variety of errors for malformed shapes
        return _bad_request(400, "The activity could not be read")

    auth_header = request.headers.get("Authorization", "")
    outcome_token = TURN_OUTCOME.set("ok")
    activity_type = body["type"]
    kind_token = TURN_KIND.set(activity_type if isinstance(activity_type, str) and activity_type in ACTIVITY_KINDS
                               else "other")
    authenticated = True
    try:
        turn = request.app[DEADLINES_KEY].guard(bot.on_turn)
        invoke_response = await services.adapter.process_activity(auth_header, activity, turn)
    except PermissionError:
        authenticated = False
        return _bad_request(401, "The request is not authenticated")
    finally:
        duration_ms = (time.perf_counter() - started) * 1000
        if authenticated:
            log.info(
                "turn tenant=%s conversation=%s type=%s name=%s outcome=%s duration_ms=%.1f",
                tenant_of(activity) or "-", conversation.get("id", "-"), body.get("type"), body.get("name") or "-",
                TURN_OUTCOME.get(), duration_ms,
            )
            record_turn(TURN_KIND.get(), TURN_OUTCOME.get(), tenant_of(activity), duration_ms / 1000)
        else:
            # Nothing from an unauthenticated body reaches the log: anyone can write one.
            log.info("turn outcome=unauthorized status=401 remote=%s duration_ms=%.1f", request.remote, duration_ms)
            record_turn(TURN_KIND.get(), "unauthorized", None, duration_ms / 1000)
        TURN_OUTCOME.reset(outcome_token)
        TURN_KIND.reset(kind_token)
    if invoke_response is not None and invoke_response.body is None:
        return web.Response(status=invoke_response.status)  # e.g. 501 for an invoke the bot does not handle
    if invoke_response is not None:
        return web.json_response(invoke_response.body, status=invoke_response.status)
    return web.Response(status=201)


def make_error_handler() -> Any:
    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        reference = uuid.uuid4().hex[:8].upper()
        log.error("turn failed reference=%s", reference, exc_info=error)
        TURN_OUTCOME.set(f"error {reference}")
        try:
            if isinstance(error, DATABASE_OUTAGES):
                await turn_context.send_activity(
                    f"I couldn't finish that: a service I depend on didn't answer in time (reference **{reference}**). "
                    "Please try again in a minute; if you were booking, **my meetings** shows whether it went through."
                )
                return
            await turn_context.send_activity(
                f"Sorry, something went wrong on my side (reference **{reference}**). Please try again; "
                "if it keeps happening, give this reference to your Teams admin."
            )
            # The conversation state is kept: deleting it would also throw away what another turn of this chat
            # (a second search, another device) saved meanwhile, and every value in it is checked when read.
        except Exception:  # the channel itself may be what failed; the log line above keeps the detail
            log.warning("could not tell the user about failure reference=%s", reference)

    return on_turn_error


def mailbox_slots(db: Database) -> MailboxSlots:
    """Outlook's 4 requests per mailbox and its 429 pauses: on PostgreSQL shared by every process that uses the
    database (several workers, several hosts); on SQLite, which serves one process, kept in this process."""
    if db.dialect_name == "postgresql":
        return PostgresMailboxSlots(db.url, timeout=db.timeout)
    return LocalMailboxSlots()


def connect_graph(services: Services, msal_threads: MsalThreads) -> GraphHttp | None:
    """Creates the Entra ID token clients and the Graph client, when the Graph app is configured.

    Without GRAPH_CLIENT_ID (or MicrosoftAppId) the bot still chats, and says calendars are not connected.
    """
    settings = services.settings
    if not (settings.graph_client_id and settings.graph_client_secret):
        log.warning("GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET are not set: calendar features are unavailable")
        return None
    ca_bundle = settings.authority_ca_bundle
    entra_timeout = settings.entra_timeout_seconds
    services.app_tokens = AppTokenProvider(
        settings.graph_client_id, settings.graph_client_secret, settings.authority_host, ca_bundle,
        timeout=entra_timeout, threads=msal_threads,
    )
    services.delegated_auth = DelegatedAuth(
        settings.graph_client_id, settings.graph_client_secret, settings.authority_host, ca_bundle,
        RepositoryTokenCacheStore(services.db, services.cipher), timeout=entra_timeout, threads=msal_threads,
    )
    graph_timeout = settings.graph_timeout_seconds
    graph_http = GraphHttp(settings.graph_base_url, ca_bundle=ca_bundle,
                           timeout=httpx.Timeout(graph_timeout, connect=min(GRAPH_CONNECT_TIMEOUT, graph_timeout)),
                           slots=mailbox_slots(services.db))
    services.calendar = CalendarClient(graph_http, services.app_tokens, services.delegated_auth)
    return graph_http


def create_app(settings: Settings, bot_auth_overrides: dict[str, str] | None = None, *,
               migrate: bool = True) -> web.Application:
    """Builds the aiohttp application; database and Graph clients open on start-up and close on shutdown.

    `migrate=False` when the database was migrated already (serve.py does it once, before starting workers)."""
    telemetry = configure_telemetry()  # before web.Application: its server instrumentation wraps the class
    db = Database(settings.database_url, timeout=settings.database_timeout_seconds)
    if telemetry is not None:
        # After Database(): its error handler strips row values from an error before the span records it.
        telemetry.instrument_database(db.engine.sync_engine)
    key, created = load_or_create_key(settings.token_encryption_key, settings.data_dir)
    if created:
        log.warning(
            "TOKEN_ENCRYPTION_KEY is not set: generated one in %s. Back it up; losing it means members reconnect.",
            settings.data_dir,
        )
    conversation_state = TenantConversationState(SqlBotStorage(StateStore(db)))
    adapter = CloudAdapter(
        BoundedConnectorAuthentication(
            FailClosedAuthentication(
                ConfigurationBotFrameworkAuthentication(BotAuthConfiguration(settings, bot_auth_overrides))
            ),
            settings.bot_connector_timeout_seconds,
        )
    )
    adapter.on_turn_error = make_error_handler()
    cipher = TokenCipher(key)
    services = Services(
        settings=settings, db=db, cipher=cipher, conversation_state=conversation_state, adapter=adapter
    )
    msal_threads = MsalThreads(wait_seconds=settings.entra_timeout_seconds)
    graph_http = connect_graph(services, msal_threads)
    bot = RendezvousBot(services)
    deadlines = TurnDeadlines(adapter, settings.turn_deadline_seconds, outcome=TURN_OUTCOME)

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SERVICES_KEY] = services
    app[BOT_KEY] = bot
    app[DEADLINES_KEY] = deadlines

    async def finish_background_turns(_: web.Application) -> None:
        await deadlines.drain()

    app.on_shutdown.append(finish_background_turns)
    app.router.add_post("/api/messages", messages)
    add_web_routes(app, services, msal_threads)

    async def open_resources(_: web.Application) -> None:
        if migrate:
            await db.migrate()
        expired = await ConsentRepository(db).delete_expired()
        if expired:
            log.info("removed %d expired sign-in/consent links", expired)
        log.info("database ready (%s)", make_url(settings.database_url).render_as_string(hide_password=True))
        # Bookings a crash left half-done are settled now and then periodically, while the bot serves.
        background.append(asyncio.create_task(BookingRecovery(services).run_periodically(), name="booking-recovery"))

    async def stop_background(_: web.Application) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)

    async def close_resources(_: web.Application) -> None:
        if graph_http is not None:
            await graph_http.aclose()
        for token_client in (services.app_tokens, services.delegated_auth):
            if token_client is not None:
                token_client.close()
        msal_threads.close()
        await db.dispose()
        if telemetry is not None:
            telemetry.shutdown()  # exports what is still buffered

    background: list[asyncio.Task[None]] = []
    app.on_startup.append(open_resources)
    app.on_shutdown.append(stop_background)
    app.on_cleanup.append(close_resources)
    # After open_resources: the database is migrated by then.
    pruner = IdleConversationPruner(StateStore(db), consents=ConsentRepository(db))
    app.on_startup.append(pruner.start)
    app.on_cleanup.insert(0, pruner.stop)
    return app


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    if not settings.authentication_enabled:
        log.warning("MicrosoftAppId is empty: requests to /api/messages are NOT authenticated (local mode)")
    try:
        app = create_app(settings)
    except ConfigError as exc:  # an OpenTelemetry setting the SDK cannot honour
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    web.run_app(app, host="0.0.0.0", port=settings.port, print=None, access_log_class=PathOnlyAccessLogger)


if __name__ == "__main__":
    main()
