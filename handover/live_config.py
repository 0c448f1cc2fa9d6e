"""Teams, business hours and SLA policies as the database has them, in every `bot run` process.

An API edit commits, then publishes a `config` feed item; every process's follower reloads its
plugin's settings on it (Redis pub/sub carries it across processes). A lost wake-up is caught by a
periodic reload, as the consoles catch up from the feed table: the database stays the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

from handover.config_store import sla_policies_in, teams_in

__all__ = ["CONFIG_FEED_KIND", "LiveConfig"]

logger = logging.getLogger(__name__)

CONFIG_FEED_KIND = "config"


class LiveConfig:
    """Keeps `plugin.settings.teams` and `.sla_policies` equal to the tables; start it after `sync_config`."""

    def __init__(self, plugin: Any, refresh_seconds: float = 30.0) -> None:
        self.plugin = plugin
        self.refresh_seconds = refresh_seconds
        self._task: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        def read(conn: Any) -> tuple[Any, Any]:
            return teams_in(conn), sla_policies_in(conn)

        teams, policies = await self.plugin.service.tracker_store.run_in_transaction(read, write=False)
        self.plugin.settings = dataclasses.replace(self.plugin.settings, teams={team.name: team for team in teams},
                                                   sla_policies=policies)
        self.plugin.router.wake()  # a team that just opened (new hours) gets its queue offered now

    async def start(self) -> None:
        subscription = self.plugin.service.broadcaster.subscribe()  # before the first read: nothing slips by
        await self.reload()
        self._task = asyncio.create_task(self._follow(subscription), name="handover-live-config")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _follow(self, subscription: Any) -> None:
        try:
            while True:
                changed = False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.refresh_seconds):
                        while not changed:
                            changed = (await subscription.get()).get("kind") == CONFIG_FEED_KIND
                # The loop also drops other feed items; an overflow means one may have been a config change.
                subscription.overflowed = False
                try:
                    await self.reload()
                except Exception:  # the database is briefly away: the next change or refresh retries
                    logger.warning("could not reload the handover's teams and SLA policies", exc_info=True)
        finally:
            subscription.close()
