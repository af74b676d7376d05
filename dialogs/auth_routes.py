"""The browser's way back from Microsoft: the sign-in and admin-consent callbacks.

GET /auth/signin   auth-code redirect, for an admin proving their role (then on to admin consent) or a
                   member connecting their calendar (individual mode).
GET /auth/consent  admin-consent redirect; enables the tenant after a self-test.

Every request is judged by its `state` alone (single use, 10 minutes, bound to tenant and Teams user);
the `tenant` query value is only compared against it, never believed. Pages are short HTML meant for a
person: success says to go back to Teams, failure says exactly what went wrong, with status 400/403.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from dialogs.access import forget_group_memberships, remember_proven_admin
from dialogs.admin import run_self_test, self_test_message
from dialogs.booking import resume_after_sign_in
from dialogs.connect import signed_in_card
from dialogs.context import Services
from dialogs.link_cards import replace_link_card
from dialogs.signin import (
    CONSENT_CALLBACK_PATH,
    SIGN_IN_CALLBACK_PATH,
    IntegrationNotConfigured,
    consent_link,
    flow_for_state,
    notify_member,
)
from graph.errors import AuthProblem, classify_auth_error
from storage.repositories import (
    ConsentRecord,
    ConsentRepository,
    ConsentStateError,
    MemberRepository,
    TenantRepository,
)

log = logging.getLogger(__name__)

GO_BACK = "You can close this window and go back to Teams."
_STATE_PROBLEMS = {
    "unknown": "This link wasn't issued by Rendezvous, or it was changed on the way. Start again from Teams.",
    "expired": "This link has expired (links work for 10 minutes). Start again from Teams.",
    "replayed": "This link was already used. Each link works once; start again from Teams if you need to.",
}


def page(title: str, message: str, status: int = 200) -> web.Response:
    body = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title, quote=False)} - Rendezvous</title></head>"
        "<body style=\"font-family: sans-serif; max-width: 36em; margin: 3em auto;\">"
        f"<h1>{html.escape(title, quote=False)}</h1><p>{html.escape(message, quote=False)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def refused(message: str, status: int = 400) -> web.Response:
    return page("That didn't work", message, status)


async def _consume(services: Services, request: web.Request, purposes: tuple[str, ...]) -> ConsentRecord | web.Response:
    state = request.query.get("state", "")
    if not state:
        return refused("The link is missing its state value. Start again from Teams.")
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
    async def sign_in(self, request: web.Request) -> web.Response:
        record = await _consume(self.services, request, ("admin_signin", "member_signin"))
        if isinstance(record, web.Response):
            return record
        if self.services.delegated_auth is None:
            return refused("Rendezvous isn't configured to sign people in yet. Tell the person who runs it.")
        query = {name: value for name, value in request.query.items()}
        try:
            user = await self.services.delegated_auth.finish_sign_in(
                flow_for_state(record.payload, record.state), query
            )
        except AuthProblem as problem:
            log.info("sign-in for tenant %s failed: %s", record.tenant_id, problem.kind.value)
            await self._tell(record, f"The sign-in didn't work: {problem.user_message}")
            return refused(problem.user_message)
        if user.tenant_id != record.tenant_id or user.oid != (record.aad_object_id or ""):
            # The link was opened by someone else (or in another organization): keep nothing of theirs.
            await self.services.delegated_auth.forget(user.tenant_id, user.oid)
            await self._tell(
                record,
                "Someone signed in with a different account than yours, so I ignored that sign-in. "
                "Please sign in with your own work account.",
            )
            return refused(
                "You signed in with a different account than the one that asked in Teams. Sign in with the "
                "same work account you use in Teams, from a new link.",
                403,
            )
        if record.purpose == "admin_signin":
            return await self._admin_proven(record, user.is_admin, user.name)
        return await self._member_connected(record)

    async def _admin_proven(self, record: ConsentRecord, admin: bool, name: str | None) -> web.Response:
        oid = record.aad_object_id or ""
        if not admin or record.payload.get("mode") != "delegated":
            # This sign-in only proved (or disproved) the role; keep the token only as a delegated-mode admin's
            # own calendar connection.
            assert self.services.delegated_auth is not None
            await self.services.delegated_auth.forget(record.tenant_id, oid)
        if not admin:
            message = (
                "Your account doesn't have an administrator role that can approve Rendezvous (Global "
                "Administrator, Privileged Role Administrator, Cloud Application Administrator or Application "
                "Administrator). Ask one of them to type setup in Teams."
            )
            await self._tell(record, message)
            return refused(message, 403)
        await remember_proven_admin(self.services, record.tenant_id, oid)
        payload = {
            "mode": record.payload.get("mode"),
            "security_group_id": record.payload.get("security_group_id"),
            "admin_name": name,
        }
        try:
            url = await consent_link(self.services, record.tenant_id, record.teams_user_id, oid, payload)
        except IntegrationNotConfigured:
            return refused("Rendezvous isn't configured with its Microsoft app credentials yet.")
        raise web.HTTPFound(url)

    async def _member_connected(self, record: ConsentRecord) -> web.Response:
        oid = record.aad_object_id or ""
        await replace_link_card(self.services, record, signed_in_card())
        await self._tell(record, "Connected: Rendezvous can now use your Outlook calendar. Type **book** to book.")
        # Booking also checks the chat's own pending booking, so it is asked even without a payload.
        await resume_booking(self.services, record.tenant_id, oid, dict(record.payload.get("resume") or {}))
        return page("Your calendar is connected", GO_BACK)

    # -- /auth/consent -------------------------------------------------------------------------------
    async def consent(self, request: web.Request) -> web.Response:
        record = await _consume(self.services, request, ("admin_consent",))
        if isinstance(record, web.Response):
            return record
        query = request.query
        if query.get("error"):
            problem = classify_auth_error(query)
            message = f"Permissions were not granted. {problem.user_message}"
            await self._tell(record, f"{message} {problem.admin_hint}")
            return refused(f"{message} {problem.admin_hint}")
        reported_tenant = (query.get("tenant") or "").strip().lower()
        if reported_tenant and reported_tenant != record.tenant_id:
            message = (
                "The permissions were granted in a different organization than the one you're setting up in "
                "Teams. Sign in with an admin account of your own organization and try setup again."
            )
            log.warning("consent callback for tenant %s named another tenant; refused", record.tenant_id)
            await self._tell(record, message)
            return refused(message)
        if query.get("admin_consent", "").lower() != "true":
            return refused("Microsoft didn't confirm the consent. Start setup again from Teams.")
        mode = str(record.payload.get("mode") or "domain_wide")
        group = record.payload.get("security_group_id") or None
        admin_oid = record.aad_object_id or ""
        checks = await run_self_test(self.services, record.tenant_id, mode, admin_oid, group)
        passed, message = self_test_message(mode, checks)
        tenants = TenantRepository(self.services.db, record.tenant_id)
        if passed:
            await tenants.save_setup(mode, group, admin_oid)
            admin_name = record.payload.get("admin_name") or await self._name(record.tenant_id, admin_oid)
            await tenants.enable(admin_oid, admin_name)
            forget_group_memberships(self.services, record.tenant_id)
            log.info("tenant %s enabled in %s mode", record.tenant_id, mode)
        else:
            failed = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
            await tenants.record_error(f"Setup self-test failed. {failed}")
        await self._tell(record, message)
        if passed:
            return page("Rendezvous is connected", f"Calendar integration is now enabled. {GO_BACK}")
        return refused("The permissions were granted, but the self-test failed. The details are in Teams.")

    async def _name(self, tenant_id: str, oid: str) -> str | None:
        member = await MemberRepository(self.services.db, tenant_id).get(oid)
        return member.name if member else None

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
                "Something went wrong",
                "Rendezvous couldn't finish this step because of a problem on its side. Please start again "
                "from Teams in a few minutes.",
                500,
            )

    return guarded


def add_auth_routes(app: web.Application, services: Services) -> None:
    """Adds the sign-in and consent callbacks; app.py calls this once in create_app."""
    callbacks = AuthCallbacks(services)
    app.router.add_get(SIGN_IN_CALLBACK_PATH, _kind_on_failure(callbacks.sign_in))
    app.router.add_get(CONSENT_CALLBACK_PATH, _kind_on_failure(callbacks.consent))
