"""Organization setup, status, disconnect and audit: the admin's side of Rendezvous.

Setup never trusts the chat alone: the person proves they are an admin (ADMIN_USER_IDS, or a sign-in
whose id token carries an admin role) before the consent link is handed out, and the tenant is enabled
only after the consent callback and a self-test (see dialogs/auth_routes.py).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botbuilder.core import TurnContext

from cards.admin import (
    MODE_IN_A_SENTENCE,
    MODE_LABELS,
    AuditRow,
    StatusView,
    audit_card,
    disconnect_choice_card,
    link_card,
    message_card,
    setup_card,
    status_card,
)
from dialogs.access import ADMIN_ONLY, admin_diagnostic, forget_group_memberships, is_admin
from dialogs.booking_views import status_words
from dialogs.context import ActionResult, Actor, Services
from dialogs.replies import card_message
from dialogs.signin import IntegrationNotConfigured, consent_link, start_sign_in_link
from graph.calendar import Caller
from graph.errors import AuthProblem, GraphError
from storage.repositories import (
    BookingRepository,
    GraphCallRepository,
    MemberRepository,
    TenantRepository,
    TokenCacheRepository,
)

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "Rendezvous itself isn't configured to reach Microsoft yet (GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET are "
    "missing). Please tell the person who runs Rendezvous."
)
AUDIT_LIMIT = 50


def _guid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value.strip())).lower()
    except ValueError:
        return None


@dataclass(frozen=True)
class SetupChoice:
    tenant_id: str
    mode: str
    security_group_id: str | None

    def payload(self) -> dict[str, Any]:
        return {"mode": self.mode, "security_group_id": self.security_group_id}


def _field(data: dict[str, Any], name: str) -> str:
    """A text field of the setup card; anything but text (an altered card) counts as left empty."""
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_setup(actor: Actor, data: dict[str, Any]) -> SetupChoice | str:
    """The admin's choices from the setup card, or what is wrong with them."""
    raw_tenant = _field(data, "tenantId")
    tenant_id = _guid(raw_tenant)
    if tenant_id is None:
        return (
            f"“{raw_tenant}” isn't a tenant ID. It is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47; "
            "you'll find it on the Overview page of Microsoft Entra admin center."
        )
    if tenant_id != actor.tenant_id:
        return (
            "That tenant ID belongs to a different organization than the Teams organization you're chatting "
            f"from ({actor.tenant_id}). Rendezvous can only be set up for the organization you're in."
        )
    mode = _field(data, "mode")
    if mode not in MODE_LABELS:
        return "Please choose an integration mode: domain-wide or individual."
    raw_group = _field(data, "securityGroupId")
    group_id = _guid(raw_group) if raw_group else None
    if raw_group and group_id is None:
        return (
            f"“{raw_group}” isn't a group object ID. Copy the Object ID (a GUID) from the group's page in "
            "Microsoft Entra admin center, or leave the field empty."
        )
    return SetupChoice(tenant_id, mode, group_id)


