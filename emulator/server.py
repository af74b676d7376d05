"""The emulator's aiohttp application: Entra ID and Graph on one HTTPS port, plus the call log.

Middleware gives every answer Graph's `request-id` / `client-request-id` headers, applies the fault
configuration, and appends a CallRecord after each request so tests can assert what the bot did and
did not ask for.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.control import CONTROL_PREFIX, add_control_routes
from emulator.entra import Entra, TokenInvalid, aad_error
from emulator.faults import DEFAULT_ERROR_CODES, FaultConfig, FaultRule
from emulator.graph import Graph, GraphFailure, graph_error_body, odata_json
from emulator.notes import notes
from emulator.org import AppRoleAssignment, ConsentGrant, Org, Person, Tenant, directory_role_id
from emulator.state import SHOW_AS_VALUES, CalendarEvent, EventStore, generate_calendars
from emulator.tls import DEFAULT_FOLDER, TlsFiles, ensure_certificates

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class CallRecord:
    method: str
    path: str
    tenant_id: str | None
    app_id: str | None
    mailbox: str | None
    user_oid: str | None
    status: int
    query: dict[str, str]
    at: datetime
    body: Any = field(default=None, compare=False)  # the parsed JSON body of Graph calls, for assertions
    received_at: datetime | None = None  # when the request arrived (`at` is when it was answered)

    @property
    def token_subject(self) -> str | None:
        """Whose token a Graph call carried: the signed-in person's object id (delegated), else `app:<client id>`."""
        if self.user_oid:
            return self.user_oid
        return f"app:{self.app_id}" if self.app_id else None


