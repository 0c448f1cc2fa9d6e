"""The handover tables (SQLAlchemy Core), beside the tracker's in the tracker store's database.

Migrations in handover/migrations create them; this module describes their current shape for
the queries. JSON values (lists, packets) are stored as text, so SQLite and PostgreSQL read alike.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True)


agents = sa.Table(
    "handover_agents", metadata,
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
tokens = sa.Table(
    "handover_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("agent_id", sa.Integer, nullable=False, index=True),
    sa.Column("label", sa.String(128), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_used_at", sa.Float, nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
)
sessions = sa.Table(
    "handover_sessions", metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),
    sa.Column("agent_id", sa.Integer, nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
)
teams = sa.Table(
    "handover_teams", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(128), nullable=True),
    sa.Column("business_hours", sa.Text, nullable=True),
    sa.Column("sla_policy", sa.String(64), nullable=True),
    sa.Column("config", sa.Text, nullable=False, server_default="{}"),
)
canned_replies = sa.Table(
    "handover_canned_replies", metadata,
    _id(),
    sa.Column("shortcut", sa.String(64), nullable=False),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("source", sa.String(32), nullable=True),  # "file" when handover.yml made it (h0002)
)
sla_policies = sa.Table(
    "handover_sla_policies", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("config", sa.Text, nullable=False),
)
# One row a conversation that ever left the bot: who owns it now (state + version) and its packet.
conversations = sa.Table(
    "handover_conversations", metadata,
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
    sa.Column("last_intent", sa.String(128), nullable=True),  # of the latest customer message (h0003)
)
notes = sa.Table(
    "handover_notes", metadata,
    _id(),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
# Finished handlings: how long agents took, for the expected wait and KPIs.
handlings = sa.Table(
    "handover_handlings", metadata,
    _id(),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("agent", sa.String(64), nullable=True),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("queued_at", sa.Float, nullable=True),
    sa.Column("assigned_at", sa.Float, nullable=True),
    sa.Column("ended_at", sa.Float, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    # What it was about, for the customer's next packet (h0003).
    sa.Column("reason", sa.String(64), nullable=True),
    sa.Column("channel", sa.String(64), nullable=True),
    sa.Column("last_intent", sa.String(128), nullable=True),
)
# Agent assist (h0003): every suggestion offered for a customer message, and what agents did with them.
suggestions = sa.Table(
    "handover_suggestions", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("message_timestamp", sa.Float, nullable=False),
    sa.Column("message_text", sa.Text, nullable=True),
    sa.Column("intent", sa.String(128), nullable=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("response", sa.String(255), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
suggestion_feedback = sa.Table(
    "handover_suggestion_feedback", metadata,
    _id(),
    sa.Column("suggestion_id", sa.String(32), nullable=False),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # "used" or "dismissed"
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("response", sa.String(255), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("message_text", sa.Text, nullable=True),
    sa.Column("intent", sa.String(128), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)
sla_breaches = sa.Table(
    "handover_sla_breaches", metadata,
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
feed = sa.Table(
    "handover_feed", metadata,
    _id(),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("sender_id", sa.String(255), nullable=True),
    sa.Column("agent", sa.String(64), nullable=True),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
)
# Messages to customers that must leave through a channel's push output (agent replies, notices).
outbox = sa.Table(
    "handover_outbox", metadata,
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
sa.Index("ix_handover_conversations_queue", conversations.c.state, conversations.c.team,
         conversations.c.priority, conversations.c.queued_at)
sa.Index("ix_handover_outbox_pending", outbox.c.state, outbox.c.next_attempt_at)
sa.Index("ix_handover_suggestions_message", suggestions.c.sender_id, suggestions.c.message_timestamp)
sa.Index("ix_handover_handlings_sender", handlings.c.sender_id, handlings.c.ended_at)
