"""Repositories: the only way the rest of the bot reads and writes its tables.

Each repository except ConsentRepository is built for one tenant and filters every statement by
that tenant, so a tenant's rows cannot be seen or changed through another tenant's repository.
They return frozen dataclasses, never ORM objects, so nothing outside storage/ holds a session.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import TokenCipher
from storage.database import Database, affected_rows
from storage.models import (
    BOOKING_STATUSES,
    CONSENT_PURPOSES,
    TENANT_MODES,
    Attendance,
    Base,
    Booking,
    BookingMove,
    ConsentRequest,
    GraphCall,
    Member,
    Tenant,
    TokenCache,
    utc_now,
)

logger = logging.getLogger(__name__)

CONSENT_TTL = timedelta(minutes=10)
# Graph's getSchedule answers for at most 20 schedules per request: the organizer's and 19 others.
MAX_ATTENDEES = 19
# Error texts come from Graph/Entra responses; keep the stored copy bounded.
_MAX_ERROR_TEXT = 2000


class RecordNotFound(LookupError):
    """No such row for this tenant."""


class BookingStateError(Exception):
    """The booking's (or move's) status does not allow the requested change (e.g. confirming a cancelled one)."""


class ConsentStateError(Exception):
    """A consent/sign-in state parameter that cannot be used; `reason` says why."""

    def __init__(self, reason: Literal["unknown", "expired", "replayed"]) -> None:
        super().__init__(f"sign-in state is {reason}")
        self.reason = reason


@dataclass(frozen=True)
class TenantRecord:
    tenant_id: str
    mode: str | None
    security_group_id: str | None
    enabled: bool
    enabled_at: datetime | None
    consented_by_oid: str | None
    consented_by_name: str | None
    admin_oid: str | None
    last_error: str | None
    last_error_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MemberRecord:
    """A person the bot has met. On upsert, None means "not known now" and keeps the stored value."""

    tenant_id: str
    aad_object_id: str
    teams_user_id: str | None = None
    name: str | None = None
    email: str | None = None
    user_principal_name: str | None = None
    time_zone: str | None = None  # the zone the person's Teams client reported last (clientInfo.timezone)
    conversation_reference: dict[str, Any] | None = field(default=None, hash=False)
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    outlook_time_zone: str | None = None  # their mailbox's working-hours zone, as Outlook last told us (IANA)
    locale: str | None = None  # the BCP 47 locale their Teams client reported last ("en-US")


@dataclass(frozen=True)
class BookingAttendee:
    """A person invited to a booking; optional ones are told of it but need not be free."""

    oid: str
    required: bool = True
    # The Booked card this attendee was sent in their 1:1 chat (None before it went, or when it could not).
    # Not part of equality: two attendee lists are the same when the same people are invited the same way.
    card_activity_id: str | None = field(default=None, compare=False)
    conversation_id: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BookingRecord:
    id: str
    tenant_id: str
    organizer_oid: str
    attendee_oid: str
    start_utc: datetime
    end_utc: datetime
    subject: str
    idempotency_key: str
    transaction_id: str | None
    status: str
    failure_reason: str | None
    event_id: str | None
    join_url: str | None
    web_link: str | None
    card_activity_id: str | None
    conversation_id: str | None
    created_at: datetime
    updated_at: datetime
    # Everyone invited, in the order the organizer gave; the first is `attendee_oid`.
    attendees: tuple[BookingAttendee, ...]


@dataclass(frozen=True)
class MoveRecord:
    """A move of a confirmed booking from (old_start_utc, old_end_utc) to (start_utc, end_utc).

    `reserved` while the event is being changed in Graph, then `done` (the booking has the new times) or
    `failed` (the booking keeps its times; failure_reason says why)."""

    id: str
    tenant_id: str
    booking_id: str
    idempotency_key: str
    old_start_utc: datetime
    old_end_utc: datetime
    start_utc: datetime
    end_utc: datetime
    status: str
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ConsentRecord:
    state: str
    tenant_id: str
    teams_user_id: str | None
    aad_object_id: str | None
    purpose: str
    payload: dict[str, Any] = field(hash=False)
    created_at: datetime
    expires_at: datetime
    consumed_at: datetime | None


@dataclass(frozen=True)
class GraphCallRecord:
    id: int
    tenant_id: str
    subject_oid: str
    kind: str
    reason: str | None
    at: datetime


RecordT = TypeVar("RecordT")


def _to_record(record_type: type[RecordT], row: Base, **extra: Any) -> RecordT:
    """Copies the ORM row's columns into the record dataclass of the same field names; `extra` gives the
    fields that are not columns of the row."""
    names = [f.name for f in dataclasses.fields(record_type) if f.name not in extra]  # type: ignore[arg-type]
    return record_type(**{name: getattr(row, name) for name in names}, **extra)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


class _TenantScoped:
    def __init__(self, db: Database, tenant_id: str) -> None:
        if not tenant_id or not tenant_id.strip():
            raise ValueError("a tenant id is required")
        self._db = db
        # Tenant ids are GUIDs; one spelling keeps a tenant's rows together whatever the caller got.
        self.tenant_id = tenant_id.strip().lower()


class TenantRepository(_TenantScoped):
    async def get(self) -> TenantRecord | None:
        async with self._db.session() as session:
            row = await session.get(Tenant, self.tenant_id)
            return _to_record(TenantRecord, row) if row else None

    async def save_setup(self, mode: str, security_group_id: str | None, admin_oid: str) -> TenantRecord:
        """Records the admin's setup choices (connection mode and optional security group)."""
        if mode not in TENANT_MODES:
            raise ValueError(f"mode must be one of {', '.join(TENANT_MODES)}, got {mode!r}")
        return await self._save(mode=mode, security_group_id=security_group_id, admin_oid=admin_oid)

    async def enable(self, consented_by_oid: str, consented_by_name: str | None) -> TenantRecord:
        return await self._save(
            enabled=True,
            enabled_at=utc_now(),
            consented_by_oid=consented_by_oid,
            consented_by_name=consented_by_name,
        )

    async def disable(self) -> TenantRecord:
        return await self._save(enabled=False)

    async def record_error(self, text: str) -> TenantRecord:
        return await self._save(last_error=text[:_MAX_ERROR_TEXT], last_error_at=utc_now())

    async def counts(self) -> tuple[int, int]:
        """(members seen, bookings made) for this tenant."""
        async with self._db.session() as session:
            members = await session.scalar(
                select(func.count()).select_from(Member).where(Member.tenant_id == self.tenant_id)
            )
            bookings = await session.scalar(
                select(func.count()).select_from(Booking).where(Booking.tenant_id == self.tenant_id)
            )
        return int(members or 0), int(bookings or 0)

    async def _save(self, **changes: Any) -> TenantRecord:
        """Creates the tenant row if needed and sets `changes`, atomically, then returns the row."""
        now = utc_now()
        values = {"tenant_id": self.tenant_id, "created_at": now, "updated_at": now, **changes}
        statement = self._db.upsert(Tenant, values, ["tenant_id"], [*changes, "updated_at"])
        async with self._db.session() as session:
            await session.execute(statement)
            row = await session.get(Tenant, self.tenant_id, populate_existing=True)
            assert row is not None  # just written in this transaction
            return _to_record(TenantRecord, row)


