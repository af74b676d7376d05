"""The Teams activity handler: who is talking, then one routing table for text commands and card verbs.

Every turn: refuse what is not Teams or has no tenant; record the person (for proactive messages and
the colleague picker); route; save conversation state. Dialogs do the talking; this file only routes.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.schema.teams import TeamsChannelData
from msrest.serialization import Deserializer

from cards.base import Card
from cards.booking import COLLEAGUE_DATASET
from cards.common import help_card, welcome_card
from cards.group_chat import bot_chat_link, group_welcome_card, personal_chat_card
from cards.texts import (
    ANSWERED_IN_PERSONAL_CHAT,
    BUTTON_NO_LONGER_SUPPORTED,
    DONE,
    MEMBERS_ONLY,
    NO_TENANT,
    ONE_TO_ONE_ONLY,
    TEAMS_ONLY,
    UNKNOWN_COMMAND,
    UNKNOWN_DATASET,
    UNREADABLE_ACTION,
    UNREADABLE_ACTIVITY,
)
from dialogs.admin import AdminDialogs
from dialogs.booking import BookingDialog
from dialogs.booking.group_request import propose_from_group_chat
from dialogs.connect import ConnectDialogs
from dialogs.context import ActionHandler, ActionResult, Actor, CommandHandler, SearchHandler, Services, tenant_of
from dialogs.personal_chat import remember_client, run_in_personal_chat, send_submit_actions
from dialogs.privacy import PrivacyDialogs
from dialogs.recent_members import RecentMembers, recent_members_for
from dialogs.replies import ADAPTIVE_CARD, MOBILE_PLATFORMS, card_message
from dialogs.text_input import identifiers_fit, member_fields, normalize_activity, valid_locale, valid_time_zone
from storage.repositories import MemberRecord, MemberRepository
from storage.state_store import ETagConflict

log = logging.getLogger(__name__)

# How the current turn ended, for app.py's one log line per turn ("ok", "refused", "error <ref>" ...).
TURN_OUTCOME: ContextVar[str] = ContextVar("turn_outcome", default="ok")
# What the turn was, for the turn metrics: "command:<command>", "action:<verb>", "search", or the activity type
# app.py starts with. Only routing-table keys: never text a person typed.
TURN_KIND: ContextVar[str] = ContextVar("turn_kind", default="other")
UNKNOWN_CONVERSATION_TYPE = "unknown"
# What may run where others read along (group chats, channels): nothing that shows a person's data.
SHARED_CHAT_COMMANDS = frozenset({"help"})
# Typed in a group chat (or a meeting's chat), these propose a meeting with the chat's members; the times go to
# the requester's 1:1 chat (dialogs/booking/group_request.py).
GROUP_PROPOSAL_COMMANDS = frozenset({"book", "find a time"})


def _client_time_zone(activity: Activity) -> str | None:
    """Teams puts the user's IANA zone in the clientInfo entity; Bot Framework also in localTimezone."""
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if getattr(entity, "type", None) == "clientInfo" and props.get("timezone"):
            return str(props["timezone"])
    return activity.local_timezone or None


def _client_platform(activity: Activity) -> str | None:
    """Which Teams client sent the activity ("android", "ios", "web", "desktop"), from the clientInfo entity."""
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if getattr(entity, "type", None) == "clientInfo" and isinstance(props.get("platform"), str):
            return str(props["platform"]).lower()
    return None


def _client_locale(activity: Activity) -> str | None:
    """The user's locale: on the activity itself, and in the clientInfo entity (both checked on arrival)."""
    if activity.locale:
        return str(activity.locale)
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if getattr(entity, "type", None) == "clientInfo" and props.get("locale"):
            return str(props["locale"])
    return None


