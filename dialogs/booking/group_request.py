"""A meeting asked for in a group chat ("@Rendezvous find a time", "@Rendezvous book 30 min tomorrow"): the chat's
members who can be booked are invited, the suggestions go to the requester's 1:1 chat (free/busy of several
people is personal), the requester alone is told who was left out and why, and the group only reads that the
suggestions went to that chat. After a booking, the group gets one neutral line (book.py, `_tell_group`).
"""

from __future__ import annotations

from botbuilder.core import TurnContext

from cards import texts
from cards.base import plain
from cards.group_chat import bot_chat_link, personal_chat_card
from dialogs.booking.common import Invitee
from dialogs.booking.search import SearchSteps
from dialogs.booking_people import ColleagueRefused
from dialogs.context import Actor
from dialogs.group_chat import ChatRoster, bookable_chat_members, group_chat_name, group_origin_of
from dialogs.personal_chat import run_in_personal_chat
from dialogs.replies import card_message


async def propose_from_group_chat(steps: SearchSteps, turn_context: TurnContext, actor: Actor, argument: str, *,
                                  submit_actions: bool = False) -> None:
    """Runs the search with the chat's bookable members in the requester's 1:1 chat; `argument` is what was
    typed after the command (length, days, time; names in it are ignored: the chat says who)."""
    try:
        roster = await bookable_chat_members(steps.services, turn_context, actor)
    except ColleagueRefused as refused:  # Teams did not give the roster: nothing personal in that message
        await turn_context.send_activity(str(refused))
        return
    group_origin = group_origin_of(turn_context)

    async def answer(personal_context: TurnContext, personal_actor: Actor) -> None:
        left_out = _left_out(roster, group_chat_name(group_origin))
        if left_out:
            await personal_context.send_activity(left_out)
        if not roster.bookable:
            await personal_context.send_activity(texts.GROUP_NOBODY_BOOKABLE)
            return
        invitees = [Invitee(person) for person in roster.bookable]
        result = await steps.propose_with(personal_context, personal_actor, invitees, argument, group_origin)
        await steps._send(personal_context, result)

    if await run_in_personal_chat(steps.services, actor.tenant_id, actor.aad_object_id, answer,
                                  submit_actions=submit_actions):
        await turn_context.send_activity(texts.ANSWERED_IN_PERSONAL_CHAT)  # the same neutral line as any command
        return
    await turn_context.send_activity(card_message(personal_chat_card(bot_chat_link(
        turn_context.activity.recipient.id))))


def _left_out(roster: ChatRoster, chat_name: str | None) -> str | None:
    """ "From the group chat *Launch*, I left out: Henry Park has never used Rendezvous; …" (requester only)."""
    if not roster.not_bookable:
        return None
    people = "; ".join(texts.GROUP_NOT_INCLUDED_ONE.format(name=plain(name), reason=reason)
                       for name, reason in roster.not_bookable)
    chat = texts.GROUP_CHAT_NAME.format(name=plain(chat_name)) if chat_name else ""
    return texts.GROUP_NOT_INCLUDED.format(chat=chat, people=people)
