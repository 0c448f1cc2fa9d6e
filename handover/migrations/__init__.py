"""Alembic migrations of the handover tables, in the tracker store's database, run when handover starts.

They keep their own version table, so the tracker store's migrations and these never step on each
other. `upgrade_handover_to_head` runs inside the caller's transaction
(`SQLTrackerStore.run_in_transaction`) and is a no-op when the schema is up to date.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.stores.migrations import revision_in, upgrade

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "handover_schema_version"
HEAD_REVISION = "h0003"  # the newest revision in versions/ (a test checks it against alembic's view)


# The tracker store's migration lock: processes starting at once create the tables one after another.
_MIGRATION_LOCK_ID = 7_271_845_301


def upgrade_handover_to_head(connection: Connection) -> None:
    """Brings the handover tables up to the newest revision, inside the caller's transaction.

    On PostgreSQL the transaction first takes an advisory lock, so two `bot run` processes starting
    together do not both create the tables (PostgreSQL would refuse the second with a duplicate type).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
    upgrade(connection, MIGRATIONS_DIR, VERSION_TABLE, HEAD_REVISION)


def current_revision(connection: Connection) -> str | None:
    """The revision the handover tables are at; None before the first migration."""
    return revision_in(connection, VERSION_TABLE)
