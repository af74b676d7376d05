"""The browser's way back from Microsoft: the sign-in and admin-consent callbacks.

POST /auth/signin  auth-code answer (response_mode=form_post, so the code is never in a URL), for an admin
                   proving their role or a member connecting their calendar (individual mode). A GET
                   there is never Entra's answer and gets an explanation.
GET /auth/consent  admin-consent redirect (Entra answers adminconsent with a GET); enables the tenant after
                   a self-test.

Every request is judged by its `state` alone (single use, 10 minutes, bound to tenant and Teams user);
the `tenant` value is only compared against it, never believed. A consent callback is only a claim from
a browser: it enables a first setup (for domain-wide mode the self-test then proves Microsoft granted
application permissions, which only a Global or Privileged Role Administrator can), while changing an
existing setup needs a state handed out to a proven Rendezvous admin. Pages are short HTML meant for a
person: success says to go back to Teams, failure says exactly what went wrong, with status 400/403.
In Teams, the card whose link was used is replaced by what happened (dialogs/link_cards.py); an admin
sign-in that leads on to Microsoft's consent page hands its card's place on to the consent request.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from cards import texts
from cards.admin import message_card
from dialogs.access import (
    PROOF_FOR_VIEWING,
    AdminStanding,
    admin_standing,
    forget_admin_proof,
    remember_admin_proof,
)
from dialogs.admin import AdminDialogs, app_already_has_access, apply_setup
from dialogs.booking import resume_after_sign_in
from dialogs.clock import reader_clock
from dialogs.connect import signed_in_card
from dialogs.context import Services
from dialogs.link_cards import LINK_CARD_KEY, replace_link_card
from dialogs.signin import (
    CONSENT_CALLBACK_PATH,
    SIGN_IN_CALLBACK_PATH,
    IntegrationNotConfigured,
    consent_link,
    flow_for_state,
    notify_member,
)
from graph.errors import AuthProblem, classify_auth_error
from scheduling.display import Clock
from storage.repositories import (
    ConsentRecord,
    ConsentRepository,
    ConsentStateError,
    MemberRepository,
    TenantRepository,
)

log = logging.getLogger(__name__)

_STATE_PROBLEMS = {
    "unknown": texts.LINK_NOT_OURS,
    "expired": texts.LINK_EXPIRED,
    "replayed": texts.LINK_REPLAYED,
}


def page(title: str, message: str, status: int = 200) -> web.Response:
    body = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(texts.PAGE_TITLE.format(title=title), quote=False)}</title></head>"
        "<body style=\"font-family: sans-serif; max-width: 36em; margin: 3em auto;\">"
        f"<h1>{html.escape(title, quote=False)}</h1><p>{html.escape(message, quote=False)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def refused(message: str, status: int = 400) -> web.Response:
    return page(texts.DID_NOT_WORK, message, status)


async def _consume(
    services: Services, params: Mapping[str, str], purposes: tuple[str, ...]
) -> ConsentRecord | web.Response:
    state = params.get("state", "")
    if not state:
        return refused(texts.LINK_WITHOUT_STATE)
    try:
        record = await ConsentRepository(services.db).consume(state)
    except ConsentStateError as exc:
        log.info("callback refused: state %s", exc.reason)
        return refused(_STATE_PROBLEMS[exc.reason])
    if record.purpose not in purposes:
        return refused(_STATE_PROBLEMS["unknown"])
    return record


class AuthCallbacks:
    def __init__(self, services: Services) -> None:
        self.services = services

    # -- /auth/signin --------------------------------------------------------------------------------
    async def sign_in_get(self, request: web.Request) -> web.Response:
        """Entra posts sign-in answers (form_post); a GET here is a stale or hand-made link. Nothing is used up."""
        return refused(texts.SIGN_IN_IS_A_FORM)

    async def sign_in(self, request: web.Request) -> web.Response:
        form = await request.post()
        params = {name: value for name, value in form.items() if isinstance(value, str)}
        record = await _consume(self.services, params, ("admin_signin", "member_signin"))
        if isinstance(record, web.Response):
            return record
        if self.services.delegated_auth is None:
            return refused(texts.SIGN_IN_NOT_CONFIGURED)
        expected = (record.tenant_id, record.aad_object_id or "")
        try:
            user = await self.services.delegated_auth.finish_sign_in(
                flow_for_state(record.payload, record.state),
                params,
                keep_tokens=record.purpose == "member_signin",
                expected_user=expected,
            )
        except AuthProblem as problem:
            log.info("sign-in for tenant %s failed: %s", record.tenant_id, problem.kind.value)
            await self._settle(record, texts.DID_NOT_WORK, texts.SIGN_IN_FAILED.format(problem=problem.user_message))
            await self._tell(record, texts.SIGN_IN_FAILED.format(problem=problem.user_message))
            return refused(problem.user_message)
        if (user.tenant_id, user.oid) != expected:
            # A forwarded or shoulder-surfed link: nothing was stored and nobody's connection changes.
            await self._tell(
                record,
                texts.SOMEONE_ELSE_SIGNED_IN,
            )
            return refused(
                texts.WRONG_ACCOUNT,
                403,
            )
        if record.purpose == "admin_signin":
            return await self._admin_signed_in(record, user.is_admin)
        return await self._member_connected(record)

    async def _admin_signed_in(self, record: ConsentRecord, admin: bool) -> web.Response:
        oid = record.aad_object_id or ""
        then = str(record.payload.get("then") or "status")
        if not admin:
            await forget_admin_proof(self.services, record.tenant_id, oid)
            message = texts.NOT_AN_ADMIN
            await self._settle(record, texts.DID_NOT_WORK, message)
            await self._tell(record, message)
            return refused(message, 403)
        await remember_admin_proof(self.services, record.tenant_id, oid)
        if then == "consent":
            return await self._setup_after_admin_sign_in(record)
        await self._settle(record, texts.SIGNED_IN_TITLE, texts.ADMIN_CONFIRMED)
        member = await MemberRepository(self.services.db, record.tenant_id).get(oid)
        clock = reader_clock(member.outlook_time_zone, member.time_zone, member.locale) if member else Clock()
        card = await AdminDialogs(self.services).card_after_proof(record.tenant_id, then, clock)
        await notify_member(self.services, record.tenant_id, oid, card=card)
        return page(texts.ADMIN_CONFIRMED_PAGE, texts.GO_BACK)

    async def _setup_after_admin_sign_in(self, record: ConsentRecord) -> web.Response:
        """A proven Rendezvous admin's setup: applied at once where the permissions are granted already, else
        on to Microsoft's consent page (for them, or for the administrator they pass the next link to)."""
        oid = record.aad_object_id or ""
        mode = str(record.payload.get("mode") or "domain_wide")
        group = record.payload.get("security_group_id") or None
        name = await self._name(record.tenant_id, oid)
        try:
            if await app_already_has_access(self.services, record.tenant_id):
                passed, message = await apply_setup(self.services, record.tenant_id, oid, mode, group, name)
                await self._settle_setup(record, passed)
                await self._tell(record, message)
                if passed:
                    return page(texts.CONNECTED_PAGE, texts.ENABLED_PAGE.format(go_back=texts.GO_BACK))
                return refused(texts.SELF_TEST_FAILED_SEE_TEAMS)
            payload = {"mode": mode, "security_group_id": group, "admin_name": name, "authorized_by": "admin"}
            if LINK_CARD_KEY in record.payload:  # the consent callback replaces this sign-in's card
                payload[LINK_CARD_KEY] = record.payload[LINK_CARD_KEY]
            url = await consent_link(self.services, record.tenant_id, record.teams_user_id, oid, payload)
        except IntegrationNotConfigured:
            return refused(texts.APP_CREDENTIALS_MISSING)
        except AuthProblem as problem:
            return refused(problem.user_message)
        raise web.HTTPFound(url)

    async def _member_connected(self, record: ConsentRecord) -> web.Response:
        oid = record.aad_object_id or ""
        await replace_link_card(self.services, record, signed_in_card())
        await self._tell(record, texts.MEMBER_CONNECTED)
        # Booking also checks the chat's own pending booking, so it is asked even without a payload.
        await resume_booking(self.services, record.tenant_id, oid, dict(record.payload.get("resume") or {}))
        return page(texts.CALENDAR_CONNECTED_PAGE, texts.GO_BACK)

    # -- /auth/consent -------------------------------------------------------------------------------
    async def consent(self, request: web.Request) -> web.Response:
        query = request.query
        record = await _consume(self.services, query, ("admin_consent",))
        if isinstance(record, web.Response):
            return record
        if query.get("error"):
            problem = classify_auth_error(query)
            message = texts.PERMISSIONS_NOT_GRANTED.format(problem=problem.user_message)
            await self._settle(record, texts.DID_NOT_WORK, message)
            await self._tell(record, f"{message} {problem.admin_hint}")
            return refused(f"{message} {problem.admin_hint}")
        reported_tenant = (query.get("tenant") or "").strip().lower()
        if reported_tenant and reported_tenant != record.tenant_id:
            message = texts.CONSENT_IN_OTHER_TENANT
            log.warning("consent callback for tenant %s named another tenant; refused", record.tenant_id)
            await self._settle(record, texts.DID_NOT_WORK, message)
            await self._tell(record, message)
            return refused(message)
        if query.get("admin_consent", "").lower() != "true":
            return refused(texts.CONSENT_NOT_CONFIRMED)
        tenants = TenantRepository(self.services.db, record.tenant_id)
        authorized_by = record.payload.get("authorized_by")
        existing = await tenants.get()
        if authorized_by != "admin" and existing is not None and existing.mode is not None:
            # Only a first setup may rest on the consent alone; this one was set up meanwhile.
            message = texts.SET_UP_MEANWHILE
            await self._settle(record, texts.NOTHING_CHANGED, message)
            await self._tell(record, message)
            return refused(message, 409)
        mode = str(record.payload.get("mode") or "domain_wide")
        group = record.payload.get("security_group_id") or None
        admin_oid = record.aad_object_id or ""
        admin_name = record.payload.get("admin_name") or await self._name(record.tenant_id, admin_oid)
        passed, message = await apply_setup(self.services, record.tenant_id, admin_oid, mode, group, admin_name)
        standing = await admin_standing(self.services, record.tenant_id, admin_oid, PROOF_FOR_VIEWING)
        if passed and standing is not AdminStanding.ALLOWED:
            message += texts.BECOME_AN_ADMIN
        await self._settle_setup(record, passed)
        await self._tell(record, message)
        if passed:
            return page(texts.CONNECTED_PAGE, texts.ENABLED_PAGE.format(go_back=texts.GO_BACK))
        return refused(texts.PERMISSIONS_GRANTED_TEST_FAILED)

    async def _name(self, tenant_id: str, oid: str) -> str | None:
        member = await MemberRepository(self.services.db, tenant_id).get(oid)
        return member.name if member else None

    async def _settle(self, record: ConsentRecord, title: str, text: str) -> None:
        """Puts what happened in place of the card whose link was used, where Rendezvous noted that card."""
        settled = texts.SETTLED.format(text=text, link_used=texts.LINK_USED)
        await replace_link_card(self.services, record, message_card(title, settled))

    async def _settle_setup(self, record: ConsentRecord, passed: bool) -> None:
        if passed:
            await self._settle(record, texts.CONNECTED, texts.CONNECTED_NOTE)
        else:
            await self._settle(record, texts.DID_NOT_WORK, texts.SELF_TEST_FAILED_SEE_BELOW)

    async def _tell(self, record: ConsentRecord, text: str) -> None:
        if record.aad_object_id:
            await notify_member(self.services, record.tenant_id, record.aad_object_id, text=text)


