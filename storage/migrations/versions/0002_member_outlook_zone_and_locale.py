"""Members: the Outlook working-hours zone and the Teams locale, so each person reads times one way everywhere.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop columns in place, and the downgrade must work on both backends.
    with op.batch_alter_table("members") as members:
        members.add_column(sa.Column("outlook_time_zone", sa.String(64), nullable=True))
        members.add_column(sa.Column("locale", sa.String(35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as members:
        members.drop_column("locale")
        members.drop_column("outlook_time_zone")
