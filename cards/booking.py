"""Cards of the booking conversation: the options form, suggestions, no-slot, confirmation, my meetings.

Pure functions from small view dataclasses to Adaptive Card 1.5 dicts. Every button is an
Action.Execute (with an Action.Submit fallback) whose data carries only ids; the dialog checks each id
against its own state before acting on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cards import texts
from cards.base import Card, card, execute, facts, heading, open_url, plain, plain_facts, text

COLLEAGUE_DATASET = "rendezvous.colleagues"
MAX_INVITEES = 19  # Graph's getSchedule compares 20 calendars at once: the organizer's and 19 more
DURATION_CHOICES: tuple[tuple[str, str], ...] = (
    (texts.LENGTH_15, "15"),
    (texts.LENGTH_30, "30"),
    (texts.LENGTH_45, "45"),
    (texts.LENGTH_60, "60"),
    (texts.LENGTH_OTHER, "custom"),
)
WINDOW_CHOICES: tuple[tuple[str, str], ...] = (
    (texts.WINDOW_THIS_WEEK, "this_week"),
    (texts.WINDOW_NEXT_WEEK, "next_week"),
    (texts.WINDOW_BETWEEN, "dates"),
)


def _choice_set(input_id: str, label: str, choices: list[tuple[str, str]], value: str | None,
                **extra: Any) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "choices": [{"title": title, "value": choice_value} for title, choice_value in choices],
    }
    if value:
        element["value"] = value
    element.update(extra)
    return element


def _text_input(input_id: str, label: str, value: str | None, placeholder: str, *, multiline: bool = False,
                max_length: int | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label, "placeholder": placeholder}
    if value:
        element["value"] = value
    if multiline:
        element["isMultiline"] = True
    if max_length:
        element["maxLength"] = max_length
    return element


def _date_input(input_id: str, label: str, value: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Date", "id": input_id, "label": label}
    if value:
        element["value"] = value
    return element


def _problems(problems: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    return [text(problem, color="Attention") for problem in problems]


@dataclass(frozen=True)
class BookingForm:
    """What the options form shows: prefilled values and any problems with the last attempt."""

    colleagues: list[tuple[str, str]]  # (name, aad object id) for the static fallback
    colleague: str | None = None  # the required colleagues' object ids, comma-joined (a multi-select's value)
    optional: str | None = None  # the optional colleagues' object ids, comma-joined
    duration: str | None = "30"
    custom_duration: str | None = None
    window: str | None = "this_week"
    from_date: str | None = None
    to_date: str | None = None
    subject: str | None = None
    note: str | None = None
    problems: tuple[str, ...] = ()
    intro: str | None = None
    # Set when the form answers a request from a group chat: the id under which the bot keeps that chat
    # (dialogs/booking_state.py), so the booking it leads to tells the chat. Never the chat's reference itself.
    form_id: str | None = None


def _people_picker(input_id: str, label: str, choices: list[tuple[str, str]], value: str | None, placeholder: str,
                   **extra: Any) -> dict[str, Any]:
    """A multi-select colleague picker with typeahead (Data.Query) and the static choices as the fallback."""
    picker = _choice_set(input_id, label, choices, value, style="filtered", isMultiSelect=True,
                         placeholder=placeholder, **extra)
    picker["choices.data"] = {"type": "Data.Query", "dataset": COLLEAGUE_DATASET}
    return picker


def booking_form_card(form: BookingForm) -> Card:
    body: list[dict[str, Any]] = [heading(texts.BOOK_A_MEETING_BUTTON)]
    if form.intro:
        body.append(text(form.intro))
    body.extend(_problems(form.problems))
    # Teams asks the bot for matching colleagues as the person types (application/search invoke);
    # clients without typeahead show the static choices. Several can be picked: Teams sends their ids
    # comma-joined.
    body.append(_people_picker("colleague", texts.FORM_WHO_REQUIRED.format(limit=MAX_INVITEES), form.colleagues,
                               form.colleague, texts.FORM_COLLEAGUE_PLACEHOLDER, isRequired=True,
                               errorMessage=texts.FORM_COLLEAGUE_ERROR))
    body.append(_people_picker("optional", texts.FORM_OPTIONAL, form.colleagues, form.optional,
                               texts.FORM_OPTIONAL_PLACEHOLDER))
    if not form.colleagues:
        body.append(text(texts.FORM_WHO_CAN_BE_BOOKED, subtle=True))
    body.append(_choice_set("duration", texts.FORM_HOW_LONG, list(DURATION_CHOICES), form.duration))
    body.append(_text_input("customDuration", texts.FORM_OTHER_LENGTH, form.custom_duration,
                            texts.FORM_OTHER_LENGTH_PLACEHOLDER))
    body.append(_choice_set("window", texts.FORM_WHEN, list(WINDOW_CHOICES), form.window))
    body.append({
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "stretch", "items": [_date_input("fromDate", texts.FORM_FROM, form.from_date)]},
            {"type": "Column", "width": "stretch", "items": [_date_input("toDate", texts.FORM_TO, form.to_date)]},
        ],
    })
    body.append(_text_input("subject", texts.FORM_SUBJECT, form.subject, texts.FORM_SUBJECT_PLACEHOLDER,
                            max_length=200))
    body.append(_text_input("note", texts.FORM_NOTE, form.note, texts.FORM_NOTE_PLACEHOLDER,
                            multiline=True, max_length=1000))
    data = {"formId": form.form_id} if form.form_id else None
    return card(body, [execute(texts.FIND_TIMES_BUTTON, "findTimes", data, style="positive")])


@dataclass(frozen=True)
class SlotView:
    slot_id: str
    labels: tuple[tuple[str, str], ...]  # (person name, "Tue 25 Nov, 09:00–09:30 PST")
    unverified_note: str | None = None
    why: str | None = None  # why it is a good time, in a few words, e.g. "Early in Ben's day"
    day: str | None = None  # the day heading it is listed under (the organizer's day), e.g. "Tue 25 Nov"
    # With several colleagues: everyone's local start on one line ("Ben 10:00 EST · Chloe 15:00 GMT"), and who
    # is busy, whose calendar could not be read, who is outside their hours ("Busy: Dev Patel").
    everyone: str | None = None
    attendance: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuggestionsView:
    search_id: str
    colleague_name: str
    duration_label: str
    window_label: str
    slots: tuple[SlotView, ...]
    warnings: tuple[str, ...] = ()
    has_more: bool = False
    intro: str | None = None
    # Set when the times are for moving this booking: each time then moves it (verb moveToSlot) instead of booking.
    moving_booking_id: str | None = None


def suggestions_card(view: SuggestionsView) -> Card:
    body: list[dict[str, Any]] = [
        heading((texts.MOVE_SUGGESTIONS_HEADING if view.moving_booking_id else texts.SUGGESTIONS_HEADING)
                .format(colleague=plain(view.colleague_name))),
        text(texts.SUGGESTIONS_INTRO.format(length=view.duration_label, window=view.window_label), subtle=True),
    ]
    if view.intro:
        body.append(text(view.intro, weight="Bolder"))
    body.extend(text(warning, color="Warning") for warning in view.warnings)
    day = None
    for slot in view.slots:  # in time order: a day's heading, then that day's times
        if slot.day and slot.day != day:
            day = slot.day
            body.append({**text(plain(day), weight="Bolder"), "separator": True, "spacing": "Large"})
        items: list[dict[str, Any]] = [facts(plain_facts(slot.labels))]
        if slot.everyone:
            items.append(text(plain(slot.everyone), size="Small"))
        items.extend(text(line, subtle=True, size="Small", color="Warning") for line in slot.attendance)
        if slot.why:
            items.append(text(slot.why, subtle=True, size="Small"))
        if slot.unverified_note:
            items.append(text(texts.UNVERIFIED.format(note=slot.unverified_note), color="Warning", subtle=True))
        body.append({
            "type": "Container",
            "separator": True,
            "items": items,
        })
        body.append({"type": "ActionSet", "actions": [_slot_action(view, slot.slot_id)]})
    actions = []
    if view.has_more:
        actions.append(execute(texts.MORE_TIMES_BUTTON, "moreTimes", {"searchId": view.search_id}))
    if not view.moving_booking_id:  # the options form books a new meeting: not offered while moving one
        actions.append(execute(texts.CHANGE_OPTIONS_BUTTON, "changeOptions", {"searchId": view.search_id}))
    return card(body, actions)


def _slot_action(view: SuggestionsView, slot_id: str) -> dict[str, Any]:
    data = {"searchId": view.search_id, "slotId": slot_id}
    if view.moving_booking_id:
        return execute(texts.MOVE_HERE_BUTTON, "moveToSlot", {**data, "bookingId": view.moving_booking_id},
                       style="positive")
    return execute(texts.BOOK_THIS_TIME_BUTTON, "book", data, style="positive")


@dataclass(frozen=True)
class NoSlotView:
    search_id: str
    colleague_name: str
    reason: str
    window_label: str
    next_window_label: str | None
    notes: tuple[str, ...] = ()
    moving: bool = False  # the times were for moving a meeting: the options form (a new booking) is not offered


def no_slot_card(view: NoSlotView) -> Card:
    body: list[dict[str, Any]] = [
        heading(texts.NO_SLOT_HEADING.format(colleague=plain(view.colleague_name))),
        text(texts.NO_SLOT_REASON.format(window=view.window_label, reason=view.reason)),
    ]
    body.extend(text(note, color="Warning") for note in view.notes)
    actions = []
    if view.next_window_label:
        try_next = texts.TRY_NEXT_WINDOW_BUTTON.format(window=view.next_window_label)
        actions.append(execute(try_next, "nextWindow", {"searchId": view.search_id}, style="positive"))
    if not view.moving:
        actions.append(execute(texts.CHANGE_OPTIONS_BUTTON, "changeOptions", {"searchId": view.search_id}))
    return card(body, actions)


@dataclass(frozen=True)
class ConfirmationView:
    booking_id: str
    subject: str
    organizer_name: str
    colleague_name: str
    times: tuple[tuple[str, str], ...]  # (person name, local label)
    join_url: str | None
    refresh_user_ids: tuple[str, ...] = ()
    note: str | None = None
    for_attendee: bool = False  # the invited colleague's copy: they decline, only the organizer cancels
    several: bool = False  # several colleagues are invited (the invitation is in everyone's calendar)
    can_move: bool = False  # the organizer's copy of a meeting still ahead offers "Find another time"


def confirmation_card(view: ConfirmationView) -> Card:
    body: list[dict[str, Any]] = [
        heading(texts.BOOKED_HEADING.format(subject=plain(view.subject))),
        text((texts.BOOKED_SEVERAL if view.several else texts.BOOKED).format(
            organizer=plain(view.organizer_name), colleague=plain(view.colleague_name))),
        facts(plain_facts(view.times)),
    ]
    if not view.join_url:
        body.append(text(texts.NO_TEAMS_LINK, color="Warning"))
    if view.note:
        body.append(text(view.note, subtle=True))
    actions: list[dict[str, Any]] = []
    if view.join_url:
        actions.append(open_url(texts.JOIN_BUTTON, view.join_url))
    if view.can_move:
        actions.append(_move_action(view.booking_id))
    actions.append(_role_action(view.booking_id, attendee=view.for_attendee, cancel_title=texts.CANCEL_MEETING_BUTTON))
    result = card(body, actions)
    if view.refresh_user_ids:
        result["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "title": texts.REFRESH_BUTTON,
                "verb": "refreshBooking",
                "data": {"verb": "refreshBooking", "bookingId": view.booking_id},
            },
            "userIds": list(view.refresh_user_ids),
        }
    return result


def cancelled_by_words(name: str) -> str:
    """How a cancellation reads on every card that shows it (the Booked card, a list row, the colleague's, audit)."""
    return texts.CANCELLED_BY.format(name=name)


@dataclass(frozen=True)
class CancelledView:
    subject: str
    with_name: str
    times: tuple[tuple[str, str], ...]
    cancelled_by: str | None = None


def cancelled_card(view: CancelledView) -> Card:
    what = cancelled_by_words(plain(view.cancelled_by)) if view.cancelled_by else texts.CANCELLED
    return card([
        heading(texts.CANCELLED_HEADING.format(subject=plain(view.subject))),
        text(texts.CANCELLATION_SENT.format(colleague=plain(view.with_name), what=what)),
        facts(plain_facts(view.times)),
    ])


# Where a meeting's buttons sit: on its own card, or on a row of `my meetings` (whose answer rebuilds the list).
IN_LIST = "myMeetings"


def _booking_data(booking_id: str, shown_in: str | None) -> dict[str, str]:
    """What a meeting's button sends back: the booking, and where the button sat when not on its own card."""
    return {"bookingId": booking_id, **({"in": shown_in} if shown_in else {})}


def _role_action(booking_id: str, *, attendee: bool, cancel_title: str, shown_in: str | None = None
                 ) -> dict[str, Any]:
    """Outlook's roles: the organizer cancels the meeting for everyone, an attendee declines their own copy.

    Either button only asks first (see `cancel_question`); nothing changes until the answer.
    """
    data = _booking_data(booking_id, shown_in)
    if attendee:
        return execute(texts.DECLINE_BUTTON, "declineBooking", data, style="destructive")
    return execute(cancel_title, "cancelBooking", data, style="destructive")


def _move_action(booking_id: str, shown_in: str | None = None) -> dict[str, Any]:
    """Only the organizer moves a meeting (Outlook's roles); an attendee proposes a new time in Outlook."""
    data = _booking_data(booking_id, shown_in)
    return execute(texts.FIND_ANOTHER_TIME_BUTTON, "findAnotherTime", data)


def _question_actions(booking_id: str, *, attendee: bool, shown_in: str | None = None) -> list[dict[str, Any]]:
    data = _booking_data(booking_id, shown_in)
    return [
        execute(texts.YES_DECLINE_BUTTON if attendee else texts.YES_CANCEL_BUTTON, "confirmCancelBooking", data,
                style="destructive"),
        execute(texts.KEEP_IT_BUTTON, "keepBooking", data),
    ]


def _meeting_with(subject: str, colleague: str) -> str:
    """The bold line naming a meeting and the other person, on the cancel question and on a `my meetings` row."""
    return texts.MEETING_WITH.format(subject=plain(subject), colleague=plain(colleague))


def _question(attendee: bool) -> str:
    return texts.CONFIRM_DECLINE_HEADING if attendee else texts.CONFIRM_CANCEL_HEADING


@dataclass(frozen=True)
class CancelQuestionView:
    booking_id: str
    subject: str
    with_name: str
    times: tuple[tuple[str, str], ...]
    for_attendee: bool = False  # the invited colleague declines their own copy; the organizer cancels for both


def cancel_question_card(view: CancelQuestionView) -> Card:
    """One more click before a meeting is cancelled (or declined): Yes, or keep it as it is."""
    consequence = (texts.DECLINE_CONSEQUENCE if view.for_attendee
                   else texts.CANCEL_CONSEQUENCE)
    return card([
        heading(_question(view.for_attendee)),
        text(_meeting_with(view.subject, view.with_name), weight="Bolder"),
        facts(plain_facts(view.times)),
        text(consequence, subtle=True),
    ], _question_actions(view.booking_id, attendee=view.for_attendee))


@dataclass(frozen=True)
class DeclinedView:
    subject: str
    organizer_name: str
    attendee_name: str
    times: tuple[tuple[str, str], ...]
    for_organizer: bool = False  # the notice the organizer gets, rather than the attendee's own card


def declined_card(view: DeclinedView) -> Card:
    who = (texts.COLLEAGUE_DECLINED.format(attendee=plain(view.attendee_name)) if view.for_organizer
           else texts.YOU_DECLINED.format(organizer=plain(view.organizer_name)))
    return card([heading(texts.DECLINED_HEADING.format(subject=plain(view.subject))), text(who),
                 facts(plain_facts(view.times))])


@dataclass(frozen=True)
class MeetingItem:
    booking_id: str
    subject: str
    with_name: str
    times: tuple[tuple[str, str], ...]
    response: str
    join_url: str | None = None
    is_organizer: bool = True
    can_respond: bool = True  # False once the person's own copy is gone (declined or deleted in Outlook)
    cancelled_by: str | None = None  # set once the meeting was cancelled (it then shows no buttons)
    asking: bool = False  # the row asks "Cancel this meeting?" in place of its buttons
    can_move: bool = False  # the organizer's row offers "Find another time"


@dataclass(frozen=True)
class MyMeetingsView:
    items: tuple[MeetingItem, ...]
    notes: tuple[str, ...] = field(default=())
    total: int | None = None  # how many upcoming meetings exist, when `items` holds only the first ones


# Teams refuses a message over about 28 KB; each meeting adds up to ~1.9 KB (long subject, names, join link).
MAX_MEETINGS_SHOWN = 10


def my_meetings_card(view: MyMeetingsView) -> Card:
    body: list[dict[str, Any]] = [heading(texts.MY_MEETINGS_HEADING)]
    body.extend(text(note, color="Warning") for note in view.notes)
    if not view.items:
        body.append(text(texts.MY_MEETINGS_EMPTY))
        return card(body, [execute(texts.BOOK_A_MEETING_BUTTON, "startBooking", style="positive")])
    shown = view.items[:MAX_MEETINGS_SHOWN]
    total = max(view.total or 0, len(view.items))
    hidden = total - len(shown)
    if hidden > 0:
        body.append(text(texts.MY_MEETINGS_MORE.format(shown=len(shown), total=total, hidden=hidden), subtle=True))
    for item in shown:
        body.append({"type": "Container", "separator": True, "items": _meeting_row(item)})
    return card(body, [execute(texts.BOOK_A_MEETING_BUTTON, "startBooking")])


def _meeting_row(item: MeetingItem) -> list[dict[str, Any]]:
    """One meeting of the list: what, when, the reply so far, and its buttons (or the question, or who cancelled)."""
    title = text(_meeting_with(item.subject, item.with_name), weight="Bolder")
    if item.cancelled_by:
        status = cancelled_by_words(plain(item.cancelled_by))
        return [title, facts([*plain_facts(item.times), (texts.MEETING_STATUS, status[:1].upper() + status[1:])])]
    rows = [title, facts([*plain_facts(item.times), (texts.MEETING_RESPONSE, plain(item.response))])]
    attendee = not item.is_organizer
    if item.asking and item.can_respond:
        rows.append(text(_question(attendee), weight="Bolder", color="Attention"))
        rows.append({"type": "ActionSet",
                     "actions": _question_actions(item.booking_id, attendee=attendee, shown_in=IN_LIST)})
        return rows
    actions = []
    if item.join_url:
        actions.append(open_url(texts.JOIN_ROW_BUTTON, item.join_url))
    if item.can_move:
        actions.append(_move_action(item.booking_id, shown_in=IN_LIST))
    if item.can_respond:
        actions.append(_role_action(item.booking_id, attendee=attendee, cancel_title=texts.CANCEL_ROW_BUTTON,
                                    shown_in=IN_LIST))
    if actions:
        rows.append({"type": "ActionSet", "actions": actions})
    return rows


def sign_in_needed_card(message: str) -> Card:
    """Shown in individual mode when the organizer's calendar is not connected (the connect flow is elsewhere)."""
    return card([
        heading(texts.CONNECT_FIRST_HEADING),
        text(message),
        text(texts.CONNECT_FIRST,
             subtle=True),
    ])
