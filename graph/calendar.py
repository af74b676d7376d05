"""Calendar operations the bot needs, for both connection modes.

A `Caller` says whose authority a call uses: `Caller.app(tenant, mailbox)` (domain-wide: app token,
`/users/{mailbox}`) or `Caller.user(tenant, oid)` (delegated: the person's token, `/me`). Booking
code is mode-agnostic except for free/busy, where only delegated callers may use findMeetingTimes.

Every request asks for UTC (`Prefer: outlook.timezone="UTC"`) and immutable ids, so times need no
guessing and stored event ids survive the item moving between folders.
"""

from __future__ import annotations

import enum
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from graph.errors import NotFound, NotOurEvent
from graph.http import GraphHttp, TokenSource
from graph.timezones import (
    UnknownTimeZone,
    iana_to_windows,
    is_windows_name,
    parse_graph_datetime,
    parse_graph_time,
    to_graph_datetime,
    tz_from_graph,
)
from scheduling.model import Availability, BusyBlock, FreeBusyStatus, WorkingHours

logger = logging.getLogger(__name__)

# The provenance tag on every event Rendezvous creates: a named MAPI string property in our own
# property set. The GUID is Rendezvous's and must never change, or old bookings stop being ours.
PROVENANCE_PROPERTY_ID = "String {8ee5c05b-b5ff-407d-a573-54de79b6f10e} Name rendezvous-booking"
MAX_SCHEDULES = 20
MAX_WINDOW = timedelta(days=62)
MAX_GROUP_IDS = 20
_PREFER_UTC = 'outlook.timezone="UTC"'
_PREFER_UTC_IMMUTABLE = 'outlook.timezone="UTC", IdType="ImmutableId"'
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_QUIET_STATUSES = frozenset({FreeBusyStatus.FREE, FreeBusyStatus.WORKING_ELSEWHERE})
# availabilityView digits; 4 (working elsewhere) is missing from older documentation.
_VIEW_DIGITS = {
    "0": FreeBusyStatus.FREE,
    "1": FreeBusyStatus.TENTATIVE,
    "2": FreeBusyStatus.BUSY,
    "3": FreeBusyStatus.OOF,
    "4": FreeBusyStatus.WORKING_ELSEWHERE,
}

OnGraphCall = Callable[[str, tuple[str, ...], str], Awaitable[None] | None]


class AppTokens(Protocol):
    async def token(self, tenant_id: str, *, force_refresh: bool = False) -> str: ...


class UserTokens(Protocol):
    async def token(self, tenant_id: str, oid: str, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True)
class Caller:
    """On whose authority a call runs. Build it with `Caller.app(...)` or `Caller.user(...)`."""

    tenant_id: str
    mailbox: str | None = None
    user_oid: str | None = None

    @classmethod
    def app(cls, tenant_id: str, mailbox: str) -> Caller:
        """Domain-wide: an app-only token acting on `mailbox` (SMTP address or object id)."""
        return cls(tenant_id=tenant_id.lower(), mailbox=mailbox.strip())

    @classmethod
    def user(cls, tenant_id: str, user_oid: str) -> Caller:
        """Delegated: the signed-in person's own token and calendar."""
        return cls(tenant_id=tenant_id.lower(), user_oid=user_oid.strip().lower())

    @property
    def delegated(self) -> bool:
        return self.user_oid is not None

    @property
    def base_path(self) -> str:
        if self.user_oid is not None:
            return "/me"
        assert self.mailbox is not None
        return f"/users/{quote(self.mailbox, safe='@')}"

    @property
    def mailbox_key(self) -> str:
        """Outlook's concurrency limit counts per app and mailbox: this names the mailbox."""
        return f"{self.tenant_id}/{self.user_oid or (self.mailbox or '').lower()}"

    @property
    def subject(self) -> str:
        return self.user_oid or (self.mailbox or "").lower()


@dataclass(frozen=True)
class SuggestedSlot:
    """One findMeetingTimes suggestion: the time, and how Outlook sees each person then.

    `attendee_availability` is keyed by lower-cased address; an attendee Outlook left out is absent
    (the caller treats absent as unknown, never as free).
    """

    start: datetime
    end: datetime
    confidence: float
    organizer_availability: FreeBusyStatus = FreeBusyStatus.UNKNOWN
    attendee_availability: Mapping[str, FreeBusyStatus] = field(default_factory=dict)
    reason: str | None = None

    def availability_of(self, email: str) -> FreeBusyStatus:
        return self.attendee_availability.get(email.strip().lower(), FreeBusyStatus.UNKNOWN)


