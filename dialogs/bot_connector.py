"""A timeout on every call to the Bot Connector (the service Teams gives the bot as `serviceUrl`).

botbuilder's connector client is msrest over `requests`, which waits up to 100 s for each answer by default.
Replies, card updates, member look-ups and proactive messages all go through clients made by one
ConnectorFactory; wrapping the factories that botbuilder's authentication hands out gives each client a
(connect, read) timeout, for the turn's own client and for proactive ones alike.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botbuilder.schema import Activity, ConversationReference
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory

if TYPE_CHECKING:
    from botbuilder.core import TurnContext

    from dialogs.context import Services

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0


class BoundedConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, timeout: float) -> None:
        self._inner = inner
        self._timeout = (min(CONNECT_TIMEOUT, timeout), timeout)

    async def create(self, service_url: str, audience: str) -> ConnectorClient:
        client = await self._inner.create(service_url, audience)
        # requests reads a (connect, read) pair; msrest passes the value through unchanged.
        client.config.connection.timeout = self._timeout
        return client


class BoundedConnectorAuthentication:
    """Wraps botbuilder's BotFrameworkAuthentication; only the connector factories it returns change."""

    def __init__(self, inner: Any, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = BoundedConnectorFactory(result.connector_factory, self._timeout)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return BoundedConnectorFactory(self._inner.create_connector_factory(claims_identity), self._timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def run_proactive_turn(services: Services, reference: ConversationReference,
                             logic: Callable[[TurnContext], Awaitable[None]], tenant_id: str, what: str, *,
                             apologize_in_chat: bool = True) -> bool:
    """Runs `logic` as a turn the bot starts itself in the referenced conversation; False when it failed, logged
    as `what` (no ids, no content).

    With `apologize_in_chat`, a failure inside `logic` goes to the adapter's error handler like any turn's (it
    says sorry in the chat, and this returns True); without, it is kept from the chat (a group chat must not read
    one person's "something went wrong") and returns False, so the caller knows nothing was said."""
    failures: list[Exception] = []

    async def contained(turn_context: TurnContext) -> None:
        try:
            await logic(turn_context)
        except Exception as exc:
            failures.append(exc)

    try:
        await services.adapter.continue_conversation(reference, logic if apologize_in_chat else contained,
                                                     services.settings.app_id or None)
    except Exception as exc:  # an unreachable Bot Connector
        failures.append(exc)
    if failures:
        log.warning("%s in tenant %s failed: %s", what, tenant_id, type(failures[0]).__name__)
        return False
    return True
