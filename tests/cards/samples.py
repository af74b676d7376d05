"""Every card the bot can send, built by the real builders in cards/ from realistic view data.

Labels come from the real display code (scheduling.display, scheduling.windows), so times, zone
abbreviations and clock-change warnings read exactly as users see them. The sizes mirror the caps the
dialogs apply (5 slots a page, 20 colleague choices, 50 audit rows, 50 Graph calls on the privacy card).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5
from zoneinfo import ZoneInfo

from cards import admin, booking, common, group_chat
from cards.base import Card
from cards.mobile import with_submit_actions
from scheduling.display import day_label, local_label
from scheduling.windows import dst_changes

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")

# Limits the dialogs apply before a card is built (dialogs/booking/search.py PAGE_SIZE, booking_people._SEARCH_LIMIT,
# admin.AUDIT_LIMIT, privacy.GRAPH_CALLS_SHOWN). Repeated here on purpose: the size test should fail if a
# dialog later shows more than these and the card grows past what Teams accepts.
SLOTS_PER_PAGE = 5
COLLEAGUE_CHOICES = 20
AUDIT_ROWS = 50
PRIVACY_CALLS = 50
# A heavy user's upcoming meetings booked through Rendezvous; the dialog passes them all to the card.
MANY_MEETINGS = 40

LONG_NAME = "Maximiliana Alexandrovna Wolfeschlegelsteinhausen-Bergerdorff de la Cruz-Fitzgerald"
LONG_SUBJECT = "Quarterly planning: " + "roadmap, budgets, hiring and the Q3 offsite agenda; " * 3
JOIN_URL = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NTg0NmQ3ODMtYzI0Ni00ZWU0LWI0ZDUtNDlmNjI5MDFkNjlj"
    "%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a"
    "%22b2a9e7f4-4c1d-4d8e-9a0b-3f6c5d7e8a91%22%7d"
)
TEAMS_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SIGN_IN_URL = (
    "https://rendezvous.contoso.com/auth/start?state=Vx3kq9Zt0bH2mN8pQ1rS5uW7yA4cE6gI"
    "&tenant=72f988bf-86f1-41af-91ab-2d7cd011db47"
)
# Monday 2 Mar 2026, 17:00 UTC: the US springs forward on 8 Mar, the UK on 29 Mar.
MONDAY = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CardSample:
    """One card as the bot would send it, with the builder that made it."""

    name: str
    builder: Callable[..., Card]
    card: Card


def _oid(n: int) -> str:
    return f"{n:08x}-4c1d-4d8e-9a0b-3f6c5d7e8a91"


def _booking_id(n: int) -> str:
    """Shaped like the repository's booking ids (uuid4 strings), but stable."""
    return str(uuid5(NAMESPACE_URL, f"rendezvous-booking-{n}"))


def _colleagues(count: int) -> list[tuple[str, str]]:
    first = ["Alice", "Bao", "Chiara", "Dmitri", "Eun-ji", "Fatima", "Gustavo", "Hiroshi", "Ingrid", "José"]
    last = ["Okafor", "Nguyen", "Rossi", "Ivanov", "Kim", "Haddad", "Pereira", "Tanaka", "Lindqvist", "García"]
    return [(f"{first[n % 10]} {last[(n * 3) % 10]}", _oid(n)) for n in range(count)]


def _times(start: datetime, minutes: int, people: list[tuple[str, ZoneInfo]]) -> tuple[tuple[str, str], ...]:
    end = start + timedelta(minutes=minutes)
    return tuple((name, local_label(start, end, zone)) for name, zone in people)


