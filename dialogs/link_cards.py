"""Cards that carry a one-time sign-in or consent link, replaced by what happened once the link is used.

The link's `state` row (storage ConsentRepository) remembers which chat message shows the card
(`remember_link_card`, right after sending it); the callback then updates that message in place
(`replace_link_card`: a proactive turn in the 1:1 chat, then update_activity with the stored id).
Generic over the purpose: any card whose Action.OpenUrl carries the `state` of a consent request can use it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botbuilder.core import TurnContext
from botbuilder.schema import ActivityTypes, ConversationReference

from cards.base import Card
from dialogs.context import Services
from dialogs.replies import card_message
from storage.repositories import ConsentRecord, ConsentRepository, MemberRepository

log = logging.getLogger(__name__)

LINK_CARD_KEY = "linkCard"  # in the consent request's payload: {"activityId": …, "conversationId": …}


def _link_state(card: Card) -> str | None:
    """The OAuth `state` of the card's link (the value the callback will come back with)."""
    for action in card.get("actions", []):
        if isinstance(action, dict) and action.get("type") == "Action.OpenUrl":
            states = parse_qs(urlsplit(str(action.get("url", ""))).query).get("state")
            if states:
                return states[0]
    return None


async def remember_link_card(services: Services, card: Card, activity_id: str | None, conversation_id: str) -> None:
    """Notes where `card` (just sent, with its link) is shown, so its link's callback can replace it."""
    state = _link_state(card)
    if not state or not activity_id:
        return
    where: dict[str, Any] = {LINK_CARD_KEY: {"activityId": activity_id, "conversationId": conversation_id}}
    if not await ConsentRepository(services.db).add_to_payload(state, where):
        log.info("a link card could not be remembered: its link was already used or has expired")


async def remember_answer_card(services: Services, turn_context: TurnContext, card: Card) -> None:
    """For a card that answers a card button: it takes the clicked card's place (`replyToId`), so that message
    is where its link is shown. A typed command's card is remembered once sent (`remember_link_card`)."""
    activity = turn_context.activity
    if activity.reply_to_id and (activity.type == ActivityTypes.invoke or isinstance(activity.value, dict)):
        await remember_link_card(services, card, activity.reply_to_id, activity.conversation.id)


async def replace_link_card(services: Services, record: ConsentRecord, card: Card) -> bool:
    """Replaces the card that carried this (now used) link with `card`; False when there is none to replace.

    Only a card in the person's own 1:1 chat is replaced, through the conversation reference stored for them.
    """
    where = record.payload.get(LINK_CARD_KEY)
    if not isinstance(where, dict) or not record.aad_object_id:
        return False
    member = await MemberRepository(services.db, record.tenant_id).get(record.aad_object_id)
    if member is None or not member.conversation_reference:
        return False
    reference = ConversationReference().deserialize(member.conversation_reference)
    if reference.conversation is None or reference.conversation.id != where.get("conversationId"):
        return False
    replacement = card_message(card)
    replacement.id = str(where.get("activityId"))

    async def update(turn_context: TurnContext) -> None:
        await turn_context.update_activity(replacement)

    try:
        await services.adapter.continue_conversation(reference, update, services.settings.app_id or None)
    except Exception as exc:  # the card stays as it was; the person still gets the message saying what happened
        log.warning("a used link's card in tenant %s was not replaced: %s", record.tenant_id, type(exc).__name__)
        return False
    return True
