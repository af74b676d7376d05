"""Several attendees per booking (required or optional), and moves of a booking to another time.

Every existing booking gets its one attendee (`bookings.attendee_oid`) as a required attendee at position 0;
that column stays, naming the first attendee.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Written out rather than imported from storage.models: a migration must keep describing the schema
# as it was at this revision, whatever the models become later.
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    attendees = op.create_table(
        "booking_attendees",
        sa.Column("booking_id", sa.String(36), nullable=False),
        sa.Column("attendee_oid", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("booking_id", "attendee_oid", name="pk_booking_attendees"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_booking_attendees_booking_id_bookings", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_booking_attendees_tenant_id_attendee_oid", "booking_attendees", ["tenant_id", "attendee_oid"]
    )
    bookings = sa.table(
        "bookings", sa.column("id", sa.String), sa.column("tenant_id", sa.String), sa.column("attendee_oid", sa.String)
    )
    op.execute(
        attendees.insert().from_select(
            ["booking_id", "attendee_oid", "tenant_id", "required", "position"],
            sa.select(
                bookings.c.id,
                bookings.c.attendee_oid,
                bookings.c.tenant_id,
                sa.literal(True, sa.Boolean()),
                sa.literal(0, sa.Integer()),
            ),
        )
    )

    op.create_table(
        "booking_moves",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("booking_id", sa.String(36), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("old_start_utc", _UTC, nullable=False),
        sa.Column("old_end_utc", _UTC, nullable=False),
        sa.Column("start_utc", _UTC, nullable=False),
        sa.Column("end_utc", _UTC, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_booking_moves"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_booking_moves_booking_id_bookings", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_booking_moves_tenant_id_idempotency_key"),
        sa.CheckConstraint("status IN ('reserved', 'done', 'failed')", name="ck_booking_moves_status"),
    )
    op.create_index("ix_booking_moves_tenant_id_booking_id", "booking_moves", ["tenant_id", "booking_id"])
    op.create_index("ix_booking_moves_status_updated_at", "booking_moves", ["status", "updated_at"])


def downgrade() -> None:
    op.drop_table("booking_moves")
    op.drop_table("booking_attendees")
