"""Booking a meeting with a colleague in chat: form -> suggestions -> book -> confirmation; my meetings; cancel.

Flow and safety rules (issue 4):
* Only colleagues of the same tenant who have used the bot can be booked; only their free/busy is read.
* Cards carry ids only; each id is checked against this conversation's state (dialogs/booking_state.py).
* Booking is idempotent: the reservation row's unique key (search id + slot) decides double clicks and
  concurrent clicks, and the Graph transactionId stays the same for every attempt at one booking.
* In individual ('delegated') mode findMeetingTimes suggests times, one working-hours slot per day.
* Outlook's roles in both modes: the organizer cancels, the invited colleague declines their own copy.
  Every call runs as the person acting: their own sign-in (individual mode) or the app in their own
  mailbox (domain-wide), never someone else's token.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from cards import texts
from cards.base import Card, plain
from cards.booking import (
    IN_LIST,
    MAX_MEETINGS_SHOWN,
    BookingForm,
    CancelledView,
    CancelQuestionView,
    DeclinedView,
    MeetingItem,
    MyMeetingsView,
    NoSlotView,
    SlotView,
    SuggestionsView,
    booking_form_card,
    cancel_question_card,
    cancelled_by_words,
    cancelled_card,
    declined_card,
    my_meetings_card,
    no_slot_card,
    sign_in_needed_card,
    suggestions_card,
)
from dialogs.access import ensure_allowed, explain_graph_failure
from dialogs.booking_people import (
    ColleagueRefused,
    Colleagues,
    NoSuchColleague,
    Person,
    organizer_of,
    person_of,
    require_own_mailbox,
)
from dialogs.booking_phrases import recognize
from dialogs.booking_recovery import BookingRecovery, failure_message
from dialogs.booking_state import (
    STATE_PROPERTY,
    BookingMemory,
    BookingOptions,
    OfferedSlot,
    PayloadRefused,
    SearchRecord,
    new_search_id,
    refuse_if_expired,
    slot_id_for,
)
from dialogs.booking_views import confirmation_card_for, meeting_times
from dialogs.clock import notice_key, zone_notice, zone_or_utc
from dialogs.connect import sign_in_card_for
from dialogs.context import ActionResult, Actor, Services
from dialogs.link_cards import remember_answer_card, remember_link_card
from dialogs.personal_chat import run_in_personal_chat
from dialogs.recent_members import recent_members_for
from dialogs.replies import card_message
from dialogs.signin import IntegrationNotConfigured, notify_member
from dialogs.text_input import clean_text, valid_time_zone
from graph.calendar import (
    AttendeeResponse,
    Caller,
    CreatedEvent,
    EmptySuggestionsReason,
    EventAttendee,
    Invitation,
    NewEvent,
)
from graph.errors import AccessDenied, AuthFailure, AuthProblem, GraphError, NotFound, NotOurEvent, Throttled
from observability.metrics import count_booking
from scheduling.display import day_label, local_label
from scheduling.durations import DurationError, ShortcutTooLong, parse_duration
from scheduling.meeting_times import Standing, standing_of, working_day_slots
from scheduling.model import Availability, FreeBusyStatus
from scheduling.phrasing import Request, Unread, read_request
from scheduling.requested import nearest_first
from scheduling.slots import SlotRequest, find_slots, is_slot_still_free
from scheduling.windows import MAX_DAYS_AHEAD, TimeWindow, WindowError, between, dst_changes, next_week, this_week
from scheduling.zones import zone_name
from storage.database import DATABASE_OUTAGES
from storage.repositories import (
    BookingRecord,
    BookingRepository,
    GraphCallRepository,
    MemberRepository,
    TenantRecord,
    TenantRepository,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 5
FIXED_DURATIONS = ("15", "30", "45", "60")
DEFAULT_DURATION = timedelta(minutes=30)  # what the form preselects, and what a typed request without one means
DEFAULT_DAYS = 7  # a typed request without a day looks at the next seven days
MAX_NAME_WORDS = 4  # "Jean-Claude van der Berg": the longest beginning of a typed name tried on its own
MAX_SUBJECT = 200  # within Exchange's 255-character subject limit
MAX_NOTE = 1000
# How long a second click waits for the first click's booking to finish before answering "in progress".
WAIT_FOR_OTHER_CLICK = timedelta(seconds=15)
_POLL_INTERVAL = 0.2
_RESPONSE_WORDS = {
    AttendeeResponse.ACCEPTED: "accepted",
    AttendeeResponse.TENTATIVELY_ACCEPTED: "tentative",
    AttendeeResponse.DECLINED: "declined",
}


class BookingStopped(Exception):
    """The booking cannot go on; `result` is what the person sees instead."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__(result.text or "booking stopped")
        self.result = result


@dataclass(frozen=True)
class _Search:
    """The organizer's request, resolved: both people, the window and the options as given."""

    organizer: Person
    colleague: Person
    window: TimeWindow
    options: BookingOptions

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.options.duration_minutes)


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _now() -> datetime:
    return datetime.now(UTC)


def _clean(value: object, limit: int, *, multiline: bool = False) -> str | None:
    if not isinstance(value, str):
        return None
    return clean_text(value, limit, multiline=multiline).strip() or None


EXAMPLE_REMEMBERED_SECONDS = 300.0
EXAMPLES_REMEMBERED = 10_000


