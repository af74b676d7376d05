"""The one place where a card (a plain dict from cards/) becomes a Bot Framework message."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def card_message(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(Attachment(content_type=ADAPTIVE_CARD, content=card))