class EmptySuggestionsReason(enum.StrEnum):
    """findMeetingTimes' documented `emptySuggestionsReason` values (meetingTimeSuggestionsResult)."""

    ATTENDEES_UNAVAILABLE = "attendeesUnavailable"
    ATTENDEES_UNAVAILABLE_OR_UNKNOWN = "attendeesUnavailableOrUnknown"
    LOCATIONS_UNAVAILABLE = "locationsUnavailable"
    ORGANIZER_UNAVAILABLE = "organizerUnavailable"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: object) -> EmptySuggestionsReason | None:
        """None for the empty string (there are suggestions); any casing; an undocumented value is UNKNOWN."""
        lowered = str(raw or "").strip().lower()
        if not lowered:
            return None
        return next((member for member in cls if member.value.lower() == lowered), cls.UNKNOWN)


@dataclass(frozen=True)
class MeetingTimeSuggestions:
    slots: tuple[SuggestedSlot, ...]
    empty_reason: EmptySuggestionsReason | None = None


@dataclass(frozen=True)
class Invitation:
    """A person's own copy of a meeting someone else organized, found in their own calendar."""

    id: str
    ical_uid: str | None
    response: AttendeeResponse
    is_cancelled: bool


@dataclass(frozen=True)
class EventAttendee:
    """A person invited to a meeting (or asked about in findMeetingTimes); `required` False makes them optional."""

    email: str
    name: str
    required: bool = True

    def as_graph(self) -> dict[str, Any]:
        """Graph's `attendee` / `attendeeBase`: the type, then the address (with the name when known)."""
        address = {"address": self.email.strip()}
        if self.name:
            address["name"] = self.name
        return {"type": "required" if self.required else "optional", "emailAddress": address}


@dataclass(frozen=True)
class NewEvent:
    """An event to create in the organizer's calendar.

    `time_zone` (Windows or IANA name) is the organizer's: the event is written in it so Outlook
    shows it as a local-time meeting. `transaction_id` must stay the same for every attempt at one
    booking; `provenance_value` (the booking id) is what later proves the event is ours.
    """

    subject: str
    body_text: str
    start: datetime
    end: datetime
    time_zone: str
    attendees: tuple[EventAttendee, ...]
    transaction_id: str
    provenance_value: str


@dataclass(frozen=True)
class CreatedEvent:
    id: str
    join_url: str | None
    web_link: str | None
    ical_uid: str | None
    start: datetime
    end: datetime
    transaction_id: str | None

    @property
    def has_teams_link(self) -> bool:
        return bool(self.join_url)


class AttendeeResponse(enum.StrEnum):
    NONE = "none"
    ORGANIZER = "organizer"
    TENTATIVELY_ACCEPTED = "tentativelyAccepted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_RESPONDED = "notResponded"

    @classmethod
    def parse(cls, raw: str | None) -> AttendeeResponse:
        lowered = (raw or "").strip().lower()
        return next((member for member in cls if member.value.lower() == lowered), cls.NONE)


@dataclass(frozen=True)
class EventStatus:
    """What the bot may know of an event it created: times, cancellation and the replies. No subject/body."""

    id: str
    start: datetime
    end: datetime
    is_cancelled: bool
    responses: dict[str, AttendeeResponse]
    join_url: str | None

    def response_of(self, email: str) -> AttendeeResponse:
        return self.responses.get(email.strip().lower(), AttendeeResponse.NONE)


