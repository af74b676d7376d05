"""Microsoft Graph v1.0, the calendar and directory parts the bot uses.

Every handler authenticates the bearer token with Entra (same process), resolves the mailbox in the
URL inside the token's tenant only, applies the permission and access-policy rules, and holds one of
the mailbox's four Outlook concurrency slots while it works.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from aiohttp import web

from emulator.entra import AccessGrant, Entra, TokenInvalid
from emulator.faults import FaultConfig
from emulator.freebusy import (
    MeetingAttendee,
    MeetingRequest,
    availability_view,
    date_time_time_zone,
    find_meeting_times,
    schedule_item,
    working_hours,
)
from emulator.notes import notes
from emulator.org import GLOBAL_ADMIN_TEMPLATE_ID, Org, Person, Tenant
from emulator.state import SHOW_AS_VALUES, Attendee, CalendarEvent, EventStore, new_join_url
from emulator.timezones import UnknownTimeZone, parse_date_time_time_zone, parse_iso_duration, zone_from_name

ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
# What each call accepts, from Microsoft's permission tables (see README.md's contract table). A token
# holding none of a call's permissions gets 403 ErrorAccessDenied. The *.Shared permissions include
# the signed-in user's own calendar.
CALENDAR_READ = frozenset({"Calendars.Read", "Calendars.ReadBasic", "Calendars.ReadWrite",
                           "Calendars.Read.Shared", "Calendars.ReadWrite.Shared"})
CALENDAR_WRITE = frozenset({"Calendars.ReadWrite", "Calendars.ReadWrite.Shared"})
# findMeetingTimes: the generated table names Calendars.Read(Write), the API page Calendars.Read(Write).Shared;
# which one the live service enforces is not documented, so either is accepted.
FIND_MEETING_TIMES = frozenset({"Calendars.Read", "Calendars.ReadWrite", "Calendars.Read.Shared",
                                "Calendars.ReadWrite.Shared"})
RESPONSES = {"accept": "accepted", "tentativelyaccept": "tentativelyAccepted", "decline": "declined"}
USER_READ_OTHERS = frozenset({"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All"})
GROUP_READ = frozenset({"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"})
MAX_SCHEDULES = 20
MAX_WINDOW = timedelta(days=62)
AAP_DENIED = "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
ACCESS_DENIED = "Access is denied. Check credentials and try again."
ATTENDEE_TYPES = ("required", "optional", "resource")
# What PATCH .../events/{id} changes here; Graph updates more (event: update), the emulator refuses the rest.
UPDATABLE = frozenset({"start", "end", "subject"})
EVENT_ID = re.compile(r"[A-Za-z0-9_\-+/=]{20,}")


class GraphFailure(Exception):
    """Raised inside handlers; the middleware turns it into Graph's error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def graph_error_body(request: web.Request, code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": notes(request).request_id,
        "client-request-id": notes(request).client_request_id,
    }}}


def odata_json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, headers={"Content-Type": ODATA_JSON, **(headers or {})})


def preferences(request: web.Request) -> dict[str, str]:
    """`Prefer` values (RFC 7240: one header with commas, or several headers), keys lower-cased."""
    found: dict[str, str] = {}
    for header in request.headers.getall("Prefer", []):
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name:
                found[name.strip().lower()] = value.strip().strip('"')
    return found


def wants_immutable_ids(request: web.Request) -> bool:
    """`Prefer: IdType="ImmutableId"`: answer with ids that survive a move between folders."""
    return preferences(request).get("idtype", "").lower() == "immutableid"


@dataclass
class Caller:
    grant: AccessGrant
    tenant: Tenant
    user: Person | None  # the signed-in person for delegated tokens

    def has(self, permissions: frozenset[str]) -> bool:
        held = self.grant.roles if self.grant.app_only else self.grant.scopes
        return any(p in permissions for p in held)


@dataclass
class OutputZone:
    zone: tzinfo
    name: str
    applied: bool


