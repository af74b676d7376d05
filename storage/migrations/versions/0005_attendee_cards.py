"""Each attendee's Booked card: the activity and conversation it was sent in, so moving or cancelling the meeting
updates that card in place rather than leaving it showing the old time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop columns in place, and the downgrade must work on both backends.
    with op.batch_alter_table("booking_attendees") as attendees:
        attendees.add_column(sa.Column("card_activity_id", sa.String(256), nullable=True))
        attendees.add_column(sa.Column("conversation_id", sa.String(512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booking_attendees") as attendees:
        attendees.drop_column("conversation_id")
        attendees.drop_column("card_activity_id")
