"""Organization setup, status, disconnect and audit: the admin's side of Rendezvous.

Setup never trusts the chat alone. A first setup is approved at Microsoft: the consent link goes to
whoever may grant the permissions (the person in Teams or their administrator), and the tenant is
enabled only after the consent callback and a self-test (see web/auth_routes.py). Changing an
existing setup, and every other admin command, needs a Rendezvous admin: ADMIN_USER_IDS, or a recent
sign-in whose id token shows the Rendezvous.Admin app role (or an admin directory role in `wids`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botbuilder.core import TurnContext

from cards import texts
from cards.admin import (
    MODE_IN_A_SENTENCE,
    MODE_LABELS,
    AuditRow,
    StatusView,
    admin_only_card,
    audit_card,
    disconnect_choice_card,
    link_card,
    message_card,
    setup_card,
    status_card,
)
from cards.texts import ADMIN_ONLY
from dialogs.access import (
    PROOF_FOR_CHANGES,
    PROOF_FOR_VIEWING,
    AdminStanding,
    admin_diagnostic,
    admin_standing,
    forget_group_memberships,
)
from dialogs.booking_views import status_words
from dialogs.context import ActionResult, Actor, Services
from dialogs.link_cards import remember_answer_card, remember_link_card
from dialogs.replies import card_message
from dialogs.signin import IntegrationNotConfigured, consent_link, start_sign_in_link
from graph.calendar import Caller
from graph.errors import AuthFailure, AuthProblem, GraphError
from scheduling.display import Clock
from storage.repositories import (
    BookingRepository,
    GraphCallRepository,
    MemberRepository,
    TenantRepository,
    TokenCacheRepository,
)

log = logging.getLogger(__name__)

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
        return texts.NOT_A_TENANT_ID.format(value=raw_tenant)
    if tenant_id != actor.tenant_id:
        return texts.OTHER_TENANT.format(tenant_id=actor.tenant_id)
    mode = _field(data, "mode")
    if mode not in MODE_LABELS:
        return texts.CHOOSE_A_MODE
    raw_group = _field(data, "securityGroupId")
    group_id = _guid(raw_group) if raw_group else None
    if raw_group and group_id is None:
        return texts.NOT_A_GROUP_ID.format(value=raw_group)
    return SetupChoice(tenant_id, mode, group_id)


# How fresh an admin sign-in each admin command needs, by the command's name as typed.
COMMAND_FRESHNESS = {
    "setup": PROOF_FOR_CHANGES,
    "disconnect organization": PROOF_FOR_CHANGES,
    "audit": PROOF_FOR_CHANGES,  # shows other people's bookings
    "status": PROOF_FOR_VIEWING,
}


def _consent_explanation(mode: str, security_group_id: str | None) -> str:
    """Who can approve this request at Microsoft, said honestly (application permissions need GA or PRA)."""
    if mode == "domain_wide":
        who = texts.CONSENT_DOMAIN_WIDE
    else:
        who = texts.CONSENT_INDIVIDUAL
        if security_group_id:
            who += texts.CONSENT_GROUP_NEEDS_MORE
    return texts.CONSENT_WHO.format(who=who)


class AdminDialogs:
    def __init__(self, services: Services) -> None:
        self.services = services

    # -- who may run an admin command ----------------------------------------------------------------
    async def _refusal(self, actor: Actor, command: str) -> dict[str, Any] | None:
        """None when the person may run `command` now; otherwise the card to show instead: who can do it
        (someone never known as an admin, told at once), or a sign-in to prove it again (a stale proof)."""
        standing = await admin_standing(
            self.services, actor.tenant_id, actor.aad_object_id, COMMAND_FRESHNESS[command]
        )
        if standing is AdminStanding.ALLOWED:
            return None
        if standing is AdminStanding.NOT_KNOWN:
            return admin_only_card(ADMIN_ONLY, command)
        return await self._proof_card(
            actor,
            {"then": command},
            texts.STILL_ADMIN_TITLE,
            texts.ADMIN_PROOF_TOO_OLD.format(command=command),
        )

    async def _proof_card(self, actor: Actor, payload: dict[str, Any], title: str, explanation: str) -> dict[str, Any]:
        """A link to a sign-in that only reads the person's roles (no calendar scope)."""
        try:
            url = await start_sign_in_link(
                self.services,
                actor.tenant_id,
                actor.teams_user_id,
                actor.aad_object_id,
                "admin_signin",
                actor.email,
                payload,
                scopes=[],
            )
        except IntegrationNotConfigured:
            return message_card(texts.NOT_AVAILABLE_TITLE, texts.NOT_CONFIGURED)
        except AuthProblem as problem:
            return message_card(texts.SIGN_IN_UNAVAILABLE_TITLE, problem.user_message)
        return link_card(title, f"{explanation} {texts.ADMIN_SIGN_IN_NOTE}", texts.SIGN_IN_BUTTON, url, texts.LINK_NOTE)

    async def _show(self, turn_context: TurnContext, card: dict[str, Any]) -> None:
        """Sends `card`; one carrying a sign-in or consent link is remembered, so the link's callback replaces it
        with what happened."""
        sent = await turn_context.send_activity(card_message(card))
        await remember_link_card(self.services, card, sent.id if sent else None, turn_context.activity.conversation.id)

    async def _answer(self, turn_context: TurnContext, result: ActionResult) -> ActionResult:
        """A button's answer; a link card in it takes the clicked card's place, which its callback then replaces."""
        if result.card is not None:
            await remember_answer_card(self.services, turn_context, result.card)
        return result

    async def prove_admin(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        """The "I have that role" button: a sign-in, after which the command continues."""
        command = data.get("command")
        if not isinstance(command, str) or command not in COMMAND_FRESHNESS:  # an altered card
            command = "status"
        return await self._answer(turn_context, ActionResult(
            card=await self._proof_card(
                actor, {"then": command}, texts.CONFIRM_ADMIN_TITLE,
                texts.CONTINUE_AFTER_SIGN_IN.format(command=command),
            )
        ))

    async def card_after_proof(self, tenant_id: str, command: str, clock: Clock) -> dict[str, Any]:
        """What the command shows, sent once its admin sign-in succeeded; timestamps on the admin's clock."""
        if command == "setup":
            return await self._setup_card(tenant_id)
        if command == "audit":
            return await self._audit_card(tenant_id, clock)
        if command == "disconnect organization":
            return disconnect_choice_card(has_own_connection=False)
        return await self._status_card(tenant_id, clock)

    # -- setup -------------------------------------------------------------------------------------
    async def setup(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        await self._show(turn_context, await self._setup_or_refusal(actor))

    async def open_setup(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._answer(turn_context, ActionResult(card=await self._setup_or_refusal(actor)))

    async def _setup_or_refusal(self, actor: Actor) -> dict[str, Any]:
        """Anyone may start a first setup (Microsoft decides who may approve it); changing one needs an admin."""
        if await self._has_setup(actor.tenant_id):
            refusal = await self._refusal(actor, "setup")
            if refusal is not None:
                return refusal
        return await self._setup_card(actor.tenant_id)

    async def _has_setup(self, tenant_id: str) -> bool:
        tenant = await TenantRepository(self.services.db, tenant_id).get()
        return tenant is not None and tenant.mode is not None

    async def _setup_card(self, tenant_id: str, error: str | None = None) -> dict[str, Any]:
        tenant = await TenantRepository(self.services.db, tenant_id).get()
        return setup_card(
            tenant_id,
            mode=tenant.mode if tenant else None,
            security_group_id=tenant.security_group_id if tenant else None,
            error=error,
        )

    async def save_setup(self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        return await self._answer(turn_context, await self._save_setup(actor, data))

    async def _save_setup(self, actor: Actor, data: dict[str, Any]) -> ActionResult:
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
        standing = await admin_standing(self.services, actor.tenant_id, actor.aad_object_id, PROOF_FOR_CHANGES)
        proven = standing is AdminStanding.ALLOWED
        if not proven and await self._has_setup(actor.tenant_id):
            refusal = await self._refusal(actor, "setup")
            if refusal is not None:
                return ActionResult(card=refusal)
        try:
            consented_before = await app_already_has_access(self.services, actor.tenant_id)
            if consented_before and proven:
                # The permissions are granted already: a Rendezvous admin's change needs no new consent.
                _, message = await apply_setup(
                    self.services, actor.tenant_id, actor.aad_object_id, choice.mode, choice.security_group_id,
                    actor.name,
                )
                return ActionResult(card=message_card(texts.SETUP_TITLE, message))
            if consented_before:
                # Microsoft's answer could no longer show that anyone approved this request.
                return ActionResult(
                    card=await self._proof_card(
                        actor,
                        {"then": "consent", **choice.payload()},
                        texts.CONFIRM_ADMIN_FIRST_TITLE,
                        texts.ALREADY_CONSENTED,
                    )
                )
            url = await consent_link(
                self.services,
                actor.tenant_id,
                actor.teams_user_id,
                actor.aad_object_id,
                {**choice.payload(), "admin_name": actor.name, "authorized_by": "admin" if proven else "consent"},
            )
        except IntegrationNotConfigured:
            return ActionResult(text=texts.NOT_CONFIGURED)
        except AuthProblem as problem:
            return ActionResult(text=problem.user_message)
        return ActionResult(
            card=link_card(
                texts.GRANT_PERMISSIONS,
                texts.CONSENT_NEXT.format(mode=MODE_LABELS[choice.mode],
                                          explanation=_consent_explanation(choice.mode, choice.security_group_id)),
                texts.GRANT_PERMISSIONS,
                url,
                texts.LINK_NOTE,
            )
        )

    # -- status ------------------------------------------------------------------------------------
    async def status(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        if await TenantRepository(self.services.db, actor.tenant_id).get() is None:
            await turn_context.send_activity(
                card_message(message_card(texts.STATUS_TITLE, texts.NOT_SET_UP_YET))
            )
            return
        refusal = await self._refusal(actor, "status")
        await self._show(turn_context, refusal or await self._status_card(actor.tenant_id, actor.clock))

    async def _status_card(self, tenant_id: str, clock: Clock) -> dict[str, Any]:
        tenants = TenantRepository(self.services.db, tenant_id)
        tenant = await tenants.get()
        if tenant is None:
            return message_card(texts.STATUS_TITLE, texts.NOT_SET_UP_YET)
        members, bookings = await tenants.counts()
        view = StatusView(
            mode=tenant.mode,
            enabled=tenant.enabled,
            enabled_at=tenant.enabled_at,
            consented_by=tenant.consented_by_name or tenant.consented_by_oid,
            security_group_id=tenant.security_group_id,
            members=members,
            bookings=bookings,
            last_error=tenant.last_error,
            last_error_at=tenant.last_error_at,
            clock=clock,
        )
        return status_card(view)

    # -- disconnect (organization) -----------------------------------------------------------------
    async def disconnect_organization(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        refusal = await self._refusal(actor, "disconnect organization")
        await self._show(turn_context, refusal or disconnect_choice_card(has_own_connection=False))

    async def confirm_disconnect_organization(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        refusal = await self._refusal(actor, "disconnect organization")
        if refusal is not None:
            return await self._answer(turn_context, ActionResult(card=refusal))
        tenants = TenantRepository(self.services.db, actor.tenant_id)
        await tenants.disable()
        removed = await TokenCacheRepository(self.services.db, self.services.cipher, actor.tenant_id).delete_all()
        forget_group_memberships(self.services, actor.tenant_id)
        log.info("tenant %s disconnected by an admin; %d stored sign-ins deleted", actor.tenant_id, removed)
        return ActionResult(
            card=message_card(
                texts.TURNED_OFF_TITLE,
                texts.TURNED_OFF.format(removed=removed),
            )
        )

    # -- audit -------------------------------------------------------------------------------------
    async def audit(self, turn_context: TurnContext, actor: Actor, argument: str) -> None:
        refusal = await self._refusal(actor, "audit")
        await self._show(turn_context, refusal or await self._audit_card(actor.tenant_id, actor.clock))

    async def _audit_card(self, tenant_id: str, clock: Clock) -> dict[str, Any]:
        bookings = await BookingRepository(self.services.db, tenant_id).list_all()
        members = {m.aad_object_id: m for m in await MemberRepository(self.services.db, tenant_id).list_all()}

        def name(oid: str) -> str:
            member = members.get(oid)
            return (member.name or member.email or oid) if member else oid

        recent = sorted(bookings, key=lambda b: b.created_at, reverse=True)[:AUDIT_LIMIT]
        rows = [AuditRow(name(b.organizer_oid), name(b.attendee_oid), b.start_utc,
                         status_words(b, name(b.organizer_oid)), b.created_at) for b in recent]
        return audit_card(rows, len(bookings), clock)


async def app_already_has_access(services: Services, tenant_id: str) -> bool:
    """True when Microsoft already issues Rendezvous an app-only token for this tenant (an earlier consent)."""
    if services.app_tokens is None:
        raise IntegrationNotConfigured("no Graph app credentials configured (GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET)")
    try:
        await services.app_tokens.token(tenant_id, force_refresh=True)
    except AuthProblem as problem:
        if problem.kind in (AuthFailure.NOT_CONSENTED, AuthFailure.CONSENT_REVOKED):
            return False
        raise
    return True


async def apply_setup(
    services: Services,
    tenant_id: str,
    requester_oid: str,
    mode: str,
    security_group_id: str | None,
    requester_name: str | None,
) -> tuple[bool, str]:
    """Runs the self-test, then enables the organization with these choices, or records why not.

    Returns (enabled, what to tell the person who asked)."""
    checks = await run_self_test(services, tenant_id, mode, requester_oid, security_group_id)
    passed, message = self_test_message(mode, checks)
    tenants = TenantRepository(services.db, tenant_id)
    if passed:
        await tenants.save_setup(mode, security_group_id, requester_oid)
        await tenants.enable(requester_oid, requester_name)
        forget_group_memberships(services, tenant_id)
        log.info("tenant %s enabled in %s mode", tenant_id, mode)
    else:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
        await tenants.record_error(texts.SELF_TEST_FAILED.format(failed=failed))
    return passed, message


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
        return [CheckResult(texts.CHECK_CONFIGURATION, False, texts.NOT_CONFIGURED)]
    if mode == "domain_wide":
        try:
            await services.app_tokens.token(tenant_id, force_refresh=True)
            checks.append(CheckResult(texts.CHECK_TOKEN, True, texts.TOKEN_ISSUED))
        except AuthProblem as problem:
            return [CheckResult(texts.CHECK_TOKEN, False, f"{problem.user_message} {admin_diagnostic(problem)}")]
        caller = Caller.app(tenant_id, mailbox or admin_oid)
    else:
        token_stored = await TokenCacheRepository(services.db, services.cipher, tenant_id).load(admin_oid)
        if not token_stored:
            checks.append(
                CheckResult(
                    texts.CHECK_OWN_CALENDAR,
                    True,
                    texts.FREE_BUSY_SKIPPED,
                )
            )
            caller = None
        else:
            caller = Caller.user(tenant_id, admin_oid)
    if caller is not None:
        if not mailbox:
            checks.append(CheckResult(texts.CHECK_FREE_BUSY, False, texts.MAILBOX_UNKNOWN))
        else:
            try:
                await GraphCallRepository(services.db, tenant_id).record(
                    admin_oid, "getSchedule", texts.REASON_SELF_TEST_FREE_BUSY
                )
                found = await services.calendar.get_schedule(caller, [mailbox], now, now + timedelta(hours=1))
                availability = found.get(mailbox.lower())
                if availability is not None and availability.known:
                    checks.append(CheckResult(texts.CHECK_FREE_BUSY, True, texts.FREE_BUSY_READ))
                else:
                    reason = availability.unknown_reason if availability else None
                    checks.append(CheckResult(texts.CHECK_FREE_BUSY, False, reason or texts.NO_FREE_BUSY))
            except (GraphError, AuthProblem) as exc:
                checks.append(CheckResult(texts.CHECK_FREE_BUSY, False, admin_diagnostic(exc)))
    if security_group_id:
        try:
            await GraphCallRepository(services.db, tenant_id).record(
                admin_oid, "checkMemberGroups", texts.REASON_SELF_TEST_GROUP
            )
            groups = await services.calendar.check_member_groups(
                Caller.app(tenant_id, admin_oid), admin_oid, [security_group_id]
            )
            inside = security_group_id in groups
            checks.append(
                CheckResult(
                    texts.CHECK_GROUP,
                    True,
                    texts.GROUP_READ
                    + (texts.GROUP_HAS_YOU if inside else texts.GROUP_LACKS_YOU),
                )
            )
        except (GraphError, AuthProblem) as exc:
            checks.append(
                CheckResult(
                    texts.CHECK_GROUP,
                    False,
                    texts.GROUP_UNREADABLE.format(diagnostic=admin_diagnostic(exc)),
                )
            )
    return checks


def self_test_message(mode: str, checks: list[CheckResult]) -> tuple[bool, str]:
    """(all passed, the text for the admin)."""
    passed = all(check.ok for check in checks)
    lines = [f"- {'✅' if check.ok else '❌'} {check.name}: {check.detail}" for check in checks]
    if passed:
        head = texts.INTEGRATION_ENABLED.format(mode=MODE_IN_A_SENTENCE[mode])
        if mode == "delegated":
            head += texts.EACH_MEMBER_CONNECTS
    else:
        head = texts.SELF_TEST_BLOCKED
        lines.append(texts.FIX_AND_RETRY)
    return passed, "\n".join([head, *lines])
