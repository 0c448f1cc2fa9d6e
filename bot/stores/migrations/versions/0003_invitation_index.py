"""An index for the web chat's invitation counts (`GET /webchat/invitations`).

The counts read the `invitation` events of a time range. Without an index that is a scan of the
whole events table, every conversation's every event. The index is partial: it holds only
invitation events, so the appends of all other events (nearly all of them) do not pay for it.
A query uses it when its condition names the type as a literal (`type_name = 'invitation'`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INVITATIONS = sa.text("type_name = 'invitation'")


def upgrade() -> None:
    op.create_index("ix_events_invitations", "events", ["timestamp"],
                    postgresql_where=_INVITATIONS, sqlite_where=_INVITATIONS)


def downgrade() -> None:
    op.drop_index("ix_events_invitations", table_name="events")