async def resume_booking(services: Services, tenant_id: str, oid: str, resume: dict[str, Any]) -> None:
    """Lets a booking that waited for this sign-in continue; the person is connected whatever happens here."""
    try:
        await resume_after_sign_in(services, tenant_id, oid, resume)
    except Exception:  # booking logs its own detail; the sign-in page must still say "connected"
        log.exception("resuming the booking after sign-in failed for tenant %s", tenant_id)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _kind_on_failure(handler: Handler) -> Handler:
    """A person in a browser gets a short page, never a stack trace, whatever broke."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("auth callback %s failed", request.path)
            return page(
                texts.SOMETHING_WENT_WRONG,
                texts.PROBLEM_ON_OUR_SIDE,
                500,
            )

    return guarded


def add_auth_routes(app: web.Application, services: Services) -> None:
    """Adds the sign-in and consent callbacks; app.py calls this once in create_app."""
    callbacks = AuthCallbacks(services)
    app.router.add_post(SIGN_IN_CALLBACK_PATH, _kind_on_failure(callbacks.sign_in))
    app.router.add_get(SIGN_IN_CALLBACK_PATH, _kind_on_failure(callbacks.sign_in_get))
    app.router.add_get(CONSENT_CALLBACK_PATH, _kind_on_failure(callbacks.consent))