def _text_without_bot_mention(activity: Activity) -> str:
    """The typed text with "@Rendezvous" taken out (group chats and channels put it in).

    Written here rather than TurnContext.remove_recipient_mention, which fails the turn on an entity without
    a type or a mention without `mentioned`, and reads the mentioned name as a regular expression.
    """
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = getattr(activity.recipient, "id", None)
    for entity in activity.entities or []:
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned")
        if str(getattr(entity, "type", "") or "").lower() != "mention" or not isinstance(mentioned, dict):
            continue
        if mentioned.get("id") != bot_id:
            continue
        tag = props.get("text")
        if not isinstance(tag, str) or not tag:
            tag = f"<at>{mentioned.get('name')}</at>" if isinstance(mentioned.get("name"), str) else ""
        if tag:
            text = text.replace(tag, "")
    return text


# One deserializer for every turn: TeamsChannelData().deserialize() builds a new one, with the map of every Teams
# model class, on each call (a few milliseconds, a large share of a help turn).
_TEAMS_CHANNEL_DATA = Deserializer(TeamsChannelData._infer_class_models())


def _readable_channel_data(activity: Activity) -> bool:
    """True when channelData is absent or has the shape Teams sends (what TeamsActivityHandler can read)."""
    if activity.channel_data is None:
        return True
    if not isinstance(activity.channel_data, dict):
        return False
    try:
        _TEAMS_CHANNEL_DATA(TeamsChannelData.__name__, activity.channel_data)
    except Exception:  # msrest raises several types for a malformed shape
        return False
    return True


