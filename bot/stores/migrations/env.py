"""Alembic environment of the tracker store's tables (see `bot.stores.migrations.upgrade`)."""

from bot.stores.migrations import run_online_migrations

run_online_migrations()
