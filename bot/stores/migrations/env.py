"""Alembic environment: always online, on the connection `upgrade_to_head` hands over."""

from __future__ import annotations

from alembic import context

from bot.stores.migrations import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI without our runner
    raise RuntimeError("Run tracker store migrations through bot.stores.migrations.upgrade_to_head().")

context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
