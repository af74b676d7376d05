"""Every turn is answered inside Teams' time; work that cannot finish by then goes on in the background.

Teams waits 15 s for a bot to answer a card button (an `adaptiveCard/action` invoke) and about as long for
a message. A throttled or hung Outlook, a slow Entra ID or database can take far longer. So each turn runs
as a task of its own with a deadline (TURN_DEADLINE_SECONDS):

* finished in time: answered exactly as before;
* not finished: a card button is answered at once with a "still working" card and a message with a short
  "still working" note; the turn carries on, saves its state and sends its own replies as usual, and a
  card button's real answer then replaces the "still working" card (or, if Teams refuses the update,
  arrives as a new message in the same chat);
* a repeated click on the same button, by the same person, while its work is still going (the "Check
  again" button, a double click, a second device) runs nothing new: it waits for that work until its own
  deadline and answers with its result, or "still working" again.

The guard wraps the bot's turn logic *after* botbuilder has authenticated the request, so nothing is ever
said to an unauthenticated sender. The unfinished turn keeps its own copy of the TurnContext: the first
one's invoke answer must stay "still working" while the work's own answer is kept for the update.
Background work is tracked; on shutdown it gets SHUTDOWN_GRACE_SECONDS to finish, then is cancelled (a
booking cancelled that way stays `reserved` for the reconciler to settle).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from cards.common import late_answer_card, still_working_card
from cards.texts import DONE, STILL_WORKING_MESSAGE, STILL_WORKING_SUBMIT
from dialogs.context import tenant_of
from dialogs.replies import ADAPTIVE_CARD, card_message

log = logging.getLogger(__name__)

TurnLogic = Callable[[TurnContext], Coroutine[Any, Any, None]]
CARD_ACTION = "adaptiveCard/action"
# Inside the 30 s Kubernetes allows by default between asking a process to stop and killing it.
SHUTDOWN_GRACE_SECONDS = 20.0
# Where botbuilder keeps a turn's invoke answer (CloudAdapter returns it to Teams when the turn ends).
_INVOKE_ANSWER = TurnContext._INVOKE_RESPONSE_KEY


@dataclass
class _Work:
    """One turn's logic running as a task, with the TurnContext copy and the context variables it runs in."""

    key: str | None
    task: asyncio.Task[None]
    turn: TurnContext
    variables: contextvars.Context
    started: float