_MEMBER_PROFILE_FIELDS = (
    "teams_user_id",
    "name",
    "email",
    "user_principal_name",
    "time_zone",
    "conversation_reference",
    "outlook_time_zone",
    "locale",
)


class MemberRepository(_TenantScoped):
    async def upsert(self, member: MemberRecord) -> MemberRecord:
        """Inserts or updates the member; last_seen_at becomes now, first_seen_at is kept."""
        if member.tenant_id.strip().lower() != self.tenant_id:
            raise ValueError("member belongs to another tenant than this repository")
        known = {
            name: getattr(member, name) for name in _MEMBER_PROFILE_FIELDS if getattr(member, name) is not None
        }
        now = utc_now()
        values = {
            "tenant_id": self.tenant_id,
            "aad_object_id": member.aad_object_id,
            "first_seen_at": now,
            "last_seen_at": now,
            **known,
        }
        statement = self._db.upsert(Member, values, ["tenant_id", "aad_object_id"], [*known, "last_seen_at"])
        async with self._db.session() as session:
            await session.execute(statement)
            row = await session.get(Member, (self.tenant_id, member.aad_object_id), populate_existing=True)
            assert row is not None  # just written in this transaction
            return _to_record(MemberRecord, row)

    async def get(self, aad_object_id: str) -> MemberRecord | None:
        return await self._one(Member.aad_object_id == aad_object_id)

    async def set_outlook_time_zone(self, aad_object_id: str, time_zone: str) -> None:
        """Keeps the zone Outlook gave for the member's working hours. Not a sighting: last_seen_at stays, and a
        member not stored is not created."""
        async with self._db.session() as session:
            await session.execute(
                update(Member)
                .where(Member.tenant_id == self.tenant_id, Member.aad_object_id == aad_object_id)
                .values(outlook_time_zone=time_zone)
            )

    async def get_by_teams_id(self, teams_user_id: str) -> MemberRecord | None:
        return await self._one(Member.teams_user_id == teams_user_id)

    async def search(self, text: str, limit: int = 20) -> list[MemberRecord]:
        """Members whose name, email or UPN contains `text`, ignoring case, ordered by name."""
        needle = text.strip().lower()
        condition: ColumnElement[bool] | None = None
        if needle:
            condition = or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (Member.name, Member.email, Member.user_principal_name)
                )
            )
        return await self._many(condition, limit)

    async def list_all(self) -> list[MemberRecord]:
        return await self._many(None, None)

    async def _one(self, condition: ColumnElement[bool]) -> MemberRecord | None:
        async with self._db.session() as session:
            row = await session.scalar(
                select(Member).where(Member.tenant_id == self.tenant_id, condition).limit(1)
            )
            return _to_record(MemberRecord, row) if row else None

    async def _many(self, condition: ColumnElement[bool] | None, limit: int | None) -> list[MemberRecord]:
        query = select(Member).where(Member.tenant_id == self.tenant_id)
        if condition is not None:
            query = query.where(condition)
        # NULL names sort differently per backend; fall back to the address so order is the same.
        sort_name = func.lower(func.coalesce(Member.name, Member.email, Member.user_principal_name, ""))
        query = query.order_by(sort_name, Member.aad_object_id).limit(limit)
        async with self._db.session() as session:
            return [_to_record(MemberRecord, row) for row in await session.scalars(query)]


