"""Alembic environment of the handover tables (see `bot.stores.migrations.upgrade`)."""

from bot.stores.migrations import run_online_migrations

run_online_migrations()