class BookingDialog:
    """The booking conversation. bot.py routes the commands, verbs and the colleague dataset here."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._state = services.conversation_state.create_property(STATE_PROPERTY)
        self._recovery = BookingRecovery(services)
        # help's example colleague per person, briefly: a help turn then costs no database read (issue 12's
        # per-turn budget); a name a few minutes old is still a good example.
        self._examples: dict[tuple[str, str], tuple[float, str | None]] = {}

    # ----------------------------------------------------------------- routing tables
    # ----------------------------------------------------------------- state
    async def _memory(self, turn_context: TurnContext) -> BookingMemory:
        document = await self._state.get(turn_context, dict)
        memory = BookingMemory(document)
        memory.prune(_now())
        return memory

    # ----------------------------------------------------------------- entry points
    async def book_command(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        result = await self._guarded(self._book_from_text, turn_context, actor, argument)
        await self._send(turn_context, result)

    async def start_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._form, turn_context, actor, data)

    async def example_colleague(self, actor: Actor) -> str | None:
        """The colleague help examples name: the one this person booked most recently, else another member of
        their organization who uses Rendezvous; None when there is nobody yet (examples show a placeholder)."""
        key = (actor.tenant_id, actor.aad_object_id)
        remembered = self._examples.get(key)
        if remembered is not None and time.monotonic() - remembered[0] < EXAMPLE_REMEMBERED_SECONDS:
            return remembered[1]
        if len(self._examples) >= EXAMPLES_REMEMBERED:
            self._examples.clear()
        name = await self._find_example_colleague(actor)
        self._examples[key] = (time.monotonic(), name)
        return name

    def forget_examples(self, tenant_id: str) -> None:
        """Someone new in this organization uses Rendezvous: "nobody yet" may no longer be true."""
        for key in [key for key, (_, name) in self._examples.items() if key[0] == tenant_id and name is None]:
            del self._examples[key]

    async def _find_example_colleague(self, actor: Actor) -> str | None:
        members = MemberRepository(self.services.db, actor.tenant_id)
        booked = [booking for booking in await BookingRepository(self.services.db, actor.tenant_id).list_for_member(
            actor.aad_object_id, upcoming_only=False) if booking.organizer_oid == actor.aad_object_id]
        if booked:
            latest = await members.get(max(booked, key=lambda booking: booking.created_at).attendee_oid)
            if latest is not None and latest.name:
                return latest.name
        others = [member.name for member in await members.search("", limit=5)
                  if member.name and member.aad_object_id != actor.aad_object_id]
        return others[0] if others else None

    async def search_colleagues(self, turn_context: TurnContext, actor: Actor, query: str) -> list[dict[str, str]]:
        colleagues = Colleagues(MemberRepository(self.services.db, actor.tenant_id), actor)
        return [{"title": name, "value": oid} for name, oid in await colleagues.choices(query)]

    async def _form(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        await self._require_tenant(actor)
        return ActionResult(card=await self._form_card(actor))

    async def _form_card(self, actor: Actor, *, problems: list[str] | tuple[str, ...] = (),
                         values: dict[str, Any] | None = None, intro: str | None = None,
                         choices_query: str = "") -> Card:
        colleagues = Colleagues(MemberRepository(self.services.db, actor.tenant_id), actor)
        choices = await colleagues.choices(choices_query)
        if not choices and choices_query:
            choices = await colleagues.choices()
        values = values or {}
        return booking_form_card(BookingForm(
            colleagues=choices,
            colleague=values.get("colleague"),
            duration=values.get("duration") or "30",
            custom_duration=values.get("customDuration"),
            window=values.get("window") or "this_week",
            from_date=values.get("fromDate"),
            to_date=values.get("toDate"),
            subject=values.get("subject"),
            note=values.get("note"),
            problems=tuple(problems),
            intro=intro,
        ))

    async def _book_from_text(self, turn_context: TurnContext, actor: Actor, argument: str) -> ActionResult:
        """A typed request ("30 min with Ben tomorrow at 3pm"): straight to suggestions when it names a colleague
        and everything in it was understood, else the form, prefilled, naming exactly what was not."""
        tenant = await self._require_tenant(actor)
        now = _now()
        organizer = organizer_of(actor)
        zone = organizer.zone()
        try:
            # The recognizer is pure CPU (tens of milliseconds): a worker thread keeps other turns going.
            request = await asyncio.to_thread(read_request, f"book {argument}", now, zone, recognize)
        except ShortcutTooLong as too_long:
            return ActionResult(text=str(too_long))
        request = request or Request()
        problems = list(request.problems)
        colleague: Person | None = None
        unread = list(request.unread)
        if request.person:
            try:
                colleague, rest_of_name = await self._colleague_named(actor, request.person)
                unread[:0] = [Unread(rest_of_name)] if rest_of_name else []
            except ColleagueRefused as refused:
                problems.append(str(refused))
        understood = ([colleague.name] if colleague else []) + list(request.understood)
        if unread:
            problems.append(_not_understood(understood, unread))
        duration = request.duration or DEFAULT_DURATION
        window = request.window or _next_days(now, zone)
        values: dict[str, Any] = {**_duration_values(duration), **_window_values(window, zone)}
        if colleague is not None:
            values["colleague"] = colleague.oid
        if request.other_people:
            problems.append(_one_colleague_only(request.other_people))
        if colleague is None or problems:
            intro = None if problems else texts.TELL_ME_THE_REST
            card = await self._form_card(actor, problems=problems, values=values, intro=intro,
                                         choices_query=request.person or "")
            return ActionResult(card=card)
        minutes = int(duration.total_seconds() // 60)
        options = _options_from_values(values, minutes)
        if request.requested_start is not None:
            options.requested_start = request.requested_start.isoformat()
        return await self._suggest(turn_context, actor, tenant, _Search(organizer, colleague, window, options))

    async def _colleague_named(self, actor: Actor, typed: str) -> tuple[Person, str | None]:
        """The colleague a typed name means, and the words after the name when only its first words match
        ("Ben blorp": Ben, "blorp"). ColleagueRefused names the whole text when no beginning of it matches."""
        colleagues = self._colleagues(actor)
        words = typed.split()
        try:
            return await colleagues.by_name(typed), None
        except NoSuchColleague:
            for count in range(min(len(words), MAX_NAME_WORDS + 1) - 1, 0, -1):
                try:
                    return await colleagues.by_name(" ".join(words[:count])), " ".join(words[count:])
                except NoSuchColleague:
                    continue
            raise

    async def find_times(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._find_times, turn_context, actor, data)

    async def _find_times(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        tenant = await self._require_tenant(actor)
        search, problems = await self._read_form(actor, data)
        if search is None:
            values = {key: data.get(key) for key in ("colleague", "duration", "customDuration", "window",
                                                        "fromDate", "toDate", "subject", "note")}
            return ActionResult(card=await self._form_card(actor, problems=problems, values=_strings(values)))
        return await self._suggest(turn_context, actor, tenant, search)

    async def _read_form(self, actor: Actor, data: dict[str, Any]) -> tuple[_Search | None, list[str]]:
        """Checks every field of the options form; nothing is looked up in Outlook when one is wrong."""
        problems: list[str] = []
        colleague: Person | None = None
        try:
            colleague = await self._colleagues(actor).by_id(data.get("colleague"))
        except ColleagueRefused as refused:
            problems.append(str(refused))
        minutes = None
        choice = data.get("duration")
        custom = _clean(data.get("customDuration"), 40)
        if choice in FIXED_DURATIONS:
            minutes = int(str(choice))
        elif choice == "custom" or (not choice and custom):
            try:
                minutes = int(parse_duration(custom or "").total_seconds() // 60)
            except DurationError as exc:
                problems.append(str(exc))
        else:
            problems.append(texts.PICK_A_LENGTH)
        zone = zone_or_utc(actor.shown_time_zone)
        window: TimeWindow | None = None
        try:
            window = _window_from(data, zone, _now(), actor.locale)
        except WindowError as exc:
            problems.append(str(exc))
        if problems or colleague is None or minutes is None or window is None:
            return None, problems
        options = _options_from_values(_strings(data), minutes)
        options.colleague_oid = colleague.oid
        return _Search(organizer_of(actor), colleague, window, options), []

    async def change_options(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def show(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            await self._require_tenant(actor)
            previous = await self._remembered_search(turn_context, actor, data)
            return ActionResult(card=await self._form_card(actor, values=_option_values(previous.options)))

        return await self._guarded(show, turn_context, actor, data)

    async def more_times(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def more(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            tenant = await self._require_tenant(actor)
            previous = await self._remembered_search(turn_context, actor, data)
            search = await self._search_again(actor, previous)
            return await self._suggest(turn_context, actor, tenant, search, offset=previous.offset + PAGE_SIZE)

        return await self._guarded(more, turn_context, actor, data)

    async def next_window(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def later(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            tenant = await self._require_tenant(actor)
            previous = await self._remembered_search(turn_context, actor, data)
            search = await self._search_again(actor, previous)
            following = _following_window(search.window, zone_or_utc(actor.shown_time_zone), _now())
            if following is None:
                return ActionResult(text=texts.NO_LATER_WINDOW)
            first, last = following
            # The time first asked for lies before this window: the later one is ranked as usual.
            options = replace(search.options, window_kind="dates", from_date=first.isoformat(),
                              to_date=last.isoformat(), requested_start=None)
            window = between(first, last, zone_or_utc(actor.shown_time_zone), now=_now(), locale=actor.locale)
            return await self._suggest(turn_context, actor, tenant, replace(search, window=window, options=options))

        return await self._guarded(later, turn_context, actor, data)

    async def _remembered_search(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                 ) -> SearchRecord:
        """The earlier search a card button points at, if it was this person's (PayloadRefused otherwise)."""
        memory = await self._memory(turn_context)
        return memory.search(data.get("searchId"), actor.aad_object_id, actor.tenant_id)

    async def _search_again(self, actor: Actor, previous: SearchRecord) -> _Search:
        colleague = await self._colleagues(actor).by_id(previous.options.colleague_oid)
        window = TimeWindow(datetime.fromisoformat(previous.window_start), datetime.fromisoformat(previous.window_end),
                            previous.window_label)
        now = _now()
        if window.start < now:  # "this week" moves on as time passes
            window = TimeWindow(now, window.end, window.description)
        return _Search(organizer_of(actor), colleague, window, previous.options)

    # ----------------------------------------------------------------- suggestions
    async def _suggest(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord, search: _Search,
                       *, offset: int = 0, intro: str | None = None) -> ActionResult:
        require_own_mailbox(search.organizer)
        await self._require_allowed(actor, search.colleague)
        if search.window.end <= _now():
            return ActionResult(text=texts.WINDOW_PASSED)
        await _typing(turn_context)
        slots, has_more, reason, notes = await self._slots(turn_context, actor, tenant, search, offset)
        searched_in = search.organizer.zone()
        search = await self._with_known_zones(actor, search)
        if search.organizer.zone() != searched_in:
            # The first look at Outlook gave the organizer's zone, and it is not the one Teams reported: the
            # dates asked for are dates in Outlook's zone, the one every time will be shown in. Asked once.
            moved = _window_in(search, search.organizer.zone())
            if moved is not None and moved != search.window:
                search = replace(search, window=moved)
                slots, has_more, reason, notes = await self._slots(turn_context, actor, tenant, search, offset)
        record = SearchRecord(
            search_id=new_search_id(),
            tenant_id=actor.tenant_id,
            organizer_oid=actor.aad_object_id,
            created_at=_now().isoformat(),
            options=search.options,
            window_start=search.window.start.isoformat(),
            window_end=search.window.end.isoformat(),
            window_label=search.window.description,
            offset=offset,
            slots=[slot for slot, _ in slots],
        )
        memory = await self._memory(turn_context)
        memory.remember(record, _now())
        notes = [*self._zone_notice(memory, search.organizer), *notes]
        zones = [search.organizer.zone(), search.colleague.zone()]
        changes = dst_changes(search.window.start, search.window.end, zones, actor.locale)
        warnings = [texts.HEADS_UP.format(change=change.description) for change in changes]
        if not slots:
            following = _following_window(search.window, zone_or_utc(actor.shown_time_zone), _now())
            next_label = None
            if following is not None:
                next_label = _dates_label(*following, actor.locale)
            if offset:
                reason = reason or texts.NO_MORE_TIMES
            return ActionResult(card=no_slot_card(NoSlotView(
                search_id=record.search_id,
                colleague_name=search.colleague.name,
                reason=reason or texts.NOTHING_FITS,
                window_label=_capitalized(search.window.description),
                next_window_label=next_label,
                notes=tuple(notes + warnings),
            )))
        # The ranking (or, for a time asked for, the nearness to it) chose this page; it reads in time order,
        # grouped by the organizer's days, except that a time asked for and free is offered on top.
        views = tuple(view for _, view in sorted(slots, key=_page_order(search.options.requested_start)))
        return ActionResult(card=suggestions_card(SuggestionsView(
            search_id=record.search_id,
            colleague_name=search.colleague.name,
            duration_label=duration_label(search.options.duration_minutes),
            window_label=search.window.description,
            slots=views,
            warnings=tuple(notes + warnings),
            has_more=has_more,
            intro=intro,
        )))

    async def _slots(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord, search: _Search,
                     offset: int) -> tuple[list[tuple[OfferedSlot, SlotView]], bool, str | None, list[str]]:
        if tenant.mode == "delegated":
            return await self._delegated_slots(turn_context, actor, search, offset)
        return await self._domain_wide_slots(actor, search, offset)

    async def _domain_wide_slots(self, actor: Actor, search: _Search, offset: int
                                 ) -> tuple[list[tuple[OfferedSlot, SlotView]], bool, str | None, list[str]]:
        organizer, colleague = search.organizer, search.colleague
        caller = self._caller(actor.tenant_id, "domain_wide", organizer)
        emails = [organizer.email or "", colleague.email or ""]
        availability = await self._graph(
            actor, [organizer, colleague], "getSchedule",
            f"free/busy to find times for {organizer.name} and {colleague.name}",
            self._calendar().get_schedule(caller, emails, search.window.start, search.window.end),
            about=organizer,
        )
        organizer, colleague = await self._learn_outlook_zones(actor, availability, [organizer, colleague])
        people = [
            _with_zone(availability[(organizer.email or "").lower()], organizer),
            _with_zone(availability[(colleague.email or "").lower()], colleague),
        ]
        request = SlotRequest(duration=search.duration, window_start=search.window.start,
                              window_end=search.window.end, now=_now(), max_results=PAGE_SIZE)
        # As shown in messages (Markdown): the colleague's name, or an address, as text.
        names = {organizer.email or "": "You", colleague.email or "": plain(colleague.name)}
        names.update({person.email: plain(person.email) for person in people if person.email not in names})
        notes = [
            texts.CALENDAR_UNREAD.format(name=names.get(person.email, person.email), reason=person.unknown_reason)
            for person in people if not person.known
        ]
        if search.options.requested_start:
            wanted = datetime.fromisoformat(search.options.requested_start)
            nearest = nearest_first(request, people, wanted, ["you", plain(colleague.name)], offset,
                                    reason_names=names)
            result = nearest.result
            if nearest.why_not and not offset:
                asked = local_label(wanted, wanted + search.duration, organizer.zone(), actor.locale)
                notes.insert(0, texts.ASKED_TIME_NOT_FREE.format(asked=asked, why_not=nearest.why_not))
        else:
            result = find_slots(request, people, offset=offset, names=names)
        slots = []
        for suggestion in result.suggestions:
            unverified = ", ".join(names.get(email, plain(email)) for email in suggestion.unverified_people)
            labels = (
                (organizer.name, local_label(suggestion.start, suggestion.end, organizer.zone(), actor.locale)),
                (colleague.name, local_label(suggestion.start, suggestion.end, colleague.zone(), actor.locale)),
            )
            slot = OfferedSlot(slot_id_for(suggestion.start), suggestion.start.isoformat(), suggestion.end.isoformat(),
                               suggestion.verified)
            note = texts.CALENDARS_NOT_READ.format(names=unverified) if unverified else None
            why = _capitalized(", ".join(suggestion.reasons)) if suggestion.reasons else None
            slots.append((slot, SlotView(slot.slot_id, labels, note, why,
                                         day=_day_of(suggestion.start, organizer, actor.locale))))
        return slots, result.next_offset is not None, result.no_slot_message(names, actor.locale), notes

    async def _delegated_slots(self, turn_context: TurnContext, actor: Actor, search: _Search, offset: int
                               ) -> tuple[list[tuple[OfferedSlot, SlotView]], bool, str | None, list[str]]:
        """Individual mode: Outlook suggests times inside the organizer's working days, one time slot per day.

        Each suggestion is then read with the getSchedule path's policy (standing_of): a time when either
        person is tentative, busy or away is dropped, and one where Outlook could not read a calendar is
        offered only as unverified.
        """
        caller = Caller.user(actor.tenant_id, search.organizer.oid)
        try:
            asked = await self._working_day_slots(actor, caller, search)
            # The organizer's Outlook zone may have been learnt just now, from their working hours.
            search = await self._with_known_zones(actor, search)
            organizer, colleague = search.organizer, search.colleague
            if not asked:
                length = duration_label(search.options.duration_minutes)
                return [], False, texts.NO_ROOM_IN_WORKING_HOURS.format(length=length), []
            found = await self._graph(
                actor, [organizer, colleague], "findMeetingTimes",
                f"suggest times for {organizer.name} and {colleague.name}",
                self._calendar().find_meeting_times(
                    caller, (EventAttendee(colleague.email or "", colleague.name),), search.duration, asked),
                about=colleague,
            )
        except BookingStopped as stopped:
            if stopped.__cause__ is not None and _needs_sign_in(stopped.__cause__):
                memory = await self._memory(turn_context)
                memory.set_pending(search.options)
                card = await _sign_in_card(self.services, turn_context, actor, _option_values(search.options),
                                           stopped.result.text)
                raise BookingStopped(ActionResult(card=card)) from None
            raise
        usable = []
        wanted = datetime.fromisoformat(search.options.requested_start) if search.options.requested_start else None
        if wanted is None:
            ordered = sorted(found.slots, key=lambda slot: (-slot.confidence, slot.start))
        else:  # the time asked for first, then the nearest Outlook suggested
            ordered = sorted(found.slots, key=lambda slot: (abs(slot.start - wanted), slot.start))
        for suggestion in ordered:
            standing = standing_of([suggestion.organizer_availability,
                                    suggestion.availability_of(colleague.email or "")])
            if standing is not Standing.BLOCKED:
                usable.append((suggestion, standing))
        slots = []
        for suggestion, standing in usable[offset:offset + PAGE_SIZE]:
            labels = (
                (organizer.name, local_label(suggestion.start, suggestion.end, organizer.zone(), actor.locale)),
                (colleague.name, local_label(suggestion.start, suggestion.end, colleague.zone(), actor.locale)),
            )
            verified = standing is Standing.FREE
            slot = OfferedSlot(slot_id_for(suggestion.start), suggestion.start.isoformat(), suggestion.end.isoformat(),
                               verified)
            unread = (texts.YOUR if suggestion.organizer_availability is FreeBusyStatus.UNKNOWN
                      else texts.POSSESSIVE.format(name=plain(colleague.name)))
            note = None if verified else texts.AVAILABILITY_UNCONFIRMED.format(whose=unread)
            # Outlook's own suggestionReason is a long sentence; the day heading and the times say enough.
            slots.append((slot, SlotView(slot.slot_id, labels, note,
                                         day=_day_of(suggestion.start, organizer, actor.locale))))
        has_more = len(usable) > offset + PAGE_SIZE
        if found.empty_reason is not None:
            return slots, has_more, _empty_suggestions_text(found.empty_reason, colleague), []
        if found.slots and not usable:
            return slots, has_more, texts.ONLY_BUSY_SUGGESTIONS.format(colleague=plain(colleague.name)), []
        notes = []
        if wanted is not None and not offset and (not usable or usable[0][0].start != wanted):
            label = local_label(wanted, wanted + search.duration, organizer.zone(), actor.locale)
            notes.append(texts.OUTLOOK_DOES_NOT_SUGGEST_ASKED.format(label=label))
        return slots, has_more, None, notes

    async def _working_day_slots(self, actor: Actor, caller: Caller, search: _Search
                                 ) -> list[tuple[datetime, datetime]]:
        """One findMeetingTimes time slot per working day of the organizer, read from their own free/busy."""
        organizer = search.organizer
        availability = await self._graph(
            actor, [organizer], "getSchedule", f"read {organizer.name}'s working hours to suggest times",
            self._calendar().get_schedule(caller, [organizer.email or ""], search.window.start, search.window.end),
            about=organizer)
        await self._learn_outlook_zones(actor, availability, [organizer])
        mine = _with_zone(availability[(organizer.email or "").lower()], organizer)
        return working_day_slots(mine.effective_working_hours(), max(search.window.start, _now()),
                                 search.window.end, search.duration)

    async def _learn_outlook_zones(self, actor: Actor, availability: dict[str, Availability], people: list[Person]
                                   ) -> list[Person]:
        """Each person's Outlook working-hours zone, as getSchedule just gave it, kept on their member row: from
        now on their times are shown in it (dialogs/clock.py). A custom zone without an IANA name is not kept."""
        members = MemberRepository(self.services.db, actor.tenant_id)
        learnt = []
        for person in people:
            found = availability.get((person.email or "").lower())
            hours = found.working_hours if found is not None else None
            zone = valid_time_zone(zone_name(hours.tz)) if hours is not None else None
            if zone and zone != person.outlook_time_zone:
                await members.set_outlook_time_zone(person.oid, zone)
                recent_members_for(self.services.db).forget(actor.tenant_id, person.oid)
                person = replace(person, outlook_time_zone=zone)
            learnt.append(person)
        return learnt

    async def _with_known_zones(self, actor: Actor, search: _Search) -> _Search:
        """The search with both people's Outlook zones as stored now (a look at Outlook may just have learnt them)."""
        members = MemberRepository(self.services.db, actor.tenant_id)
        people = []
        for person in (search.organizer, search.colleague):
            record = await members.get(person.oid)
            known = record.outlook_time_zone if record is not None else None
            people.append(replace(person, outlook_time_zone=known) if known else person)
        return replace(search, organizer=people[0], colleague=people[1])

    @staticmethod
    def _zone_notice(memory: BookingMemory, person: Person) -> list[str]:
        """Once per conversation: that Teams puts the person in another zone than the one their times are in."""
        notice = zone_notice(person.outlook_time_zone, person.time_zone, _now())
        if notice is None or not memory.first_zone_notice(notice_key(person.outlook_time_zone, person.time_zone)):
            return []
        return [notice]

    # ----------------------------------------------------------------- booking
    async def book(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._book, turn_context, actor, data)

    async def _book(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        memory = await self._memory(turn_context)
        offered, slot = memory.offered_slot(data, actor.aad_object_id, actor.tenant_id)
        tenant = await self._require_tenant(actor)
        colleague = await self._colleagues(actor).by_id(offered.options.colleague_oid)
        organizer = organizer_of(actor)
        await self._require_allowed(actor, colleague)
        bookings = BookingRepository(self.services.db, actor.tenant_id)
        key = f"{offered.search_id}:{slot.slot_id}"
        existing = await _booking_by_key(bookings, actor.aad_object_id, key)
        if existing is not None and existing.status != "failed":
            # A repeated click gets the one booking's outcome, however late it comes.
            return await self._outcome_of(bookings, existing, organizer, colleague)
        refuse_if_expired(offered, _now())

        await _typing(turn_context)
        if existing is None and not await self._still_free(actor, tenant, organizer, colleague, slot):
            # The time may be taken by this very booking, made by a click on another device meanwhile:
            # its reservation is written before its event, so it is visible by now.
            concurrent = await _booking_by_key(bookings, actor.aad_object_id, key)
            if concurrent is not None:
                return await self._outcome_of(bookings, concurrent, organizer, colleague)
            search = await self._search_again(actor, offered)
            return await self._suggest(turn_context, actor, tenant, search,
                                       intro=texts.TIME_TAKEN)
        subject = (offered.options.subject or f"{organizer.first_name} / {colleague.first_name}")[:MAX_SUBJECT]
        booking, created = await bookings.reserve(
            actor.aad_object_id, colleague.oid, slot.start_utc, slot.end_utc, subject, key,
            transaction_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"rendezvous:{actor.tenant_id}:{key}")),
            conversation_id=actor.conversation_id,
            card_activity_id=turn_context.activity.reply_to_id,
        )
        if not created and booking.status != "failed":
            return await self._outcome_of(bookings, booking, organizer, colleague)
        result = await self._create_event(actor, tenant, bookings, booking, organizer, colleague, offered.options)
        memory.finish(offered.search_id, slot.slot_id)
        return result

    async def _create_event(self, actor: Actor, tenant: TenantRecord, bookings: BookingRepository,
                            booking: BookingRecord, organizer: Person, colleague: Person,
                            options: BookingOptions) -> ActionResult:
        note = options.note or ""
        body = (f"{note}\n\n" if note else "") + texts.BOOKED_BY.format(organizer=organizer.name)
        event = NewEvent(
            subject=booking.subject,
            body_text=body,
            start=booking.start_utc,
            end=booking.end_utc,
            time_zone=_zone_name(organizer),
            attendees=(EventAttendee(colleague.email or "", colleague.name),),
            transaction_id=booking.transaction_id or booking.id,
            provenance_value=booking.id,
        )
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        try:
            created = await self._graph(actor, [organizer, colleague], "createEvent",
                                        f"book a meeting {organizer.name} asked for",
                                        self._calendar().create_event(caller, event), about=organizer)
        except BookingStopped:
            await bookings.mark_failed(booking.id, "creating the event failed")
            raise
        confirmed = await _confirm_created(bookings, booking.id, created)
        self._examples.pop((actor.tenant_id, actor.aad_object_id), None)  # help's example: now this colleague
        count_booking("created", actor.tenant_id)
        card = self._confirmation(confirmed, organizer, colleague)
        delivered = await notify_member(self.services, actor.tenant_id, colleague.oid,
                                        card=self._confirmation(confirmed, organizer, colleague, for_attendee=True))
        if not delivered:
            log.info("booking %s: the colleague could not be told in Teams (Outlook's invitation still went)",
                     booking.id)
        return ActionResult(card=card)

    async def _still_free(self, actor: Actor, tenant: TenantRecord, organizer: Person, colleague: Person,
                          slot: OfferedSlot) -> bool:
        """Fresh free/busy of both, just before creating; unknown counts as taken unless it was offered so."""
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        emails = [organizer.email or "", colleague.email or ""]
        availability = await self._graph(
            actor, [organizer, colleague], "getSchedule", f"re-check a time before booking for {organizer.name}",
            self._calendar().get_schedule(caller, emails, slot.start_utc, slot.end_utc), about=organizer)
        people = list(availability.values())
        if not slot.verified:
            # The person was told this time was unverified; an unreadable calendar cannot stop it now.
            people = [person for person in people if person.known]
        return is_slot_still_free(slot.start_utc, slot.end_utc, people)

    async def _outcome_of(self, bookings: BookingRepository, booking: BookingRecord, organizer: Person,
                          colleague: Person) -> ActionResult:
        """Answers a repeated or concurrent click with the one booking's state, waiting briefly if it is in flight.

        A booking a crash or an outage left behind is settled now (dialogs/booking_recovery.py), not waited for.
        """
        current: BookingRecord | None = booking
        if self._recovery.is_stuck(booking) and self.services.calendar is not None:
            current = await self._recovery.resolve(booking, organizer_in_chat=True)
            if current.status == "reserved":  # Outlook could not be asked; waiting here would not help
                return ActionResult(text=texts.STILL_UNSETTLED)
        deadline = _now() + WAIT_FOR_OTHER_CLICK
        while current is not None and current.status == "reserved" and _now() < deadline:
            await asyncio.sleep(_POLL_INTERVAL)
            current = await bookings.get(booking.id)
        if current is None or current.status == "reserved":
            return ActionResult(text=texts.STILL_BOOKING)
        if current.status == "confirmed":
            return ActionResult(card=self._confirmation(current, organizer, colleague))
        if current.status == "cancelled":
            return ActionResult(card=cancelled_card(_cancelled_view(current, organizer, colleague, organizer)))
        return ActionResult(text=failure_message(current, organizer, colleague)
                            or texts.BOOKING_FAILED_RETRY)

    def _confirmation(self, booking: BookingRecord, organizer: Person, colleague: Person, *,
                      for_attendee: bool = False) -> Card:
        return confirmation_card_for(booking, organizer, colleague, for_attendee=for_attendee)

    async def refresh_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def show(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            booking, organizer, colleague = await self._participants_booking(actor, data)
            return await self._card_of_booking(actor, booking, organizer, colleague)

        return await self._guarded(show, turn_context, actor, data)

    async def _participants_booking(self, actor: Actor, data: dict[str, Any]
                                    ) -> tuple[BookingRecord, Person, Person]:
        booking_id = data.get("bookingId")
        if not isinstance(booking_id, str) or not booking_id:
            raise PayloadRefused(texts.CARD_NAMES_NO_MEETING)
        booking = await BookingRepository(self.services.db, actor.tenant_id).get(booking_id)
        if booking is None or actor.aad_object_id not in (booking.organizer_oid, booking.attendee_oid):
            raise PayloadRefused(texts.NOT_YOUR_MEETING)
        members = MemberRepository(self.services.db, actor.tenant_id)
        organizer_record = await members.get(booking.organizer_oid)
        attendee_record = await members.get(booking.attendee_oid)
        if organizer_record is None or attendee_record is None:
            raise PayloadRefused(texts.PARTICIPANT_UNKNOWN)
        return booking, person_of(organizer_record), person_of(attendee_record)

    # ----------------------------------------------------------------- my meetings and cancel
    async def my_meetings_command(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        await self._send(turn_context, await self._guarded(self._my_meetings, turn_context, actor, {}))

    async def my_meetings_action(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._guarded(self._my_meetings, turn_context, actor, data)

    async def _my_meetings(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return ActionResult(card=await self._meetings_card(turn_context, actor))

    async def _meetings_card(self, turn_context: TurnContext, actor: Actor, *, changed: BookingRecord | None = None,
                             asking: bool = False) -> Card:
        """The list of upcoming meetings. `changed` is the one a row button acted on; the list is then rebuilt
        with the same rows: a meeting cancelled from it keeps its row (shown cancelled, without buttons), and
        with `asking` that row asks the question in place of its buttons."""
        tenant = await self._require_tenant(actor)
        now = _now()
        bookings = await BookingRepository(self.services.db, actor.tenant_id).list_for_member(
            actor.aad_object_id, upcoming_only=changed is None, now=now)
        members = MemberRepository(self.services.db, actor.tenant_id)
        await _typing(turn_context)
        items: list[MeetingItem] = []
        shown_statuses = ("confirmed",) if changed is None else ("confirmed", "cancelled")
        listed = [booking for booking in bookings
                  if booking.status in shown_statuses and booking.event_id and booking.end_utc > now]
        # Only the meetings the card can show are read back from Outlook (one Graph call each).
        for booking in listed[:MAX_MEETINGS_SHOWN]:
            organizer_record = await members.get(booking.organizer_oid)
            attendee_record = await members.get(booking.attendee_oid)
            if organizer_record is None or attendee_record is None:
                continue
            organizer, attendee = person_of(organizer_record), person_of(attendee_record)
            organizes = booking.organizer_oid == actor.aad_object_id
            row = MeetingItem(
                booking_id=booking.id,
                subject=booking.subject,
                with_name=(attendee if organizes else organizer).name,
                times=meeting_times(booking, organizer, attendee, organizer if organizes else attendee),
                response="",
                join_url=booking.join_url,
                is_organizer=organizes,
            )
            if booking.status == "cancelled":  # only its organizer cancels a meeting (Outlook's roles)
                items.append(replace(row, can_respond=False, cancelled_by=organizer.name))
                continue
            if organizes:
                response, can_respond = await self._response_of(actor, tenant, booking, organizer, attendee), True
                response = texts.THEIR_RESPONSE.format(name=attendee.name, response=response)
            else:
                response, can_respond = await self._own_response(actor, tenant, booking, organizer, attendee)
                response = texts.YOUR_RESPONSE.format(response=response)
            items.append(replace(row, response=response, can_respond=can_respond,
                                 asking=asking and changed is not None and booking.id == changed.id))
        notes = self._zone_notice(await self._memory(turn_context), organizer_of(actor)) if items else []
        return my_meetings_card(MyMeetingsView(tuple(items), notes=tuple(notes), total=len(listed)))

    async def _response_of(self, actor: Actor, tenant: TenantRecord, booking: BookingRecord, organizer: Person,
                           attendee: Person) -> str:
        """The organizer asks: the colleague's reply, read back from the bot's own event (tag verified)."""
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        try:
            status = await self._graph(
                actor, [organizer], "getEvent", "read back the reply to a meeting booked with Rendezvous",
                self._calendar().get_event(caller, booking.event_id or "", booking.id), about=organizer)
        except BookingStopped as stopped:
            cause = stopped.__cause__
            if isinstance(cause, NotFound):
                return texts.RESPONSE_EVENT_GONE
            if isinstance(cause, NotOurEvent):
                return texts.RESPONSE_NOT_OURS
            return texts.RESPONSE_NOT_ASKED
        return _RESPONSE_WORDS.get(status.response_of(attendee.email or ""), texts.RESPONSE_NONE_YET)

    async def _own_response(self, actor: Actor, tenant: TenantRecord, booking: BookingRecord, organizer: Person,
                            attendee: Person) -> tuple[str, bool]:
        """The invited colleague asks: their own reply, read from their own copy (never the organizer's calendar).

        Returns the words and whether they can still decline.
        """
        try:
            invitation = await self._invitation(actor, tenant, booking, organizer, attendee)
        except BookingStopped as stopped:
            if stopped.__cause__ is not None and _needs_sign_in(stopped.__cause__):
                return texts.RESPONSE_NEEDS_CONNECT, True
            return texts.RESPONSE_NOT_ASKED, True
        if invitation is None:
            return texts.RESPONSE_NOT_IN_CALENDAR, False
        if invitation.is_cancelled:
            return cancelled_by_words(organizer.name), False
        return _RESPONSE_WORDS.get(invitation.response, texts.RESPONSE_NONE_YET), True

    async def _invitation(self, actor: Actor, tenant: TenantRecord, booking: BookingRecord, organizer: Person,
                          attendee: Person) -> Invitation | None:
        """The attendee's own copy of the meeting, looked up in their own calendar with their own authority."""
        caller = self._caller(actor.tenant_id, tenant.mode, attendee)
        return await self._graph(  # type: ignore[no-any-return]
            actor, [attendee], "findInvitation", "find your copy of a meeting booked with Rendezvous",
            self._calendar().find_invitation(caller, organizer.email or "", booking.start_utc, booking.end_utc),
            about=attendee)

    async def cancel_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        """The button on a meeting: it only asks first ("Cancel this meeting?", or "Decline…" for the attendee).

        The role comes from the booking, never from the button, so an older card or an altered payload cannot
        make an attendee cancel someone else's meeting.
        """
        return await self._guarded(self._ask_before_cancelling, turn_context, actor, data)

    decline_booking = cancel_booking

    async def confirm_cancel_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                     ) -> ActionResult:
        """"Yes, cancel" (or "Yes, decline"): the organizer cancels the meeting for everyone, an attendee declines
        their own copy. A second click finds the meeting already cancelled and shows that, changing nothing."""
        async def act(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            result, done = await self._cancel_or_decline_once(turn_context, actor, data)
            if done and data.get("in") == IN_LIST:
                booking, _, _ = await self._participants_booking(actor, data)
                return ActionResult(card=await self._meetings_card(turn_context, actor, changed=booking))
            return result

        return await self._guarded(act, turn_context, actor, data)

    async def keep_booking(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        """"Keep it": the meeting's card (or the list) as it was before the question; nothing is changed."""
        async def keep(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            booking, organizer, attendee = await self._participants_booking(actor, data)
            if data.get("in") == IN_LIST:
                return ActionResult(card=await self._meetings_card(turn_context, actor, changed=booking))
            return await self._card_of_booking(actor, booking, organizer, attendee)

        return await self._guarded(keep, turn_context, actor, data)

    async def _ask_before_cancelling(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                     ) -> ActionResult:
        await self._require_tenant(actor)
        booking, organizer, attendee = await self._participants_booking(actor, data)
        in_list = data.get("in") == IN_LIST
        if booking.status == "cancelled" and not in_list:
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendee,
                                                                    _reader(actor, organizer, attendee))))
        if booking.status not in ("confirmed", "cancelled") or not booking.event_id:
            return ActionResult(text=texts.NEVER_CREATED)
        if in_list:
            return ActionResult(card=await self._meetings_card(turn_context, actor, changed=booking, asking=True))
        organizes = actor.aad_object_id == organizer.oid
        return ActionResult(card=cancel_question_card(CancelQuestionView(
            booking_id=booking.id,
            subject=booking.subject,
            with_name=(attendee if organizes else organizer).name,
            times=meeting_times(booking, organizer, attendee, organizer if organizes else attendee),
            for_attendee=not organizes,
        )))

    async def _card_of_booking(self, actor: Actor, booking: BookingRecord, organizer: Person, attendee: Person
                               ) -> ActionResult:
        """The meeting's own card as it stands: Booked (the attendee's copy offers Decline) or Cancelled."""
        if booking.status == "cancelled":
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendee,
                                                                    _reader(actor, organizer, attendee))))
        return ActionResult(card=self._confirmation(booking, organizer, attendee,
                                                    for_attendee=actor.aad_object_id != organizer.oid))

    async def _cancel_or_decline(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                 ) -> ActionResult:
        result, _ = await self._cancel_or_decline_once(turn_context, actor, data)
        return result

    async def _cancel_or_decline_once(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                      ) -> tuple[ActionResult, bool]:
        """Cancels (organizer) or declines (attendee); also says whether the meeting is now cancelled or declined,
        rather than waiting for a sign-in or refused."""
        tenant = await self._require_tenant(actor)
        booking, organizer, attendee = await self._participants_booking(actor, data)
        if booking.status == "cancelled":
            reader = _reader(actor, organizer, attendee)
            return ActionResult(card=cancelled_card(_cancelled_view(booking, organizer, attendee, reader))), True
        if booking.status != "confirmed" or not booking.event_id:
            return ActionResult(text=texts.NEVER_CREATED), False
        if actor.aad_object_id != organizer.oid:
            return await self._decline(turn_context, actor, tenant, booking, organizer, attendee)
        await _typing(turn_context)
        caller = self._caller(actor.tenant_id, tenant.mode, organizer)
        await self._graph(actor, [organizer, attendee], "cancelEvent",
                          f"cancel a meeting booked with Rendezvous, at {actor.name}'s request",
                          self._calendar().cancel_event(caller, booking.event_id, booking.id), about=organizer)
        cancelled = await BookingRepository(self.services.db, actor.tenant_id).cancel(booking.id)
        count_booking("cancelled", actor.tenant_id)
        view = _cancelled_view(cancelled, organizer, attendee, organizer)
        await notify_member(self.services, actor.tenant_id, attendee.oid,
                            card=cancelled_card(_cancelled_view(cancelled, organizer, attendee, attendee)))
        return ActionResult(card=cancelled_card(view)), True

    async def _decline(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord, booking: BookingRecord,
                       organizer: Person, attendee: Person) -> tuple[ActionResult, bool]:
        """The invited colleague declines their own copy, as Outlook offers them; the organizer is told.

        In individual mode this needs the colleague's own sign-in (they get the sign-in card first, and the
        decline continues after it); in domain-wide mode the app acts in the colleague's mailbox only.
        """
        await _typing(turn_context)
        try:
            invitation = await self._invitation(actor, tenant, booking, organizer, attendee)
            if invitation is not None and not invitation.is_cancelled:
                caller = self._caller(actor.tenant_id, tenant.mode, attendee)
                await self._graph(actor, [attendee], "declineEvent",
                                  f"decline a meeting booked with Rendezvous, at {actor.name}'s request",
                                  self._calendar().decline_event(caller, invitation.id), about=attendee)
        except BookingStopped as stopped:
            if tenant.mode == "delegated" and stopped.__cause__ is not None and _needs_sign_in(stopped.__cause__):
                card = await _sign_in_card(self.services, turn_context, actor, {"decline": booking.id},
                                           stopped.result.text)
                return ActionResult(card=card), False
            raise
        if invitation is None:
            return ActionResult(text=texts.INVITATION_GONE), True
        if invitation.is_cancelled:
            return ActionResult(text=texts.ALREADY_CANCELLED_BY.format(organizer=plain(organizer.name))), True
        view = DeclinedView(subject=booking.subject, organizer_name=organizer.name, attendee_name=attendee.name,
                            times=meeting_times(booking, organizer, attendee, attendee))
        await notify_member(self.services, actor.tenant_id, organizer.oid,
                            card=declined_card(replace(view, for_organizer=True,
                                                       times=meeting_times(booking, organizer, attendee, organizer))))
        log.info("booking %s: the attendee declined their copy", booking.id)
        return ActionResult(card=declined_card(view)), True

    # ----------------------------------------------------------------- individual mode: resume after sign-in
    async def resume(self, turn_context: TurnContext, actor: Actor, carried: dict[str, Any] | None = None) -> bool:
        """Runs what waited for this person's sign-in (a decline, or a booking); False when nothing waited.

        The options are checked again like a fresh form, so a stale or altered payload books nothing; a
        decline is checked again like a fresh click.
        """
        if isinstance(carried, dict) and isinstance(carried.get("decline"), str):
            result = await self._guarded(self._cancel_or_decline, turn_context, actor,
                                         {"bookingId": carried["decline"]})
            await self._send(turn_context, result)
            return True
        memory = await self._memory(turn_context)
        pending = memory.pending()
        memory.set_pending(None)
        if pending is not None:
            data = _option_values(pending)
        elif isinstance(carried, dict) and carried.get("colleague"):
            data = _strings(carried)
        else:
            return False
        result = await self._guarded(self._find_times, turn_context, actor, data)
        await self._send(turn_context, result)
        return True

    # ----------------------------------------------------------------- plumbing
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

    async def _require_allowed(self, actor: Actor, colleague: Person) -> None:
        """Both people must pass the tenant's security-group rule before anything is read about them."""
        for problem in (await ensure_allowed(self.services, actor),
                        await ensure_allowed(self.services, colleague.oid, actor.tenant_id)):
            if problem:
                raise BookingStopped(ActionResult(text=problem))

    async def _graph(self, actor: Actor, about_people: list[Person], kind: str, reason: str, call: Any,
                     *, about: Person) -> Any:
        """Runs one Graph call, records it for each person it concerns, and turns failures into messages."""
        return await self._explained(actor, self._recorded(actor, about_people, kind, reason, call), about=about)

    async def _recorded(self, actor: Actor, about_people: list[Person], kind: str, reason: str, call: Any) -> Any:
        """Awaits the call and records it for `privacy`; a call stopped before it reached Microsoft (no token:
        not connected, consent missing) is not recorded, so the list holds only look-ups that happened."""
        reached_graph = True
        try:
            return await call
        except AuthProblem:
            reached_graph = False
            raise
        finally:
            if reached_graph:
                calls = GraphCallRepository(self.services.db, actor.tenant_id)
                for person in about_people:
                    await calls.record(person.oid, kind, reason)

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


