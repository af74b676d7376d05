"""Sign-in and consent links, the encrypted token cache store, and proactive messages.

A link handed to someone in Teams carries a `state` from ConsentRepository: random, single-use, valid
for 10 minutes and bound to the tenant and the Teams user who asked. For the auth-code flow msal makes
its own state; we send ours instead and give msal back the same value when the person returns, so one
state value is both msal's CSRF check and our single-use record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference

from dialogs.context import Services
from dialogs.personal_chat import prepare_personal_turn
from dialogs.replies import card_message
from graph.tokens import APP_SCOPES, DELEGATED_SCOPES, SIGN_IN_SCOPES
from storage.crypto import TokenCipher
from storage.database import Database
from storage.repositories import ConsentRepository, MemberRepository, TokenCacheRepository

log = logging.getLogger(__name__)

SIGN_IN_CALLBACK_PATH = "/auth/signin"
CONSENT_CALLBACK_PATH = "/auth/consent"


class IntegrationNotConfigured(RuntimeError):
    """The Graph app credentials are missing, so no sign-in or token is possible."""


class RepositoryTokenCacheStore:
    """graph.tokens.TokenCacheStore over storage's TokenCacheRepository (encrypted at rest)."""

    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self._db = db
        self._cipher = cipher

    def _repository(self, tenant_id: str) -> TokenCacheRepository:
        return TokenCacheRepository(self._db, self._cipher, tenant_id)

    async def load(self, tenant_id: str, oid: str) -> str | None:
        return await self._repository(tenant_id).load(oid.lower())

    async def save(self, tenant_id: str, oid: str, blob: str) -> None:
        await self._repository(tenant_id).save(oid.lower(), blob)

    async def delete(self, tenant_id: str, oid: str) -> None:
        await self._repository(tenant_id).delete(oid.lower())


def sign_in_redirect_uri(services: Services) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}{SIGN_IN_CALLBACK_PATH}"


def consent_redirect_uri(services: Services) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}{CONSENT_CALLBACK_PATH}"


def _with_state(url: str, state: str) -> str:
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "state"]
    query.append(("state", state))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def start_sign_in_link(
    services: Services,
    tenant_id: str,
    teams_user_id: str,
    oid: str,
    purpose: str,
    login_hint: str | None,
    payload: dict[str, Any] | None = None,
    *,
    scopes: list[str] | None = None,
) -> str:
    """A sign-in URL (auth code + PKCE) for this Teams user, remembered under a fresh single-use state.

    Entra answers with a form POST (response_mode=form_post), so the code never appears in a URL or an access
    log. `scopes=[]` is a sign-in that only shows who the person is and their roles; None asks for the
    calendar scopes members connect with.
    """
    if services.delegated_auth is None:
        raise IntegrationNotConfigured("no delegated sign-in configured (GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET)")
    started = await services.delegated_auth.start_sign_in(
        tenant_id, sign_in_redirect_uri(services), login_hint, response_mode="form_post", scopes=scopes
    )
    state = await ConsentRepository(services.db).create(
        tenant_id, teams_user_id, oid, purpose, {**(payload or {}), "flow": started.flow}
    )
    return _with_state(started.auth_url, state)


def flow_for_state(payload: dict[str, Any], state: str) -> dict[str, Any]:
    """The stored msal flow, answering to the state we put in the link instead of msal's own."""
    flow = dict(payload["flow"])
    flow["msal"] = {**flow["msal"], "state": state}
    return flow


async def consent_link(
    services: Services, tenant_id: str, teams_user_id: str | None, oid: str, payload: dict[str, Any]
) -> str:
    """The admin-consent URL for the tenant, remembered under a fresh single-use state.

    Domain-wide mode asks for `.default` (the application permissions on the app registration); individual
    mode lists only the delegated scopes members sign in with (msal's sign-in scopes included), so no
    application permission is granted.
    """
    if services.app_tokens is None:
        raise IntegrationNotConfigured("no Graph app credentials configured (GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET)")
    state = await ConsentRepository(services.db).create(tenant_id, teams_user_id, oid, "admin_consent", payload)
    scopes = [*DELEGATED_SCOPES, *SIGN_IN_SCOPES] if payload.get("mode") == "delegated" else APP_SCOPES
    return services.app_tokens.admin_consent_url(tenant_id, consent_redirect_uri(services), state, scopes)


@dataclass(frozen=True)
class Notified:
    """A proactive message that went: the conversation it went to, and the card's activity id (None when only
    text was sent, or the Bot Connector named no id), so that card can be updated in place later."""

    conversation_id: str
    card_activity_id: str | None


async def notify_member(
    services: Services, tenant_id: str, oid: str, text: str | None = None, card: dict[str, Any] | None = None
) -> Notified | None:
    """Sends a proactive message to the person's last conversation with the bot; None if impossible."""
    member = await MemberRepository(services.db, tenant_id).get(oid)
    if member is None or not member.conversation_reference:
        log.warning("no conversation reference for a member of tenant %s; proactive message dropped", tenant_id)
        return None
    reference = ConversationReference().deserialize(member.conversation_reference)
    card_ids: list[str | None] = []

    async def send(turn_context: TurnContext) -> None:
        if card is not None:
            await prepare_personal_turn(services, turn_context, tenant_id)
            sent = await turn_context.send_activity(card_message(card))
            card_ids.append(sent.id if sent is not None else None)
        if text:
            await turn_context.send_activity(text)

    try:
        await services.adapter.continue_conversation(reference, send, services.settings.app_id or None)
    except Exception as exc:  # the Bot Connector being unreachable must not fail the web callback
        log.warning("proactive message to a member of tenant %s failed: %s", tenant_id, type(exc).__name__)
        return None
    conversation = reference.conversation
    return Notified(conversation.id if conversation else "", card_ids[0] if card_ids else None)