class AdminDialogs:
    def __init__(self, services: Services) -> None:
        self.services = services

    # -- setup -------------------------------------------------------------------------------------
    async def setup(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        await turn_context.send_activity(card_message(await self._setup_card(actor)))

    async def open_setup(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return ActionResult(card=await self._setup_card(actor))

    async def _setup_card(self, actor: Actor, error: str | None = None) -> dict[str, Any]:
        tenant = await TenantRepository(self.services.db, actor.tenant_id).get()
        return setup_card(
            actor.tenant_id,
            mode=tenant.mode if tenant else None,
            security_group_id=tenant.security_group_id if tenant else None,
            error=error,
        )

    async def save_setup(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        choice = parse_setup(actor, data)
        if isinstance(choice, str):
            return ActionResult(
                card=setup_card(
                    actor.tenant_id,
                    tenant_id=_field(data, "tenantId"),
                    mode=_field(data, "mode") or None,
                    security_group_id=_field(data, "securityGroupId"),
                    error=choice,
                )
            )
        try:
            if await is_admin(self.services, actor):
                url = await consent_link(
                    self.services,
                    actor.tenant_id,
                    actor.teams_user_id,
                    actor.aad_object_id,
                    {**choice.payload(), "admin_name": actor.name},
                )
                return ActionResult(card=self._consent_card(choice, url))
            url = await start_sign_in_link(
                self.services,
                actor.tenant_id,
                actor.teams_user_id,
                actor.aad_object_id,
                "admin_signin",
                actor.email,
                choice.payload(),
            )
        except IntegrationNotConfigured:
            return ActionResult(text=NOT_CONFIGURED)
        except AuthProblem as problem:
            return ActionResult(text=problem.user_message)
        return ActionResult(
            card=link_card(
                "First, sign in as an administrator",
                "Sign in with your admin account so I can confirm you may approve Rendezvous for your "
                "organization. Right after that, Microsoft asks you to grant the permissions.",
                "Sign in",
                url,
                "The link works once and expires in 10 minutes.",
            )
        )

    @staticmethod
    def _consent_card(choice: SetupChoice, url: str) -> dict[str, Any]:
        return link_card(
            "Grant permissions",
            f"Open Microsoft's consent page to approve Rendezvous for your organization "
            f"({MODE_LABELS[choice.mode]}). I'll message you here as soon as it's done and tested.",
            "Grant permissions",
            url,
            "The link works once and expires in 10 minutes.",
        )

    # -- status ------------------------------------------------------------------------------------
    async def status(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        tenants = TenantRepository(self.services.db, actor.tenant_id)
        tenant = await tenants.get()
        if not await is_admin(self.services, actor, tenant):
            await turn_context.send_activity(ADMIN_ONLY)
            return
        if tenant is None:
            await turn_context.send_activity(
                card_message(message_card("Rendezvous status", "Not set up yet. Type **setup** to begin."))
            )
            return
        members, bookings = await tenants.counts()
        consented_by = tenant.consented_by_name or tenant.consented_by_oid
        view = StatusView(
            mode=tenant.mode,
            enabled=tenant.enabled,
            enabled_at=tenant.enabled_at,
            consented_by=consented_by,
            security_group_id=tenant.security_group_id,
            members=members,
            bookings=bookings,
            last_error=tenant.last_error,
            last_error_at=tenant.last_error_at,
        )
        await turn_context.send_activity(card_message(status_card(view)))

    # -- disconnect (organization) -----------------------------------------------------------------
    async def disconnect_organization(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        if not await is_admin(self.services, actor):
            await turn_context.send_activity(ADMIN_ONLY)
            return
        await turn_context.send_activity(card_message(disconnect_choice_card(has_own_connection=False)))

    async def confirm_disconnect_organization(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not await is_admin(self.services, actor):
            return ActionResult(text=ADMIN_ONLY)
        tenants = TenantRepository(self.services.db, actor.tenant_id)
        await tenants.disable()
        removed = await TokenCacheRepository(self.services.db, self.services.cipher, actor.tenant_id).delete_all()
        forget_group_memberships(self.services, actor.tenant_id)
        log.info("tenant %s disconnected by an admin; %d stored sign-ins deleted", actor.tenant_id, removed)
        return ActionResult(
            card=message_card(
                "Rendezvous is turned off",
                f"Calendar access is off for your organization and {removed} stored sign-in(s) were deleted. "
                "Existing meetings stay in everyone's calendar. Type **setup** to turn it on again. To remove "
                "the app's permissions entirely, delete Rendezvous under Enterprise applications in "
                "Microsoft Entra admin center.",
            )
        )

    # -- audit -------------------------------------------------------------------------------------
    async def audit(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        if not await is_admin(self.services, actor):
            await turn_context.send_activity(ADMIN_ONLY)
            return
        bookings = await BookingRepository(self.services.db, actor.tenant_id).list_all()
        members = {m.aad_object_id: m for m in await MemberRepository(self.services.db, actor.tenant_id).list_all()}

        def name(oid: str) -> str:
            member = members.get(oid)
            return (member.name or member.email or oid) if member else oid

        recent = sorted(bookings, key=lambda b: b.created_at, reverse=True)[:AUDIT_LIMIT]
        rows = [AuditRow(name(b.organizer_oid), name(b.attendee_oid), b.start_utc,
                         status_words(b, name(b.organizer_oid)), b.created_at) for b in recent]
        await turn_context.send_activity(card_message(audit_card(rows, len(bookings))))


# -- self-test after consent -----------------------------------------------------------------------
@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def run_self_test(
    services: Services, tenant_id: str, mode: str, admin_oid: str, security_group_id: str | None
) -> list[CheckResult]:
    """Proves the integration works before it is enabled: a token, a free/busy probe, the group."""
    checks: list[CheckResult] = []
    admin = await MemberRepository(services.db, tenant_id).get(admin_oid)
    mailbox = (admin.email or admin.user_principal_name) if admin else None
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if services.calendar is None or services.app_tokens is None:
        return [CheckResult("Configuration", False, NOT_CONFIGURED)]
    if mode == "domain_wide":
        try:
            await services.app_tokens.token(tenant_id, force_refresh=True)
            checks.append(CheckResult("Access token", True, "Microsoft issued Rendezvous a token."))
        except AuthProblem as problem:
            return [CheckResult("Access token", False, f"{problem.user_message} {admin_diagnostic(problem)}")]
        caller = Caller.app(tenant_id, mailbox or admin_oid)
    else:
        token_stored = await TokenCacheRepository(services.db, services.cipher, tenant_id).load(admin_oid)
        if not token_stored:
            checks.append(
                CheckResult(
                    "Your calendar",
                    True,
                    "Not connected yet, so I skipped the free/busy test. Type **connect** to connect it.",
                )
            )
            caller = None
        else:
            caller = Caller.user(tenant_id, admin_oid)
    if caller is not None:
        if not mailbox:
            checks.append(CheckResult("Free/busy test", False, "I don't know your mailbox address yet."))
        else:
            try:
                await GraphCallRepository(services.db, tenant_id).record(
                    admin_oid, "getSchedule", "setup self-test: reading your own free/busy for the next hour"
                )
                found = await services.calendar.get_schedule(caller, [mailbox], now, now + timedelta(hours=1))
                availability = found.get(mailbox.lower())
                if availability is not None and availability.known:
                    checks.append(CheckResult("Free/busy test", True, "I could read your own free/busy."))
                else:
                    reason = availability.unknown_reason if availability else None
                    checks.append(CheckResult("Free/busy test", False, reason or "Outlook returned no free/busy."))
            except (GraphError, AuthProblem) as exc:
                checks.append(CheckResult("Free/busy test", False, admin_diagnostic(exc)))
    if security_group_id:
        try:
            await GraphCallRepository(services.db, tenant_id).record(
                admin_oid, "checkMemberGroups", "setup self-test: reading the security group"
            )
            groups = await services.calendar.check_member_groups(
                Caller.app(tenant_id, admin_oid), admin_oid, [security_group_id]
            )
            inside = security_group_id in groups
            checks.append(
                CheckResult(
                    "Security group",
                    True,
                    "I can read the group's members"
                    + ("; you are in it." if inside else "; note that you are not in it yourself."),
                )
            )
        except (GraphError, AuthProblem) as exc:
            checks.append(
                CheckResult(
                    "Security group",
                    False,
                    f"I couldn't check the group: {admin_diagnostic(exc)} Restricting to a group needs the "
                    "GroupMember.Read.All and User.Read.All application permissions.",
                )
            )
    return checks


def self_test_message(mode: str, checks: list[CheckResult]) -> tuple[bool, str]:
    """(all passed, the text for the admin)."""
    passed = all(check.ok for check in checks)
    lines = [f"- {'✅' if check.ok else '❌'} {check.name}: {check.detail}" for check in checks]
    if passed:
        head = f"Calendar integration is now enabled, {MODE_IN_A_SENTENCE[mode]}."
        if mode == "delegated":
            head += " Each member types **connect** once to connect their own calendar."
    else:
        head = "The permissions were granted, but the self-test failed, so Rendezvous is not enabled yet:"
        lines.append("Fix the problem above, then type **setup** to try again.")
    return passed, "\n".join([head, *lines])