# --------------------------------------------------------------------- helpers
CONFIRM_ATTEMPTS = 4  # waits of 1, 2 and 4 s: a busy pool or a brief outage passes; recovery covers the rest


async def _confirm_created(bookings: BookingRepository, booking_id: str, created: CreatedEvent) -> BookingRecord:
    """Records the event Outlook just created. The meeting exists now, so a database that does not answer is
    tried again for a few seconds rather than leaving the booking `reserved` until recovery takes it over."""
    def confirm() -> Awaitable[BookingRecord]:
        return bookings.confirm(booking_id, created.id, created.join_url, created.web_link)

    for attempt in range(CONFIRM_ATTEMPTS - 1):
        try:
            return await confirm()
        except DATABASE_OUTAGES:
            log.warning("booking %s: recording the created event failed (database); trying again", booking_id)
            await asyncio.sleep(2 ** attempt)
    return await confirm()
def _empty_suggestions_text(reason: EmptySuggestionsReason, colleague: Person) -> str:
    """findMeetingTimes' documented reasons for suggesting nothing, in plain words naming the colleague."""
    if reason is EmptySuggestionsReason.ATTENDEES_UNAVAILABLE:
        return texts.COLLEAGUE_BUSY_THROUGHOUT.format(colleague=plain(colleague.name))
    if reason is EmptySuggestionsReason.ATTENDEES_UNAVAILABLE_OR_UNKNOWN:
        return texts.COLLEAGUE_BUSY_OR_UNREAD.format(colleague=plain(colleague.name),
                                                     first_name=plain(colleague.first_name))
    if reason is EmptySuggestionsReason.LOCATIONS_UNAVAILABLE:
        return texts.NO_ROOM_FREE
    if reason is EmptySuggestionsReason.ORGANIZER_UNAVAILABLE:
        return texts.ORGANIZER_BUSY_THROUGHOUT
    return texts.NO_SUGGESTION_NO_REASON


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


