"""Mailbox pauses: a 429's Retry-After for one mailbox, shared by every worker process.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_pauses",
        sa.Column("mailbox_key", sa.String(64), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox_key", name="pk_mailbox_pauses"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_pauses")
