"""SQLAlchemy table models. Every row belongs to one tenant (bot_state rows may be tenant-less).

The schema itself is created by the Alembic migration in storage/migrations/versions/, not by
`metadata.create_all`; a test compares the two so they cannot drift apart.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import DateTime as SqlDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TENANT_MODES = ("domain_wide", "delegated")
BOOKING_STATUSES = ("reserved", "confirmed", "failed", "cancelled")
MOVE_STATUSES = ("reserved", "done", "failed")
CONSENT_PURPOSES = ("admin_consent", "admin_signin", "member_signin")
BOT_STATE_KEY_MAX = 512


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    PostgreSQL stores TIMESTAMP WITH TIME ZONE. SQLite has no time zone support, so values are
    normalised to UTC and stored naive in one fixed format (which also keeps string comparison
    in WHERE clauses chronological), then marked UTC again when read.
    """

    impl = SqlDateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONText(TypeDecorator[dict[str, Any]]):
    """A JSON object kept as TEXT, so both backends store it the same way."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        loaded: dict[str, Any] = json.loads(value)
        return loaded


# Deterministic constraint names so later migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONText()}


def _in_list(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (CheckConstraint(f"mode IS NULL OR {_in_list('mode', TENANT_MODES)}", name="mode"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str | None] = mapped_column(String(32))
    security_group_id: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=False)
    enabled_at: Mapped[datetime | None]
    consented_by_oid: Mapped[str | None] = mapped_column(String(64))
    consented_by_name: Mapped[str | None] = mapped_column(String(256))
    admin_oid: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (Index(None, "tenant_id", "teams_user_id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    teams_user_id: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320))
    user_principal_name: Mapped[str | None] = mapped_column(String(320))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    outlook_time_zone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))
    conversation_reference: Mapped[dict[str, Any] | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(_in_list("status", BOOKING_STATUSES), name="status"),
        Index(None, "tenant_id", "organizer_oid", "start_utc"),
        Index(None, "tenant_id", "attendee_oid", "start_utc"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    organizer_oid: Mapped[str] = mapped_column(String(64))
    attendee_oid: Mapped[str] = mapped_column(String(64))
    start_utc: Mapped[datetime]
    end_utc: Mapped[datetime]
    subject: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    transaction_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(Text)
    join_url: Mapped[str | None] = mapped_column(Text)
    web_link: Mapped[str | None] = mapped_column(Text)
    card_activity_id: Mapped[str | None] = mapped_column(String(256))
    conversation_id: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Attendance(Base):
    """One person invited to a booking, required or optional. `position` keeps the order the organizer gave;
    position 0 is the booking's own `attendee_oid`."""

    __tablename__ = "booking_attendees"
    __table_args__ = (Index(None, "tenant_id", "attendee_oid"),)

    booking_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    attendee_oid: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    required: Mapped[bool]
    position: Mapped[int] = mapped_column(Integer)
    # The Booked card sent to this attendee in their 1:1 chat, so a move or cancel updates it in place.
    card_activity_id: Mapped[str | None] = mapped_column(String(256))
    conversation_id: Mapped[str | None] = mapped_column(String(512))


class BookingMove(Base):
    """A request to move a confirmed booking to another time, reserved before the event is changed in Graph,
    so that a repeated click or a retry (same idempotency key) moves the meeting once."""

    __tablename__ = "booking_moves"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(_in_list("status", MOVE_STATUSES), name="status"),
        Index(None, "tenant_id", "booking_id"),
        Index(None, "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    booking_id: Mapped[str] = mapped_column(String(36), ForeignKey("bookings.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    old_start_utc: Mapped[datetime]
    old_end_utc: Mapped[datetime]
    start_utc: Mapped[datetime]
    end_utc: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ConsentRequest(Base):
    __tablename__ = "consent_requests"
    __table_args__ = (
        CheckConstraint(_in_list("purpose", CONSENT_PURPOSES), name="purpose"),
        Index(None, "expires_at"),
    )

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    teams_user_id: Mapped[str | None] = mapped_column(String(256))
    aad_object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class TokenCache(Base):
    __tablename__ = "token_caches"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class BotState(Base):
    __tablename__ = "bot_state"
    __table_args__ = (Index(None, "tenant_id"),)

    key: Mapped[str] = mapped_column(String(BOT_STATE_KEY_MAX), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[dict[str, Any]]
    etag: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class GraphCall(Base):
    __tablename__ = "graph_calls"
    __table_args__ = (Index(None, "tenant_id", "subject_oid", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    subject_oid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utc_now)


class MailboxPause(Base):
    """A 429's Retry-After for one mailbox, shared by every process (storage/mailbox_slots.py). Keyed by a digest
    of the tenant and mailbox, so no address is stored; rows are read only while their pause lasts."""

    __tablename__ = "mailbox_pauses"

    mailbox_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused_until: Mapped[datetime]