class CalendarClient:
    """Graph calendar calls for either mode. `on_call` hears of each call (for the `privacy` command)."""

    def __init__(
        self,
        http: GraphHttp,
        app_tokens: AppTokens | None,
        delegated: UserTokens | None,
        *,
        on_call: OnGraphCall | None = None,
    ) -> None:
        self._http = http
        self._app_tokens = app_tokens
        self._delegated = delegated
        self._on_call = on_call

    # -- plumbing ---------------------------------------------------------------------------------
    def _token_source(self, caller: Caller) -> TokenSource:
        if caller.user_oid is not None:
            delegated = self._delegated
            if delegated is None:
                raise RuntimeError("this CalendarClient has no delegated sign-in configured")
            oid = caller.user_oid

            async def user_token(force_refresh: bool) -> str:
                return await delegated.token(caller.tenant_id, oid, force_refresh=force_refresh)

            return user_token
        app_tokens = self._app_tokens
        if app_tokens is None:
            raise RuntimeError("this CalendarClient has no app credentials configured")

        async def app_token(force_refresh: bool) -> str:
            return await app_tokens.token(caller.tenant_id, force_refresh=force_refresh)

        return app_token

    async def _report(self, caller: Caller, subjects: Iterable[str], kind: str) -> None:
        if self._on_call is None:
            return
        try:
            outcome = self._on_call(caller.tenant_id, tuple(subjects), kind)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:  # recording must never break the booking itself
            logger.exception("on_call recorder failed for %s", kind)

    async def _call(
        self,
        caller: Caller,
        method: str,
        path: str,
        *,
        mailbox_key: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        prefer: str | None = _PREFER_UTC_IMMUTABLE,
    ) -> Any:
        response = await self._http.request(
            method,
            path,
            token=self._token_source(caller),
            mailbox_key=mailbox_key or caller.mailbox_key,
            json=json,
            params=params,
            headers={"Prefer": prefer} if prefer else None,
        )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # -- free/busy --------------------------------------------------------------------------------
    async def get_schedule(
        self,
        caller: Caller,
        emails: Sequence[str],
        start: datetime,
        end: datetime,
        interval_minutes: int = 15,
    ) -> dict[str, Availability]:
        """Free/busy of up to 20 people in one request, keyed by lower-cased address.

        A person Outlook could not read (or left out of its answer) comes back `known=False`, with
        the reason in plain words: unknown is never free.
        """
        wanted = list(dict.fromkeys(email.strip().lower() for email in emails if email.strip()))
        _check_window(start, end)
        if not wanted:
            raise ValueError("get_schedule needs at least one address")
        if len(wanted) > MAX_SCHEDULES:
            raise ValueError(f"get_schedule takes at most {MAX_SCHEDULES} addresses, got {len(wanted)}")
        if not 5 <= interval_minutes <= 1440:
            raise ValueError("interval_minutes must be between 5 and 1440")
        body = {
            "schedules": wanted,
            "startTime": to_graph_datetime(start),
            "endTime": to_graph_datetime(end),
            "availabilityViewInterval": interval_minutes,
        }
        await self._report(caller, wanted, "getSchedule")
        payload = await self._call(
            caller, "POST", f"{caller.base_path}/calendar/getSchedule", json=body, prefer=_PREFER_UTC
        )
        entries = {
            str(entry.get("scheduleId", "")).strip().lower(): entry
            for entry in (payload or {}).get("value", [])
            if isinstance(entry, dict)
        }
        start_utc = start.astimezone(UTC)
        return {
            email: parse_schedule_entry(email, entries.get(email), start_utc, timedelta(minutes=interval_minutes))
            for email in wanted
        }

    async def find_meeting_times(
        self,
        caller: Caller,
        attendees: Sequence[EventAttendee],
        duration: timedelta,
        slots: Sequence[tuple[datetime, datetime]],
        max_candidates: int = 20,
        minimum_attendee_percentage: float = 100.0,
    ) -> MeetingTimeSuggestions:
        """Delegated only: Outlook's own suggestions for everyone in `attendees`, inside the given time slots.

        One request names every attendee, typed required or optional. Microsoft documents that
        findMeetingTimes treats every person as required whatever their type, so an optional person who
        is busy still lowers a slot's confidence: read `SuggestedSlot.availability_of` per person to
        tell a busy optional colleague from a busy required one.

        Pass one slot per day, shaped to the organizer's working hours, as Microsoft's example does: a
        single slot spanning several days has been reported to come back empty. Every documented
        parameter is sent explicitly rather than left to its default.
        """
        if not caller.delegated:
            raise ValueError("findMeetingTimes needs a signed-in user; use get_schedule in domain-wide mode")
        if not slots:
            raise ValueError("find_meeting_times needs at least one time slot to search")
        invited = _distinct_attendees(attendees)
        for slot_start, slot_end in slots:
            _check_window(slot_start, slot_end)
        body = {
            "attendees": [attendee.as_graph() for attendee in invited],
            "timeConstraint": {
                "activityDomain": "work",
                "timeSlots": [{"start": to_graph_datetime(s), "end": to_graph_datetime(e)} for s, e in slots],
            },
            "meetingDuration": iso_duration(duration),
            "maxCandidates": max_candidates,
            "isOrganizerOptional": False,
            "returnSuggestionReasons": True,
            "minimumAttendeePercentage": minimum_attendee_percentage,
        }
        await self._report(caller, [caller.subject, *_addresses(invited)], "findMeetingTimes")
        payload = await self._call(caller, "POST", "/me/findMeetingTimes", json=body, prefer=_PREFER_UTC) or {}
        suggestions = []
        for suggestion in payload.get("meetingTimeSuggestions") or ():
            try:
                suggestions.append(_suggested_slot(suggestion))
            except (AttributeError, KeyError, TypeError, ValueError):
                logger.warning("Skipping a malformed meeting time suggestion")
        if suggestions:
            return MeetingTimeSuggestions(tuple(suggestions))
        # No suggestions and no documented reason still means none: say "unknown" rather than nothing.
        reason = EmptySuggestionsReason.parse(payload.get("emptySuggestionsReason")) or EmptySuggestionsReason.UNKNOWN
        return MeetingTimeSuggestions((), reason)

    # -- events -----------------------------------------------------------------------------------
    async def create_event(self, caller: Caller, event: NewEvent) -> CreatedEvent:
        """Creates the meeting once, in the organizer's calendar, with its attendees and a Teams link.

        Retries after a timeout or dropped connection resend the same `transactionId`, so Exchange
        keeps a single event. A missing Teams link is logged and shows in `has_teams_link`.
        """
        _check_window(event.start, event.end)
        invited = _distinct_attendees(event.attendees)
        zone = _windows_zone(event.time_zone)
        body = {
            "subject": event.subject,
            "body": {"contentType": "text", "content": event.body_text},
            "start": to_graph_datetime(event.start, zone),
            "end": to_graph_datetime(event.end, zone),
            "attendees": [attendee.as_graph() for attendee in invited],
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "transactionId": event.transaction_id,
            "singleValueExtendedProperties": [{"id": PROVENANCE_PROPERTY_ID, "value": event.provenance_value}],
        }
        await self._report(caller, [caller.subject, *_addresses(invited)], "createEvent")
        payload = await self._call(caller, "POST", f"{caller.base_path}/events", json=body)
        created = _created_event(payload)
        if not created.has_teams_link:
            logger.warning(
                "Event created without a Teams join link (tenant %s); the mailbox may not allow Teams meetings",
                caller.tenant_id,
            )
        return created

    async def find_event_by_provenance(self, caller: Caller, provenance_value: str) -> CreatedEvent | None:
        """The event this bot created for `provenance_value` (the booking id) in the caller's calendar, if any.

        For a booking whose create call's answer was lost (a crash, a dropped connection): Graph filters a
        calendar's events on a single-value extended property's id and value, and only our own create call
        writes our property. The filtered answer leaves the property out; matching it is the proof.
        """
        value = provenance_value.replace("'", "''")
        await self._report(caller, [caller.subject], "findEvent")
        payload = await self._call(
            caller,
            "GET",
            f"{caller.base_path}/events",
            params={
                "$filter": (
                    f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROVENANCE_PROPERTY_ID}' "
                    f"and ep/value eq '{value}')"
                ),
                "$select": "id,start,end,onlineMeeting,webLink,iCalUId,transactionId",
                "$top": "2",
            },
        )
        found = [item for item in (payload or {}).get("value") or () if isinstance(item, dict)]
        if not found:
            return None
        if len(found) > 1:
            logger.warning("More than one event carries one booking's tag (tenant %s); using the first",
                           caller.tenant_id)
        return _created_event(found[0])

    async def get_event(self, caller: Caller, event_id: str, expected_provenance: str) -> EventStatus:
        """Status of an event the bot created; raises NotOurEvent unless it carries our tag for this booking."""
        await self._report(caller, [caller.subject], "getEvent")
        payload = await self._call(
            caller,
            "GET",
            f"{caller.base_path}/events/{quote(event_id, safe='')}",
            params={
                "$select": "start,end,attendees,isCancelled,onlineMeeting",
                "$expand": f"singleValueExtendedProperties($filter=id eq '{PROVENANCE_PROPERTY_ID}')",
            },
        )
        tags = {
            str(prop.get("id", "")).lower(): prop.get("value")
            for prop in payload.get("singleValueExtendedProperties") or ()
        }
        if tags.get(PROVENANCE_PROPERTY_ID.lower()) != expected_provenance:
            logger.warning("Refusing event in tenant %s: provenance tag missing or different", caller.tenant_id)
            raise NotOurEvent(200, "NotOurEvent", "event lacks the expected provenance tag")
        return _event_status(event_id, payload)

    async def move_event(
        self,
        caller: Caller,
        event_id: str,
        expected_provenance: str,
        start: datetime,
        end: datetime,
        time_zone: str,
    ) -> EventStatus:
        """Moves a meeting the bot created to [start, end) instead of cancelling it; returns its new status.

        First proves the event is ours exactly as `get_event` does (NotOurEvent otherwise, NotFound when
        it is gone), then PATCHes only `start` and `end`, written in the organizer's `time_zone` as
        `create_event` writes them. The event keeps its id and Teams link; Exchange sends every attendee
        the update. Moving to the times it already has sends nothing (no second update mail), so a
        retried card action is harmless.
        """
        _check_window(start, end)
        zone = _windows_zone(time_zone)
        current = await self.get_event(caller, event_id, expected_provenance)
        if current.start == start and current.end == end:
            return current
        await self._report(caller, [caller.subject, *current.responses], "moveEvent")
        payload = await self._call(
            caller,
            "PATCH",
            f"{caller.base_path}/events/{quote(event_id, safe='')}",
            json={"start": to_graph_datetime(start, zone), "end": to_graph_datetime(end, zone)},
        )
        return _event_status(event_id, payload)

    async def cancel_event(self, caller: Caller, event_id: str, expected_provenance: str) -> bool:
        """Deletes an event the bot created (attendees get Outlook's cancellation).

        Returns False when it was already gone; raises NotOurEvent for anything not tagged as ours.
        """
        try:
            await self.get_event(caller, event_id, expected_provenance)
        except NotFound:
            return False
        await self._report(caller, [caller.subject], "cancelEvent")
        try:
            await self._call(caller, "DELETE", f"{caller.base_path}/events/{quote(event_id, safe='')}")
        except NotFound:
            return False
        return True

    async def find_invitation(
        self, caller: Caller, organizer_email: str, start: datetime, end: datetime
    ) -> Invitation | None:
        """The caller's own copy of a meeting `organizer_email` organized at exactly [start, end), or None.

        Searched in the caller's calendar only (calendarView), so it needs nobody else's authority.
        """
        _check_window(start, end)
        organizer = organizer_email.strip().lower()
        await self._report(caller, [caller.subject], "findInvitation")
        payload = await self._call(
            caller,
            "GET",
            f"{caller.base_path}/calendarView",
            params={
                "startDateTime": start.astimezone(UTC).isoformat(),
                "endDateTime": end.astimezone(UTC).isoformat(),
                "$select": "start,end,organizer,isOrganizer,isCancelled,iCalUId,responseStatus",
                "$top": "50",
            },
        ) or {}
        for item in payload.get("value") or ():
            try:
                same_time = _graph_moment(item["start"]) == start and _graph_moment(item["end"]) == end
                sender = str((((item.get("organizer") or {}).get("emailAddress")) or {}).get("address", ""))
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
            if same_time and not item.get("isOrganizer") and sender.strip().lower() == organizer:
                return Invitation(
                    id=str(item["id"]),
                    ical_uid=item.get("iCalUId"),
                    response=AttendeeResponse.parse((item.get("responseStatus") or {}).get("response")),
                    is_cancelled=bool(item.get("isCancelled")),
                )
        return None

    async def decline_event(self, caller: Caller, event_id: str, comment: str | None = None) -> bool:
        """Declines the caller's own copy of a meeting and tells the organizer (sendResponse true).

        Returns False when the copy is already gone (declined or deleted before).
        """
        body: dict[str, Any] = {"sendResponse": True}
        if comment:
            body["comment"] = comment
        await self._report(caller, [caller.subject], "declineEvent")
        try:
            await self._call(
                caller, "POST", f"{caller.base_path}/events/{quote(event_id, safe='')}/decline", json=body, prefer=None
            )
        except NotFound:
            return False
        return True

    async def check_member_groups(self, caller: Caller, user_oid: str, group_ids: Sequence[str]) -> set[str]:
        """Which of `group_ids` the user belongs to (transitively); lower-cased ids."""
        wanted = list(dict.fromkeys(group.strip().lower() for group in group_ids if group.strip()))
        member_of: set[str] = set()
        user = user_oid.strip().lower()
        await self._report(caller, [user], "checkMemberGroups")
        for first in range(0, len(wanted), MAX_GROUP_IDS):
            payload = await self._call(
                caller,
                "POST",
                f"/users/{quote(user, safe='')}/checkMemberGroups",
                mailbox_key=f"{caller.tenant_id}/directory",
                json={"groupIds": wanted[first : first + MAX_GROUP_IDS]},
                prefer=None,
            )
            member_of.update(str(group).lower() for group in (payload or {}).get("value", []))
        return member_of