_ACTIVE_BOOKING = ("reserved", "confirmed")
# Attendee rows are read for many bookings at once; batches keep each IN list under every backend's limit of
# bound parameters.
_ATTENDEE_BATCH = 500

_StatusRow = TypeVar("_StatusRow", Booking, BookingMove)


def _check_request(start: datetime, end: datetime, idempotency_key: str) -> None:
    """The checks a booking and a move share: an aware, non-empty time span and an idempotency key."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        raise ValueError("a booking must end after it starts")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")


def _checked_attendees(
    organizer_oid: str, attendee_oid: str, attendees: Sequence[BookingAttendee]
) -> tuple[BookingAttendee, ...]:
    """The booking's attendees in order (just `attendee_oid`, required, when none are given); ValueError when
    the list names someone twice, names the organizer, is too long, or does not start with `attendee_oid`."""
    checked = tuple(attendees) or (BookingAttendee(attendee_oid),)
    if checked[0].oid != attendee_oid:
        raise ValueError(f"the first attendee must be attendee_oid {attendee_oid!r}, got {checked[0].oid!r}")
    if len(checked) > MAX_ATTENDEES:
        raise ValueError(
            f"a booking can have at most {MAX_ATTENDEES} attendees (Outlook compares at most 20 calendars at once, "
            f"the organizer's included), got {len(checked)}"
        )
    organizer = organizer_oid.strip().lower()
    seen: set[str] = set()
    for attendee in checked:
        oid = attendee.oid.strip().lower()
        if not oid:
            raise ValueError("an attendee's object id is empty")
        if oid == organizer:
            raise ValueError(f"the organizer {organizer_oid} cannot also be an attendee")
        if oid in seen:
            raise ValueError(f"attendee {attendee.oid} is listed more than once")
        seen.add(oid)
    return checked


_Keyed = TypeVar("_Keyed", BookingRecord, MoveRecord)


async def _once_per_key(
    write: Callable[[], Awaitable[_Keyed]], first: Callable[[], Awaitable[_Keyed | None]]
) -> tuple[_Keyed, bool]:
    """(what `write` inserted, True); or, when the unique (tenant, idempotency key) constraint refused it because a
    request with the same key got there first (a double click, a retry, a concurrent duplicate), (the record of
    that first request, False). The constraint decides races: whoever lost reads the winner."""
    try:
        return await write(), True
    except IntegrityError:
        existing = await first()
        if existing is None:
            raise
        logger.info("%s %s reused for a repeated idempotency key", type(existing).__name__, existing.id)
        return existing, False


async def _update_if(
    session: AsyncSession,
    model: type[_StatusRow],
    tenant_id: str,
    row_id: str,
    allowed_from: Sequence[str],
    also: ColumnElement[bool] | None,
    changes: dict[str, Any],
) -> tuple[_StatusRow | None, bool]:
    """Applies `changes` to the tenant's row only while its status is one of `allowed_from` (and `also` holds), in
    one conditional UPDATE that always refreshes updated_at. Returns the row as it is now (None when the tenant has
    no such row) and whether the change applied."""
    result = await session.execute(
        update(model)
        .where(
            model.tenant_id == tenant_id,
            model.id == row_id,
            model.status.in_(allowed_from),
            also if also is not None else true(),
        )
        .values(**changes, updated_at=utc_now())
    )
    row = await session.get(model, row_id, populate_existing=True)
    if row is None or row.tenant_id != tenant_id:
        return None, False
    return row, affected_rows(result) == 1


def _applied(current: _Keyed | None, applied: bool, noun: str, row_id: str) -> _Keyed:
    """The outcome of a transition (_update_if): the record as it is now, or why the change was refused."""
    if current is None:
        raise RecordNotFound(f"no {noun} {row_id} in this tenant")
    if not applied:
        raise BookingStateError(f"{noun} {row_id} is {current.status}; that change is not allowed")
    return current


def _stuck(model: type[_StatusRow], cutoff: datetime) -> ColumnElement[bool]:
    """Rows still `reserved` and unchanged since `cutoff`: left behind by a crash or an outage, once `cutoff` is
    older than any live attempt can run."""
    _require_aware(cutoff, "cutoff")
    return and_(model.status == "reserved", model.updated_at <= cutoff)


class BookingRepository(_TenantScoped):
    async def reserve(
        self,
        organizer_oid: str,
        attendee_oid: str,
        start: datetime,
        end: datetime,
        subject: str,
        idempotency_key: str,
        transaction_id: str | None = None,
        conversation_id: str | None = None,
        card_activity_id: str | None = None,
        attendees: Sequence[BookingAttendee] = (),
    ) -> tuple[BookingRecord, bool]:
        """Reserves a booking row before the event is created in Graph.

        `attendees` lists everyone invited, in order, starting with `attendee_oid`; when empty, `attendee_oid` is
        the one required attendee. The booking and its attendees are written together or not at all.

        Returns (booking, created). The same idempotency key again (a double click, a retried
        request, a concurrent duplicate) returns the first booking with created=False.
        """
        _check_request(start, end, idempotency_key)
        invited = _checked_attendees(organizer_oid, attendee_oid, attendees)
        now = utc_now()
        row = Booking(
            id=str(uuid.uuid4()),
            tenant_id=self.tenant_id,
            organizer_oid=organizer_oid,
            attendee_oid=attendee_oid,
            start_utc=start,
            end_utc=end,
            subject=subject,
            idempotency_key=idempotency_key,
            transaction_id=transaction_id,
            status="reserved",
            conversation_id=conversation_id,
            card_activity_id=card_activity_id,
            created_at=now,
            updated_at=now,
        )

        async def write() -> BookingRecord:
            async with self._db.session() as session:
                session.add(row)
                await session.flush()  # the booking first: its attendee rows refer to it
                session.add_all(
                    Attendance(
                        booking_id=row.id,
                        attendee_oid=attendee.oid,
                        tenant_id=self.tenant_id,
                        required=attendee.required,
                        position=position,
                    )
                    for position, attendee in enumerate(invited)
                )
                await session.flush()
                return _to_record(BookingRecord, row, attendees=invited)

        return await _once_per_key(write, lambda: self.get_by_key(idempotency_key))

    async def confirm(self, booking_id: str, event_id: str, join_url: str | None, web_link: str | None
                      ) -> BookingRecord:
        """Marks the booking confirmed with the created event's details (allowed unless cancelled)."""
        return await self._transition(
            booking_id,
            ("reserved", "failed", "confirmed"),
            status="confirmed",
            event_id=event_id,
            join_url=join_url,
            web_link=web_link,
            failure_reason=None,
        )

    async def mark_failed(self, booking_id: str, reason: str) -> BookingRecord:
        """Records that creating the event failed; a confirmed or cancelled booking stays as it is."""
        return await self._transition(
            booking_id, ("reserved", "failed"), status="failed", failure_reason=reason[:_MAX_ERROR_TEXT]
        )

    async def cancel(self, booking_id: str) -> BookingRecord:
        return await self._transition(booking_id, BOOKING_STATUSES, status="cancelled")

    async def set_card_activity(self, booking_id: str, activity_id: str, conversation_id: str) -> BookingRecord:
        """Remembers which card shows this booking, so it can be updated in place later."""
        return await self._transition(
            booking_id, BOOKING_STATUSES, card_activity_id=activity_id, conversation_id=conversation_id
        )

    async def set_attendee_card(self, booking_id: str, attendee_oid: str, activity_id: str,
                                conversation_id: str) -> None:
        """Remembers the Booked card sent to one attendee, so a move or cancel can update it in place.

        A booking without attendee rows (written before attendee lists) has nowhere to keep it: nothing is written,
        and a later change sends that attendee a new card as before."""
        async with self._db.session() as session:
            await session.execute(
                update(Attendance)
                .where(Attendance.tenant_id == self.tenant_id, Attendance.booking_id == booking_id,
                       Attendance.attendee_oid == attendee_oid)
                .values(card_activity_id=activity_id, conversation_id=conversation_id)
            )

    async def get(self, booking_id: str) -> BookingRecord | None:
        return await self._one(Booking.id == booking_id)

    async def get_by_key(self, idempotency_key: str) -> BookingRecord | None:
        """The booking reserved under this idempotency key (a card's search and slot), if any."""
        return await self._one(Booking.idempotency_key == idempotency_key)

    async def list_for_member(
        self, oid: str, upcoming_only: bool = True, now: datetime | None = None
    ) -> list[BookingRecord]:
        """Bookings the person organizes or attends (required or optional): upcoming ones first (soonest first),
        then past ones (most recent first). upcoming_only keeps reserved/confirmed ones not yet over."""
        now = now or utc_now()
        attends = select(Attendance.booking_id).where(
            Attendance.tenant_id == self.tenant_id, Attendance.attendee_oid == oid
        )
        query = select(Booking).where(
            Booking.tenant_id == self.tenant_id,
            or_(Booking.organizer_oid == oid, Booking.attendee_oid == oid, Booking.id.in_(attends)),
        )
        if upcoming_only:
            query = query.where(Booking.end_utc > now, Booking.status.in_(_ACTIVE_BOOKING))
        bookings = await self._many(query)
        upcoming = sorted((b for b in bookings if b.end_utc > now), key=lambda b: b.start_utc)
        past = sorted((b for b in bookings if b.end_utc <= now), key=lambda b: b.start_utc, reverse=True)
        return upcoming + past

    async def list_all(self) -> list[BookingRecord]:
        """Every booking of the tenant, by start time."""
        return await self._many(
            select(Booking).where(Booking.tenant_id == self.tenant_id).order_by(Booking.start_utc, Booking.id)
        )

    async def list_stuck(self, cutoff: datetime, limit: int = 100) -> list[BookingRecord]:
        """Bookings still `reserved` whose row has not changed since `cutoff` (oldest first): the ones a
        crash or an outage may have left behind, once `cutoff` is older than any live attempt can run."""
        return await self._many(
            select(Booking)
            .where(Booking.tenant_id == self.tenant_id, _stuck(Booking, cutoff))
            .order_by(Booking.updated_at, Booking.id)
            .limit(limit)
        )

    async def claim_stuck(self, booking_id: str, cutoff: datetime) -> BookingRecord | None:
        """Takes a reserved booking unchanged since `cutoff` for recovery; None when it is not stuck (any more).

        The claim touches `updated_at` in one conditional UPDATE, so of two processes (or a click and the
        periodic pass) only one gets the row, and the row looks fresh again for as long as an attempt may
        take: if the claimant dies too, the booking becomes stuck again later and is claimed anew.
        """
        _require_aware(cutoff, "cutoff")
        try:
            return await self._transition(booking_id, ("reserved",), also=Booking.updated_at <= cutoff)
        except (BookingStateError, RecordNotFound):
            return None

    # --- moving a booking to another time ---------------------------------------------------------------

    async def begin_move(
        self, booking_id: str, start: datetime, end: datetime, idempotency_key: str
    ) -> tuple[MoveRecord, bool]:
        """Reserves a move of a confirmed booking to (start, end), before the event is changed in Graph.

        Returns (move, created). The same idempotency key again (a double click, a retried request, a
        concurrent duplicate) returns the first move with created=False, whatever it is asked now, so the
        meeting moves once. Raises RecordNotFound for a booking not in this tenant, BookingStateError unless
        the booking is confirmed, ValueError for bad times or a move to the time it already has.
        """
        _check_request(start, end, idempotency_key)
        existing = await self.get_move_by_key(idempotency_key)
        if existing is not None:
            return existing, False
        now = utc_now()

        async def write() -> MoveRecord:
            async with self._db.session() as session:
                booking = await session.scalar(
                    select(Booking).where(Booking.tenant_id == self.tenant_id, Booking.id == booking_id)
                )
                if booking is None:
                    raise RecordNotFound(f"no booking {booking_id} in this tenant")
                if booking.status != "confirmed":
                    raise BookingStateError(
                        f"booking {booking_id} is {booking.status}; only a confirmed booking can be moved"
                    )
                if (booking.start_utc, booking.end_utc) == (start, end):
                    raise ValueError(f"booking {booking_id} is already at that time")
                row = BookingMove(
                    id=str(uuid.uuid4()),
                    tenant_id=self.tenant_id,
                    booking_id=booking_id,
                    idempotency_key=idempotency_key,
                    old_start_utc=booking.start_utc,
                    old_end_utc=booking.end_utc,
                    start_utc=start,
                    end_utc=end,
                    status="reserved",
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                await session.flush()
                return _to_record(MoveRecord, row)

        return await _once_per_key(write, lambda: self.get_move_by_key(idempotency_key))

    async def finish_move(self, move_id: str) -> BookingRecord:
        """Gives the booking the move's times and marks the move done, in one transaction; returns the booking.

        Finishing a move already done returns the booking as it is (a retry after a lost answer). Raises
        BookingStateError, changing nothing, when the move failed or the booking is no longer confirmed.
        """
        async with self._db.session() as session:
            move, applied = await _update_if(
                session, BookingMove, self.tenant_id, move_id, ("reserved",), None, {"status": "done"}
            )
            if move is None:
                raise RecordNotFound(f"no move {move_id} in this tenant")
            if not applied and move.status != "done":
                raise BookingStateError(f"move {move_id} is {move.status}; it cannot be finished")
            if applied:
                booking, moved = await _update_if(
                    session, Booking, self.tenant_id, move.booking_id, ("confirmed",), None,
                    {"start_utc": move.start_utc, "end_utc": move.end_utc},
                )
                if booking is not None and not moved:
                    # Raising rolls the move back to `reserved` too: nothing half-written.
                    raise BookingStateError(f"booking {booking.id} is {booking.status}; it can no longer be moved")
            else:
                booking = await session.get(Booking, move.booking_id)
            # The move's foreign key (ON DELETE CASCADE) keeps its booking as long as the move exists.
            assert booking is not None
            return (await self._records(session, [booking]))[0]

    async def fail_move(self, move_id: str, reason: str) -> MoveRecord:
        """Records that changing the event failed; the booking keeps its times. A move already done stays done."""
        return await self._move_transition(
            move_id, ("reserved", "failed"), status="failed", failure_reason=reason[:_MAX_ERROR_TEXT]
        )

    async def get_move(self, move_id: str) -> MoveRecord | None:
        return await self._one_move(BookingMove.id == move_id)

    async def get_move_by_key(self, idempotency_key: str) -> MoveRecord | None:
        """The move reserved under this idempotency key, if any."""
        return await self._one_move(BookingMove.idempotency_key == idempotency_key)

    async def list_stuck_moves(self, cutoff: datetime, limit: int = 100) -> list[MoveRecord]:
        """Moves still `reserved` whose row has not changed since `cutoff` (oldest first); see list_stuck."""
        return await self._many_moves(
            select(BookingMove)
            .where(BookingMove.tenant_id == self.tenant_id, _stuck(BookingMove, cutoff))
            .order_by(BookingMove.updated_at, BookingMove.id)
            .limit(limit)
        )

    async def claim_stuck_move(self, move_id: str, cutoff: datetime) -> MoveRecord | None:
        """Takes a reserved move unchanged since `cutoff` for recovery, as claim_stuck does for a booking."""
        _require_aware(cutoff, "cutoff")
        try:
            return await self._move_transition(move_id, ("reserved",), also=BookingMove.updated_at <= cutoff)
        except (BookingStateError, RecordNotFound):
            return None

    # --- helpers ------------------------------------------------------------------------------------

    async def _one(self, condition: ColumnElement[bool]) -> BookingRecord | None:
        found = await self._many(select(Booking).where(Booking.tenant_id == self.tenant_id, condition))
        return found[0] if found else None

    async def _many(self, query: Select[Booking]) -> list[BookingRecord]:
        async with self._db.session() as session:
            return await self._records(session, list(await session.scalars(query)))

    async def _records(self, session: AsyncSession, rows: Sequence[Booking]) -> list[BookingRecord]:
        """The rows as records with their attendees, read in one more query (per batch of bookings)."""
        ids = [row.id for row in rows]
        invited: dict[str, list[BookingAttendee]] = {}
        for first in range(0, len(ids), _ATTENDEE_BATCH):
            query = (
                select(Attendance)
                .where(
                    Attendance.tenant_id == self.tenant_id,
                    Attendance.booking_id.in_(ids[first:first + _ATTENDEE_BATCH]),
                )
                .order_by(Attendance.booking_id, Attendance.position)
            )
            for attendance in await session.scalars(query):
                invited.setdefault(attendance.booking_id, []).append(
                    BookingAttendee(attendance.attendee_oid, attendance.required,
                                    attendance.card_activity_id, attendance.conversation_id)
                )
        # A booking written by an older version of the bot during a rolling upgrade has no attendee rows:
        # its attendee_oid is its one attendee.
        return [
            _to_record(
                BookingRecord, row, attendees=tuple(invited.get(row.id, ())) or (BookingAttendee(row.attendee_oid),)
            )
            for row in rows
        ]

    async def _transition(
        self, booking_id: str, allowed_from: Sequence[str], also: ColumnElement[bool] | None = None, **changes: Any
    ) -> BookingRecord:
        """Applies `changes` only while the status is one of `allowed_from` (and `also` holds), in one conditional
        UPDATE that always refreshes updated_at."""
        async with self._db.session() as session:
            row, applied = await _update_if(session, Booking, self.tenant_id, booking_id, allowed_from, also, changes)
            current = (await self._records(session, [row]))[0] if row else None
        return _applied(current, applied, "booking", booking_id)

    async def _one_move(self, condition: ColumnElement[bool]) -> MoveRecord | None:
        found = await self._many_moves(select(BookingMove).where(BookingMove.tenant_id == self.tenant_id, condition))
        return found[0] if found else None

    async def _many_moves(self, query: Select[BookingMove]) -> list[MoveRecord]:
        async with self._db.session() as session:
            return [_to_record(MoveRecord, row) for row in await session.scalars(query)]

    async def _move_transition(
        self, move_id: str, allowed_from: Sequence[str], also: ColumnElement[bool] | None = None, **changes: Any
    ) -> MoveRecord:
        async with self._db.session() as session:
            row, applied = await _update_if(session, BookingMove, self.tenant_id, move_id, allowed_from, also, changes)
            current = _to_record(MoveRecord, row) if row else None
        return _applied(current, applied, "move", move_id)


async def _tenants_with(db: Database, model: type[_StatusRow], cutoff: datetime) -> list[str]:
    query = select(model.tenant_id).where(_stuck(model, cutoff)).distinct().order_by(model.tenant_id)
    async with db.session() as session:
        return list(await session.scalars(query))


async def tenants_with_stuck_bookings(db: Database, cutoff: datetime) -> list[str]:
    """The tenants that have a booking still `reserved` and unchanged since `cutoff`.

    Only tenant ids cross tenants here; each tenant's rows are then read through its own BookingRepository.
    """
    return await _tenants_with(db, Booking, cutoff)


async def tenants_with_stuck_moves(db: Database, cutoff: datetime) -> list[str]:
    """The tenants that have a move still `reserved` and unchanged since `cutoff` (ids only, as above)."""
    return await _tenants_with(db, BookingMove, cutoff)


class ConsentRepository:
    """Short-lived, single-use `state` values for admin-consent and sign-in redirects.

    Global by state (the redirect arrives without a tenant we can trust yet); each row names its tenant.
    A row's payload (the PKCE verifier among it) is erased the moment the state is used; the bare row stays
    until it expires only so that a replay is told "already used", and every new link sweeps away the
    expired rows, so nothing waits for a restart.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        tenant_id: str,
        teams_user_id: str | None,
        aad_object_id: str | None,
        purpose: str,
        payload: dict[str, Any] | None = None,
        ttl: timedelta = CONSENT_TTL,
        now: datetime | None = None,
    ) -> str:
        """Stores a new request and returns its state: 32 random bytes, URL-safe, unguessable."""
        if purpose not in CONSENT_PURPOSES:
            raise ValueError(f"purpose must be one of {', '.join(CONSENT_PURPOSES)}, got {purpose!r}")
        now = now or utc_now()
        state = secrets.token_urlsafe(32)
        async with self._db.session() as session:
            await session.execute(delete(ConsentRequest).where(ConsentRequest.expires_at <= now))
            session.add(
                ConsentRequest(
                    state=state,
                    tenant_id=tenant_id.strip().lower(),
                    teams_user_id=teams_user_id,
                    aad_object_id=aad_object_id,
                    purpose=purpose,
                    payload=payload or {},
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
        return state

    async def consume(self, state: str, now: datetime | None = None) -> ConsentRecord:
        """Returns the request and marks it used; raises ConsentStateError if unknown, expired or used.

        The conditional UPDATE makes this single-use even when two redirects race: only one matches.
        """
        now = now or utc_now()
        async with self._db.session() as session:
            result = await session.execute(
                update(ConsentRequest)
                .where(
                    ConsentRequest.state == state,
                    ConsentRequest.consumed_at.is_(None),
                    ConsentRequest.expires_at > now,
                )
                .values(consumed_at=now)
            )
            row = await session.get(ConsentRequest, state, populate_existing=True)
            if affected_rows(result) == 1 and row is not None:
                record = _to_record(ConsentRecord, row)
                row.payload = {}
                return record
        if row is None:
            raise ConsentStateError("unknown")
        if row.consumed_at is not None:
            raise ConsentStateError("replayed")
        raise ConsentStateError("expired")

    async def add_to_payload(self, state: str, values: dict[str, Any], now: datetime | None = None) -> bool:
        """Adds `values` to the payload of a request still open (unused, unexpired); False when it is not."""
        now = now or utc_now()
        async with self._db.session() as session:
            row = await session.get(ConsentRequest, state, with_for_update=True)
            if row is None or row.consumed_at is not None or row.expires_at <= now:
                return False
            row.payload = {**row.payload, **values}
        return True

    async def delete_expired(self, now: datetime | None = None) -> int:
        """Housekeeping: removes requests past their expiry; returns how many."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(ConsentRequest).where(ConsentRequest.expires_at <= (now or utc_now()))
            )
        return affected_rows(result)


