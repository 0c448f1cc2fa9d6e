"""Alembic migrations of the tracker store's tables, run automatically when a store opens.

Run by hand (e.g. for a DBA) with: `alembic -c <ini with script_location=bot/stores/migrations>`;
the store itself calls `upgrade_to_head` on every start, which is a no-op when up to date.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Our own version table, so that the handover side (or the user) can run alembic in the same database.
VERSION_TABLE = "bot_tracker_store_version"


def upgrade_to_head(connection: Connection) -> None:
    """Brings the schema up to the newest revision, inside the caller's transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