# -- helpers --------------------------------------------------------------------------------------
def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("end must be after start")
    if end - start >= MAX_WINDOW:
        raise ValueError("the time window must be shorter than 62 days")


def _distinct_attendees(attendees: Iterable[EventAttendee]) -> tuple[EventAttendee, ...]:
    """Each address once (the first spelling and name kept; required if any mention was), in the given order."""
    merged: dict[str, EventAttendee] = {}
    for attendee in attendees:
        key = attendee.email.strip().lower()
        if not key:
            raise ValueError(f"attendee {attendee.name or '(unnamed)'} has no email address")
        first = merged.get(key)
        merged[key] = attendee if first is None else EventAttendee(first.email, first.name,
                                                                   first.required or attendee.required)
    if not merged:
        raise ValueError("a meeting needs at least one attendee")
    return tuple(merged.values())


def _addresses(attendees: Iterable[EventAttendee]) -> list[str]:
    return [attendee.email.strip().lower() for attendee in attendees]


def _event_status(event_id: str, payload: dict[str, Any]) -> EventStatus:
    responses = {
        str((attendee.get("emailAddress") or {}).get("address", "")).lower(): AttendeeResponse.parse(
            (attendee.get("status") or {}).get("response")
        )
        for attendee in payload.get("attendees") or ()
    }
    return EventStatus(
        id=event_id,
        start=_graph_moment(payload["start"]),
        end=_graph_moment(payload["end"]),
        is_cancelled=bool(payload.get("isCancelled")),
        responses=responses,
        join_url=(payload.get("onlineMeeting") or {}).get("joinUrl"),
    )


