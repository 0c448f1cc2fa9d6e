"""Create the handover tables: agents, sessions, teams, conversations' ownership, feed and outbox.

Revision ID: h0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "handover_agents",
        _id(),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("teams", sa.Text, nullable=False, server_default="[]"),
        sa.Column("skills", sa.Text, nullable=False, server_default="[]"),
        sa.Column("languages", sa.Text, nullable=False, server_default="[]"),
        sa.Column("capacity", sa.Integer, nullable=False, server_default="3"),
        sa.Column("status", sa.String(16), nullable=False, server_default="offline"),
        sa.Column("status_changed_at", sa.Float, nullable=True),
        sa.Column("last_seen_at", sa.Float, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "handover_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.Integer, nullable=False, index=True),
        sa.Column("label", sa.String(128), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_used_at", sa.Float, nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "handover_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.Integer, nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float, nullable=False),
    )
    op.create_table(
        "handover_teams",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("business_hours", sa.Text, nullable=True),
        sa.Column("sla_policy", sa.String(64), nullable=True),
        sa.Column("config", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_table(
        "handover_canned_replies",
        _id(),
        sa.Column("shortcut", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "handover_sla_policies",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("config", sa.Text, nullable=False),
    )
    # One row a conversation that ever left the bot: who owns it now (state + version) and its packet.
    op.create_table(
        "handover_conversations",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("offered_to", sa.String(64), nullable=True),
        sa.Column("offer_expires_at", sa.Float, nullable=True),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("skill", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(255), nullable=True),
        sa.Column("queued_at", sa.Float, nullable=True),
        sa.Column("assigned_at", sa.Float, nullable=True),
        sa.Column("last_agent", sa.String(64), nullable=True),
        sa.Column("first_response_at", sa.Float, nullable=True),
        sa.Column("last_customer_message_at", sa.Float, nullable=True),
        sa.Column("last_agent_message_at", sa.Float, nullable=True),
        sa.Column("sla_policy", sa.String(64), nullable=True),
        sa.Column("first_response_due", sa.Float, nullable=True),
        sa.Column("next_response_due", sa.Float, nullable=True),
        sa.Column("resolution_due", sa.Float, nullable=True),
        sa.Column("reply_window_ends", sa.Float, nullable=True),
        sa.Column("last_notice", sa.Text, nullable=True),
        sa.Column("packet", sa.Text, nullable=False, server_default="{}"),
        sa.Column("labels", sa.Text, nullable=False, server_default="[]"),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "handover_notes",
        _id(),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    # Finished handlings: how long agents took, for the expected wait and KPIs.
    op.create_table(
        "handover_handlings",
        _id(),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("queued_at", sa.Float, nullable=True),
        sa.Column("assigned_at", sa.Float, nullable=True),
        sa.Column("ended_at", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_table(
        "handover_sla_breaches",
        _id(),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due", sa.Float, nullable=False),
        sa.Column("recorded_at", sa.Float, nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
    )
    # The realtime feed: every offer, customer message, SLA warning and queue change gets an id, so a
    # console that lost its connection asks for what came after the last id it saw.
    op.create_table(
        "handover_feed",
        _id(),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
    )
    # Messages to customers that must leave through a channel's push output (agent replies, notices).
    op.create_table(
        "handover_outbox",
        _id(),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("owner_version", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float, nullable=True),
    )
    op.create_index("ix_handover_conversations_queue", "handover_conversations", ["state", "team", "priority", "queued_at"])
    op.create_index("ix_handover_outbox_pending", "handover_outbox", ["state", "next_attempt_at"])

def downgrade() -> None:
    for table in ("handover_outbox", "handover_feed", "handover_sla_breaches", "handover_handlings",
                  "handover_notes", "handover_conversations", "handover_sla_policies", "handover_canned_replies",
                  "handover_teams", "handover_sessions", "handover_tokens", "handover_agents"):
        op.drop_table(table)
