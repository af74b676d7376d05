"""Turns in a person's 1:1 chat with the bot that the bot starts itself (proactive): the answer to a personal
command typed in a group chat or channel, and the booking that waited for a sign-in.

Only a 1:1 chat's conversation reference is ever stored (bot.py), so what runs here is read by that one person.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from dialogs.bot_connector import run_proactive_turn
from dialogs.context import Actor, Services
from dialogs.replies import use_submit_actions
from storage.repositories import MemberRecord, MemberRepository

log = logging.getLogger(__name__)

PersonalTurn = Callable[[TurnContext, Actor], Awaitable[None]]
# In the 1:1 chat's conversation state: whether the person last wrote from Teams mobile, so cards the bot
# sends them later on its own (a colleague's booking, a sign-in result) have buttons their phone can use.
CLIENT_PROPERTY = "client"


def _actor_of(member: MemberRecord, reference: ConversationReference) -> Actor:
    conversation = reference.conversation
    return Actor(
        tenant_id=member.tenant_id.lower(),
        aad_object_id=member.aad_object_id,
        teams_user_id=member.teams_user_id or "",
        name=member.name or "",
        conversation_id=conversation.id if conversation else "",
        conversation_type=(conversation.conversation_type if conversation else None) or "personal",
        email=member.email or member.user_principal_name,
        time_zone=member.time_zone,
        outlook_time_zone=member.outlook_time_zone,
        locale=member.locale,
    )


async def run_in_personal_chat(services: Services, tenant_id: str, oid: str, turn: PersonalTurn, *,
                               submit_actions: bool = False) -> bool:
    """Runs `turn` in the person's 1:1 chat, with its conversation state; False when the bot has no 1:1 chat
    with them (or the Bot Connector refused). `submit_actions` sends cards with Action.Submit buttons, for a
    person on Teams mobile (cards/mobile.py)."""
    member = await MemberRepository(services.db, tenant_id.lower()).get(oid.lower())
    if member is None or not member.conversation_reference:
        return False
    reference = ConversationReference().deserialize(member.conversation_reference)
    actor = _actor_of(member, reference)

    async def logic(turn_context: TurnContext) -> None:
        await prepare_personal_turn(services, turn_context, actor.tenant_id, submit_actions=submit_actions)
        await turn(turn_context, actor)
        await services.conversation_state.save_changes(turn_context)

    # An unreachable Bot Connector: the caller falls back to a link.
    return await run_proactive_turn(services, reference, logic, tenant_id, "a turn in the 1:1 chat of a member")


async def prepare_personal_turn(services: Services, turn_context: TurnContext, tenant_id: str, *,
                                submit_actions: bool = False) -> None:
    """Readies a turn the bot starts in a 1:1 chat: its state can be read, and its cards carry Action.Submit
    buttons when asked or when the person last wrote from Teams mobile."""
    # A continuation activity carries no channelData, and the state key needs the tenant.
    turn_context.activity.channel_data = {"tenant": {"id": tenant_id}}
    if submit_actions or await last_seen_on_mobile(services, turn_context):
        send_submit_actions(turn_context)


async def _submit_actions_on_send(turn_context: TurnContext, activities: list[Activity], send: Any) -> Any:
    for activity in activities:
        use_submit_actions(activity)
    return await send()


async def _submit_actions_on_update(turn_context: TurnContext, activity: Activity, update: Any) -> Any:
    use_submit_actions(activity)
    return await update()


def send_submit_actions(turn_context: TurnContext) -> None:
    """From now on this turn's cards (sent, updated, or an invoke's answer) carry Action.Submit buttons."""
    turn_context.on_send_activities(_submit_actions_on_send)
    turn_context.on_update_activity(_submit_actions_on_update)


# 1:1 chats this process has seen used only from a computer: their state need not be read on every turn (a
# `help` turn then costs no database read). Per process; another process that saw the phone keeps its mark
# until a turn it serves clears it, and a stale mark only means Action.Submit buttons, which work everywhere.
_DESKTOP_ONLY_CHATS: set[str] = set()
_DESKTOP_ONLY_REMEMBERED = 100_000


async def remember_client(services: Services, turn_context: TurnContext, mobile: bool) -> None:
    """Notes, in this 1:1 chat's state, whether the person writes from Teams mobile (saved with the turn).

    Nothing is written for a chat that has only ever been used from a computer."""
    chat = turn_context.activity.conversation.id
    if not mobile and chat in _DESKTOP_ONLY_CHATS:
        return
    _DESKTOP_ONLY_CHATS.discard(chat)
    accessor = services.conversation_state.create_property(CLIENT_PROPERTY)
    known = await accessor.get(turn_context)
    if mobile or (isinstance(known, dict) and known.get("mobile") is True):
        await accessor.set(turn_context, {"mobile": mobile})
    if not mobile:
        if len(_DESKTOP_ONLY_CHATS) >= _DESKTOP_ONLY_REMEMBERED:
            _DESKTOP_ONLY_CHATS.clear()
        _DESKTOP_ONLY_CHATS.add(chat)


async def last_seen_on_mobile(services: Services, turn_context: TurnContext) -> bool:
    """For a turn the bot starts in a 1:1 chat: did the person last write there from Teams mobile?

    A state that cannot be read counts as "no": the message still goes, with the usual buttons."""
    try:
        client = await services.conversation_state.create_property(CLIENT_PROPERTY).get(turn_context)
    except Exception as exc:
        log.warning("could not read which Teams client a member last used: %s", type(exc).__name__)
        return False
    return isinstance(client, dict) and client.get("mobile") is True
