"""What every booking step shares: the stop signal, the resolved search, and the base class holding the
services and the plumbing each step uses (state, tenant/colleague checks, Graph calls recorded and explained,
sending a result), plus small pure helpers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from cards import texts
from cards.base import Card, plain
from cards.booking import CancelledView, sign_in_needed_card
from dialogs.access import ensure_allowed, explain_graph_failure
from dialogs.booking_people import ColleagueRefused, Colleagues, Person
from dialogs.booking_state import STATE_PROPERTY, BookingMemory, BookingOptions, PayloadRefused
from dialogs.booking_views import (
    Attendees,
    attendee_name_list,
    attendees_of,
    confirmation_card_for,
    meeting_times,
    names_phrase,
)
from dialogs.clock import notice_key, zone_notice
from dialogs.connect import sign_in_card_for
from dialogs.context import ActionResult, Actor, Services
from dialogs.graph_calls import recorded
from dialogs.link_cards import remember_answer_card, remember_link_card
from dialogs.replies import card_message
from dialogs.signin import IntegrationNotConfigured
from dialogs.text_input import clean_text
from graph.calendar import Caller
from graph.errors import AccessDenied, AuthFailure, AuthProblem, GraphError, Throttled
from scheduling.windows import TimeWindow, WindowError
from storage.repositories import BookingRecord, MemberRepository, TenantRecord, TenantRepository

log = logging.getLogger(__name__)

MAX_SUBJECT = 200  # within Exchange's 255-character subject limit


class BookingStopped(Exception):
    """The booking cannot go on; `result` is what the person sees instead."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__(result.text or "booking stopped")
        self.result = result


@dataclass(frozen=True)
class Invitee:
    """Someone the organizer invites: required people must be free; optional ones only rank the times."""

    person: Person
    required: bool = True


@dataclass(frozen=True)
class _Search:
    """The organizer's request, resolved: the organizer, everyone invited (in the organizer's order), the window
    and the options as given."""

    organizer: Person
    invitees: tuple[Invitee, ...]
    window: TimeWindow
    options: BookingOptions

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.options.duration_minutes)

    @property
    def colleague(self) -> Person:
        """The first person invited: what a one-to-one meeting's texts name."""
        return self.invitees[0].person

    @property
    def people(self) -> list[Person]:
        """The organizer, then everyone invited."""
        return [self.organizer, *(invitee.person for invitee in self.invitees)]

    @property
    def optional_emails(self) -> frozenset[str]:
        return frozenset((invitee.person.email or "").lower() for invitee in self.invitees if not invitee.required)

    @property
    def names(self) -> str:
        """Everyone invited as one phrase: "Ben Walters", "Ben Walters, Chloe Martin and Dev Patel (optional)"."""
        return invitee_names(self.invitees)


def invitee_names(invitees: Sequence[Invitee]) -> str:
    return names_phrase([invitee.person.name if invitee.required
                         else texts.OPTIONAL_NAME.format(name=invitee.person.name) for invitee in invitees])


