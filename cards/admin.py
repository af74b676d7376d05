"""Cards for organization setup, calendar connection, status, audit and privacy. Pure data -> card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards import texts
from cards.base import Card, card, execute, facts, heading, open_url, plain, plain_facts, text
from cards.stored_data import NEVER_STORED, STORED_DATA
from scheduling.display import Clock

MODE_LABELS = {
    "domain_wide": texts.MODE_DOMAIN_WIDE,
    "delegated": texts.MODE_DELEGATED,
}
MODE_IN_A_SENTENCE = {
    "domain_wide": texts.MODE_DOMAIN_WIDE_IN_A_SENTENCE,
    "delegated": texts.MODE_DELEGATED_IN_A_SENTENCE,
}


def _when(value: datetime | None, clock: Clock) -> str:
    """A timestamp in the reader's zone and locale (the dialog builds the reader's Clock)."""
    return clock.moment(value) if value else texts.NEVER


def setup_card(
    teams_tenant_id: str,
    *,
    tenant_id: str | None = None,
    mode: str | None = None,
    security_group_id: str | None = None,
    error: str | None = None,
) -> Card:
    body: list[dict[str, Any]] = [
        heading(texts.SETUP_HEADING),
        text(
            texts.SETUP_INTRO,
        ),
    ]
    if error:
        body.append(text(error, color="Attention", weight="Bolder"))
    body += [
        {
            "type": "Input.Text",
            "id": "tenantId",
            "label": texts.SETUP_TENANT_LABEL,
            "value": tenant_id if tenant_id is not None else teams_tenant_id,
            "isRequired": True,
            "errorMessage": texts.SETUP_TENANT_ERROR,
        },
        {
            "type": "Input.ChoiceSet",
            "id": "mode",
            "label": texts.SETUP_MODE_LABEL,
            "style": "expanded",
            "value": mode or "domain_wide",
            "choices": [{"title": label, "value": value} for value, label in MODE_LABELS.items()],
        },
        text(
            texts.SETUP_DOMAIN_WIDE_EXPLAINED,
            subtle=True,
        ),
        text(
            texts.SETUP_DELEGATED_EXPLAINED,
            subtle=True,
        ),
        {
            "type": "Input.Text",
            "id": "securityGroupId",
            "label": texts.SETUP_GROUP_LABEL,
            "value": security_group_id or "",
            "placeholder": texts.SETUP_GROUP_PLACEHOLDER,
        },
        text(
            texts.SETUP_WHO_CAN_APPROVE,
            subtle=True,
        ),
    ]
    return card(body, [execute(texts.SETUP_SAVE_BUTTON, "saveSetup", style="positive")])


def link_card(title: str, explanation: str, button: str, url: str, note: str | None = None) -> Card:
    body = [heading(title), text(explanation)]
    if note:
        body.append(text(note, subtle=True))
    return card(body, [open_url(button, url)])


def message_card(title: str, message: str) -> Card:
    return card([heading(title), text(message)])


def admin_only_card(message: str, command: str) -> Card:
    """The answer to an admin command from someone not known as an admin: who can do it, and a way for an
    admin to prove it (nobody is sent to a sign-in they did not ask for)."""
    return card(
        [heading(texts.ADMIN_ONLY_HEADING), text(message)],
        [execute(texts.ADMIN_PROVE_BUTTON, "proveAdmin", data={"command": command})],
    )


@dataclass(frozen=True)
class StatusView:
    mode: str | None
    enabled: bool
    enabled_at: datetime | None
    consented_by: str | None
    security_group_id: str | None
    members: int
    bookings: int
    last_error: str | None
    last_error_at: datetime | None
    clock: Clock = Clock()


def status_card(view: StatusView) -> Card:
    state = texts.STATUS_ENABLED if view.enabled else texts.STATUS_NOT_ENABLED
    pairs = [
        (texts.STATUS_INTEGRATION, state),
        (texts.STATUS_MODE, MODE_LABELS.get(view.mode or "", texts.STATUS_MODE_NOT_CHOSEN)),
        (texts.STATUS_ENABLED_SINCE, _when(view.enabled_at, view.clock) if view.enabled else "-"),
        (texts.STATUS_SET_UP_BY, plain(view.consented_by or "-")),
        (texts.CHECK_GROUP, plain(view.security_group_id or texts.STATUS_NO_GROUP)),
        (texts.STATUS_MEMBERS, str(view.members)),
        (texts.STATUS_BOOKINGS, str(view.bookings)),
    ]
    body: list[dict[str, Any]] = [heading(texts.STATUS_TITLE), facts(pairs)]
    if view.last_error:
        when = _when(view.last_error_at, view.clock)
        body.append(text(texts.STATUS_LAST_PROBLEM.format(when=when, error=view.last_error), color="Attention"))
    else:
        body.append(text(texts.STATUS_NO_ERRORS, subtle=True))
    return card(body, [execute(texts.CHANGE_SETUP_BUTTON, "openSetup")])


def disconnect_choice_card(has_own_connection: bool) -> Card:
    actions = [execute(texts.TURN_OFF_BUTTON, "confirmDisconnectOrganization", style="destructive")]
    if has_own_connection:
        actions.append(execute(texts.REMOVE_OWN_CONNECTION_BUTTON, "disconnectMyCalendar"))
    return card(
        [
            heading(texts.DISCONNECT_CHOICE_HEADING),
            text(
                texts.TURN_OFF_EXPLAINED
            ),
        ],
        actions,
    )


@dataclass(frozen=True)
class AuditRow:
    organizer: str
    attendee: str
    start: datetime
    status: str
    booked_at: datetime


def audit_card(rows: list[AuditRow], total: int, clock: Clock = Clock()) -> Card:
    if not rows:
        return message_card(texts.AUDIT_HEADING, texts.AUDIT_EMPTY)
    body: list[dict[str, Any]] = [heading(texts.AUDIT_HEADING)]
    if total > len(rows):
        body.append(text(texts.AUDIT_MOST_RECENT.format(shown=len(rows), total=total), subtle=True))
    body.append(
        facts(
            [
                (
                    _when(row.booked_at, clock),
                    texts.AUDIT_ROW.format(organizer=plain(row.organizer), attendee=plain(row.attendee),
                                           when=_when(row.start, clock), status=plain(row.status)),
                )
                for row in rows
            ]
        )
    )
    return card(body)


@dataclass(frozen=True)
class GraphCallView:
    at: datetime
    kind: str
    reason: str | None


@dataclass(frozen=True)
class PrivacyView:
    stored_fields: list[tuple[str, str]]
    bookings: int
    token_stored: bool
    graph_calls: list[GraphCallView]
    clock: Clock = Clock()


_CALL_KINDS = {
    "getSchedule": texts.CALL_GET_SCHEDULE,
    "findMeetingTimes": texts.CALL_FIND_MEETING_TIMES,
    "createEvent": texts.CALL_CREATE_EVENT,
    "getEvent": texts.CALL_GET_EVENT,
    "findEvent": texts.CALL_FIND_INTERRUPTED,
    "cancelEvent": texts.CALL_CANCEL,
    "moveEvent": texts.CALL_MOVE,
    "findInvitation": texts.CALL_FIND_INVITATION,
    "declineEvent": texts.CALL_DECLINE,
    "checkMemberGroups": texts.CALL_CHECK_GROUPS,
}


def _call_description(call: GraphCallView) -> str:
    what = _CALL_KINDS.get(call.kind, call.kind)
    return f"{what}: {plain(call.reason)}" if call.reason else what


def privacy_card(view: PrivacyView) -> Card:
    body: list[dict[str, Any]] = [
        heading(texts.PRIVACY_HEADING),
        facts(
            plain_facts(view.stored_fields)
            + [
                (texts.PRIVACY_BOOKINGS, str(view.bookings)),
                (texts.PRIVACY_SIGN_IN,
                 texts.PRIVACY_SIGN_IN_STORED if view.token_stored else texts.PRIVACY_SIGN_IN_NOT_STORED),
            ]
        ),
        heading(texts.PRIVACY_WHAT_IS_KEPT),
        facts(list(STORED_DATA)),
        text(NEVER_STORED, subtle=True),
        heading(texts.PRIVACY_LOOK_UPS),
    ]
    if view.graph_calls:
        body.append(facts([(_when(call.at, view.clock), _call_description(call)) for call in view.graph_calls]))
    else:
        body.append(text(texts.PRIVACY_NO_LOOK_UPS))
    return card(body)
