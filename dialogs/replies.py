"""The one place where a card (a plain dict from cards/) becomes a Bot Framework message."""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory
from botbuilder.schema import Activity, Attachment

from cards.mobile import with_submit_actions

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# clientInfo.platform values of the Teams clients where Action.Execute does not work (see cards/mobile.py).
MOBILE_PLATFORMS = frozenset({"android", "ios"})


def card_message(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(Attachment(content_type=ADAPTIVE_CARD, content=card))


def use_submit_actions(activity: Activity) -> None:
    """Rewrites, in place, every Adaptive Card an outgoing activity carries (a message's attachments, or an
    invoke answer's card) so that its buttons are Action.Submit: what a mobile Teams client can send."""
    for attachment in activity.attachments or []:
        if attachment.content_type == ADAPTIVE_CARD and isinstance(attachment.content, dict):
            attachment.content = with_submit_actions(attachment.content)
    answer = activity.value
    body = answer.body if isinstance(answer, InvokeResponse) else None
    if isinstance(body, dict) and body.get("type") == ADAPTIVE_CARD and isinstance(body.get("value"), dict):
        answer.body = {**body, "value": with_submit_actions(body["value"])}
