"""Alembic migrations of the tracker store's tables, run automatically when a store opens.

Run by hand (e.g. for a DBA) with: `alembic -c <ini with script_location=bot/stores/migrations>`;
the store itself calls `upgrade_to_head` on every start, which is a no-op when up to date.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Our own version table, so that the handover side (or the user) can run alembic in the same database.
VERSION_TABLE = "bot_tracker_store_version"
# The newest revision in versions/ (a test checks it against alembic's own view). Knowing it lets
# an up-to-date database open without importing alembic, ~0.2 s of `bot run`'s start-up.
HEAD_REVISION = "0001"


def upgrade_to_head(connection: Connection) -> None:
    """Brings the schema up to the newest revision, inside the caller's transaction."""
    if current_revision(connection) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None before the first migration."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
