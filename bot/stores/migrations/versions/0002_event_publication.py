"""Event publication (how far each conversation's events went out to the event broker) and the audit log.

`conversations.published_seq` is the outbox: events above it are not yet confirmed by the
broker. It commits with the events it counts (the append bumps `last_seq` in the same
statement), so nothing stored can be missed. The partial index finds the conversations with
something to publish without scanning the rest. `event_broker_state` remembers that publishing
began, so events stored before the first broker was configured are left to `bot export`.
`audit_log` records exports and erasures of customer data (GDPR) without the data itself.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UNPUBLISHED = sa.text("last_seq > published_seq")


def upgrade() -> None:
    op.add_column("conversations", sa.Column("published_seq", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_conversations_unpublished", "conversations", ["last_event_at"],
                    postgresql_where=_UNPUBLISHED, sqlite_where=_UNPUBLISHED)
    op.create_table(
        "event_broker_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("publishing_since", sa.Float, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        # a pseudonym (hash) of the customer id, never the id: the log outlives the erasure
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("event_broker_state")
    op.drop_index("ix_conversations_unpublished", table_name="conversations")
    op.drop_column("conversations", "published_seq")
