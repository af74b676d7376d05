"""Cards for organization setup, calendar connection, status, audit and privacy. Pure data -> card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards.base import Card, card, execute, facts, heading, open_url, plain, plain_facts, text
from cards.stored_data import NEVER_STORED, STORED_DATA
from scheduling.display import Clock

MODE_LABELS = {
    "domain_wide": "Domain-wide (recommended)",
    "delegated": "Individual / delegated",
}
MODE_IN_A_SENTENCE = {
    "domain_wide": "domain-wide for the whole organization",
    "delegated": "in individual mode: each member connects their own calendar with connect",
}


def _when(value: datetime | None, clock: Clock) -> str:
    """A timestamp in the reader's zone and locale (the dialog builds the reader's Clock)."""
    return clock.moment(value) if value else "never"


def setup_card(
    teams_tenant_id: str,
    *,
    tenant_id: str | None = None,
    mode: str | None = None,
    security_group_id: str | None = None,
    error: str | None = None,
) -> Card:
    body: list[dict[str, Any]] = [
        heading("Connect your organization's Outlook calendars"),
        text(
            "Choose how Rendezvous reaches calendars. You'll approve it in a Microsoft sign-in window next.",
        ),
    ]
    if error:
        body.append(text(error, color="Attention", weight="Bolder"))
    body += [
        {
            "type": "Input.Text",
            "id": "tenantId",
            "label": "Entra tenant ID (the directory ID of your organization)",
            "value": tenant_id if tenant_id is not None else teams_tenant_id,
            "isRequired": True,
            "errorMessage": "Enter your organization's tenant ID (a GUID).",
        },
        {
            "type": "Input.ChoiceSet",
            "id": "mode",
            "label": "Integration mode",
            "style": "expanded",
            "value": mode or "domain_wide",
            "choices": [{"title": label, "value": value} for value, label in MODE_LABELS.items()],
        },
        text(
            "**Domain-wide (recommended):** one admin consent covers the whole organization, and Rendezvous "
            "reads free/busy with getSchedule.",
            subtle=True,
        ),
        text(
            "**Individual / delegated:** each member signs in once with **connect**, and Rendezvous uses "
            "that person's own access (findMeetingTimes).",
            subtle=True,
        ),
        {
            "type": "Input.Text",
            "id": "securityGroupId",
            "label": "Optional: security group object ID (only its members may use Rendezvous)",
            "value": security_group_id or "",
            "placeholder": "leave empty for everyone",
        },
        text(
            "Who can approve: domain-wide mode needs application permissions, which only a Global Administrator "
            "or Privileged Role Administrator can grant. Individual mode asks only for delegated permissions, "
            "which a Cloud Application Administrator or Application Administrator can also grant. A security "
            "group needs two application permissions (GroupMember.Read.All, User.Read.All) in either mode, so "
            "a Global Administrator or Privileged Role Administrator. It doesn't have to be you: you can send "
            "them the link I give you next.",
            subtle=True,
        ),
    ]
    return card(body, [execute("Save and continue", "saveSetup", style="positive")])


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
        [heading("Only for Rendezvous admins"), text(message)],
        [execute("I have that role: confirm with a Microsoft sign-in", "proveAdmin", data={"command": command})],
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
    state = "Enabled" if view.enabled else "Not enabled"
    pairs = [
        ("Integration", state),
        ("Mode", MODE_LABELS.get(view.mode or "", "not chosen yet")),
        ("Enabled since", _when(view.enabled_at, view.clock) if view.enabled else "-"),
        ("Set up by", plain(view.consented_by or "-")),
        ("Security group", plain(view.security_group_id or "none (everyone in the organization)")),
        ("Members seen", str(view.members)),
        ("Bookings made", str(view.bookings)),
    ]
    body: list[dict[str, Any]] = [heading("Rendezvous status"), facts(pairs)]
    if view.last_error:
        when = _when(view.last_error_at, view.clock)
        body.append(text(f"Last problem ({when}): {view.last_error}", color="Attention"))
    else:
        body.append(text("No calendar errors recorded.", subtle=True))
    return card(body, [execute("Change setup", "openSetup")])


def disconnect_choice_card(has_own_connection: bool) -> Card:
    actions = [execute("Turn off for the whole organization", "confirmDisconnectOrganization", style="destructive")]
    if has_own_connection:
        actions.append(execute("Remove only my calendar connection", "disconnectMyCalendar"))
    return card(
        [
            heading("Disconnect"),
            text(
                "Turning Rendezvous off for the organization stops all calendar access and deletes every stored "
                "sign-in. Members keep their existing meetings. You can run **setup** again at any time."
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
        return message_card("Bookings made through Rendezvous", "No bookings have been made through Rendezvous yet.")
    body: list[dict[str, Any]] = [heading("Bookings made through Rendezvous")]
    if total > len(rows):
        body.append(text(f"The {len(rows)} most recent of {total}.", subtle=True))
    body.append(
        facts(
            [
                (
                    _when(row.booked_at, clock),
                    f"{plain(row.organizer)} booked {plain(row.attendee)} for {_when(row.start, clock)} "
                    f"({plain(row.status)})",
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
    "getSchedule": "read free/busy (getSchedule)",
    "findMeetingTimes": "asked Outlook for meeting times (findMeetingTimes)",
    "createEvent": "created a meeting",
    "getEvent": "checked a meeting it created",
    "findEvent": "looked for a meeting it was creating when it was interrupted",
    "cancelEvent": "cancelled a meeting it created",
    "findInvitation": "looked for your copy of a meeting",
    "declineEvent": "declined a meeting at your request",
    "checkMemberGroups": "checked security-group membership",
}


def _call_description(call: GraphCallView) -> str:
    what = _CALL_KINDS.get(call.kind, call.kind)
    return f"{what}: {plain(call.reason)}" if call.reason else what


def privacy_card(view: PrivacyView) -> Card:
    body: list[dict[str, Any]] = [
        heading("What Rendezvous stores about you"),
        facts(
            plain_facts(view.stored_fields)
            + [
                ("Bookings involving you", str(view.bookings)),
                ("Calendar sign-in stored", "yes (encrypted)" if view.token_stored else "no"),
            ]
        ),
        heading("What Rendezvous keeps, and for how long"),
        facts(list(STORED_DATA)),
        text(NEVER_STORED, subtle=True),
        heading("Calendar look-ups about you"),
    ]
    if view.graph_calls:
        body.append(facts([(_when(call.at, view.clock), _call_description(call)) for call in view.graph_calls]))
    else:
        body.append(text("None so far."))
    return card(body)