class TurnDeadlines:
    """Runs turns against a deadline (see the module doc). One per process; `drain()` on shutdown."""

    def __init__(self, adapter: BotAdapter, seconds: float, *, outcome: ContextVar[str] | None = None) -> None:
        self._adapter = adapter
        self.seconds = seconds
        self._outcome = outcome  # the per-turn log line's outcome, marked "deferred" or "joined" here
        self._in_flight: dict[str, _Work] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.draining = False  # shutdown has begun and is waiting for background work

    def guard(self, logic: TurnLogic) -> TurnLogic:
        async def guarded(turn_context: TurnContext) -> None:
            await self.run(turn_context, logic)

        return guarded

    async def run(self, turn_context: TurnContext, logic: TurnLogic) -> None:
        activity = turn_context.activity
        if activity.type == ActivityTypes.invoke and activity.name != CARD_ACTION:
            # Other invokes (the colleague typeahead) must carry their answer; they are quick reads.
            await logic(turn_context)
            return
        key = _repeat_key(activity)
        joined = self._in_flight.get(key) if key else None
        if joined is not None:
            await self._join(turn_context, joined)
            return
        working = TurnContext(turn_context)
        working.turn_state.update(turn_context.turn_state)
        variables = contextvars.copy_context()
        task = asyncio.create_task(logic(working), context=variables)
        work = _Work(key, task, working, variables, time.monotonic())
        if key:
            self._in_flight[key] = work
            task.add_done_callback(lambda _: self._forget(work))
        try:
            await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:  # the request itself was abandoned: the work still finishes, tracked
            self._track(self._finish_late(work))
            raise
        if task.done():
            for variable, value in variables.items():  # e.g. the turn's outcome, for app.py's log line
                variable.set(value)
            _copy_answer(working, turn_context)
            task.result()  # a failure reaches botbuilder's turn error handler as before
            return
        self._mark("deferred")
        await _say_still_working(turn_context)
        self._track(self._finish_late(work))

    async def _join(self, turn_context: TurnContext, work: _Work) -> None:
        """A repeated click: the first click's result if it comes within this turn's deadline."""
        self._mark("joined")
        await asyncio.wait({work.task}, timeout=self.seconds)
        if work.task.done() and not work.task.cancelled() and work.task.exception() is None:
            if _copy_answer(work.turn, turn_context) or turn_context.activity.type != ActivityTypes.invoke:
                return
        await _say_still_working(turn_context)

    def _forget(self, work: _Work) -> None:
        if work.key and self._in_flight.get(work.key) is work:
            del self._in_flight[work.key]

    def _mark(self, outcome: str) -> None:
        if self._outcome is not None:
            self._outcome.set(outcome)

    def _track(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _finish_late(self, work: _Work) -> None:
        activity = work.turn.activity
        try:
            await work.task
        except asyncio.CancelledError:
            log.warning("background turn cancelled at shutdown tenant=%s type=%s", tenant_of(activity) or "-",
                        activity.type)
            raise
        except Exception as error:  # the same apology and log as a turn that failed in time
            await self._adapter.on_turn_error(work.turn, error)
            return
        finally:
            outcome = work.variables.get(self._outcome, "-") if self._outcome is not None else "-"
            log.info("turn finished in the background tenant=%s type=%s outcome=%s duration_ms=%.1f",
                     tenant_of(activity) or "-", activity.type, outcome, (time.monotonic() - work.started) * 1000)
        if activity.type == ActivityTypes.invoke:
            await _deliver_late_answer(work.turn)

    async def drain(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Gives background work `grace` seconds to finish (its bookings end confirmed or failed, its cards
        updated), then cancels what is left."""
        pending = set(self._background)
        if not pending:
            return
        self.draining = True
        log.info("waiting for %d background turn(s) before shutting down", len(pending))
        _, unfinished = await asyncio.wait(pending, timeout=grace)
        for work in list(self._in_flight.values()):
            if not work.task.done():
                work.task.cancel()
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)


def _repeat_key(activity: Activity) -> str | None:
    """Who pressed which button with which data, in which chat: equal keys are the same request."""
    action: Any = None
    if activity.type == ActivityTypes.invoke and isinstance(activity.value, dict):
        action = activity.value.get("action")
        action = {"verb": action.get("verb"), "data": action.get("data")} if isinstance(action, dict) else None
    elif activity.type == ActivityTypes.message and isinstance(activity.value, dict) and activity.value.get("verb"):
        action = {"submit": activity.value}
    if action is None:
        return None
    who = (tenant_of(activity), getattr(activity.conversation, "id", None), getattr(activity.from_property, "id", None))
    return json.dumps([who, action], sort_keys=True, default=str)


def _copy_answer(source: TurnContext, target: TurnContext) -> bool:
    answer = source.turn_state.get(_INVOKE_ANSWER)
    if answer is None:
        return False
    target.turn_state[_INVOKE_ANSWER] = answer
    return True


def _clicked(activity: Activity) -> tuple[str, dict[str, Any]]:
    """The verb and data of the button behind a card-action invoke."""
    value: dict[str, Any] = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action")
    action = action if isinstance(action, dict) else {}
    data = action.get("data")
    data = data if isinstance(data, dict) else {}
    return str(action.get("verb") or data.get("verb") or ""), data


async def _say_still_working(turn_context: TurnContext) -> None:
    activity = turn_context.activity
    if activity.type == ActivityTypes.invoke:
        body = {"statusCode": 200, "type": ADAPTIVE_CARD, "value": still_working_card(*_clicked(activity))}
        turn_context.turn_state[_INVOKE_ANSWER] = Activity(
            type=ActivityTypes.invoke_response, value=InvokeResponse(status=int(HTTPStatus.OK), body=body)
        )
        return
    if activity.type != ActivityTypes.message:
        return  # nothing the person sees is waiting (a conversation update)
    note = STILL_WORKING_SUBMIT if isinstance(activity.value, dict) else STILL_WORKING_MESSAGE
    try:
        await turn_context.send_activity(note)
    except Exception as exc:  # the Bot Connector may be what is slow; the turn's own replies still follow
        log.warning("could not say 'still working': %s", type(exc).__name__)


async def _deliver_late_answer(turn_context: TurnContext) -> None:
    """Replaces the "still working" card with the real answer, or sends it as a new message."""
    answer = turn_context.turn_state.get(_INVOKE_ANSWER)
    body = getattr(getattr(answer, "value", None), "body", None)
    if not isinstance(body, dict):
        return  # the turn ended without an answer (it failed, and its error handler said so)
    if body.get("type") == ADAPTIVE_CARD and isinstance(body.get("value"), dict):
        card = body["value"]
    else:
        card = late_answer_card(str(body.get("value") or DONE), *_clicked(turn_context.activity))
    replacement = card_message(card)
    replacement.id = turn_context.activity.reply_to_id
    try:
        if not replacement.id:
            raise LookupError("the click did not say which message holds the card")
        await turn_context.update_activity(replacement)
    except Exception as exc:  # a card Teams will not update: the answer comes as a new message
        log.info("could not update the card (%s); sending the answer as a new message", type(exc).__name__)
        try:
            await turn_context.send_activity(card_message(card))
        except Exception as send_error:
            log.warning("late answer not delivered: %s", type(send_error).__name__)