def _slots(count: int, *, unverified_from: int | None = None,
           name: str = "Alice Okafor") -> tuple[booking.SlotView, ...]:
    people = [("You", LOS_ANGELES), (name, LONDON)]
    slots = []
    for n in range(count):
        start = MONDAY + timedelta(days=n // 2, hours=(n % 2) * 2)
        unverified = unverified_from is not None and n >= unverified_from
        slots.append(booking.SlotView(
            slot_id=f"s{int(start.timestamp())}",
            labels=_times(start, 30, people),
            unverified_note=f"{name}'s calendar could not be read" if unverified else None,
            why="Early in Alice's day, the earliest time you are both free" if n == 0 else "Both free all afternoon",
            day=day_label(start.astimezone(LOS_ANGELES).date()),
        ))
    return tuple(slots)


def _dst_warnings() -> tuple[str, ...]:
    changes = dst_changes(MONDAY, MONDAY + timedelta(days=28), [LOS_ANGELES, LONDON])
    return tuple(f"Heads up: {change.description}." for change in changes)


def _meetings(count: int, *, long_text_every: int) -> tuple[booking.MeetingItem, ...]:
    """Upcoming meetings as my meetings lists them; every `long_text_every`-th has a 200-character subject and
    a very long colleague name, every 4th has no Teams link, every 3rd has no reply yet."""
    items = []
    for n, (name, _) in enumerate(_colleagues(count)):
        long_text = n % long_text_every == 0
        other = LONG_NAME if long_text else name
        items.append(booking.MeetingItem(
            booking_id=_booking_id(100 + n),
            subject=LONG_SUBJECT[:200] if long_text else f"1:1 number {n}",
            with_name=other,
            times=_times(MONDAY + timedelta(days=n), 30, [("Dmitri Ivanov", LOS_ANGELES), (other, KOLKATA)]),
            response=f"{other}: {'accepted' if n % 3 else 'not answered yet'}",
            join_url=JOIN_URL if n % 4 else None,
            can_move=True,  # the organizer's rows: the most buttons a row has
        ))
    return tuple(items)


def _booking_cards() -> list[CardSample]:
    samples = [
        CardSample("booking_form_default", booking.booking_form_card, booking.booking_form_card(
            booking.BookingForm(colleagues=_colleagues(3)))),
        CardSample("booking_form_no_colleagues", booking.booking_form_card, booking.booking_form_card(
            booking.BookingForm(colleagues=[]))),
        CardSample("booking_form_prefilled_with_problems", booking.booking_form_card, booking.booking_form_card(
            booking.BookingForm(
                colleagues=[*_colleagues(COLLEAGUE_CHOICES - 1), (LONG_NAME, _oid(999))],
                colleague=_oid(999),
                duration="custom",
                custom_duration="2h 30m",
                window="dates",
                from_date="2026-03-09",
                to_date="2026-03-20",
                subject=LONG_SUBJECT[:200],
                note="Please bring the draft numbers.\n" * 30,
                problems=("I couldn't understand “2 weeks” as a meeting length.", "The end date is before the start."),
                intro="I filled in what I understood from your message.",
            ))),
        CardSample("suggestions_full_page", booking.suggestions_card, booking.suggestions_card(booking.SuggestionsView(
            search_id="q-7f3a9c",
            colleague_name="Alice Okafor",
            duration_label="30 minutes",
            window_label="next week",
            slots=_slots(SLOTS_PER_PAGE),
            has_more=True,
        ))),
        CardSample("suggestions_for_moving_full_page", booking.suggestions_card, booking.suggestions_card(
            booking.SuggestionsView(
                search_id="q-move7f",
                colleague_name=LONG_NAME,
                duration_label="30 minutes",
                window_label="Mon 2 Mar – Sun 8 Mar",
                slots=_slots(SLOTS_PER_PAGE, name=LONG_NAME),
                has_more=True,
                moving_booking_id=_booking_id(4),
            ))),
        CardSample("suggestions_unverified_dst_long_name", booking.suggestions_card, booking.suggestions_card(
            booking.SuggestionsView(
                search_id="q-1b2c3d",
                colleague_name=LONG_NAME,
                duration_label="1 hour 30 minutes",
                window_label="Mon 2 Mar – Fri 27 Mar",
                slots=_slots(SLOTS_PER_PAGE, unverified_from=2, name=LONG_NAME),
                warnings=(
                    f"I couldn't read {LONG_NAME}'s calendar (mailbox not found), so times marked unverified only "
                    "fit their working hours.",
                    *_dst_warnings(),
                ),
                intro="These are the next times after the ones I showed before.",
            ))),
        CardSample("suggestions_nineteen_colleagues", booking.suggestions_card, booking.suggestions_card(
            booking.SuggestionsView(
                search_id="q-team",
                colleague_name=", ".join(name for name, _ in _colleagues(18)) + " and " + LONG_NAME + " (optional)",
                duration_label="1 hour",
                window_label="next week",
                slots=tuple(replace(
                    slot, labels=slot.labels[:1],
                    everyone=" · ".join(f"{name.split()[0]} {9 + n % 9}:00 GMT+{n}" for n, (name, _)
                                        in enumerate(_colleagues(19))),
                    attendance=(f"Busy: {LONG_NAME}", "Calendar not read: " + ", ".join(
                        name for name, _ in _colleagues(4)), "Outside working hours: " + _colleagues(1)[0][0]),
                ) for slot in _slots(SLOTS_PER_PAGE, unverified_from=3)),
                has_more=True,
            ))),
        CardSample("suggestions_single_slot_last_page", booking.suggestions_card, booking.suggestions_card(
            booking.SuggestionsView(
                search_id="q-last",
                colleague_name="Bao Nguyen",
                duration_label="15 minutes",
                window_label="this week",
                slots=_slots(1),
            ))),
        CardSample("no_slot_with_next_window", booking.no_slot_card, booking.no_slot_card(booking.NoSlotView(
            search_id="q-none",
            colleague_name="Chiara Rossi",
            reason="You and Chiara Rossi have no common free time inside both working days.",
            window_label="This week",
            next_window_label="Mon 9 Mar – Fri 13 Mar",
            notes=_dst_warnings(),
        ))),
        CardSample("no_slot_window_at_horizon", booking.no_slot_card, booking.no_slot_card(booking.NoSlotView(
            search_id="q-end",
            colleague_name=LONG_NAME,
            reason="There are no more times in this window.",
            window_label="Mon 23 Nov – Fri 27 Nov",
            next_window_label=None,
        ))),
    ]
    times = _times(MONDAY + timedelta(days=1), 30, [("Dmitri Ivanov", LOS_ANGELES), ("Eun-ji Kim", KOLKATA)])
    samples += [
        CardSample("confirmation_with_join_url", booking.confirmation_card, booking.confirmation_card(
            booking.ConfirmationView(
                booking_id=_booking_id(1),
                subject="Design review",
                organizer_name="Dmitri Ivanov",
                colleague_name="Eun-ji Kim",
                times=times,
                join_url=JOIN_URL,
                refresh_user_ids=("29:1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ-abcdEFGHijklMNOPqrstUVWxyz0123456789",),
                note="Eun-ji Kim has been invited; her reply will show here.",
                can_move=True,
            ))),
        CardSample("confirmation_without_join_url", booking.confirmation_card, booking.confirmation_card(
            booking.ConfirmationView(
                booking_id=_booking_id(2),
                subject=LONG_SUBJECT[:200],
                organizer_name=LONG_NAME,
                colleague_name="Eun-ji Kim",
                times=times,
                join_url=None,
            ))),
        CardSample("confirmation_for_the_colleague", booking.confirmation_card, booking.confirmation_card(
            booking.ConfirmationView(
                booking_id=_booking_id(3),
                subject="Design review",
                organizer_name="Dmitri Ivanov",
                colleague_name="Eun-ji Kim",
                times=times,
                join_url=JOIN_URL,
                for_attendee=True,
            ))),
        CardSample("declined_by_the_colleague", booking.declined_card, booking.declined_card(booking.DeclinedView(
            subject=LONG_SUBJECT[:200],
            organizer_name=LONG_NAME,
            attendee_name="Eun-ji Kim",
            times=times,
        ))),
        CardSample("declined_notice_to_the_organizer", booking.declined_card, booking.declined_card(
            booking.DeclinedView(
                subject="Design review",
                organizer_name="Dmitri Ivanov",
                attendee_name=LONG_NAME,
                times=times,
                for_organizer=True,
            ))),
        CardSample("cancelled_by_colleague", booking.cancelled_card, booking.cancelled_card(booking.CancelledView(
            subject="Design review",
            with_name="Dmitri Ivanov and Eun-ji Kim",
            times=times,
            cancelled_by="Eun-ji Kim",
        ))),
        CardSample("cancelled_no_actor", booking.cancelled_card, booking.cancelled_card(booking.CancelledView(
            subject="Design review",
            with_name="Dmitri Ivanov and Eun-ji Kim",
            times=times,
        ))),
        CardSample("my_meetings_empty", booking.my_meetings_card, booking.my_meetings_card(
            booking.MyMeetingsView(items=()))),
        CardSample("my_meetings_few", booking.my_meetings_card, booking.my_meetings_card(
            booking.MyMeetingsView(items=_meetings(3, long_text_every=2)))),
        CardSample("my_meetings_as_colleague", booking.my_meetings_card, booking.my_meetings_card(
            booking.MyMeetingsView(items=tuple(
                replace(item, is_organizer=False, can_respond=index != 1, response="You: none yet")
                for index, item in enumerate(_meetings(3, long_text_every=2)))))),
        CardSample("my_meetings_full", booking.my_meetings_card, booking.my_meetings_card(booking.MyMeetingsView(
            items=_meetings(MANY_MEETINGS, long_text_every=5),
            notes=("I couldn't read the replies just now; they may be out of date.",),
        ))),
        CardSample("my_meetings_all_long", booking.my_meetings_card, booking.my_meetings_card(
            booking.MyMeetingsView(items=_meetings(MANY_MEETINGS, long_text_every=1)))),
        CardSample("sign_in_needed", booking.sign_in_needed_card, booking.sign_in_needed_card(
            "I need your permission to use your Outlook calendar.")),
        CardSample("cancel_question", booking.cancel_question_card, booking.cancel_question_card(
            booking.CancelQuestionView(booking_id=_booking_id(4), subject=LONG_SUBJECT[:200], with_name=LONG_NAME,
                                       times=times))),
        CardSample("decline_question", booking.cancel_question_card, booking.cancel_question_card(
            booking.CancelQuestionView(booking_id=_booking_id(5), subject="Design review", with_name="Dmitri Ivanov",
                                       times=times, for_attendee=True))),
        CardSample("my_meetings_asking_and_cancelled", booking.my_meetings_card, booking.my_meetings_card(
            booking.MyMeetingsView(items=tuple(
                replace(item, asking=index == 0, cancelled_by=LONG_NAME if index == 1 else None)
                for index, item in enumerate(_meetings(3, long_text_every=2)))))),
    ]
    # What a person on Teams mobile gets (cards/mobile.py): the same cards with Action.Submit buttons.
    on_mobile = ("booking_form_prefilled_with_problems", "suggestions_full_page", "confirmation_with_join_url",
                 "my_meetings_full", "cancel_question")
    samples += [CardSample(f"{sample.name}_on_mobile", sample.builder, with_submit_actions(sample.card))
                for sample in samples if sample.name in on_mobile]
    return samples


def _admin_cards() -> list[CardSample]:
    enabled_at = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
    calls = [
        admin.GraphCallView(MONDAY - timedelta(minutes=7 * n), kind, reason)
        for n, (kind, reason) in enumerate(
            [
                ("getSchedule", "free/busy to find times for Dmitri Ivanov and Eun-ji Kim"),
                ("findMeetingTimes", "suggest times for Dmitri Ivanov and Eun-ji Kim"),
                ("createEvent", None),
                ("getEvent", "read the reply to Design review"),
                ("cancelEvent", None),
                ("checkMemberGroups", None),
                ("someFutureKind", "a kind this card does not know yet"),
            ]
            * 8
        )
    ][:PRIVACY_CALLS]
    stored = [
        ("Microsoft Entra object ID", _oid(1)),
        ("Name", LONG_NAME),
        ("Email", "maximiliana.wolfeschlegelsteinhausen@contoso.onmicrosoft.com"),
        ("User principal name", "maximiliana.wolfeschlegelsteinhausen@contoso.onmicrosoft.com"),
        ("Time zone", "Asia/Kolkata"),
        ("Teams user ID", "29:1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ"),
        ("Chat to reach you in", "stored"),
        ("First seen", "2026-02-20 09:31 UTC"),
    ]
    rows = [
        admin.AuditRow(name, LONG_NAME if n % 7 == 0 else "Alice Okafor", MONDAY + timedelta(days=n),
                       "cancelled" if n % 6 == 0 else "confirmed", MONDAY - timedelta(hours=n))
        for n, (name, _) in enumerate(_colleagues(AUDIT_ROWS))
    ]
    return [
        CardSample("setup_first_time", admin.setup_card, admin.setup_card(TEAMS_TENANT)),
        CardSample("setup_retry_with_error", admin.setup_card, admin.setup_card(
            TEAMS_TENANT,
            tenant_id="not-a-guid",
            mode="delegated",
            security_group_id=_oid(42),
            error="That tenant ID is not a GUID. Copy the Directory (tenant) ID from Microsoft Entra admin center.",
        )),
        CardSample("admin_sign_in_link", admin.link_card, admin.link_card(
            "First, sign in as an administrator",
            "Sign in with your admin account so I can confirm you may approve Rendezvous.",
            "Sign in",
            SIGN_IN_URL,
            "The link works once and expires in 10 minutes.",
        )),
        CardSample("member_sign_in_link_without_note", admin.link_card, admin.link_card(
            "Connect your Outlook calendar", "Sign in with your work account.", "Connect calendar", SIGN_IN_URL)),
        CardSample("admin_only", admin.admin_only_card, admin.admin_only_card(
            "Only a Rendezvous admin can do that: someone your organization gave the Rendezvous.Admin role "
            "(Microsoft Entra admin center, Enterprise applications, Rendezvous, Users and groups).",
            "disconnect organization",
        )),
        CardSample("message", admin.message_card, admin.message_card(
            "Rendezvous is turned off", "Calendar access is off for your organization and 12 stored sign-in(s) "
            "were deleted.")),
        CardSample("status_enabled_with_error", admin.status_card, admin.status_card(admin.StatusView(
            mode="domain_wide",
            enabled=True,
            enabled_at=enabled_at,
            consented_by="admin@contoso.onmicrosoft.com",
            security_group_id=_oid(42),
            members=1234,
            bookings=5678,
            last_error="Graph answered 429 Too Many Requests for getSchedule; retried after 12 s.",
            last_error_at=MONDAY,
        ))),
        CardSample("status_not_enabled", admin.status_card, admin.status_card(admin.StatusView(
            mode=None, enabled=False, enabled_at=None, consented_by=None, security_group_id=None,
            members=0, bookings=0, last_error=None, last_error_at=None,
        ))),
        CardSample("disconnect_choice_with_own_connection", admin.disconnect_choice_card,
                   admin.disconnect_choice_card(has_own_connection=True)),
        CardSample("disconnect_choice_organization_only", admin.disconnect_choice_card,
                   admin.disconnect_choice_card(has_own_connection=False)),
        CardSample("audit_full", admin.audit_card, admin.audit_card(rows, total=873)),
        CardSample("audit_empty", admin.audit_card, admin.audit_card([], total=0)),
        CardSample("privacy_full", admin.privacy_card, admin.privacy_card(admin.PrivacyView(
            stored_fields=stored, bookings=37, token_stored=True, graph_calls=calls))),
        CardSample("privacy_new_member", admin.privacy_card, admin.privacy_card(admin.PrivacyView(
            stored_fields=[("Microsoft Entra object ID", _oid(2))], bookings=0, token_stored=False, graph_calls=[]))),
    ]


def _common_cards() -> list[CardSample]:
    chat_link = group_chat.bot_chat_link("28:6f1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8")
    return [
        CardSample("group_welcome", group_chat.group_welcome_card, group_chat.group_welcome_card(chat_link)),
        CardSample("personal_chat_link", group_chat.personal_chat_card, group_chat.personal_chat_card(chat_link)),
        CardSample("group_booked_line", group_chat.group_booked_card, group_chat.group_booked_card(
            "Adele Vance", "Quarterly planning with the whole regional team " * 3,
            datetime(2026, 12, 2, 16, tzinfo=UTC), datetime(2026, 12, 2, 16, 30, tzinfo=UTC))),
        CardSample("welcome", common.welcome_card, common.welcome_card("Alice Okafor")),
        CardSample("welcome_without_name", common.welcome_card, common.welcome_card("")),
        CardSample("help", common.help_card, common.help_card()),
        CardSample("still_working", common.still_working_card,
                   common.still_working_card("book", {"verb": "book", "searchId": "Vx3kq9Zt0bH2",
                                                      "slotId": "20260304T1700Z"})),
        CardSample("late_answer", common.late_answer_card,
                   common.late_answer_card("Outlook is busy, try again in a minute.", "findTimes",
                                           {"verb": "findTimes", "colleague": "49893b47-f489-471d-9d8b-e98e8bbe424c"})),
    ]


def all_samples() -> list[CardSample]:
    samples = [*_common_cards(), *_booking_cards(), *_admin_cards()]
    names = [sample.name for sample in samples]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"card sample names must be unique: {sorted(duplicates)}")
    return samples


def cards_by_name() -> dict[str, Any]:
    return {sample.name: sample.card for sample in all_samples()}
