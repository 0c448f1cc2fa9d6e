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
HEAD_REVISION = "0003"


def upgrade_to_head(connection: Connection) -> None:
    """Brings the schema up to the newest revision, inside the caller's transaction."""
    upgrade(connection, MIGRATIONS_DIR, VERSION_TABLE, HEAD_REVISION)


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None before the first migration."""
    return revision_in(connection, VERSION_TABLE)


def upgrade(connection: Connection, directory: Path, version_table: str, head: str) -> None:
    """Runs the alembic migrations in `directory` (tracked in `version_table`) up to `head`.

    Shared by every set of tables in the database (the tracker's, the handover's); each keeps its
    own version table, and `env.py` in each directory calls `run_online_migrations`.
    """
    if connection.dialect.name == "postgresql":
        # Two processes starting at once (a deploy) would both create the tables and one would fail on
        # PostgreSQL's catalog; the second waits here until the first commits, then finds them current.
        import zlib

        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(zlib.crc32(version_table.encode()))))
    if revision_in(connection, version_table) == head:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table
    command.upgrade(config, "head")


def revision_in(connection: Connection, version_table: str) -> str | None:
    """The revision recorded in `version_table`; None before the first migration."""
    if not sa.inspect(connection).has_table(version_table):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalar()


def run_online_migrations() -> None:
    """The body of an alembic env.py: always online, on the connection `upgrade` handed over."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:  # only when someone runs the alembic CLI without our runner
        raise RuntimeError("Run these migrations through bot.stores.migrations.upgrade().")
    context.configure(connection=connection, target_metadata=None,
                      version_table=context.config.attributes["version_table"])
    with context.begin_transaction():
        context.run_migrations()
