"""The booking dialog bot.py routes to: the search, booking and meeting steps together, and what continues
after a sign-in the booking or a decline waited for."""

from __future__ import annotations

from functools import partial
from typing import Any

from botbuilder.core import TurnContext

from dialogs.booking.common import _strings, log
from dialogs.booking.reschedule import RescheduleSteps
from dialogs.booking.search import _option_values
from dialogs.context import Actor, Services
from dialogs.personal_chat import run_in_personal_chat


class BookingDialog(RescheduleSteps):
    """The booking conversation (search, book, my meetings, cancel, move). bot.py routes the commands, verbs and the
    colleague dataset here."""

    async def resume(self, turn_context: TurnContext, actor: Actor, carried: dict[str, Any] | None = None) -> bool:
        """Runs what waited for this person's sign-in (a decline, a search to move a meeting, or a booking); False
        when nothing waited.

        The options are checked again like a fresh form, so a stale or altered payload books nothing; a
        decline or a move is checked again like a fresh click.
        """
        for key, step in (("decline", self._cancel_or_decline), ("move", self._find_another_time)):
            if isinstance(carried, dict) and isinstance(carried.get(key), str):
                result = await self._guarded(step, turn_context, actor, {"bookingId": carried[key]})
                await self._send(turn_context, result)
                return True
        memory = await self._memory(turn_context)
        pending, group_origin = memory.pending(), memory.pending_group_origin()
        memory.set_pending(None)
        if pending is not None:
            data = _option_values(pending)
        elif isinstance(carried, dict) and carried.get("colleague"):
            # The sign-in link's own copy of the options (the state's was lost): it never names a group chat.
            data, group_origin = _strings(carried), None
        else:
            return False
        # A request from a group chat still tells that chat once booked (its reference waited in the state).
        find_times = partial(self._find_times, group_origin=group_origin)
        result = await self._guarded(find_times, turn_context, actor, data)
        await self._send(turn_context, result)
        return True


async def resume_after_sign_in(services: Services, tenant_id: str, oid: str, resume: dict[str, Any]) -> bool:
    """Called by the connect flow once the organizer has signed in: the booking that waited continues.

    `resume` is the payload this dialog handed to `dialogs.connect.sign_in_card_for`; the conversation
    state's pending booking wins when there is one (it is the newest). The suggestions (or the reason
    there are none) go to the organizer's chat as a proactive message. Returns False when nothing waited.
    """
    dialog = BookingDialog(services)
    resumed = False

    async def logic(turn_context: TurnContext, actor: Actor) -> None:
        nonlocal resumed
        resumed = await dialog.resume(turn_context, actor, resume)

    if not await run_in_personal_chat(services, tenant_id, oid, logic):
        log.warning("cannot resume a booking in tenant %s: no conversation with the organizer", tenant_id)
    return resumed
