"""Agent assist and the customer's history: suggestions offered and what agents did with them; what
each finished handling was about (reason, channel, last intent) for the packet's previous conversations.

Revision ID: h0003
Revises: h0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "handover_suggestions",
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
    op.create_index("ix_handover_suggestions_message", "handover_suggestions", ["sender_id", "message_timestamp"])
    op.create_table(
        "handover_suggestion_feedback",
        _id(),
        sa.Column("suggestion_id", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("response", sa.String(255), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("message_text", sa.Text, nullable=True),
        sa.Column("intent", sa.String(128), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    # batch mode: SQLite cannot alter a table in place; alembic copies it where needed.
    with op.batch_alter_table("handover_conversations") as batch:
        batch.add_column(sa.Column("last_intent", sa.String(128), nullable=True))
    with op.batch_alter_table("handover_handlings") as batch:
        batch.add_column(sa.Column("reason", sa.String(64), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(64), nullable=True))
        batch.add_column(sa.Column("last_intent", sa.String(128), nullable=True))
    op.create_index("ix_handover_handlings_sender", "handover_handlings", ["sender_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_handover_handlings_sender", "handover_handlings")
    with op.batch_alter_table("handover_handlings") as batch:
        for column in ("last_intent", "channel", "reason"):
            batch.drop_column(column)
    with op.batch_alter_table("handover_conversations") as batch:
        batch.drop_column("last_intent")
    op.drop_table("handover_suggestion_feedback")
    op.drop_index("ix_handover_suggestions_message", "handover_suggestions")
    op.drop_table("handover_suggestions")
