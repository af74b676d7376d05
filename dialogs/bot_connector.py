"""A timeout on every call to the Bot Connector (the service Teams gives the bot as `serviceUrl`).

botbuilder's connector client is msrest over `requests`, which waits up to 100 s for each answer by default.
Replies, card updates, member look-ups and proactive messages all go through clients made by one
ConnectorFactory; wrapping the factories that botbuilder's authentication hands out gives each client a
(connect, read) timeout, for the turn's own client and for proactive ones alike.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory

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
