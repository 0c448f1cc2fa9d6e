"""Create the tracker store tables: conversations and their append-only events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("last_event_at", sa.Float, nullable=False),
        # seq of the latest session_started event: reading a conversation starts there.
        sa.Column("session_start_seq", sa.Integer, nullable=True),
        # highest seq handed out; bumped in the same statement that locks the row.
        sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_conversations_last_event_at", "conversations", ["last_event_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type_name", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("intent_name", sa.String(255), nullable=True),
        sa.Column("action_name", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        # also the index for "events of one sender from seq N on" (sender_id is its leading column)
        sa.UniqueConstraint("sender_id", "seq", name="uq_events_sender_seq"),
    )


def downgrade() -> None:
    op.drop_table("events")
    op.drop_index("ix_conversations_last_event_at", table_name="conversations")
    op.drop_table("conversations")
