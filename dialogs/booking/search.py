"""Finding times: the booking form, a typed request, reading the form, find times, more times and the next
window, and the suggestions themselves in both modes (domain-wide getSchedule, individual findMeetingTimes
inside working days), learning each person's Outlook zone on the way."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from botbuilder.core import TurnContext

from cards import texts
from cards.base import Card, plain
from cards.booking import (
    BookingForm,
    NoSlotView,
    SlotView,
    SuggestionsView,
    booking_form_card,
    no_slot_card,
    suggestions_card,
)
from dialogs.booking import common
from dialogs.booking.common import (
    MAX_SUBJECT,
    BookingBase,
    BookingStopped,
    Invitee,
    _clean,
    _needs_sign_in,
    _Search,
    _sign_in_card,
    _strings,
    _typing,
    duration_label,
    names_phrase,
)
from dialogs.booking_people import (
    ColleagueRefused,
    Colleagues,
    NoSuchColleague,
    Person,
    organizer_of,
    require_own_mailbox,
)
from dialogs.booking_phrases import recognize
from dialogs.booking_state import (
    BookingOptions,
    OfferedSlot,
    PayloadRefused,
    SearchRecord,
    new_search_id,
    slot_id_for,
)
from dialogs.clock import zone_or_utc
from dialogs.context import ActionResult, Actor, Services
from dialogs.recent_members import recent_members_for
from dialogs.text_input import valid_time_zone
from graph.calendar import Caller, EmptySuggestionsReason, EventAttendee, SuggestedSlot
from scheduling.display import day_label, everyone_local_times, local_label
from scheduling.durations import DurationError, ShortcutTooLong, parse_duration
from scheduling.meeting_times import Standing, standing_of, working_day_slots
from scheduling.model import Availability, FreeBusyStatus
from scheduling.phrasing import Request, Unread, read_request
from scheduling.requested import nearest_first
from scheduling.slots import SlotRequest, find_slots
from scheduling.windows import MAX_DAYS_AHEAD, TimeWindow, WindowError, between, dst_changes, next_week, this_week
from scheduling.zones import zone_name
from storage.repositories import MAX_ATTENDEES, BookingRecord, BookingRepository, MemberRepository, TenantRecord

PAGE_SIZE = 5
FIXED_DURATIONS = ("15", "30", "45", "60")
DEFAULT_DURATION = timedelta(minutes=30)  # what the form preselects, and what a typed request without one means
DEFAULT_DAYS = 7  # a typed request without a day looks at the next seven days
MAX_NAME_WORDS = 4  # "Jean-Claude van der Berg": the longest beginning of a typed name tried on its own
MAX_NOTE = 1000

EXAMPLE_REMEMBERED_SECONDS = 300.0
EXAMPLES_REMEMBERED = 10_000


class SearchSteps(BookingBase):
    """From the form (or a typed request) to a card of suggested times."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        # help's example colleague per person, briefly: a help turn then costs no database read (issue 12's
        # per-turn budget); a name a few minutes old is still a good example.
        self._examples: dict[tuple[str, str], tuple[float, str | None]] = {}

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
                         choices_query: str = "", form_id: str | None = None) -> Card:
        colleagues = Colleagues(MemberRepository(self.services.db, actor.tenant_id), actor)
        choices = await colleagues.choices(choices_query)
        if not choices and choices_query:
            choices = await colleagues.choices()
        values = values or {}
        return booking_form_card(BookingForm(
            colleagues=choices,
            colleague=values.get("colleague"),
            optional=values.get("optional"),
            duration=values.get("duration") or "30",
            custom_duration=values.get("customDuration"),
            window=values.get("window") or "this_week",
            from_date=values.get("fromDate"),
            to_date=values.get("toDate"),
            subject=values.get("subject"),
            note=values.get("note"),
            problems=tuple(problems),
            intro=intro,
            form_id=form_id,
        ))

    async def _group_form_id(self, turn_context: TurnContext, actor: Actor, group_origin: dict[str, Any] | None
                             ) -> str | None:
        """The id a form answering a group chat's request carries, the chat kept under it server-side; None for
        a form of the 1:1 chat."""
        if group_origin is None:
            return None
        memory = await self._memory(turn_context)
        return memory.remember_form(group_origin, actor.aad_object_id, actor.tenant_id, common.now())

    async def _book_from_text(self, turn_context: TurnContext, actor: Actor, argument: str) -> ActionResult:
        """A typed request ("30 min with Ben tomorrow at 3pm"): straight to suggestions when it names a colleague
        and everything in it was understood, else the form, prefilled, naming exactly what was not."""
        tenant = await self._require_tenant(actor)
        now = common.now()
        organizer = organizer_of(actor)
        zone = organizer.zone()
        try:
            # The recognizer is pure CPU (tens of milliseconds): a worker thread keeps other turns going.
            request = await asyncio.to_thread(read_request, f"book {argument}", now, zone, recognize)
        except ShortcutTooLong as too_long:
            return ActionResult(text=str(too_long))
        request = request or Request()
        problems = list(request.problems)
        unread = list(request.unread)
        typed = [(name, True) for name in (request.person, *request.other_people) if name]
        typed += [(name, False) for name in request.optional_people]
        invitees, refusals, rest_of_names = await self._invitees_named(actor, typed)
        unread[:0] = [Unread(rest) for rest in rest_of_names]
        problems.extend(refusals)
        understood = [invitee.person.name for invitee in invitees] + list(request.understood)
        if unread:
            problems.append(_not_understood(understood, unread))
        return await self._suggest_or_form(turn_context, actor, tenant, request, invitees, problems)

    async def _suggest_or_form(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord,
                               request: Request, invitees: Sequence[Invitee], problems: list[str], *,
                               group_origin: dict[str, Any] | None = None) -> ActionResult:
        """Suggestions for a request read from text, or the form prefilled with what was understood."""
        now = common.now()
        organizer = organizer_of(actor)
        zone = organizer.zone()
        duration = request.duration or DEFAULT_DURATION
        window = request.window or _next_days(now, zone)
        values: dict[str, Any] = {**_duration_values(duration), **_window_values(window, zone),
                                  **_invitee_values(invitees)}
        problems = [*problems, *_roster_problems(invitees)]
        if not any(invitee.required for invitee in invitees) or problems:
            intro = None if problems else texts.TELL_ME_THE_REST
            card = await self._form_card(actor, problems=problems, values=values, intro=intro,
                                         choices_query=request.person or "",
                                         form_id=await self._group_form_id(turn_context, actor, group_origin))
            return ActionResult(card=card)
        minutes = int(duration.total_seconds() // 60)
        options = _options_from_values(values, minutes)
        if request.requested_start is not None:
            options.requested_start = request.requested_start.isoformat()
        search = _Search(organizer, tuple(invitees), window, options)
        return await self._suggest(turn_context, actor, tenant, search, group_origin=group_origin)

    async def propose_with(self, turn_context: TurnContext, actor: Actor, invitees: Sequence[Invitee],
                           argument: str, group_origin: dict[str, Any] | None = None) -> ActionResult:
        """Suggestions for a meeting with the given people (a group chat's members who can be booked): the
        length, days and time come from `argument` (the text typed after the command; names in it are
        ignored). The access rules are checked for everyone; the form, prefilled with the people, answers
        when something is missing or wrong."""
        async def propose(turn_context: TurnContext, actor: Actor, argument: str) -> ActionResult:
            tenant = await self._require_tenant(actor)
            now = common.now()
            try:
                request = await asyncio.to_thread(read_request, f"book {argument}", now, organizer_of(actor).zone(),
                                                  recognize)
            except ShortcutTooLong as too_long:
                return ActionResult(text=str(too_long))
            request = replace(request or Request(), person=None, other_people=(), optional_people=())
            problems = list(request.problems)
            if request.unread:
                problems.append(_not_understood(list(request.understood), list(request.unread)))
            return await self._suggest_or_form(turn_context, actor, tenant, request, invitees, problems,
                                               group_origin=group_origin)

        return await self._guarded(propose, turn_context, actor, argument)

    async def _invitees_named(self, actor: Actor, typed: Sequence[tuple[str, bool]]
                              ) -> tuple[list[Invitee], list[str], list[str]]:
        """The colleagues typed names mean (name, required), what refused the others, and any words after a name
        that are no part of it ("Ben blorp": "blorp"). Among several names, the unknown ones are named
        together ("I understood Ben and Chloe, but I don't know anyone called Zed")."""
        invitees: list[Invitee] = []
        refusals: list[str] = []
        unknown: list[str] = []
        rest_of_names: list[str] = []
        for name, required in typed:
            try:
                person, rest_of_name = await self._colleague_named(actor, name)
            except NoSuchColleague as nobody:
                if len(typed) == 1:
                    refusals.append(str(nobody))
                unknown.append(name)
                continue
            except ColleagueRefused as refused:
                refusals.append(str(refused))
                continue
            if rest_of_name:
                rest_of_names.append(rest_of_name)
            invitees.append(Invitee(person, required))
        if unknown and len(typed) > 1:
            missing = names_phrase([f"*{plain(name)}*" for name in unknown])
            if invitees:
                known = names_phrase([f"*{plain(invitee.person.name)}*" for invitee in invitees])
                refusals.append(texts.UNKNOWN_AMONG_SEVERAL.format(known=known, unknown=missing))
            else:
                refusals.append(texts.NO_SUCH_COLLEAGUE.format(needle=missing))
        return invitees, refusals, rest_of_names

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

    async def _find_times(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any], *,
                          group_origin: dict[str, Any] | None = None) -> ActionResult:
        """The form's Find times. A form shown for a group chat's request carries the id the chat is kept under
        (`formId`); a sign-in's resume passes the chat itself (`group_origin`)."""
        tenant = await self._require_tenant(actor)
        if group_origin is None:
            memory = await self._memory(turn_context)
            group_origin = memory.form_origin(data.get("formId"), actor.aad_object_id, actor.tenant_id)
        search, problems = await self._read_form(actor, data)
        if search is None:
            values = {key: data.get(key) for key in ("colleague", "optional", "duration", "customDuration", "window",
                                                        "fromDate", "toDate", "subject", "note")}
            form_id = await self._group_form_id(turn_context, actor, group_origin)
            return ActionResult(card=await self._form_card(actor, problems=problems, values=_strings(values),
                                                           form_id=form_id))
        return await self._suggest(turn_context, actor, tenant, search, group_origin=group_origin)

    async def _read_form(self, actor: Actor, data: dict[str, Any]) -> tuple[_Search | None, list[str]]:
        """Checks every field of the options form; nothing is looked up in Outlook when one is wrong."""
        invitees, problems = await self._invitees_picked(actor, data.get("colleague"), data.get("optional"))
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
            window = _window_from(data, zone, common.now(), actor.locale)
        except WindowError as exc:
            problems.append(str(exc))
        if problems or not invitees or minutes is None or window is None:
            return None, problems
        options = _options_from_values({**_strings(data), **_invitee_values(invitees)}, minutes)
        return _Search(organizer_of(actor), tuple(invitees), window, options), []

    async def _invitees_picked(self, actor: Actor, required: object, optional: object
                               ) -> tuple[list[Invitee], list[str]]:
        """The people two pickers chose (comma-joined object ids, or addresses typed by hand), and what is wrong
        with them: nobody required, too many, someone twice, yourself, someone who cannot be booked (named)."""
        colleagues = self._colleagues(actor)
        picked = [(value, True) for value in _picked(required)] + [(value, False) for value in _picked(optional)]
        if not any(is_required for _, is_required in picked):
            return [], [texts.PICK_A_COLLEAGUE]
        if len(picked) > MAX_ATTENDEES:
            return [], [_too_many(len(picked))]
        invitees: list[Invitee] = []
        problems: list[str] = []
        for value, is_required in picked:
            try:
                invitees.append(Invitee(await colleagues.by_id(value), is_required))
            except ColleagueRefused as refused:
                problems.append(str(refused))
        return invitees, list(dict.fromkeys([*problems, *_roster_problems(invitees)]))

    async def change_options(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def show(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            await self._require_tenant(actor)
            previous = await self._remembered_search(turn_context, actor, data)
            form_id = await self._group_form_id(turn_context, actor, previous.group_origin)
            return ActionResult(card=await self._form_card(actor, values=_option_values(previous.options),
                                                           form_id=form_id))

        return await self._guarded(show, turn_context, actor, data)

    async def more_times(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def more(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            tenant = await self._require_tenant(actor)
            previous = await self._remembered_search(turn_context, actor, data)
            search = await self._search_again(actor, previous)
            return await self._suggest(turn_context, actor, tenant, search, offset=previous.offset + PAGE_SIZE,
                                       group_origin=previous.group_origin,
                                       moving=await self._booking_being_moved(actor, previous))

        return await self._guarded(more, turn_context, actor, data)

    async def next_window(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        async def later(turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            tenant = await self._require_tenant(actor)
            previous = await self._remembered_search(turn_context, actor, data)
            search = await self._search_again(actor, previous)
            following = _following_window(search.window, zone_or_utc(actor.shown_time_zone), common.now())
            if following is None:
                return ActionResult(text=texts.NO_LATER_WINDOW)
            first, last = following
            # The time first asked for lies before this window: the later one is ranked as usual.
            options = replace(search.options, window_kind="dates", from_date=first.isoformat(),
                              to_date=last.isoformat(), requested_start=None)
            window = between(first, last, zone_or_utc(actor.shown_time_zone), now=common.now(), locale=actor.locale)
            return await self._suggest(turn_context, actor, tenant, replace(search, window=window, options=options),
                                       group_origin=previous.group_origin,
                                       moving=await self._booking_being_moved(actor, previous))

        return await self._guarded(later, turn_context, actor, data)

    async def _remembered_search(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
                                 ) -> SearchRecord:
        """The earlier search a card button points at, if it was this person's (PayloadRefused otherwise)."""
        memory = await self._memory(turn_context)
        return memory.search(data.get("searchId"), actor.aad_object_id, actor.tenant_id)

    async def _booking_being_moved(self, actor: Actor, previous: SearchRecord) -> BookingRecord | None:
        """The booking an earlier search was for moving (dialogs/booking/reschedule.py), so its later pages move too."""
        if previous.moving_booking_id is None:
            return None
        booking = await BookingRepository(self.services.db, actor.tenant_id).get(previous.moving_booking_id)
        if booking is None:
            raise PayloadRefused(texts.NOT_YOUR_MEETING)
        return booking

    async def _search_again(self, actor: Actor, previous: SearchRecord) -> _Search:
        colleagues = self._colleagues(actor)
        invitees = [Invitee(await colleagues.by_id(oid)) for oid in previous.options.required_oids()]
        invitees += [Invitee(await colleagues.by_id(oid), False) for oid in previous.options.optional_oids]
        window = TimeWindow(datetime.fromisoformat(previous.window_start), datetime.fromisoformat(previous.window_end),
                            previous.window_label)
        now = common.now()
        if window.start < now:  # "this week" moves on as time passes
            window = TimeWindow(now, window.end, window.description)
        return _Search(organizer_of(actor), tuple(invitees), window, previous.options)

    async def _suggest(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord, search: _Search,
                       *, offset: int = 0, intro: str | None = None, group_origin: dict[str, Any] | None = None,
                       moving: BookingRecord | None = None) -> ActionResult:
        """The suggestions card (or why there are none). With `moving`, the times are for moving that booking:
        its own time is not offered, and a click moves it (dialogs/booking/reschedule.py) rather than booking.
        `group_origin`: the group chat the request came from, told in one line once a time is booked."""
        require_own_mailbox(search.organizer)
        await self._require_allowed(actor, *(invitee.person for invitee in search.invitees))
        if search.window.end <= common.now():
            return ActionResult(text=texts.WINDOW_PASSED)
        await _typing(turn_context)
        slots, has_more, reason, notes = await self._slots(turn_context, actor, tenant, search, offset, group_origin)
        searched_in = search.organizer.zone()
        search = await self._with_known_zones(actor, search)
        if search.organizer.zone() != searched_in:
            # The first look at Outlook gave the organizer's zone, and it is not the one Teams reported: the
            # dates asked for are dates in Outlook's zone, the one every time will be shown in. Asked once.
            moved = _window_in(search, search.organizer.zone())
            if moved is not None and moved != search.window:
                search = replace(search, window=moved)
                slots, has_more, reason, notes = await self._slots(turn_context, actor, tenant, search, offset,
                                                                   group_origin)
        if moving is not None:
            slots = [pair for pair in slots if pair[0].start_utc != moving.start_utc]
        record = SearchRecord(
            search_id=new_search_id(),
            tenant_id=actor.tenant_id,
            organizer_oid=actor.aad_object_id,
            created_at=common.now().isoformat(),
            options=search.options,
            window_start=search.window.start.isoformat(),
            window_end=search.window.end.isoformat(),
            window_label=search.window.description,
            offset=offset,
            slots=[slot for slot, _ in slots],
            group_origin=group_origin,
            moving_booking_id=moving.id if moving is not None else None,
        )
        memory = await self._memory(turn_context)
        memory.remember(record, common.now())
        notes = [*self._zone_notice(memory, search.organizer), *notes]
        zones = list(dict.fromkeys(person.zone() for person in search.people))
        changes = dst_changes(search.window.start, search.window.end, zones, actor.locale)
        warnings = [texts.HEADS_UP.format(change=change.description) for change in changes]
        if not slots:
            following = _following_window(search.window, zone_or_utc(actor.shown_time_zone), common.now())
            next_label = None
            if following is not None:
                next_label = _dates_label(*following, actor.locale)
            if offset:
                reason = reason or texts.NO_MORE_TIMES
            return ActionResult(card=no_slot_card(NoSlotView(
                search_id=record.search_id,
                colleague_name=search.names,
                reason=reason or texts.NOTHING_FITS,
                window_label=_capitalized(search.window.description),
                next_window_label=next_label,
                notes=tuple(notes + warnings),
                moving=moving is not None,
            )))
        # The ranking (or, for a time asked for, the nearness to it) chose this page; it reads in time order,
        # grouped by the organizer's days, except that a time asked for and free is offered on top.
        views = tuple(view for _, view in sorted(slots, key=_page_order(search.options.requested_start)))
        return ActionResult(card=suggestions_card(SuggestionsView(
            search_id=record.search_id,
            colleague_name=search.names,
            duration_label=duration_label(search.options.duration_minutes),
            window_label=search.window.description,
            slots=views,
            warnings=tuple(notes + warnings),
            has_more=has_more,
            intro=intro,
            moving_booking_id=record.moving_booking_id,
        )))

    async def _slots(self, turn_context: TurnContext, actor: Actor, tenant: TenantRecord, search: _Search,
                     offset: int, group_origin: dict[str, Any] | None = None
                     ) -> tuple[list[tuple[OfferedSlot, SlotView]], bool, str | None, list[str]]:
        if tenant.mode == "delegated":
            return await self._delegated_slots(turn_context, actor, search, offset, group_origin)
        return await self._domain_wide_slots(actor, search, offset)

    async def _domain_wide_slots(self, actor: Actor, search: _Search, offset: int
                                 ) -> tuple[list[tuple[OfferedSlot, SlotView]], bool, str | None, list[str]]:
        """Domain-wide: ONE getSchedule for the organizer and everyone invited (at most 20 calendars)."""
        caller = self._caller(actor.tenant_id, "domain_wide", search.organizer)
        everyone = search.people
        emails = [person.email or "" for person in everyone]
        availability = await self._graph(
            actor, everyone, "getSchedule", _call_reason(search, texts.CALL_REASON_FIND_TIMES,
                                                         texts.CALL_REASON_FIND_TIMES_SEVERAL),
            self._calendar().get_schedule(caller, emails, search.window.start, search.window.end),
            about=search.organizer,
        )
        everyone = await self._learn_outlook_zones(actor, availability, everyone)
        organizer = everyone[0]
        people = [_with_zone(availability[(person.email or "").lower()], person) for person in everyone]
        request = SlotRequest(duration=search.duration, window_start=search.window.start,
                              window_end=search.window.end, now=common.now(), max_results=PAGE_SIZE)
        # As shown in messages (Markdown): the colleagues' names, or an address, as text.
        names = {organizer.email or "": texts.ORGANIZER_WITHOUT_NAME}
        names.update({person.email or "": plain(person.name) for person in everyone[1:]})
        names.update({person.email: plain(person.email) for person in people if person.email not in names})
        notes = [
            texts.CALENDAR_UNREAD.format(name=names.get(person.email, person.email), reason=person.unknown_reason)
            for person in people if not person.known
        ]
        optional = _optional_emails(search)
        if search.options.requested_start:
            wanted = datetime.fromisoformat(search.options.requested_start)
            nearest = nearest_first(request, people, wanted, ["you", *(plain(person.name) for person in everyone[1:])],
                                    offset, reason_names=names, optional=optional)
            result = nearest.result
            if nearest.why_not and not offset:
                asked = local_label(wanted, wanted + search.duration, organizer.zone(), actor.locale)
                notes.insert(0, texts.ASKED_TIME_NOT_FREE.format(asked=asked, why_not=nearest.why_not))
        else:
            result = find_slots(request, people, offset=offset, names=names, optional=optional)
        slots = []
        for suggestion in result.suggestions:
            unverified = [names.get(email, plain(email)) for email in suggestion.unverified_people]
            slot = OfferedSlot(slot_id_for(suggestion.start), suggestion.start.isoformat(), suggestion.end.isoformat(),
                               suggestion.verified)
            note = None
            if unverified:
                template = texts.CALENDARS_NOT_READ if len(unverified) == 1 else texts.SEVERAL_CALENDARS_NOT_READ
                note = template.format(names=names_phrase(unverified))
            why = _capitalized(", ".join(suggestion.reasons)) if suggestion.reasons else None
            statuses = {person.email.lower(): person.status.value for person in suggestion.attendance}
            slots.append((slot, _slot_view(slot, everyone, statuses, search.optional_emails, note, why,
                                           actor.locale)))
        return slots, result.next_offset is not None, result.no_slot_message(names, actor.locale), notes

    async def _delegated_slots(self, turn_context: TurnContext, actor: Actor, search: _Search, offset: int,
                               group_origin: dict[str, Any] | None = None
                               ) -> tuple[list[tuple[OfferedSlot, SlotView]], bool, str | None, list[str]]:
        """Individual mode: Outlook suggests times inside the organizer's working days, one time slot per day,
        in ONE findMeetingTimes call with every attendee (required or optional, as Graph defines them).

        Each suggestion is then read with the getSchedule path's policy (standing_of) over the required people:
        a time when one of them is tentative, busy or away is dropped, and one where Outlook could not read a
        required calendar is offered only as unverified. Graph weighs optional people like required ones, so
        the times missing the fewest optional people come first (availability_of per person).

        Without the organizer's sign-in, the options wait (with `group_origin`, the group chat they were asked
        from) for dialog.py's resume.
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
            attendees = tuple(EventAttendee(invitee.person.email or "", invitee.person.name, required=invitee.required)
                              for invitee in search.invitees)
            found = await self._graph(
                actor, search.people, "findMeetingTimes",
                _call_reason(search, texts.CALL_REASON_SUGGEST_TIMES, texts.CALL_REASON_SUGGEST_TIMES_SEVERAL),
                self._calendar().find_meeting_times(caller, attendees, search.duration, asked),
                about=colleague,
            )
        except BookingStopped as stopped:
            if stopped.__cause__ is not None and _needs_sign_in(stopped.__cause__):
                memory = await self._memory(turn_context)
                memory.set_pending(search.options, group_origin=group_origin)
                card = await _sign_in_card(self.services, turn_context, actor, _option_values(search.options),
                                           stopped.result.text)
                raise BookingStopped(ActionResult(card=card)) from None
            raise
        required = [invitee.person for invitee in search.invitees if invitee.required]
        optional = [invitee.person for invitee in search.invitees if not invitee.required]

        def missing(suggestion: SuggestedSlot) -> int:
            return sum(1 for person in optional
                       if suggestion.availability_of(person.email or "") is not FreeBusyStatus.FREE)

        wanted = datetime.fromisoformat(search.options.requested_start) if search.options.requested_start else None
        if wanted is None:
            ordered = sorted(found.slots, key=lambda slot: (missing(slot), -slot.confidence, slot.start))
        else:  # the time asked for first, then the nearest Outlook suggested
            ordered = sorted(found.slots, key=lambda slot: (abs(slot.start - wanted), missing(slot), slot.start))
        usable = []
        for suggestion in ordered:
            standing = standing_of([suggestion.organizer_availability,
                                    *(suggestion.availability_of(person.email or "") for person in required)])
            if standing is not Standing.BLOCKED:
                usable.append((suggestion, standing))
        slots = []
        for suggestion, standing in usable[offset:offset + PAGE_SIZE]:
            verified = standing is Standing.FREE
            slot = OfferedSlot(slot_id_for(suggestion.start), suggestion.start.isoformat(), suggestion.end.isoformat(),
                               verified)
            unread = [texts.YOUR] if suggestion.organizer_availability is FreeBusyStatus.UNKNOWN else []
            unread += [texts.POSSESSIVE.format(name=plain(person.name)) for person in required
                       if suggestion.availability_of(person.email or "") is FreeBusyStatus.UNKNOWN]
            note = None if verified else texts.AVAILABILITY_UNCONFIRMED.format(whose=names_phrase(unread))
            statuses = {(person.email or "").lower(): _status_of(suggestion.availability_of(person.email or ""))
                        for person in search.people[1:]}
            # Outlook's own suggestionReason is a long sentence; the day heading and the times say enough.
            slots.append((slot, _slot_view(slot, search.people, statuses, search.optional_emails, note, None,
                                           actor.locale)))
        has_more = len(usable) > offset + PAGE_SIZE
        if found.empty_reason is not None:
            return slots, has_more, _empty_suggestions_text(found.empty_reason, search), []
        if found.slots and not usable:
            return slots, has_more, texts.ONLY_BUSY_SUGGESTIONS.format(colleague=plain(search.names)), []
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
            actor, [organizer], "getSchedule", texts.CALL_REASON_WORKING_HOURS.format(organizer=organizer.name),
            self._calendar().get_schedule(caller, [organizer.email or ""], search.window.start, search.window.end),
            about=organizer)
        await self._learn_outlook_zones(actor, availability, [organizer])
        mine = _with_zone(availability[(organizer.email or "").lower()], organizer)
        return working_day_slots(mine.effective_working_hours(), max(search.window.start, common.now()),
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
        for person in search.people:
            record = await members.get(person.oid)
            known = record.outlook_time_zone if record is not None else None
            people.append(replace(person, outlook_time_zone=known) if known else person)
        invitees = tuple(replace(invitee, person=person) for invitee, person in zip(search.invitees, people[1:],
                                                                                    strict=True))
        return replace(search, organizer=people[0], invitees=invitees)


def _empty_suggestions_text(reason: EmptySuggestionsReason, search: _Search) -> str:
    """findMeetingTimes' documented reasons for suggesting nothing, in plain words naming the colleague(s)."""
    colleague = search.colleague if len(search.invitees) == 1 else replace(search.colleague, name=search.names)
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


def _with_zone(availability: Availability, person: Person) -> Availability:
    return replace(availability, time_zone=availability.time_zone or (person.zone() if person.time_zone else None))


def _options_from_values(values: dict[str, Any], minutes: int) -> BookingOptions:
    required = _picked(values.get("colleague"))
    return BookingOptions(
        colleague_oid=required[0] if required else "",
        colleague_oids=required,
        optional_oids=_picked(values.get("optional")),
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
        "colleague": ",".join(options.required_oids()),
        "optional": ",".join(options.optional_oids),
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
        window = _window_from(_option_values(search.options), zone, common.now(), search.organizer.locale)
    except WindowError:
        return None
    return TimeWindow(max(window.start, common.now()), window.end, window.description)


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


def _picked(value: object) -> list[str]:
    """A multi-select picker's value (comma-joined ids, as Teams sends it) as a list, blanks left out."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _too_many(count: int) -> str:
    return texts.TOO_MANY_INVITEES.format(limit=MAX_ATTENDEES, calendars=MAX_ATTENDEES + 1, count=count)


def _roster_problems(invitees: Sequence[Invitee]) -> list[str]:
    """What is wrong with the people as a whole: too many for one getSchedule, or someone picked twice."""
    if len(invitees) > MAX_ATTENDEES:
        return [_too_many(len(invitees))]
    seen: set[str] = set()
    problems = []
    for invitee in invitees:
        if invitee.person.oid in seen:
            problems.append(texts.INVITED_TWICE.format(name=plain(invitee.person.name)))
        seen.add(invitee.person.oid)
    return list(dict.fromkeys(problems))


def _invitee_values(invitees: Sequence[Invitee]) -> dict[str, str]:
    """The people as the form's two pickers hold them (comma-joined ids)."""
    values = {"colleague": ",".join(invitee.person.oid for invitee in invitees if invitee.required),
              "optional": ",".join(invitee.person.oid for invitee in invitees if not invitee.required)}
    return {key: value for key, value in values.items() if value}


def _call_reason(search: _Search, one: str, several: str) -> str:
    """Why Outlook was asked, for `privacy`: naming the colleague of a one-to-one, counting a group."""
    if len(search.invitees) == 1:
        return one.format(organizer=search.organizer.name, colleague=search.colleague.name)
    return several.format(organizer=search.organizer.name, count=len(search.invitees))


def _optional_emails(search: _Search) -> frozenset[str]:
    """The optional people's addresses, as find_slots' `optional=` takes them."""
    return frozenset(email for email in search.optional_emails if email)


# findMeetingTimes' availability as the slot finder's attendance words (scheduling.slots.AttendanceStatus)
_STATUS_OF_AVAILABILITY = {FreeBusyStatus.FREE: "free", FreeBusyStatus.UNKNOWN: "unreadable",
                           FreeBusyStatus.WORKING_ELSEWHERE: "free"}


def _status_of(availability: FreeBusyStatus) -> str:
    return _STATUS_OF_AVAILABILITY.get(availability, "busy")


def _short_names(people: Sequence[Person]) -> list[tuple[str, Person]]:
    """First names where they tell people apart; the full name for everyone who shares a first name."""
    counts = Counter(person.first_name for person in people)
    return [(person.first_name if counts[person.first_name] == 1 else person.name, person) for person in people]


def _slot_view(slot: OfferedSlot, everyone: Sequence[Person], statuses: dict[str, str], optional: frozenset[str],
               note: str | None, why: str | None, locale: str | None) -> SlotView:
    """One suggested time. A one-to-one shows both people's local times, as always; with several colleagues
    the organizer's time, then everyone's on one compact line, then who is busy, unreadable or away then
    (a required person unreadable is already in `note`; nobody unreadable counts as free)."""
    organizer = everyone[0]
    start, end = slot.start_utc, slot.end_utc
    day = _day_of(start, organizer, locale)
    if len(everyone) == 2:
        labels = tuple((person.name, local_label(start, end, person.zone(), locale)) for person in everyone)
        return SlotView(slot.slot_id, labels, note, why, day=day)
    labels = ((organizer.name, local_label(start, end, organizer.zone(), locale)),)
    line = everyone_local_times(start, [(name, person.zone()) for name, person in _short_names(everyone)], locale)

    def named(status: str, *, optional_only: bool = False) -> str:
        return ", ".join(plain(person.name) for person in everyone[1:]
                         if statuses.get((person.email or "").lower()) == status
                         and (not optional_only or (person.email or "").lower() in optional))

    attendance = tuple(template.format(names=names) for template, names in (
        (texts.SLOT_BUSY, named("busy")),
        (texts.SLOT_UNREADABLE, named("unreadable", optional_only=True)),
        (texts.SLOT_CANNOT_COME, named("outside_hours")),
    ) if names)
    return SlotView(slot.slot_id, labels, note, why, day=day, everyone=line, attendance=attendance)