class Emulator:
    """Everything one emulator instance holds: directory, calendars, tokens, faults, call log."""

    def __init__(self, org: Org | None = None, faults: FaultConfig | None = None, *,
                 today: date | None = None, generate: bool = True) -> None:
        self.org = org or Org.load()
        self.faults = faults or FaultConfig()
        self.state = EventStore()
        self.entra = Entra(self.org)
        self.graph = Graph(self.org, self.entra, self.state, self.faults)
        self.calls: list[CallRecord] = []
        if generate:
            generate_calendars(self.state, self.org, today or datetime.now(UTC).date())
        self._runner: web.AppRunner | None = None
        # known once start() has bound the port
        self.port = 0
        self.ca_file = ""
        self.authority_host = ""
        self.graph_base_url = ""

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        add_control_routes(app, self)  # /_emulator/... and /v1.0/... before the /{tenant}/... patterns
        self.graph.add_routes(app)
        self.entra.add_routes(app)
        return app

    async def start(self, port: int = 0, host: str = "127.0.0.1", tls: TlsFiles | None = None,
                    data_folder: Path | str = DEFAULT_FOLDER) -> TlsFiles:
        tls = tls or ensure_certificates(data_folder)
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        # Bind the socket ourselves so that port 0 yields a known free port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.port = int(sock.getsockname()[1])
        site = web.SockSite(self._runner, sock, ssl_context=tls.server_context())
        await site.start()
        self.ca_file = str(tls.ca_file)
        self.authority_host = f"https://localhost:{self.port}"
        self.graph_base_url = f"{self.authority_host}/v1.0"
        log.info("emulator listening on https://localhost:%s", self.port)
        return tls

    async def stop(self) -> None:
        # Requests still held would keep the server from closing; those not yet performed never will be.
        self.faults.release_holds(perform=False)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- look-ups and levers for tests (also reachable over HTTP, see emulator/control.py) --------------
    @property
    def client_id(self) -> str:
        return self.org.apps[0].client_id

    @property
    def client_secret(self) -> str:
        return self.org.apps[0].client_secret

    @property
    def token_lifetime(self) -> int:
        return self.entra.access_token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: int) -> None:
        """expires_in of tokens issued from now on (MSAL renews tokens with under 5 minutes left)."""
        self.entra.access_token_lifetime = seconds

    def authority(self, tenant: str = "organizations") -> str:
        return f"{self.authority_host}/{tenant}"

    def tenant(self, name_or_id: str) -> Tenant:
        """By GUID, domain or display name."""
        return self.org.tenant_named(name_or_id)

    def person(self, identifier: str) -> Person:
        """By object id, mail or UPN, in any tenant."""
        found = self.org.person_anywhere(identifier)
        if found is None:
            raise KeyError(identifier)
        return found

    def events_of(self, identifier: str) -> list[CalendarEvent]:
        return self.state.events_of(self.person(identifier).id)

    def created_events(self, identifier: str) -> list[CalendarEvent]:
        """Events in this person's calendar that did not come from the demo generator."""
        return [e for e in self.events_of(identifier) if not e.generated]

    def clear_calls(self) -> None:
        self.calls.clear()
        self.graph.peak_in_flight.clear()

    def peak_mailbox_concurrency(self) -> dict[str, int]:
        """Per mailbox address, the most Outlook requests of one app in flight at once since the log was cleared."""
        return dict(self.graph.peak_in_flight)

    def calls_to(self, path_fragment: str) -> list[CallRecord]:
        return [c for c in self.calls if path_fragment.lower() in c.path.lower()]

    def sign_in_as(self, oid: str | None, *, decline: bool = False) -> None:
        """Which person /authorize and /adminconsent pick without showing a page (None: show it)."""
        self.entra.sign_in.person_id = self.person(oid).id if oid else None
        self.entra.sign_in.decline = decline

    def revoke_refresh_tokens(self, tenant: str, oid: str) -> int:
        return self.entra.revoke_refresh_tokens(self.tenant(tenant).id, oid)

    def require_mfa(self, tenant: str, oid: str, required: bool = True) -> None:
        self.entra.require_mfa(self.tenant(tenant).id, oid, required)

    def expire_tokens(self) -> None:
        self.entra.expire_tokens()

    def grant_admin_consent(self, tenant: str) -> None:
        self.tenant(tenant).admin_consented_apps.add(self.client_id)

    def revoke_admin_consent(self, tenant: str) -> None:
        """Removes every tenant-wide grant of the app (application and delegated), as deleting its grants does."""
        found = self.tenant(tenant)
        found.admin_consented_apps.discard(self.client_id)
        found.delegated_admin_grants.pop(self.client_id, None)

    def consent_grants(self, tenant: str) -> list[ConsentGrant]:
        """Every tenant-wide consent granted through /adminconsent so far, oldest first."""
        return list(self.tenant(tenant).consent_grants)

    def set_directory_roles(self, person: str, roles: list[str]) -> None:
        """Replaces the person's directory roles (display names or template ids); [] demotes them."""
        self.person(person).directory_roles = {directory_role_id(role) for role in roles}

    def assign_app_role(self, principal: str, role: str = "Rendezvous.Admin", *, tenant: str | None = None,
                        assigned: bool = True) -> None:
        """Assigns (or removes) an app role of the app to a person or a group, as in Enterprise applications."""
        app = self.org.apps[0]
        app_role = app.app_role(role)
        if app_role is None:
            raise KeyError(role)
        person = self.org.person_anywhere(principal)
        owner = self.tenant(person.tenant_id if person else (tenant or ""))
        principal_id = person.id if person else principal.strip().lower()
        if person is None and owner.group(principal_id) is None:
            raise KeyError(principal)
        assignment = AppRoleAssignment(app.client_id, app_role.id, principal_id)
        owner.app_role_assignments = [a for a in owner.app_role_assignments if a != assignment]
        if assigned:
            owner.app_role_assignments.append(assignment)

    def set_group_membership_claims(self, value: str | None) -> None:
        """The app registration's groupMembershipClaims: None (Entra's default), "DirectoryRole", "All"..."""
        self.org.apps[0].group_membership_claims = value

    def add_busy(self, email: str, start: datetime, end: datetime, status: str = "busy",
                 subject: str = "Busy (added by test)") -> CalendarEvent:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("add_busy needs timezone-aware datetimes")
        if status not in SHOW_AS_VALUES:
            raise ValueError(f"unknown status {status!r}")
        person = self.person(email)
        return self.state.add(CalendarEvent(
            owner_id=person.id, tenant_id=person.tenant_id, start=start, end=end, show_as=status,
            subject=subject, organizer_address=person.mail, organizer_name=person.display_name))

    def clear_calendar(self, email: str) -> None:
        """Removes every event of this person (generated ones too), for tests that need a blank week."""
        for event in self.events_of(email):
            self.state.remove(event)

    def respond(self, email: str, event_id: str, response: str) -> CalendarEvent:
        """The attendee `email` answers: 'accepted', 'tentativelyAccepted' or 'declined'."""
        return self.state.respond(self.person(email), event_id, response)

    # -- middleware -----------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)  # the test's own levers: no faults, not in the call log
        note = notes(request)  # created now: its received_at is the request's arrival
        note.client_request_id = request.headers.get("client-request-id", note.request_id)
        is_graph = request.path.startswith("/v1.0/")
        rule = self.faults.take(request.method, request.path)
        status = 500
        try:
            response = await self._respond(request, handler, rule, is_graph)
            status = response.status
            response.headers["request-id"] = note.request_id
            response.headers["client-request-id"] = note.client_request_id
            if rule is not None and rule.drop_response and request.transport is not None:
                # the action has happened; the client never hears about it
                request.transport.abort()
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self._record(request, status)

    async def _respond(self, request: web.Request, handler: Handler, rule: FaultRule | None,
                       is_graph: bool) -> web.StreamResponse:
        if rule is not None and rule.status is not None:
            await asyncio.sleep(rule.delay_seconds)
            return self._fault_response(request, rule, is_graph)
        if rule is not None and is_graph:
            notes(request).fault_delay = rule.delay_seconds  # served inside the mailbox's concurrency slot
        elif rule is not None and rule.delay_seconds:
            await asyncio.sleep(rule.delay_seconds)
        if not is_graph and self.faults.latency_seconds:
            await asyncio.sleep(self.faults.latency_seconds)
        if rule is not None and rule.hold == "before":
            await request.read()  # the whole request has arrived: it can be performed even if the client goes
        if rule is not None and rule.hold == "before" and not await rule.wait_at_hold():
            if request.transport is not None:
                request.transport.abort()  # abandoned: never performed, never answered
            return web.Response(status=503)
        try:
            response: web.StreamResponse = await handler(request)
        except GraphFailure as failure:
            response = odata_json(graph_error_body(request, failure.code, failure.message), failure.status,
                                  failure.headers)
        if rule is not None and rule.hold == "after":
            await rule.wait_at_hold()  # performed; the answer waits
        return response

    def _fault_response(self, request: web.Request, rule: FaultRule, is_graph: bool) -> web.Response:
        assert rule.status is not None
        headers = {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
        default_code, default_message = DEFAULT_ERROR_CODES.get(rule.status, ("UnknownError", "Injected failure."))
        if not is_graph:
            response = aad_error(rule.status, "temporarily_unavailable", 50196 if rule.status == 429 else 90033,
                                 rule.message or "The server is temporarily unavailable.")
            response.headers.update(headers)
            return response
        body = graph_error_body(request, rule.error_code or default_code, rule.message or default_message)
        if rule.status == 429:
            body["error"]["innerError"].update({"code": "429", "status": "429"})
        return odata_json(body, rule.status, headers)

    def _record(self, request: web.Request, status: int) -> None:
        note = notes(request)
        if note.tenant_id is None and request.path.startswith("/v1.0/"):
            self._identify_for_log(request)
        if note.tenant_id is None and not request.path.startswith("/v1.0/"):
            segment = request.match_info.get("tenant")
            known = self.org.tenant(segment) if segment else None
            note.tenant_id = known.id if known else segment
        self.calls.append(CallRecord(
            method=request.method, path=request.path, tenant_id=note.tenant_id, app_id=note.app_id,
            mailbox=note.mailbox or self._mailbox_from_path(request.path), user_oid=note.user_id,
            status=status, query=dict(request.query), at=datetime.now(UTC), body=note.body,
            received_at=note.received_at,
        ))

    def _identify_for_log(self, request: web.Request) -> None:
        """Best effort for answers given before authentication (injected faults)."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return
        try:
            grant = self.entra.grant_for(header[7:].strip())
        except TokenInvalid:  # an unusable token simply leaves the log fields empty
            return
        note = notes(request)
        note.tenant_id, note.app_id, note.user_id = grant.tenant_id, grant.app_id, grant.user_id

    @staticmethod
    def _mailbox_from_path(path: str) -> str | None:
        parts = path.split("/")
        if len(parts) > 3 and parts[1] == "v1.0" and parts[2].lower() == "users":
            return parts[3].lower()
        return None