def _created_event(payload: dict[str, Any]) -> CreatedEvent:
    return CreatedEvent(
        id=str(payload["id"]),
        join_url=((payload.get("onlineMeeting") or {}).get("joinUrl") or None),
        web_link=payload.get("webLink"),
        ical_uid=payload.get("iCalUId"),
        start=_graph_moment(payload["start"]),
        end=_graph_moment(payload["end"]),
        transaction_id=payload.get("transactionId"),
    )


def _windows_zone(name: str) -> str:
    """Graph accepts every Windows name but only some IANA ones, so IANA names are translated."""
    if is_windows_name(name) or name.strip().upper() == "UTC":
        tz_from_graph(name)  # raises UnknownTimeZone early for nonsense
        return name.strip()
    return iana_to_windows(name)


def _graph_moment(value: dict[str, Any]) -> datetime:
    return parse_graph_datetime(str(value["dateTime"]), str(value.get("timeZone") or "UTC"))


def iso_duration(duration: timedelta) -> str:
    """timedelta -> ISO-8601 duration as findMeetingTimes wants it ('PT1H30M')."""
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        raise ValueError("the meeting duration must be positive")
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{seconds}S" if seconds else ""]
    return "PT" + "".join(parts)


def _suggested_slot(raw: dict[str, Any]) -> SuggestedSlot:
    slot = raw["meetingTimeSlot"]
    attendees = {
        str(((entry.get("attendee") or {}).get("emailAddress") or {}).get("address", "")).strip().lower():
            FreeBusyStatus.parse(entry.get("availability"))
        for entry in raw.get("attendeeAvailability") or ()
    }
    attendees.pop("", None)
    return SuggestedSlot(
        start=_graph_moment(slot["start"]),
        end=_graph_moment(slot["end"]),
        confidence=float(raw.get("confidence") or 0.0),
        organizer_availability=FreeBusyStatus.parse(raw.get("organizerAvailability")),
        attendee_availability=attendees,
        reason=str(raw.get("suggestionReason") or "").strip() or None,
    )