def duration_label(minutes: int) -> str:
    """ "30 min", "1 h", "1 h 30 min": also what a custom length is prefilled with, so parse_duration reads it back."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return texts.DURATION_MINUTES.format(minutes=minutes)
    if not rest:
        return texts.DURATION_HOURS.format(hours=hours)
    return texts.DURATION_HOURS_MINUTES.format(hours=hours, minutes=rest)


def now() -> datetime:
    return datetime.now(UTC)


def _clean(value: object, limit: int, *, multiline: bool = False) -> str | None:
    if not isinstance(value, str):
        return None
    return clean_text(value, limit, multiline=multiline).strip() or None


class BookingBase:
    """The services and plumbing every booking step uses; the steps themselves are in search.py, book.py
    and meetings.py, and BookingDialog (dialog.py) combines them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._state = services.conversation_state.create_property(STATE_PROPERTY)

    async def _memory(self, turn_context: TurnContext) -> BookingMemory:
        document = await self._state.get(turn_context, dict)
        memory = BookingMemory(document)
        memory.prune(now())
        return memory

    @staticmethod
    def _zone_notice(memory: BookingMemory, person: Person) -> list[str]:
        """Once per conversation: that Teams puts the person in another zone than the one their times are in."""
        notice = zone_notice(person.outlook_time_zone, person.time_zone, now())
        if notice is None or not memory.first_zone_notice(notice_key(person.outlook_time_zone, person.time_zone)):
            return []
        return [notice]

    def _confirmation(self, booking: BookingRecord, organizer: Person, attendees: Attendees, *,
                      for_attendee: bool = False, reader: Person | None = None, note: str | None = None) -> Card:
        return confirmation_card_for(booking, organizer, attendees, for_attendee=for_attendee, reader=reader,
                                     note=note)

    def _calendar(self) -> Any:
        if self.services.calendar is None:
            raise BookingStopped(ActionResult(
                text=texts.GRAPH_NOT_CONFIGURED))
        return self.services.calendar

    @staticmethod
    def _caller(tenant_id: str, mode: str | None, organizer: Person) -> Caller:
        if mode == "delegated":
            return Caller.user(tenant_id, organizer.oid)
        if not organizer.email:
            raise BookingStopped(ActionResult(
                text=texts.NO_EMAIL_FROM_TEAMS))
        return Caller.app(tenant_id, organizer.email)

    def _colleagues(self, actor: Actor) -> Colleagues:
        return Colleagues(MemberRepository(self.services.db, actor.tenant_id), actor)

    async def _require_tenant(self, actor: Actor) -> TenantRecord:
        tenant = await TenantRepository(self.services.db, actor.tenant_id).get()
        if tenant is None or not tenant.enabled or not tenant.mode:
            raise BookingStopped(ActionResult(
                text=texts.ORGANIZATION_NOT_CONNECTED))
        return tenant

    async def _require_allowed(self, actor: Actor, *colleagues: Person) -> None:
        """Everyone must pass the tenant's security-group rule before anything is read about them; every
        colleague refused is named, each with the reason."""
        own = await ensure_allowed(self.services, actor)
        if own:
            raise BookingStopped(ActionResult(text=own))
        problems = [problem for colleague in colleagues
                    if (problem := await ensure_allowed(self.services, colleague.oid, actor.tenant_id))]
        if problems:
            raise BookingStopped(ActionResult(text="\n\n".join(dict.fromkeys(problems))))

    async def _graph(self, actor: Actor, about_people: list[Person], kind: str, reason: str, call: Any,
                     *, about: Person) -> Any:
        """Runs one Graph call, records it for each person it concerns, and turns failures into messages."""
        return await self._explained(actor, self._recorded(actor, about_people, kind, reason, call), about=about)

    async def _recorded(self, actor: Actor, about_people: list[Person], kind: str, reason: str, call: Any) -> Any:
        """Awaits the call and records it for `privacy`; a call stopped before it reached Microsoft (no token:
        not connected, consent missing) is not recorded, so the list holds only look-ups that happened."""
        return await recorded(self.services.db, actor.tenant_id, [person.oid for person in about_people], kind,
                              reason, call)

    async def _explained(self, actor: Actor, call: Any, *, about: Person) -> Any:
        """Awaits a Graph call and turns its failures into messages for the user (and the admin's status)."""
        try:
            return await call
        except Throttled as exc:
            await explain_graph_failure(self.services, actor.tenant_id, exc)
            raise BookingStopped(ActionResult(text=texts.THROTTLED)) from exc
        except AccessDenied as exc:
            message = await explain_graph_failure(self.services, actor.tenant_id, exc)
            if exc.access_policy:
                own = about.oid == actor.aad_object_id
                name = texts.YOUR if own else texts.POSSESSIVE.format(name=plain(about.name))
                message = texts.ACCESS_POLICY_BLOCKS_CALENDAR.format(whose=name)
            raise BookingStopped(ActionResult(text=message)) from exc
        except AuthProblem as exc:
            # Every delegated call runs on the acting person's own sign-in, so a reconnect is always theirs to do.
            message = await explain_graph_failure(self.services, actor.tenant_id, exc)
            raise BookingStopped(ActionResult(text=message)) from exc
        except GraphError as exc:
            message = await explain_graph_failure(self.services, actor.tenant_id, exc)
            raise BookingStopped(ActionResult(text=message)) from exc

    async def _guarded(self, step: Any, turn_context: TurnContext, actor: Actor, data: Any) -> ActionResult:
        try:
            result: ActionResult = await step(turn_context, actor, data)
            return result
        except BookingStopped as stopped:
            return stopped.result
        except (PayloadRefused, ColleagueRefused, WindowError) as refused:
            return ActionResult(text=str(refused))

    async def _send(self, turn_context: TurnContext, result: ActionResult) -> None:
        if result.card is not None:
            sent = await turn_context.send_activity(card_message(result.card))
            # A sign-in card sent as a new message: its link's callback replaces it with what happened.
            await remember_link_card(self.services, result.card, sent.id if sent else None,
                                     turn_context.activity.conversation.id)
        if result.text:
            await turn_context.send_activity(result.text)


async def _typing(turn_context: TurnContext) -> None:
    """Shows "Rendezvous is typing" while Outlook works; never worth failing the turn over."""
    try:
        await turn_context.send_activity(Activity(type=ActivityTypes.typing))
    except Exception as exc:
        log.debug("typing indicator not delivered: %s", type(exc).__name__)


def _needs_sign_in(exc: BaseException) -> bool:
    return isinstance(exc, AuthProblem) and exc.kind is AuthFailure.RECONNECT_NEEDED


async def _sign_in_card(services: Services, turn_context: TurnContext, actor: Actor, resume: dict[str, Any],
                        message: str | None) -> Card:
    """The connect flow's sign-in card, carrying what to resume after sign-in (a booking's options, a decline).

    Answering a card button, it replaces the clicked card (`replyToId`), so that message is the one the link's
    callback replaces with what happened; a typed command's card is remembered once sent (`_send`).
    """
    try:
        card = await sign_in_card_for(services, actor, resume=resume)
    except (IntegrationNotConfigured, AuthProblem) as exc:
        log.warning("could not build a sign-in link for tenant %s: %s", actor.tenant_id, type(exc).__name__)
        return sign_in_needed_card(message or texts.PERMISSION_NEEDED)
    await remember_answer_card(services, turn_context, card)
    return card


def _cancelled_view(booking: BookingRecord, organizer: Person, attendees: Attendees, reader: Person
                    ) -> CancelledView:
    """Only its organizer can cancel a meeting (Outlook's roles; an attendee declines), so every card names them.
    The times are written the way `reader` reads them."""
    return CancelledView(subject=booking.subject,
                         with_name=names_phrase([organizer.name, *attendee_name_list(booking, attendees)]),
                         times=meeting_times(booking, organizer, attendees, reader), cancelled_by=organizer.name)


def _reader(actor: Actor, organizer: Person, attendees: Attendees) -> Person:
    """Which of the meeting's people is reading the card (the organizer unless it is one of the attendees)."""
    return next((person for person in attendees_of(attendees) if person.oid == actor.aad_object_id), organizer)


def _strings(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.strip() for key, value in values.items() if isinstance(value, str) and value.strip()}
