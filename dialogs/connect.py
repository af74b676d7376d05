"""Members connecting their own calendar (individual / delegated mode), and disconnecting it.

`sign_in_card_for(services, actor)` is what booking shows when someone must connect first; the
booking it carries in `resume` continues after the sign-in callback (web/auth_routes.py).
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext

from cards.admin import disconnect_choice_card, link_card, message_card
from cards.texts import NOT_SET_UP
from dialogs.access import ensure_allowed, is_admin
from dialogs.admin import NOT_CONFIGURED
from dialogs.context import ActionResult, Actor, Services
from dialogs.link_cards import remember_link_card
from dialogs.replies import card_message
from dialogs.signin import IntegrationNotConfigured, start_sign_in_link
from graph.errors import AuthProblem
from storage.repositories import TenantRepository, TokenCacheRepository

log = logging.getLogger(__name__)

DOMAIN_WIDE_NOTE = (
    "There's nothing to connect: your organization connected everyone's calendars at once (domain-wide mode). "
    "Just type **book** to book a meeting."
)


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
        "Connect your Outlook calendar",
        "Sign in with your work account so I can see when you're free and add meetings to your calendar. "
        "I'll message you here when it's done.",
        "Connect calendar",
        url,
        "The link is for you only, works once and expires in 10 minutes.",
    )


def signed_in_card() -> dict[str, Any]:
    """What the connect card becomes once its link was used and the sign-in worked."""
    return message_card("Signed in ✓", "Your Outlook calendar is connected to Rendezvous. This card's link has "
                                       "been used; type **connect** if you ever need a new one.")


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
            await turn_context.send_activity(
                "Your calendar is already connected. Use the button below only if you want to sign in again."
            )
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
        return ActionResult(card=message_card("Disconnect", message))

    async def _forget(self, actor: Actor, connected: bool) -> str:
        if not connected:
            return "You have no calendar connection stored with Rendezvous, so there was nothing to remove."
        await TokenCacheRepository(self.services.db, self.services.cipher, actor.tenant_id).delete(
            actor.aad_object_id
        )
        log.info("a member of tenant %s removed their calendar connection", actor.tenant_id)
        return (
            "Done: I deleted your stored sign-in, so Rendezvous can no longer use your calendar. Meetings already "
            "booked stay in your calendar. Type **connect** whenever you want to connect again."
        )