class RendezvousBot(TeamsActivityHandler):
    def __init__(self, services: Services) -> None:
        self.services = services
        self.recent_members = recent_members_for(services.db)
        booking = BookingDialog(services)
        self.booking = booking
        self._example_colleague = booking.example_colleague
        self._new_member_seen = booking.forget_examples
        admin = AdminDialogs(services)
        connection = ConnectDialogs(services)
        privacy = PrivacyDialogs(services)
        # The routing table: typed command -> handler (longest match wins, so "disconnect organization"
        # beats "disconnect"), and card verb -> handler (Action.Execute and its Action.Submit fallback).
        self.commands: dict[str, CommandHandler] = {
            "help": self._help,
            "book": booking.book_command,
            "find a time": booking.book_command,
            "my meetings": booking.my_meetings_command,
            "connect": connection.connect,
            "disconnect": connection.disconnect,
            "privacy": privacy.privacy,
            "setup": admin.setup,
            "status": admin.status,
            "audit": admin.audit,
            "disconnect organization": admin.disconnect_organization,
        }
        self.actions: dict[str, ActionHandler] = {
            "help": self._help_action,
            "startBooking": booking.start_booking,
            "findTimes": booking.find_times,
            "moreTimes": booking.more_times,
            "nextWindow": booking.next_window,
            "changeOptions": booking.change_options,
            "book": booking.book,
            "cancelBooking": booking.cancel_booking,
            "declineBooking": booking.decline_booking,
            "confirmCancelBooking": booking.confirm_cancel_booking,
            "keepBooking": booking.keep_booking,
            "refreshBooking": booking.refresh_booking,
            "myMeetings": booking.my_meetings_action,
            "findAnotherTime": booking.find_another_time,
            "moveToSlot": booking.move_to_slot,
            "disconnectMyCalendar": connection.disconnect_my_calendar,
            "openSetup": admin.open_setup,
            "saveSetup": admin.save_setup,
            "proveAdmin": admin.prove_admin,
            "confirmDisconnectOrganization": admin.confirm_disconnect_organization,
        }
        # Typeahead searches (Data.Query datasets) by dataset name: the colleague picker.
        self.searches: dict[str, SearchHandler] = {COLLEAGUE_DATASET: booking.search_colleagues}

    # ----------------------------------------------------------------- turn pipeline
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        normalize_activity(activity)  # before anything reads, stores or shows what the client sent
        refusal = self._refusal(activity)
        if refusal:
            if activity.type == ActivityTypes.message:
                await turn_context.send_activity(refusal)
            elif activity.type == ActivityTypes.invoke:
                # Without an invoke response botbuilder answers 501 with no body, which Teams shows as a
                # failure of the app; the person reads why instead.
                await turn_context.send_activity(
                    Activity(type=ActivityTypes.invoke_response, value=self._refused_invoke(activity, refusal))
                )
            TURN_OUTCOME.set("refused")
            return
        turn_context.turn_state["rendezvous.actor"] = await self._record_member(turn_context)
        mobile = _client_platform(activity) in MOBILE_PLATFORMS
        if mobile:
            # Teams mobile cannot send Action.Execute: every card this turn sends or updates gets Action.Submit
            # buttons, whose answers come back as messages and take the same route (on_message_activity).
            send_submit_actions(turn_context)
        try:
            if activity.conversation.conversation_type == "personal":
                await remember_client(self.services, turn_context, mobile)
            await super().on_turn(turn_context)
        finally:
            try:
                await self.services.conversation_state.save_changes(turn_context)
            except ETagConflict:
                # Another turn of the same chat (a double click, a second device) saved first. Its state
                # stands; a later click on something only this turn offered is refused with a clear message.
                log.warning("conversation state was saved by a concurrent turn; this turn's changes were dropped")

    @staticmethod
    def _refusal(activity: Activity) -> str | None:
        if activity.channel_id != "msteams":
            return TEAMS_ONLY
        if not tenant_of(activity):
            return NO_TENANT
        if not _readable_channel_data(activity):
            # botbuilder's Teams handlers read channelData as TeamsChannelData and fail the turn on other shapes.
            return UNREADABLE_ACTIVITY
        if not identifiers_fit(activity):  # ids longer than Teams' would not fit the rows they key
            return UNREADABLE_ACTIVITY
        if not getattr(activity.from_property, "aad_object_id", None):
            return MEMBERS_ONLY
        return None

    async def _record_member(self, turn_context: TurnContext) -> Actor:
        """Stores who this is, refreshing email/UPN from the Teams member API when we don't have it."""
        activity = turn_context.activity
        tenant_id = tenant_of(activity) or ""
        sender: ChannelAccount = activity.from_property
        oid = str(sender.aad_object_id).lower()
        members = MemberRepository(self.services.db, tenant_id)
        recent = self.recent_members.get(tenant_id, oid)
        known = recent or await members.get(oid)
        if known is None:
            self._new_member_seen(tenant_id)
        email = known.email if known else None
        upn = known.user_principal_name if known else None
        name = sender.name or (known.name if known else "")
        if not email:
            try:
                teams_member = await TeamsInfo.get_member(turn_context, sender.id)
                email = teams_member.email or None
                upn = teams_member.user_principal_name or None
                name = teams_member.name or name
            except Exception as exc:  # the member API being down must not stop the conversation
                log.warning("Teams member lookup failed for a member of tenant %s: %s", tenant_id, type(exc).__name__)
        name, email, upn = member_fields(name, email, upn)
        time_zone = _client_time_zone(activity) or valid_time_zone(known.time_zone if known else None)
        locale = _client_locale(activity) or valid_locale(known.locale if known else None)
        # A chat whose type Teams did not say is treated as shared: only a known 1:1 chat sees personal data.
        conversation_type = activity.conversation.conversation_type or UNKNOWN_CONVERSATION_TYPE
        # Proactive messages (confirmations, sign-in results) go to the stored chat, so only a 1:1 chat
        # is ever stored: a group chat or channel would show one person's meetings to everyone in it.
        reference = (
            TurnContext.get_conversation_reference(activity).serialize() if conversation_type == "personal" else None
        )
        now = datetime.now(UTC)
        member = MemberRecord(
            tenant_id=tenant_id,
            aad_object_id=oid,
            teams_user_id=sender.id,
            name=name,
            email=email,
            user_principal_name=upn,
            time_zone=time_zone,
            conversation_reference=reference,
            last_seen_at=now,
            locale=locale,
        )
        if recent is None or not RecentMembers.unchanged(recent, member):
            self.recent_members.remember(await members.upsert(member))
        return Actor(
            tenant_id=tenant_id,
            aad_object_id=oid,
            teams_user_id=sender.id,
            name=name or "",
            conversation_id=activity.conversation.id,
            conversation_type=conversation_type,
            email=email or upn,
            time_zone=time_zone,
            outlook_time_zone=valid_time_zone(known.outlook_time_zone if known else None),
            locale=locale,
        )

    @staticmethod
    def actor(turn_context: TurnContext) -> Actor:
        actor: Actor = turn_context.turn_state["rendezvous.actor"]
        return actor

    # ----------------------------------------------------------------- install and welcome
    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        # Teams adds the bot itself when the app is installed in a chat: greet the people there. The
        # installationUpdate that Teams sends alongside is not answered, or the welcome would come twice.
        bot_id = turn_context.activity.recipient.id
        if any(member.id == bot_id for member in members_added):
            actor = self.actor(turn_context)
            # In a group chat or channel the welcome is for everyone there, not for whoever added the app.
            welcome = (welcome_card(actor.name) if actor.is_personal_chat
                       else group_welcome_card(bot_chat_link(bot_id)))
            await turn_context.send_activity(card_message(welcome))

    # ----------------------------------------------------------------- messages and commands
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("verb"):
            # Action.Submit fallback of an Action.Execute card: same verb, same data.
            result = await self._run_action(turn_context, activity.value)
            await self._apply_submit_result(turn_context, result)
            return
        command, argument = self.match_command(_text_without_bot_mention(activity))
        TURN_KIND.set(f"command:{command or 'unknown'}")
        if command is None:
            await turn_context.send_activity(UNKNOWN_COMMAND)
            return
        actor = self.actor(turn_context)
        if command in GROUP_PROPOSAL_COMMANDS and activity.conversation.conversation_type == "groupChat":
            await self._propose_from_group_chat(turn_context, actor, argument)
            return
        if command not in SHARED_CHAT_COMMANDS and not actor.is_personal_chat:
            await self._continue_in_personal_chat(turn_context, actor, command, argument)
            return
        await self.commands[command](turn_context, actor, argument)

    async def _propose_from_group_chat(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        """ "find a time" in a group chat: a meeting with the chat's members, proposed in the requester's 1:1 chat."""
        mobile = _client_platform(turn_context.activity) in MOBILE_PLATFORMS
        await propose_from_group_chat(self.booking, turn_context, actor, argument, submit_actions=mobile)

    async def _continue_in_personal_chat(self, turn_context: TurnContext, actor: Actor, command: str,
                                         argument: str) -> None:
        """A personal command typed where others read along: answered in the person's 1:1 chat when the bot
        has one with them, else a link that opens that chat. Nothing of theirs is said where they typed it."""
        handler = self.commands[command]

        async def answer(personal_context: TurnContext, personal_actor: Actor) -> None:
            await handler(personal_context, personal_actor, argument)

        mobile = _client_platform(turn_context.activity) in MOBILE_PLATFORMS
        if await run_in_personal_chat(self.services, actor.tenant_id, actor.aad_object_id, answer,
                                      submit_actions=mobile):
            await turn_context.send_activity(ANSWERED_IN_PERSONAL_CHAT)
            return
        await turn_context.send_activity(card_message(personal_chat_card(bot_chat_link(
            turn_context.activity.recipient.id))))

    def match_command(self, text: str) -> tuple[str | None, str]:
        """Longest command that starts the text, case-insensitive; the rest is the argument."""
        normalized = re.sub(r"\s+", " ", text.strip()).lower()
        for command in sorted(self.commands, key=len, reverse=True):
            if normalized == command or normalized.startswith(command + " "):
                return command, text.strip()[len(command):].strip()
        return None, ""

    async def _apply_submit_result(self, turn_context: TurnContext, result: ActionResult) -> None:
        activity = turn_context.activity
        if result.card is not None and activity.reply_to_id:
            replacement = card_message(result.card)
            replacement.id = activity.reply_to_id
            try:
                await turn_context.update_activity(replacement)
            except Exception:  # some clients cannot update; send the card as a new message instead
                await turn_context.send_activity(card_message(result.card))
        elif result.card is not None:
            await turn_context.send_activity(card_message(result.card))
        if result.text:
            await turn_context.send_activity(result.text)

    # ----------------------------------------------------------------- invokes (Universal Actions, search)
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        if name == "adaptiveCard/action":
            raw_action = value.get("action")
            action: dict[str, Any] = raw_action if isinstance(raw_action, dict) else {}
            raw_data = action.get("data") or {}
            if not isinstance(raw_data, dict):  # our cards only ever send an object; this one was altered
                return self._invoke_response_for(ActionResult(text=UNREADABLE_ACTION))
            data = {**raw_data, "verb": action.get("verb") or raw_data.get("verb")}
            result = await self._run_action(turn_context, data)
            return self._invoke_response_for(result)
        if name == "application/search":
            return await self._search(turn_context, value)
        return InvokeResponse(status=int(HTTPStatus.NOT_IMPLEMENTED))

    async def _run_action(self, turn_context: TurnContext, data: dict[str, Any]) -> ActionResult:
        verb = str(data.get("verb") or "")
        handler = self.actions.get(verb)
        TURN_KIND.set(f"action:{verb if handler is not None else 'unknown'}")
        if handler is None:
            return ActionResult(text=BUTTON_NO_LONGER_SUPPORTED)
        actor = self.actor(turn_context)
        if verb not in SHARED_CHAT_COMMANDS and not actor.is_personal_chat:
            return ActionResult(text=ONE_TO_ONE_ONLY)
        return await handler(turn_context, actor, data)

    @staticmethod
    def _refused_invoke(activity: Activity, refusal: str) -> InvokeResponse:
        """The answer to an invoke the bot will not serve: what Teams shows for its kind of invoke."""
        if activity.name == "application/search":
            body = {"statusCode": 400, "type": "application/vnd.microsoft.error",
                    "value": {"code": "Refused", "message": refusal}}
            return InvokeResponse(status=int(HTTPStatus.OK), body=body)
        return RendezvousBot._invoke_response_for(ActionResult(text=refusal))

    @staticmethod
    def _invoke_response_for(result: ActionResult) -> InvokeResponse:
        if result.card is not None:
            body = {"statusCode": 200, "type": ADAPTIVE_CARD, "value": result.card}
        else:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": result.text or DONE,
            }
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    async def _search(self, turn_context: TurnContext, value: dict[str, Any]) -> InvokeResponse:
        # Teams sends both as strings; any other shape is treated as absent rather than shown as Python.
        raw_dataset, raw_query = value.get("dataset"), value.get("queryText")
        dataset = raw_dataset if isinstance(raw_dataset, str) else ""
        query = raw_query if isinstance(raw_query, str) else ""
        search = self.searches.get(dataset)
        TURN_KIND.set("search")
        if search is None:
            body = {"statusCode": 404, "type": "application/vnd.microsoft.error",
                    "value": {"code": "NotFound", "message": UNKNOWN_DATASET.format(dataset=dataset)}}
            return InvokeResponse(status=int(HTTPStatus.OK), body=body)
        actor = self.actor(turn_context)
        # The colleague list is for booking, which happens in the 1:1 chat only.
        results = await search(turn_context, actor, query) if actor.is_personal_chat else []
        body = {"statusCode": 200, "type": "application/vnd.microsoft.search.searchResponse",
                "value": {"results": results}}
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    # ----------------------------------------------------------------- help
    async def _help(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        await turn_context.send_activity(card_message(await self._help_card(actor)))

    async def _help_action(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return ActionResult(card=await self._help_card(actor))

    async def _help_card(self, actor: Actor) -> Card:
        # The example names a colleague of the reader's only where the reader alone sees it.
        return help_card(await self._example_colleague(actor) if actor.is_personal_chat else None)
