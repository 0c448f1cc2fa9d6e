"""Canned replies remember whether handover.yml made them, so a reply removed from the file goes too.

Revision ID: h0002
Revises: h0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot alter a table in place; alembic copies it where needed.
    with op.batch_alter_table("handover_canned_replies") as batch:
        batch.add_column(sa.Column("source", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handover_canned_replies") as batch:
        batch.drop_column("source")
