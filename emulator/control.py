"""The test levers over HTTP, for an emulator running in another process (`python -m emulator`).

Everything under /_emulator/ bypasses faults and the call log. There is no authentication: the
emulator is a local development tool and listens on 127.0.0.1 only.

    GET    /_emulator/calls                 the call log as JSON (token_subject: whose token each call carried)
    DELETE /_emulator/calls                 clear it
    PUT    /_emulator/faults                replace the fault configuration (same JSON as --faults)
    GET    /_emulator/holds                 how many requests each hold rule is holding: [{path, hold, held}]
    POST   /_emulator/release-holds         {"perform": true}: held requests go on (false: abandon unperformed)
    POST   /_emulator/sign-in-as            {"oid": "...", "decline": false}  (oid null: show the page)
    POST   /_emulator/expire-tokens         every access token issued so far stops working
    GET    /_emulator/events?mailbox=...    a calendar's events in Graph's shape (an observer needing no token)
    POST   /_emulator/busy                  {"email", "start", "end", "status"} (ISO 8601 with offsets)
    POST   /_emulator/respond               {"email", "event_id", "response"}
    POST   /_emulator/admin-consent         {"tenant": "...", "granted": true}
    GET    /_emulator/consents?tenant=...   tenant-wide consents granted: who, which permissions, where
    POST   /_emulator/directory-roles       {"person": "...", "roles": ["Global Administrator"]}  ([] demotes)
    POST   /_emulator/app-role-assignments  {"principal": person or group, "role": "Rendezvous.Admin",
                                             "tenant": needed for a group, "assigned": true}
    PUT    /_emulator/app-registration      {"group_membership_claims": "DirectoryRole" | "All" | null}
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.faults import FaultConfig

if TYPE_CHECKING:
    from emulator.server import Emulator

CONTROL_PREFIX = "/_emulator/"


def add_control_routes(app: web.Application, emulator: Emulator) -> None:
    async def body(request: web.Request) -> dict[str, Any]:
        try:
            parsed = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text="a JSON object is required") from exc
        if not isinstance(parsed, dict):
            raise web.HTTPBadRequest(text="a JSON object is required")
        return parsed

    def done(**extra: Any) -> web.Response:
        return web.json_response({"ok": True, **extra})

    async def list_calls(request: web.Request) -> web.Response:
        return web.json_response([{**asdict(c), "at": c.at.isoformat(), "token_subject": c.token_subject}
                                  for c in emulator.calls])

    async def clear_calls(request: web.Request) -> web.Response:
        emulator.clear_calls()
        return done()

    async def put_faults(request: web.Request) -> web.Response:
        emulator.faults.replace_with(FaultConfig.from_dict(await body(request)))
        return done()

    async def list_holds(request: web.Request) -> web.Response:
        return web.json_response([{"path": rule.path, "method": rule.method, "hold": rule.hold, "held": rule.held}
                                  for rule in emulator.faults.rules if rule.hold])

    async def release_holds(request: web.Request) -> web.Response:
        emulator.faults.release_holds(perform=bool((await body(request)).get("perform", True)))
        return done()

    async def sign_in_as(request: web.Request) -> web.Response:
        raw = await body(request)
        try:
            emulator.sign_in_as(raw.get("oid"), decline=bool(raw.get("decline", False)))
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"no such person: {exc}") from exc
        return done()

    async def expire_tokens(request: web.Request) -> web.Response:
        emulator.expire_tokens()
        return done()

    async def list_events(request: web.Request) -> web.Response:
        # A test's own view of a calendar, in Graph's shape but without a token: a tenant at Entra's defaults
        # (no application consent) gives an observer no app-only token to read it through Graph.
        mailbox = emulator.org.person_anywhere(request.query.get("mailbox", ""))
        if mailbox is None:
            raise web.HTTPNotFound(text="no such mailbox")
        return emulator.graph.events_page(request, mailbox)

    async def add_busy(request: web.Request) -> web.Response:
        raw = await body(request)
        try:
            event = emulator.add_busy(raw["email"], datetime.fromisoformat(raw["start"]),
                                      datetime.fromisoformat(raw["end"]), raw.get("status", "busy"))
        except (KeyError, ValueError) as exc:
            raise web.HTTPBadRequest(text=f"bad busy request: {exc}") from exc
        return done(id=event.id)

    async def respond(request: web.Request) -> web.Response:
        raw = await body(request)
        try:
            emulator.respond(raw["email"], raw["event_id"], raw["response"])
        except (KeyError, ValueError) as exc:
            raise web.HTTPBadRequest(text=f"bad response request: {exc}") from exc
        return done()

    async def admin_consent(request: web.Request) -> web.Response:
        raw = await body(request)
        try:
            if raw.get("granted", True):
                emulator.grant_admin_consent(raw["tenant"])
            else:
                emulator.revoke_admin_consent(raw["tenant"])
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"no such tenant: {exc}") from exc
        return done()

    async def list_consents(request: web.Request) -> web.Response:
        try:
            grants = emulator.consent_grants(request.query.get("tenant", ""))
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"no such tenant: {exc}") from exc
        return web.json_response([asdict(grant) for grant in grants])

    async def directory_roles(request: web.Request) -> web.Response:
        raw = await body(request)
        try:
            emulator.set_directory_roles(raw["person"], list(raw.get("roles", [])))
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"unknown person or role: {exc}") from exc
        return done()

    async def app_role_assignments(request: web.Request) -> web.Response:
        raw = await body(request)
        try:
            emulator.assign_app_role(raw["principal"], raw.get("role", "Rendezvous.Admin"), tenant=raw.get("tenant"),
                                     assigned=bool(raw.get("assigned", True)))
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"unknown principal, tenant or role: {exc}") from exc
        return done()

    async def app_registration(request: web.Request) -> web.Response:
        raw = await body(request)
        value = raw.get("group_membership_claims")
        if value not in (None, "None", "SecurityGroup", "DirectoryRole", "ApplicationGroup", "All"):
            raise web.HTTPBadRequest(text=f"groupMembershipClaims cannot be {value!r}")
        emulator.set_group_membership_claims(None if value == "None" else value)
        return done()

    app.router.add_get(CONTROL_PREFIX + "calls", list_calls)
    app.router.add_delete(CONTROL_PREFIX + "calls", clear_calls)
    app.router.add_put(CONTROL_PREFIX + "faults", put_faults)
    app.router.add_get(CONTROL_PREFIX + "holds", list_holds)
    app.router.add_post(CONTROL_PREFIX + "release-holds", release_holds)
    app.router.add_post(CONTROL_PREFIX + "sign-in-as", sign_in_as)
    app.router.add_post(CONTROL_PREFIX + "expire-tokens", expire_tokens)
    app.router.add_post(CONTROL_PREFIX + "busy", add_busy)
    app.router.add_get(CONTROL_PREFIX + "events", list_events)
    app.router.add_post(CONTROL_PREFIX + "respond", respond)
    app.router.add_post(CONTROL_PREFIX + "admin-consent", admin_consent)
    app.router.add_get(CONTROL_PREFIX + "consents", list_consents)
    app.router.add_post(CONTROL_PREFIX + "directory-roles", directory_roles)
    app.router.add_post(CONTROL_PREFIX + "app-role-assignments", app_role_assignments)
    app.router.add_put(CONTROL_PREFIX + "app-registration", app_registration)