async def _booking_by_key(bookings: BookingRepository, organizer_oid: str, key: str) -> BookingRecord | None:
    booking = await bookings.get_by_key(key)
    return booking if booking is not None and booking.organizer_oid == organizer_oid else None


def _with_zone(availability: Availability, person: Person) -> Availability:
    return replace(availability, time_zone=availability.time_zone or (person.zone() if person.time_zone else None))


def _zone_name(person: Person) -> str:
    """The zone the event is written in: the organizer's shown zone, so Outlook shows the times the cards show."""
    return person.shown_time_zone or "UTC"


def _cancelled_view(booking: BookingRecord, organizer: Person, attendee: Person, reader: Person) -> CancelledView:
    """Only its organizer can cancel a meeting (Outlook's roles; an attendee declines), so every card names them.
    The times are written the way `reader` reads them."""
    return CancelledView(subject=booking.subject, with_name=f"{organizer.name} and {attendee.name}",
                         times=meeting_times(booking, organizer, attendee, reader), cancelled_by=organizer.name)


def _reader(actor: Actor, organizer: Person, attendee: Person) -> Person:
    """Which of the meeting's two people is reading the card."""
    return organizer if actor.aad_object_id == organizer.oid else attendee


def _strings(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.strip() for key, value in values.items() if isinstance(value, str) and value.strip()}