_SCHEDULE_ERRORS = {
    "5009": "this address is not a person in your organization's directory",
    "errormailrecipientnotfound": "this address is not a person in your organization's directory",
    "errorinvaliduser": "this address is not a person in your organization's directory",
    "erroraccessdenied": "their calendar is not shared with Rendezvous",
    "errorproxyrequestnotallowed": "their calendar is in another organization and cannot be read",
}


def parse_schedule_entry(
    email: str, entry: dict[str, Any] | None, start: datetime, interval: timedelta
) -> Availability:
    """One getSchedule `scheduleInformation` -> Availability; `entry` None means Graph left the person out."""
    if entry is None:
        return Availability(email=email, known=False, unknown_reason="Outlook did not return their calendar")
    error = entry.get("error")
    if error:
        code = str((error or {}).get("responseCode") or "").lower()
        reason = _SCHEDULE_ERRORS.get(code, "Outlook could not read their calendar")
        return Availability(email=email, known=False, unknown_reason=reason)
    view = entry.get("availabilityView")
    if not isinstance(view, str):
        return Availability(email=email, known=False, unknown_reason="Outlook returned no availability for them")
    blocks = []
    for item in entry.get("scheduleItems") or ():
        status = FreeBusyStatus.parse(item.get("status"))
        if status is FreeBusyStatus.FREE:
            continue
        try:
            blocks.append(BusyBlock(_graph_moment(item["start"]), _graph_moment(item["end"]), status))
        except (KeyError, TypeError, ValueError):
            # an item we cannot place must not make the person look free
            return Availability(email=email, known=False, unknown_reason="Outlook returned an unreadable calendar item")
    blocks.extend(_view_blocks_not_in_items(view, start, interval, blocks))
    blocks.sort(key=lambda block: (block.start, block.end))
    return Availability(
        email=email, known=True, busy=tuple(blocks), working_hours=_working_hours(entry.get("workingHours"))
    )


