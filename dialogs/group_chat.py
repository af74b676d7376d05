"""A request made in a group chat: who in the chat can be booked (the roster comes from Teams), and the one short
line the group gets afterwards.

Nothing personal is ever sent to the group: the suggestions go to the requester's 1:1 chat (their free/busy and
everyone else's is personal), and so does the list of members who cannot be booked, with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ConversationReference
from botbuilder.schema.teams import TeamsChannelAccount

from cards import texts
from cards.base import Card
from dialogs.access import Access, access_of
from dialogs.booking_people import ColleagueRefused, Person, person_of
from dialogs.bot_connector import run_proactive_turn
from dialogs.context import Actor, Services
from dialogs.replies import card_message
from storage.repositories import MAX_ATTENDEES, MemberRepository

log = logging.getLogger(__name__)

# A group chat has at most 250 members; Teams pages them. Pages beyond this many are not read (a token that
# never ends must not keep a turn waiting).
_MAX_ROSTER_PAGES = 50
_ORIGIN_REFERENCE = "reference"
_ORIGIN_NAME = "name"

_ACCESS_REASONS = {
    Access.OUTSIDE_GROUP: texts.NOT_BOOKABLE_OUTSIDE_GROUP,
    Access.CHECK_FAILED: texts.NOT_BOOKABLE_GROUP_NOT_CHECKED,
    Access.NOT_SET_UP: texts.NOT_BOOKABLE_NOT_SET_UP,
}


class RosterUnavailable(ColleagueRefused):
    """Teams did not say who is in the chat; the message says to try again."""


@dataclass
class ChatRoster:
    """The chat's members other than the requester: who can be booked, and (display name, reason) for the rest."""

    bookable: list[Person] = field(default_factory=list)
    not_bookable: list[tuple[str, str]] = field(default_factory=list)


async def bookable_chat_members(services: Services, turn_context: TurnContext, actor: Actor) -> ChatRoster:
    """Who in this chat Rendezvous may book with `actor`: same organization, used Rendezvous, allowed by the
    organization's security-group rule, with a mailbox. At most MAX_ATTENDEES; the others are listed with why.

    Raises RosterUnavailable when Teams does not answer."""
    members = MemberRepository(services.db, actor.tenant_id)
    roster = ChatRoster()
    candidates: list[tuple[str, Person]] = []
    for member in await _chat_members(turn_context):
        name = member.name or member.email or member.user_principal_name or texts.UNKNOWN_PERSON
        oid = (member.aad_object_id or "").lower()
        if oid == actor.aad_object_id or member.id == actor.teams_user_id:
            continue
        if member.tenant_id and member.tenant_id.lower() != actor.tenant_id:
            roster.not_bookable.append((name, texts.NOT_BOOKABLE_OTHER_ORGANIZATION))
            continue
        record = await members.get(oid) if oid else None
        if record is None:
            roster.not_bookable.append((name, texts.NOT_BOOKABLE_NEVER_USED))
            continue
        # Teams' roster may know the address when the member's first message did not carry it.
        person = person_of(record)
        person = replace(person, email=person.email or member.email or member.user_principal_name or None)
        if not person.email:
            roster.not_bookable.append((name, texts.NOT_BOOKABLE_NO_MAILBOX))
            continue
        candidates.append((name, person))
    # The security group is asked about last (a Graph call each, cached), and only while there is room.
    for name, person in candidates:
        if len(roster.bookable) >= MAX_ATTENDEES:
            roster.not_bookable.append((name, texts.NOT_BOOKABLE_OVER_LIMIT.format(limit=MAX_ATTENDEES)))
            continue
        access = await access_of(services, actor.tenant_id, person.oid)
        if access is Access.ALLOWED:
            roster.bookable.append(person)
        else:
            roster.not_bookable.append((name, _ACCESS_REASONS[access]))
    return roster


async def _chat_members(turn_context: TurnContext) -> list[TeamsChannelAccount]:
    """Every member of the chat, page after page, without the bot and without duplicates."""
    bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
    found: dict[str, TeamsChannelAccount] = {}
    token: str | None = None
    try:
        for _ in range(_MAX_ROSTER_PAGES):
            page = await TeamsInfo.get_paged_members(turn_context, token)
            for member in page.members or []:
                if member.id and member.id != bot_id:
                    found.setdefault(member.id, member)
            token = page.continuation_token or None
            if token is None:
                break
        else:
            log.warning("a group chat's roster had more than %d pages; the rest was not read", _MAX_ROSTER_PAGES)
    except Exception as exc:  # the member API being down: the requester is told to try again
        log.warning("a group chat's roster could not be read: %s", type(exc).__name__)
        raise RosterUnavailable(texts.ROSTER_UNAVAILABLE) from exc
    return list(found.values())


def group_origin_of(turn_context: TurnContext) -> dict[str, Any]:
    """Where a request came from, to be remembered until the booking: the group chat's conversation reference
    (serialized as bot.py stores 1:1 references) and its name when Teams gave one."""
    activity = turn_context.activity
    return {
        _ORIGIN_REFERENCE: TurnContext.get_conversation_reference(activity).serialize(),
        _ORIGIN_NAME: getattr(activity.conversation, "name", None) or None,
    }


def group_chat_name(group_origin: dict[str, Any]) -> str | None:
    """The chat's name as Teams gave it with the request, if it did."""
    name = group_origin.get(_ORIGIN_NAME) if isinstance(group_origin, dict) else None
    return name if isinstance(name, str) and name else None


async def post_group_line(services: Services, group_origin: dict[str, Any], text: str,
                          card: Card | None = None) -> bool:
    """Posts `text` in the group chat of `group_origin` (a message the bot starts itself), or `card` with `text`
    as its notification summary; False when the origin is unreadable or the Bot Connector refused. The caller
    keeps both non-personal: no one's other meetings."""
    serialized = group_origin.get(_ORIGIN_REFERENCE) if isinstance(group_origin, dict) else None
    if not isinstance(serialized, dict):
        log.warning("a group chat line was not sent: the chat's reference is missing")
        return False
    reference = ConversationReference().deserialize(serialized)
    if reference.conversation is None or not reference.conversation.id or not reference.service_url:
        log.warning("a group chat line was not sent: the chat's reference is incomplete")
        return False
    tenant_id = str(getattr(reference.conversation, "tenant_id", None) or "")

    async def send(turn_context: TurnContext) -> None:
        if card is None:
            await turn_context.send_activity(text)
            return
        message = card_message(card)
        message.summary = text  # what a notification or the chat list shows instead of the card
        await turn_context.send_activity(message)

    return await run_proactive_turn(services, reference, send, tenant_id, "a line in a group chat",
                                    apologize_in_chat=False)