def _options_from_values(values: dict[str, Any], minutes: int) -> BookingOptions:
    return BookingOptions(
        colleague_oid=str(values.get("colleague") or ""),
        duration_minutes=minutes,
        duration_choice=str(values.get("duration") or "custom"),
        custom_duration=values.get("customDuration"),
        window_kind=str(values.get("window") or "this_week"),
        from_date=values.get("fromDate"),
        to_date=values.get("toDate"),
        subject=_clean(values.get("subject"), MAX_SUBJECT),
        note=_clean(values.get("note"), MAX_NOTE, multiline=True),
    )


def _option_values(options: BookingOptions) -> dict[str, Any]:
    values = {
        "colleague": options.colleague_oid,
        "duration": options.duration_choice,
        "customDuration": options.custom_duration,
        "window": options.window_kind,
        "fromDate": options.from_date,
        "toDate": options.to_date,
        "subject": options.subject,
        "note": options.note,
    }
    return {key: value for key, value in values.items() if value}


def _window_values(window: TimeWindow, zone: Any) -> dict[str, str]:
    if window.description in ("this week", "next week"):
        return {"window": window.description.replace(" ", "_")}
    last = (window.end - timedelta(microseconds=1)).astimezone(zone).date()
    return {"window": "dates", "fromDate": window.start.astimezone(zone).date().isoformat(),
            "toDate": last.isoformat()}


