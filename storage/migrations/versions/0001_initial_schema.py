"""Initial schema: tenants, members, bookings, consent requests, token caches, bot state, Graph calls.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Written out rather than imported from storage.models: a migration must keep describing the schema
# as it was at this revision, whatever the models become later.
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(32), nullable=True),
        sa.Column("security_group_id", sa.String(64), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("enabled_at", _UTC, nullable=True),
        sa.Column("consented_by_oid", sa.String(64), nullable=True),
        sa.Column("consented_by_name", sa.String(256), nullable=True),
        sa.Column("admin_oid", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _UTC, nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenants"),
        sa.CheckConstraint("mode IS NULL OR mode IN ('domain_wide', 'delegated')", name="ck_tenants_mode"),
    )
    op.create_table(
        "members",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("aad_object_id", sa.String(64), nullable=False),
        sa.Column("teams_user_id", sa.String(256), nullable=True),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("user_principal_name", sa.String(320), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("conversation_reference", sa.Text(), nullable=True),
        sa.Column("first_seen_at", _UTC, nullable=False),
        sa.Column("last_seen_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "aad_object_id", name="pk_members"),
    )
    op.create_index("ix_members_tenant_id_teams_user_id", "members", ["tenant_id", "teams_user_id"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("organizer_oid", sa.String(64), nullable=False),
        sa.Column("attendee_oid", sa.String(64), nullable=False),
        sa.Column("start_utc", _UTC, nullable=False),
        sa.Column("end_utc", _UTC, nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("transaction_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("web_link", sa.Text(), nullable=True),
        sa.Column("card_activity_id", sa.String(256), nullable=True),
        sa.Column("conversation_id", sa.String(512), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_bookings_tenant_id_idempotency_key"),
        sa.CheckConstraint(
            "status IN ('reserved', 'confirmed', 'failed', 'cancelled')", name="ck_bookings_status"
        ),
    )
    op.create_index(
        "ix_bookings_tenant_id_organizer_oid_start_utc", "bookings", ["tenant_id", "organizer_oid", "start_utc"]
    )
    op.create_index(
        "ix_bookings_tenant_id_attendee_oid_start_utc", "bookings", ["tenant_id", "attendee_oid", "start_utc"]
    )
    op.create_table(
        "consent_requests",
        sa.Column("state", sa.String(128), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("teams_user_id", sa.String(256), nullable=True),
        sa.Column("aad_object_id", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.Column("consumed_at", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("state", name="pk_consent_requests"),
        sa.CheckConstraint(
            "purpose IN ('admin_consent', 'admin_signin', 'member_signin')", name="ck_consent_requests_purpose"
        ),
    )
    op.create_index("ix_consent_requests_expires_at", "consent_requests", ["expires_at"])
    op.create_table(
        "token_caches",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("aad_object_id", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "aad_object_id", name="pk_token_caches"),
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )
    op.create_index("ix_bot_state_tenant_id", "bot_state", ["tenant_id"])
    op.create_table(
        "graph_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("subject_oid", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_graph_calls"),
    )
    op.create_index("ix_graph_calls_tenant_id_subject_oid_at", "graph_calls", ["tenant_id", "subject_oid", "at"])


def downgrade() -> None:
    op.drop_index("ix_graph_calls_tenant_id_subject_oid_at", table_name="graph_calls")
    op.drop_table("graph_calls")
    op.drop_index("ix_bot_state_tenant_id", table_name="bot_state")
    op.drop_table("bot_state")
    op.drop_table("token_caches")
    op.drop_index("ix_consent_requests_expires_at", table_name="consent_requests")
    op.drop_table("consent_requests")
    op.drop_index("ix_bookings_tenant_id_attendee_oid_start_utc", table_name="bookings")
    op.drop_index("ix_bookings_tenant_id_organizer_oid_start_utc", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_members_tenant_id_teams_user_id", table_name="members")
    op.drop_table("members")
    op.drop_table("tenants")
