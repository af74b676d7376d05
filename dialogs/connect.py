"""Members connecting their own calendar (individual / delegated mode), and disconnecting it.

`sign_in_card_for(services, actor)` is what booking shows when someone must connect first; the
booking it carries in `resume` continues after the sign-in callback (web/auth_routes.py).
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext

from cards.admin import disconnect_choice_card, link_card, message_card
from cards.texts import (
    ALREADY_CONNECTED,
    CONNECT_BUTTON,
    CONNECT_EXPLAINED,
    CONNECT_TITLE,
    DISCONNECT_TITLE,
    DISCONNECTED,
    DOMAIN_WIDE_NOTE,
    LINK_IS_PERSONAL,
    NO_CONNECTION_TO_REMOVE,
    NOT_CONFIGURED,
    NOT_SET_UP,
    SIGNED_IN,
    SIGNED_IN_TITLE,
)
from dialogs.access import ensure_allowed, is_admin
from dialogs.context import ActionResult, Actor, Services
from dialogs.link_cards import remember_link_card
from dialogs.replies import card_message
from dialogs.signin import IntegrationNotConfigured, start_sign_in_link
from graph.errors import AuthProblem
from storage.repositories import TenantRepository, TokenCacheRepository

log = logging.getLogger(__name__)

async def sign_in_card_for(services: Services, actor: Actor, resume: dict[str, Any] | None = None) -> dict[str, Any]:
    """A card whose button starts this person's Microsoft sign-in; `resume` comes back after it.

    Raises IntegrationNotConfigured when Rendezvous has no Graph credentials, AuthProblem when Entra ID
    refuses to start (unknown tenant, unreachable).
    """
    payload = {"resume": resume} if resume else {}
    url = await start_sign_in_link(
        services, actor.tenant_id, actor.teams_user_id, actor.aad_object_id, "member_signin", actor.email, payload
    )
    return link_card(
        CONNECT_TITLE,
        CONNECT_EXPLAINED,
        CONNECT_BUTTON,
        url,
        LINK_IS_PERSONAL,
    )


def signed_in_card() -> dict[str, Any]:
    """What the connect card becomes once its link was used and the sign-in worked."""
    return message_card(SIGNED_IN_TITLE, SIGNED_IN)


async def has_connection(services: Services, actor: Actor) -> bool:
    stored = await TokenCacheRepository(services.db, services.cipher, actor.tenant_id).load(actor.aad_object_id)
    return stored is not None


class ConnectDialogs:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def connect(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        tenant = await TenantRepository(self.services.db, actor.tenant_id).get()
        if tenant is None or not tenant.enabled:
            await turn_context.send_activity(NOT_SET_UP)
            return
        if tenant.mode == "domain_wide":
            await turn_context.send_activity(DOMAIN_WIDE_NOTE)
            return
        refusal = await ensure_allowed(self.services, actor)
        if refusal:
            await turn_context.send_activity(refusal)
            return
        try:
            card = await sign_in_card_for(self.services, actor)
        except IntegrationNotConfigured:
            await turn_context.send_activity(NOT_CONFIGURED)
            return
        except AuthProblem as problem:
            await turn_context.send_activity(problem.user_message)
            return
        if await has_connection(self.services, actor):
            await turn_context.send_activity(ALREADY_CONNECTED)
        sent = await turn_context.send_activity(card_message(card))
        await remember_link_card(self.services, card, sent.id if sent else None, actor.conversation_id)

    async def disconnect(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        connected = await has_connection(self.services, actor)
        if await is_admin(self.services, actor):
            await turn_context.send_activity(card_message(disconnect_choice_card(has_own_connection=connected)))
            return
        await turn_context.send_activity(await self._forget(actor, connected))

    async def disconnect_my_calendar(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        message = await self._forget(actor, await has_connection(self.services, actor))
        return ActionResult(card=message_card(DISCONNECT_TITLE, message))

    async def _forget(self, actor: Actor, connected: bool) -> str:
        if not connected:
            return NO_CONNECTION_TO_REMOVE
        await TokenCacheRepository(self.services.db, self.services.cipher, actor.tenant_id).delete(
            actor.aad_object_id
        )
        log.info("a member of tenant %s removed their calendar connection", actor.tenant_id)
        return DISCONNECTED