def _window_from(data: dict[str, Any], zone: Any, now: datetime, locale: str | None = None) -> TimeWindow:
    kind = data.get("window")
    if kind == "this_week":
        return this_week(now, zone)
    if kind == "next_week":
        return next_week(now, zone)
    if kind == "dates":
        first_text, last_text = _clean(data.get("fromDate"), 10), _clean(data.get("toDate"), 10)
        if not first_text or not last_text:
            raise WindowError(texts.WINDOW_NEEDS_BOTH_DATES)
        try:
            first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
        except ValueError:
            raise WindowError(texts.WINDOW_DATES_UNREADABLE) from None
        return between(first, last, zone, now=now, locale=locale)
    raise WindowError(texts.PICK_A_WINDOW)


def _window_in(search: _Search, zone: Any) -> TimeWindow | None:
    """The search's window read again in another zone (its options keep how it was asked); None if it can't be."""
    try:
        window = _window_from(_option_values(search.options), zone, _now(), search.organizer.locale)
    except WindowError:
        return None
    return TimeWindow(max(window.start, _now()), window.end, window.description)


def _following_window(window: TimeWindow, zone: Any, now: datetime) -> tuple[date, date] | None:
    """The window right after this one, as long as a week (or as the dates given), within 8 weeks."""
    first = window.end.astimezone(zone).date()
    length = (window.end - window.start).days if window.description not in ("this week", "next week") else 7
    last = first + timedelta(days=max(length, 1) - 1)
    latest = now.astimezone(zone).date() + timedelta(days=MAX_DAYS_AHEAD)
    if first > latest:
        return None
    return first, min(last, latest)