def _view_blocks_not_in_items(
    view: str, start: datetime, interval: timedelta, items: list[BusyBlock]
) -> list[BusyBlock]:
    """Slots the availabilityView marks as taken although no scheduleItem covers them.

    Normally every taken slot has an item; when Outlook withholds items, the view is all we have.
    """
    extra = []
    for index, digit in enumerate(view):
        status = _VIEW_DIGITS.get(digit, FreeBusyStatus.UNKNOWN)
        if status in _QUIET_STATUSES:
            continue
        slot_start = start + index * interval
        slot_end = slot_start + interval
        if any(block.start < slot_end and block.end > slot_start for block in items):
            continue
        extra.append(BusyBlock(slot_start, slot_end, status))
    return extra


def _working_hours(raw: dict[str, Any] | None) -> WorkingHours | None:
    if not raw:
        return None
    try:
        days = frozenset(
            _WEEKDAYS.index(str(day).lower()) + 1
            for day in raw.get("daysOfWeek") or ()
            if str(day).lower() in _WEEKDAYS
        )
        return WorkingHours(
            days=days,
            start=parse_graph_time(str(raw["startTime"])),
            end=parse_graph_time(str(raw["endTime"])),
            tz=tz_from_graph(raw.get("timeZone") or "UTC"),
        )
    except UnknownTimeZone as exc:
        # Working hours in a zone we cannot read are dropped loudly, not read as UTC.
        logger.warning("Ignoring working hours with an unusable time zone: %s", exc)
        return None
    except (KeyError, ValueError) as exc:
        logger.warning("Ignoring malformed working hours: %s", exc)
        return None
