"""`tracker_store: retention_days`: `bot run` erases conversations idle for longer, periodically.

Every process runs the pass (each erasure is idempotent and takes the conversation's lock), so
the job needs no coordination; `bot data apply-retention` runs the same pass once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.shared.tasks import cancel_and_wait
from bot.stores.customer_data import CustomerData, retention_settings

__all__ = ["RetentionJob"]

logger = logging.getLogger(__name__)


class RetentionJob:
    """Erases conversations idle for more than `days`, every `interval` seconds, in the background."""

    def __init__(self, customer_data: CustomerData, days: float, interval: float) -> None:
        self.customer_data = customer_data
        self.days = days
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_endpoint(cls, section: Any, tracker_store: Any, lock_store: Any) -> RetentionJob | None:
        """The job endpoints.yml's tracker_store asks for; None without `retention_days`."""
        days, interval = retention_settings(section)
        if days is None:
            return None
        return cls(CustomerData(tracker_store, lock_store), days, interval)

    def start(self) -> None:
        logger.info("retention: conversations idle for more than %g day(s) are erased every %g minute(s)",
                    self.days, self.interval / 60)
        self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        while True:
            try:
                await self.customer_data.apply_retention(self.days, actor="retention")
            except asyncio.CancelledError:
                raise
            except Exception:  # a store outage: the next pass catches up
                logger.exception("retention: the pass failed; trying again in %g minute(s)", self.interval / 60)
            await asyncio.sleep(self.interval)