def _dates_label(first: date, last: date, locale: str | None) -> str:
    if first == last:
        return day_label(first, locale)
    return f"{day_label(first, locale)} – {day_label(last, locale)}"


def _page_order(requested_start: str | None) -> Callable[[tuple[OfferedSlot, SlotView]], tuple[bool, datetime]]:
    """Sort key of a page of suggestions: the time asked for first (it is on the page only when it is free),
    then time order."""
    wanted = datetime.fromisoformat(requested_start) if requested_start else None

    def key(pair: tuple[OfferedSlot, SlotView]) -> tuple[bool, datetime]:
        start = pair[0].start_utc
        return start != wanted, start

    return key


def _day_of(start: datetime, organizer: Person, locale: str | None) -> str:
    """The heading a suggested time is grouped under: its day on the organizer's clock, in their locale."""
    return day_label(start.astimezone(organizer.zone()).date(), locale)


def _capitalized(value: str) -> str:
    return value[:1].upper() + value[1:]


def _duration_values(duration: timedelta) -> dict[str, str]:
    minutes = int(duration.total_seconds() // 60)
    if str(minutes) in FIXED_DURATIONS:
        return {"duration": str(minutes)}
    return {"duration": "custom", "customDuration": duration_label(minutes)}


def _next_days(now: datetime, zone: Any) -> TimeWindow:
    today = now.astimezone(zone).date()
    return between(today, today + timedelta(days=DEFAULT_DAYS - 1), zone, now=now)


def _not_understood(understood: list[str], unread: list[Unread]) -> str:
    """ "I understood *Ben* and *30 min*, but not *yesterday*: I can only look ahead." """
    parts = [f"*{plain(part)}*" for part in understood]
    known = ", ".join(parts[:-1]) + (texts.LIST_AND if len(parts) > 1 else "") + parts[-1] if parts else ""
    missing = [f"*{plain(item.part)}*" + (f" ({item.why})" if item.why else "") for item in unread[1:]]
    first = unread[0]
    reason = f": {first.why}" if first.why else ""
    more = "".join(texts.NOR.format(part=item) for item in missing)
    opening = texts.UNDERSTOOD_BUT_NOT.format(known=known) if known else texts.DID_NOT_UNDERSTAND
    return texts.NOT_UNDERSTOOD.format(opening=opening, part=f"*{plain(first.part)}*", reason=reason, more=more)


def _one_colleague_only(others: tuple[str, ...]) -> str:
    names = " and ".join(plain(name) for name in others)
    return texts.ONE_COLLEAGUE_AT_A_TIME.format(names=names)