class TokenCacheRepository(_TenantScoped):
    """Per-user MSAL token caches (serialized JSON), encrypted before they reach the database."""

    def __init__(self, db: Database, cipher: TokenCipher, tenant_id: str) -> None:
        super().__init__(db, tenant_id)
        self._cipher = cipher

    async def load(self, aad_object_id: str) -> str | None:
        """The decrypted cache, or None if none is stored. Raises TokenDecryptError on a key change."""
        async with self._db.session() as session:
            ciphertext = await session.scalar(
                select(TokenCache.ciphertext).where(
                    TokenCache.tenant_id == self.tenant_id, TokenCache.aad_object_id == aad_object_id
                )
            )
        if ciphertext is None:
            return None
        return self._cipher.decrypt(ciphertext).decode("utf-8")

    async def save(self, aad_object_id: str, serialized: str) -> None:
        values = {
            "tenant_id": self.tenant_id,
            "aad_object_id": aad_object_id,
            "ciphertext": self._cipher.encrypt(serialized.encode("utf-8")),
            "updated_at": utc_now(),
        }
        statement = self._db.upsert(
            TokenCache, values, ["tenant_id", "aad_object_id"], ["ciphertext", "updated_at"]
        )
        async with self._db.session() as session:
            await session.execute(statement)

    async def delete(self, aad_object_id: str) -> None:
        async with self._db.session() as session:
            await session.execute(
                delete(TokenCache).where(
                    TokenCache.tenant_id == self.tenant_id, TokenCache.aad_object_id == aad_object_id
                )
            )

    async def delete_all(self) -> int:
        """Forgets every user's tokens in this tenant (e.g. when the tenant is disabled)."""
        async with self._db.session() as session:
            result = await session.execute(delete(TokenCache).where(TokenCache.tenant_id == self.tenant_id))
        return affected_rows(result)


class GraphCallRepository(_TenantScoped):
    """An audit trail of calendar reads and writes made on someone's behalf ("why did the bot look?")."""

    async def record(self, subject_oid: str, kind: str, reason: str | None = None) -> None:
        async with self._db.session() as session:
            session.add(
                GraphCall(tenant_id=self.tenant_id, subject_oid=subject_oid, kind=kind, reason=reason)
            )

    async def list_for(self, subject_oid: str, limit: int = 50) -> list[GraphCallRecord]:
        """The most recent calls about `subject_oid`, newest first."""
        query = (
            select(GraphCall)
            .where(GraphCall.tenant_id == self.tenant_id, GraphCall.subject_oid == subject_oid)
            .order_by(GraphCall.at.desc(), GraphCall.id.desc())
            .limit(limit)
        )
        async with self._db.session() as session:
            return [_to_record(GraphCallRecord, row) for row in await session.scalars(query)]