class Graph:
    def __init__(self, org: Org, entra: Entra, store: EventStore, faults: FaultConfig) -> None:
        self.org, self.entra, self.store, self.faults = org, entra, store, faults
        self._in_flight: dict[tuple[str, str], int] = {}
        # The most Outlook requests one app had in flight at once per mailbox address, counting the one that
        # arrived over the limit (and was refused): what a test asserts the bot never exceeds.
        self.peak_in_flight: dict[str, int] = {}

    def add_routes(self, app: web.Application) -> None:
        for prefix, route in (("/v1.0/users/{user}", True), ("/v1.0/me", False)):
            self._route(app, "POST", prefix + "/calendar/getSchedule", self.get_schedule, route)
            self._route(app, "POST", prefix + "/findMeetingTimes", self.find_meeting_times, route)
            for events in ("/events", "/calendar/events"):
                self._route(app, "POST", prefix + events, self.create_event, route)
                self._route(app, "GET", prefix + events, self.list_events, route)
                self._route(app, "GET", prefix + events + "/{event_id}", self.get_event, route)
                self._route(app, "DELETE", prefix + events + "/{event_id}", self.delete_event, route)
                self._route(app, "PATCH", prefix + events + "/{event_id}", self.update_event, route)
                self._route(app, "POST", prefix + events + "/{event_id}/cancel", self.cancel_event, route)
                for action in ("accept", "tentativelyAccept", "decline"):
                    self._route(app, "POST", prefix + events + "/{event_id}/" + action, self.respond_to_event, route)
            for view in ("/calendarView", "/calendar/calendarView"):
                self._route(app, "GET", prefix + view, self.calendar_view, route)
            self._route(app, "POST", prefix + "/checkMemberGroups", self.check_member_groups, route)
            self._route(app, "POST", prefix + "/checkMemberObjects", self.check_member_objects, route)
            self._route(app, "GET", prefix, self.get_user, route)
        app.router.add_route("*", "/v1.0/{tail:.*}", self.unknown_segment)

    def _route(self, app: web.Application, method: str, path: str,
               handler: Callable[[web.Request, Caller, Person], Awaitable[web.Response]], by_id: bool) -> None:
        outlook = handler not in (self.check_member_groups, self.check_member_objects, self.get_user)

        async def serve(request: web.Request) -> web.Response:
            caller = self._authenticate(request)
            mailbox = self._mailbox(request, caller, by_id, directory=not outlook)
            if not outlook:
                return await handler(request, caller, mailbox)
            async with self._outlook_slot(request, caller, mailbox):
                delay = notes(request).fault_delay + self.faults.latency_seconds
                if delay:
                    await asyncio.sleep(delay)
                return await handler(request, caller, mailbox)

        app.router.add_route(method, path, serve)

    async def unknown_segment(self, request: web.Request) -> web.Response:
        segment = request.match_info["tail"].split("/")[0] or "v1.0"
        raise GraphFailure(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    # -- identity, mailbox, concurrency -------------------------------------------------------------
    def _authenticate(self, request: web.Request) -> Caller:
        header = request.headers.get("Authorization", "")
        challenge = {"WWW-Authenticate": (
            f'Bearer realm="", authorization_uri="https://{request.host}/common/oauth2/authorize", '
            'client_id="00000003-0000-0000-c000-000000000000"')}
        if not header:
            raise GraphFailure(401, "InvalidAuthenticationToken", "Access token is empty.", challenge)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GraphFailure(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.", challenge)
        try:
            grant = self.entra.grant_for(token.strip())
        except TokenInvalid as exc:
            raise GraphFailure(401, "InvalidAuthenticationToken", exc.message, challenge) from exc
        tenant = self.org.tenant(grant.tenant_id)
        if tenant is None:
            raise GraphFailure(401, "InvalidAuthenticationToken", "Invalid tenant.", challenge)
        user = tenant.person(grant.user_id) if grant.user_id else None
        note = notes(request)
        note.tenant_id, note.app_id, note.user_id = tenant.id, grant.app_id, user.id if user else None
        return Caller(grant, tenant, user)

    def _mailbox(self, request: web.Request, caller: Caller, by_id: bool, *, directory: bool) -> Person:
        if not by_id:
            if caller.user is None:
                raise GraphFailure(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
            notes(request).mailbox = caller.user.mail.lower()
            return caller.user
        raw = request.match_info["user"]
        notes(request).mailbox = raw.lower()
        person = caller.tenant.person(raw)  # another tenant's people are simply not there
        if person is None:
            if directory:
                raise GraphFailure(404, "Request_ResourceNotFound", f"Resource '{raw}' does not exist or one of "
                                   "its queried reference-property objects are not present.")
            raise GraphFailure(404, "ErrorInvalidUser", f"The requested user '{raw}' is invalid.")
        notes(request).mailbox = person.mail.lower()
        if not directory and caller.grant.app_only and not caller.tenant.mailbox_allowed_for_app(
                caller.grant.app_id, person.id):
            raise GraphFailure(403, "ErrorAccessDenied", AAP_DENIED)
        return person

    @asynccontextmanager
    async def _outlook_slot(self, request: web.Request, caller: Caller, mailbox: Person) -> AsyncIterator[None]:
        key = (caller.grant.app_id, mailbox.id)
        address = mailbox.mail.lower()
        self.peak_in_flight[address] = max(self.peak_in_flight.get(address, 0), self._in_flight.get(key, 0) + 1)
        if self._in_flight.get(key, 0) >= self.faults.mailbox_concurrency_limit:
            raise GraphFailure(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                               {"Retry-After": self.faults.mailbox_concurrency_retry_after})
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            yield
        finally:
            self._in_flight[key] -= 1

    @staticmethod
    def _require(caller: Caller, permissions: frozenset[str]) -> None:
        if not caller.has(permissions):
            raise GraphFailure(403, "ErrorAccessDenied", ACCESS_DENIED)

    @staticmethod
    def _own_calendar_only(caller: Caller, mailbox: Person) -> None:
        # delegated callers reach only their own calendar here (no shared calendars are emulated)
        if caller.user is not None and caller.user.id != mailbox.id:
            raise GraphFailure(403, "ErrorAccessDenied", ACCESS_DENIED)

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise GraphFailure(400, "RequestBodyRead", "Invalid JSON in the request body.") from exc
        if not isinstance(body, dict):
            raise GraphFailure(400, "RequestBodyRead", "The request body must be a JSON object.")
        notes(request).body = body
        return body

    @staticmethod
    def _output_zone(request: web.Request) -> OutputZone:
        wanted = preferences(request).get("outlook.timezone")
        if wanted:
            try:
                return OutputZone(zone_from_name(wanted), wanted, True)
            except UnknownTimeZone:
                pass  # Graph ignores a preference it cannot honour; the answer stays in UTC
        return OutputZone(UTC, "UTC", False)

    @staticmethod
    def _applied(zone: OutputZone, immutable: bool = False) -> dict[str, str]:
        applied = []
        if zone.applied:
            applied.append(f'outlook.timezone="{zone.name}"')
        if immutable:
            applied.append('IdType="ImmutableId"')
        return {"Preference-Applied": ",".join(applied)} if applied else {}

    # -- getSchedule ----------------------------------------------------------------------------------
    async def get_schedule(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        self._require(caller, CALENDAR_READ)
        self._own_calendar_only(caller, mailbox)
        body = _lower_keys(await self._json_body(request))
        schedules = body.get("schedules")
        if not isinstance(schedules, list) or not schedules or not all(isinstance(s, str) for s in schedules):
            raise GraphFailure(400, "ErrorInvalidParameter", "The parameter 'Schedules' is required and must be a "
                               "non-empty list of SMTP addresses.")
        if len(schedules) > MAX_SCHEDULES:
            raise GraphFailure(400, "ErrorInvalidParameter", f"Too many schedules: at most {MAX_SCHEDULES} "
                               "users, distribution list members and resources can be requested at once.")
        start, end = _parse_window(body.get("starttime"), body.get("endtime"))
        if end <= start:
            raise GraphFailure(400, "ErrorInvalidParameter", "The end time must be after the start time.")
        if end - start >= MAX_WINDOW:
            raise GraphFailure(400, "ErrorInvalidParameter", "The requested time window must be less than 62 days.")
        interval = body.get("availabilityviewinterval", 30)
        try:
            interval = int(interval)
        except (TypeError, ValueError) as exc:
            raise GraphFailure(400, "ErrorInvalidParameter", "AvailabilityViewInterval must be a number.") from exc
        if not 5 <= interval <= 1440:
            raise GraphFailure(400, "ErrorInvalidParameter", "AvailabilityViewInterval must be between 5 and "
                               "1440 minutes.")
        zone = self._output_zone(request)
        entries = [self._schedule_entry(caller, address, start, end, interval, zone) for address in schedules]
        return odata_json({"@odata.context": f"https://{request.host}/v1.0/$metadata#Collection("
                                             "microsoft.graph.scheduleInformation)", "value": entries},
                          headers=self._applied(zone))

    def _schedule_entry(self, caller: Caller, address: str, start: datetime, end: datetime, interval: int,
                        zone: OutputZone) -> dict[str, Any]:
        injected = self.faults.schedule_errors.get(address.lower())
        if injected is not None:
            return {"scheduleId": address, "error": {"message": injected.message,
                                                     "responseCode": injected.response_code}}
        person = caller.tenant.person(address)
        if person is None or "@" not in address:
            return {"scheduleId": address, "error": {
                "message": f"Unable to resolve e-mail address {address} to an Active Directory object.",
                "responseCode": "5009"}}
        if caller.grant.app_only and not caller.tenant.mailbox_allowed_for_app(caller.grant.app_id, person.id):
            return {"scheduleId": address, "error": {"message": AAP_DENIED, "responseCode": "ErrorAccessDenied"}}
        items = self.store.items_between(person.id, start, end)
        own = caller.user is not None and caller.user.id == person.id
        return {
            "scheduleId": address,
            "availabilityView": availability_view(items, start, end, interval),
            "scheduleItems": [schedule_item(i, zone.zone, zone.name, with_details=own) for i in items],
            "workingHours": working_hours(person),
        }

    # -- findMeetingTimes -----------------------------------------------------------------------------
    async def find_meeting_times(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        if caller.grant.app_only:
            raise GraphFailure(403, "ErrorAccessDenied", "Access is denied. findMeetingTimes does not support "
                               "application permissions.")
        self._require(caller, FIND_MEETING_TIMES)
        self._own_calendar_only(caller, mailbox)
        body = _lower_keys(await self._json_body(request))
        constraint = _lower_keys(body.get("timeconstraint") or {})
        raw_slots = constraint.get("timeslots") or []
        if not isinstance(raw_slots, list):
            raise GraphFailure(400, "ErrorInvalidRequest", "timeSlots must be a list.")
        windows = [_parse_window(_lower_keys(slot).get("start"), _lower_keys(slot).get("end")) for slot in raw_slots]
        if not windows:  # undocumented default; the emulator searches the coming week
            now = datetime.now(UTC)
            windows = [(now, now + timedelta(days=7))]
        domain = str(constraint.get("activitydomain") or "work").lower()
        domain = {"unknown": "work"}.get(domain, domain)
        if domain not in ("work", "personal", "unrestricted"):
            raise GraphFailure(400, "ErrorInvalidRequest", f"Invalid activityDomain '{domain}'.")
        try:
            duration = parse_iso_duration(str(body.get("meetingduration") or "PT30M"))
        except ValueError as exc:
            raise GraphFailure(400, "ErrorInvalidRequest", "meetingDuration must be an ISO-8601 duration.") from exc
        percentage = float(body.get("minimumattendeepercentage", 50))
        if not 0 <= percentage <= 100 or duration <= timedelta(0):
            raise GraphFailure(400, "ErrorInvalidRequest", "Invalid minimumAttendeePercentage or duration.")
        earliest, latest = min(w[0] for w in windows), max(w[1] for w in windows)
        attendees = []
        for raw in body.get("attendees") or []:
            entry = _lower_keys(raw)
            address = str(_lower_keys(entry.get("emailaddress") or {}).get("address") or "")
            if not address:
                raise GraphFailure(400, "ErrorInvalidRequest", "Every attendee needs an emailAddress.address.")
            person = caller.tenant.person(address)
            items = self.store.items_between(person.id, earliest, latest) if person else []
            # Every person counts as required whatever their type (user: findMeetingTimes); the type is echoed.
            attendees.append(MeetingAttendee(address, _attendee_type(entry), person, items))
        locations = _lower_keys(body.get("locationconstraint") or {})
        meeting = MeetingRequest(
            organizer=mailbox, organizer_items=self.store.items_between(mailbox.id, earliest, latest),
            attendees=attendees, windows=windows, duration=duration, activity_domain=domain,
            max_candidates=int(body.get("maxcandidates") or 5), minimum_attendee_percentage=percentage,
            is_organizer_optional=bool(body.get("isorganizeroptional", False)),
            return_reasons=bool(body.get("returnsuggestionreasons", False)),
            # rooms are not emulated: a required location is never available
            location_required=bool(locations.get("isrequired")) and bool(locations.get("locations")),
        )
        zone = self._output_zone(request)
        forced = self.faults.meeting_times_empty_reason
        if forced is not None:  # a test lever: Outlook's answer when nothing can be suggested, for this reason
            result: dict[str, Any] = {"emptySuggestionsReason": forced, "meetingTimeSuggestions": []}
        else:
            result = find_meeting_times(meeting, zone.zone, zone.name)
        return odata_json({"@odata.context": f"https://{request.host}/v1.0/$metadata#microsoft.graph."
                                             "meetingTimeSuggestionsResult", **result}, headers=self._applied(zone))

    # -- events ---------------------------------------------------------------------------------------
    async def create_event(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        self._require(caller, CALENDAR_WRITE)
        self._own_calendar_only(caller, mailbox)
        body = _lower_keys(await self._json_body(request))
        immutable = wants_immutable_ids(request)
        zone = self._output_zone(request)
        transaction_id = body.get("transactionid")
        if transaction_id:
            existing = self.store.by_transaction(caller.tenant.id, mailbox.id, str(transaction_id))
            if existing is not None:  # a client retry: the same event again, never a duplicate
                return self._event_response(request, mailbox, existing, zone, immutable, status=201)
        start_raw, end_raw = _lower_keys(body.get("start") or {}), _lower_keys(body.get("end") or {})
        start, end = _parse_window(body.get("start"), body.get("end"))
        if end < start:
            raise GraphFailure(400, "ErrorInvalidRequest", "The end time of the event must not be before its start.")
        show_as = str(body.get("showas") or "busy")
        if show_as not in SHOW_AS_VALUES:
            raise GraphFailure(400, "ErrorInvalidRequest", f"Invalid showAs value '{show_as}'.")
        attendees = []
        for raw in body.get("attendees") or []:
            entry = _lower_keys(raw)
            email = _lower_keys(entry.get("emailaddress") or {})
            if not email.get("address"):
                raise GraphFailure(400, "ErrorInvalidRequest", "Every attendee needs an emailAddress.address.")
            attendees.append(Attendee(str(email["address"]), str(email.get("name") or email["address"]),
                                      _attendee_type(entry)))
        online = bool(body.get("isonlinemeeting", False))
        provider = str(body.get("onlinemeetingprovider") or ("teamsForBusiness" if online else "unknown"))
        body_field = _lower_keys(body.get("body") or {})
        properties = {}
        for raw in body.get("singlevalueextendedproperties") or []:
            entry = _lower_keys(raw)
            if not entry.get("id"):
                raise GraphFailure(400, "ErrorInvalidProperty", "Extended property id is required.")
            properties[str(entry["id"])] = str(entry.get("value", ""))
        event = CalendarEvent(
            owner_id=mailbox.id, tenant_id=caller.tenant.id, start=start, end=end, show_as=show_as,
            subject=str(body.get("subject") or ""),
            body_content_type=str(body_field.get("contenttype") or "html").lower(),
            body_content=str(body_field.get("content") or ""),
            organizer_address=mailbox.mail, organizer_name=mailbox.display_name, attendees=attendees,
            location=str(_lower_keys(body.get("location") or {}).get("displayname") or ""),
            is_online_meeting=online, online_meeting_provider=provider,
            join_url=new_join_url(caller.tenant.id, mailbox.id) if online and provider == "teamsForBusiness" else None,
            transaction_id=str(transaction_id) if transaction_id else None, extended_properties=properties,
            original_start_time_zone=str(start_raw.get("timezone") or "UTC"),
            original_end_time_zone=str(end_raw.get("timezone") or "UTC"),
            sensitivity=str(body.get("sensitivity") or "normal"), importance=str(body.get("importance") or "normal"),
            allow_new_time_proposals=bool(body.get("allownewtimeproposals", True)),
        )
        self.store.add(event)
        self.store.send_invitations(caller.tenant, event)
        return self._event_response(request, mailbox, event, zone, immutable, status=201)

    def _find_event(self, request: web.Request, mailbox: Person) -> CalendarEvent:
        event_id = request.match_info["event_id"]
        if not EVENT_ID.fullmatch(event_id):
            raise GraphFailure(400, "ErrorInvalidIdMalformed", "Id is malformed.")
        event = self.store.find(mailbox.id, event_id)
        if event is None:
            raise GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return event

    async def get_event(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        self._require(caller, CALENDAR_READ)
        self._own_calendar_only(caller, mailbox)
        event = self._find_event(request, mailbox)
        immutable = wants_immutable_ids(request)
        return self._event_response(request, mailbox, event, self._output_zone(request), immutable, status=200)

    async def update_event(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        """PATCH .../events/{id}: 200 with the updated event (event: update). Emulated: `start`, `end`, `subject`.

        The organizer's changes reach every attendee's copy; an attendee's PATCH changes their own copy
        only (an assumption: Outlook lets an attendee move their copy locally, the meeting stays put).
        """
        self._require(caller, CALENDAR_WRITE)
        self._own_calendar_only(caller, mailbox)
        event = self._find_event(request, mailbox)
        body = _lower_keys(await self._json_body(request))
        not_emulated = sorted(set(body) - UPDATABLE)
        if not_emulated:
            raise GraphFailure(400, "ErrorInvalidRequest", f"The emulator does not update {', '.join(not_emulated)}; "
                               "it updates only start, end and subject.")
        start, end = event.start, event.end
        if "start" in body:
            start = _parse_moment(body["start"])
        if "end" in body:
            end = _parse_moment(body["end"])
        if end < start:
            raise GraphFailure(400, "ErrorInvalidRequest", "The end time of the event must not be before its start.")
        if "subject" in body:
            event.subject = str(body["subject"] or "")
        if "start" in body:
            event.original_start_time_zone = str(_lower_keys(body["start"]).get("timezone") or "UTC")
        if "end" in body:
            event.original_end_time_zone = str(_lower_keys(body["end"]).get("timezone") or "UTC")
        event.start, event.end = start, end
        event.touch()
        if event.is_organizer:
            self.store.send_update(event)
        immutable = wants_immutable_ids(request)
        return self._event_response(request, mailbox, event, self._output_zone(request), immutable, status=200)

    async def delete_event(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        self._require(caller, CALENDAR_WRITE)
        self._own_calendar_only(caller, mailbox)
        event = self._find_event(request, mailbox)
        if event.is_organizer:
            self.store.cancel_meeting(event)
        else:
            self.store.remove(event)
        return web.Response(status=204)

    async def cancel_event(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        """POST .../events/{id}/cancel: only the organizer may; attendees get 400 (event: cancel)."""
        self._require(caller, CALENDAR_WRITE)
        self._own_calendar_only(caller, mailbox)
        event = self._find_event(request, mailbox)
        await self._optional_json_body(request)
        if not event.is_organizer:
            raise GraphFailure(400, "ErrorInvalidRequest", "Your request can't be completed. You need to be an "
                               "organizer to cancel a meeting.")
        self.store.cancel_meeting(event)
        return web.Response(status=202)

    async def respond_to_event(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        """POST .../events/{id}/accept | tentativelyAccept | decline on the mailbox's own copy: 202, no body."""
        self._require(caller, CALENDAR_WRITE)
        self._own_calendar_only(caller, mailbox)
        event = self._find_event(request, mailbox)
        response = RESPONSES[request.path.rsplit("/", 1)[1].lower()]
        body = _lower_keys(await self._optional_json_body(request))
        send_response = body.get("sendresponse", True)
        if not isinstance(send_response, bool):
            raise GraphFailure(400, "ErrorInvalidRequest", "sendResponse must be a boolean.")
        if body.get("proposednewtime") is not None and (not send_response or not event.allow_new_time_proposals):
            raise GraphFailure(400, "ErrorInvalidRequest", "A new time can be proposed only with sendResponse "
                               "true, on a meeting that allows new time proposals.")
        if event.is_organizer:  # assumption: Exchange refuses a reply to one's own meeting
            raise GraphFailure(400, "ErrorInvalidRequest", "Your request can't be completed. You can't respond "
                               "to a meeting you organized.")
        self.store.respond(mailbox, event.id, response, send_response=send_response)
        return web.Response(status=202)

    async def _optional_json_body(self, request: web.Request) -> dict[str, Any]:
        return await self._json_body(request) if request.can_read_body else {}

    async def list_events(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        self._require(caller, CALENDAR_READ)
        self._own_calendar_only(caller, mailbox)
        return self.events_page(request, mailbox)

    def events_page(self, request: web.Request, mailbox: Person) -> web.Response:
        """A page of a calendar's events as GET /users/{id}/events answers it, honouring $filter/$top/$skip."""
        events = sorted(self.store.events_of(mailbox.id), key=lambda e: (e.start, e.id))
        events = [e for e in events if _event_filter(request.query.get("$filter"))(e)]
        return self._event_page(request, mailbox, events)

    async def calendar_view(self, request: web.Request, caller: Caller, mailbox: Person) -> web.Response:
        self._require(caller, CALENDAR_READ)
        self._own_calendar_only(caller, mailbox)
        try:
            start = _parse_query_time(request.query["startDateTime"])
            end = _parse_query_time(request.query["endDateTime"])
        except (KeyError, ValueError) as exc:
            raise GraphFailure(400, "ErrorInvalidParameter", "This request requires a time window specified by the "
                               "query string parameters StartDateTime and EndDateTime.") from exc
        events = sorted((e for e in self.store.events_of(mailbox.id) if e.overlaps(start, end)),
                        key=lambda e: (e.start, e.id))
        return self._event_page(request, mailbox, events)

    def _event_page(self, request: web.Request, mailbox: Person, events: list[CalendarEvent]) -> web.Response:
        top = int(request.query.get("$top", "10"))
        skip = int(request.query.get("$skip", "0"))
        immutable = wants_immutable_ids(request)
        zone = self._output_zone(request)
        page = events[skip: skip + top]
        body: dict[str, Any] = {
            "@odata.context": f"https://{request.host}/v1.0/$metadata#users('{mailbox.id}')/events",
            "value": [self._event_json(request, mailbox, e, zone, immutable) for e in page],
        }
        if skip + top < len(events):
            body["@odata.nextLink"] = str(request.url.with_scheme("https").update_query({"$skip": str(skip + top)}))
        return odata_json(body, headers=self._applied(zone, immutable))

    def _event_response(self, request: web.Request, mailbox: Person, event: CalendarEvent, zone: OutputZone,
                        immutable: bool, *, status: int) -> web.Response:
        body = {"@odata.context": f"https://{request.host}/v1.0/$metadata#users('{mailbox.id}')/events/$entity",
                **self._event_json(request, mailbox, event, zone, immutable)}
        headers = self._applied(zone, immutable)
        if status == 201:
            headers["Location"] = f"https://{request.host}/v1.0/Users('{mailbox.id}')/Events('{body['id']}')"
        return odata_json(body, status=status, headers=headers)

    def _event_json(self, request: web.Request, mailbox: Person, event: CalendarEvent, zone: OutputZone,
                    immutable: bool) -> dict[str, Any]:
        event_id = event.immutable_id if immutable else event.id
        stamp = "%Y-%m-%dT%H:%M:%S.%f"
        body: dict[str, Any] = {
            "@odata.etag": f'W/"{event.change_key}"',
            "id": event_id,
            "createdDateTime": event.created.strftime(stamp)[:-3] + "0000Z",
            "lastModifiedDateTime": event.modified.strftime(stamp)[:-3] + "0000Z",
            "changeKey": event.change_key,
            "categories": [],
            "transactionId": event.transaction_id,
            "originalStartTimeZone": event.original_start_time_zone,
            "originalEndTimeZone": event.original_end_time_zone,
            "iCalUId": event.ical_uid,
            "uid": event.ical_uid,
            "reminderMinutesBeforeStart": 15,
            "isReminderSet": True,
            "hasAttachments": False,
            "subject": event.subject,
            "bodyPreview": _preview(event.body_content),
            "importance": event.importance,
            "sensitivity": event.sensitivity,
            "isAllDay": event.is_all_day,
            "isCancelled": event.is_cancelled,
            "isOrganizer": event.is_organizer,
            "responseRequested": True,
            "seriesMasterId": None,
            "showAs": event.show_as,
            "type": "singleInstance",
            "webLink": f"https://outlook.office365.com/owa/?itemid={event_id}&exvsurl=1&path=/calendar/item",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": event.is_online_meeting,
            "onlineMeetingProvider": event.online_meeting_provider,
            "allowNewTimeProposals": event.allow_new_time_proposals,
            "occurrenceId": None,
            "isDraft": False,
            "hideAttendees": False,
            "responseStatus": {"response": event.response, "time": "0001-01-01T00:00:00Z"},
            "body": {"contentType": event.body_content_type, "content": event.body_content},
            "start": date_time_time_zone(event.start, zone.zone, zone.name),
            "end": date_time_time_zone(event.end, zone.zone, zone.name),
            "location": {"displayName": event.location, "locationType": "default", "uniqueIdType": "unknown",
                         "address": {}, "coordinates": {}},
            "locations": [{"displayName": event.location, "locationType": "default"}] if event.location else [],
            "recurrence": None,
            "attendees": [
                {"type": a.type, "status": {"response": a.response, "time": (
                    a.response_time.strftime("%Y-%m-%dT%H:%M:%SZ") if a.response_time else "0001-01-01T00:00:00Z")},
                 "emailAddress": {"name": a.name, "address": a.address}}
                for a in event.attendees
            ],
            "organizer": {"emailAddress": {"name": event.organizer_name, "address": event.organizer_address}},
            "onlineMeeting": {"joinUrl": event.join_url} if event.join_url else None,
        }
        if event.transaction_id is None:
            del body["transactionId"]  # echoed only when the creator set one
        expand = request.query.get("$expand", "")
        if expand.lower().startswith("singlevalueextendedproperties"):
            body["singleValueExtendedProperties"] = [
                {"id": key, "value": value} for key, value in event.extended_properties.items()
                if _property_selected(expand, key)
            ]
        select = request.query.get("$select")
        if select:
            wanted = {name.strip().lower() for name in select.split(",")} | {"id", "singlevalueextendedproperties"}
            body = {k: v for k, v in body.items() if k.startswith("@") or k.lower() in wanted}
        return body

    # -- directory ------------------------------------------------------------------------------------
    async def get_user(self, request: web.Request, caller: Caller, person: Person) -> web.Response:
        if caller.user is None or caller.user.id != person.id:
            if not caller.has(USER_READ_OTHERS):
                raise GraphFailure(403, "Authorization_RequestDenied", "Insufficient privileges to complete the "
                                   "operation.")
        given, _, surname = person.display_name.partition(" ")
        body: dict[str, Any] = {
            "@odata.context": f"https://{request.host}/v1.0/$metadata#users/$entity",
            "businessPhones": [], "displayName": person.display_name, "givenName": given, "jobTitle": None,
            "mail": person.mail, "mobilePhone": None, "officeLocation": None, "preferredLanguage": "en-US",
            "surname": surname, "userPrincipalName": person.upn, "id": person.id,
        }
        select = request.query.get("$select")
        if select:
            wanted = {name.strip().lower() for name in select.split(",")} | {"id"}
            body = {k: v for k, v in body.items() if k.startswith("@") or k.lower() in wanted}
        return odata_json(body)

    async def check_member_groups(self, request: web.Request, caller: Caller, person: Person) -> web.Response:
        return await self._check_membership(request, caller, person, "groupids", roles_allowed=False)

    async def check_member_objects(self, request: web.Request, caller: Caller, person: Person) -> web.Response:
        return await self._check_membership(request, caller, person, "ids", roles_allowed=True)

    async def _check_membership(self, request: web.Request, caller: Caller, person: Person, field: str,
                                *, roles_allowed: bool) -> web.Response:
        own = caller.user is not None and caller.user.id == person.id
        # /me/checkMemberObjects works with User.Read; everything else needs directory permissions
        if not (own and roles_allowed) and not (caller.has(GROUP_READ) and (own or caller.has(USER_READ_OTHERS))):
            raise GraphFailure(403, "Authorization_RequestDenied", "Insufficient privileges to complete the "
                               "operation.")
        body = _lower_keys(await self._json_body(request))
        ids = body.get(field)
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise GraphFailure(400, "Request_BadRequest", f"Invalid value for '{field}'.")
        if len(ids) > 20:
            raise GraphFailure(400, "Request_BadRequest", "The maximum number of ids is 20.")
        matched = [i for i in ids if caller.tenant.member_of(person.id, i.lower())
                   or (roles_allowed and i.lower() == GLOBAL_ADMIN_TEMPLATE_ID and person.is_admin)]
        return odata_json({"@odata.context": f"https://{request.host}/v1.0/$metadata#Collection(Edm.String)",
                           "value": matched})


# -- small parsers --------------------------------------------------------------------------------------

def _lower_keys(value: Any) -> dict[str, Any]:
    """Graph matches property names case-insensitively; so does the emulator."""
    if not isinstance(value, dict):
        return {}
    return {str(key).lower(): item for key, item in value.items()}


def _attendee_type(entry: dict[str, Any]) -> str:
    """attendeeBase.type: required (the default), optional or resource, in any casing; anything else is a 400."""
    raw = str(entry.get("type") or "required")
    known = next((kind for kind in ATTENDEE_TYPES if kind == raw.lower()), None)
    if known is None:
        raise GraphFailure(400, "ErrorInvalidRequest", f"Invalid attendee type '{raw}'.")
    return known


def _parse_window(start: Any, end: Any) -> tuple[datetime, datetime]:
    return _parse_moment(start), _parse_moment(end)


def _parse_moment(value: Any) -> datetime:
    """One dateTimeTimeZone; a malformed one or an unknown zone is Graph's 400."""
    try:
        return parse_date_time_time_zone(value)
    except UnknownTimeZone as exc:
        raise GraphFailure(400, "ErrorTimeZoneNotSupported", f"The time zone '{exc}' is not supported.") from exc
    except ValueError as exc:
        raise GraphFailure(400, "ErrorInvalidParameter", f"Invalid dateTimeTimeZone value: {exc}.") from exc


def _parse_query_time(text: str) -> datetime:
    """calendarView bounds: ISO 8601, in UTC unless they carry an offset."""
    return parse_date_time_time_zone({"dateTime": text, "timeZone": "UTC"})


def _preview(content: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)).strip()[:255]


_PROPERTY_FILTER = re.compile(r"id\s+eq\s+'((?:[^']|'')*)'", re.IGNORECASE)
_ANY_PROPERTY = re.compile(
    r"singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+'((?:[^']|'')*)'"
    r"(?:\s+and\s+\1/value\s+eq\s+'((?:[^']|'')*)')?\s*\)", re.IGNORECASE)
_ICALUID = re.compile(r"iCalUId\s+eq\s+'([^']*)'", re.IGNORECASE)


def _same_property_id(a: str, b: str) -> bool:
    """Type and GUID compare case-insensitively; the name after ` Name ` is case-sensitive."""
    head_a, _, name_a = a.partition(" Name ")
    head_b, _, name_b = b.partition(" Name ")
    return head_a.lower() == head_b.lower() and name_a == name_b


def _property_selected(expand: str, key: str) -> bool:
    match = _PROPERTY_FILTER.search(expand)
    return match is None or _same_property_id(match.group(1).replace("''", "'"), key)


def _event_filter(raw: str | None) -> Callable[[CalendarEvent], bool]:
    if not raw:
        return lambda event: True
    match = _ANY_PROPERTY.fullmatch(raw.strip())
    if match:
        prop_id = match.group(2).replace("''", "'")
        value = match.group(3).replace("''", "'") if match.group(3) is not None else None
        return lambda event: any(
            _same_property_id(prop_id, key) and (value is None or stored.lower() == value.lower())
            for key, stored in event.extended_properties.items())
    match = _ICALUID.fullmatch(raw.strip())
    if match:
        uid = match.group(1)
        return lambda event: event.ical_uid == uid
    raise GraphFailure(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")

