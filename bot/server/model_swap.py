"""Replacing the served model while the server runs (`PUT /model`), without dropping a request.

The new agent is built beside the old one and shares its tracker store, lock store, action executor,
ownership hook, plugin and listeners, so conversations continue where they were. It is warmed up before the
swap; a request that already holds the old agent finishes with it. The old model's objects are then
released: the server freezes its objects out of the garbage collector after start-up (app.py), so
they are unfrozen, collected and frozen again, or every swap would keep one old model alive.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from functools import partial
from pathlib import Path
from typing import Any

from sanic import Sanic

from bot.server.state import server_state

logger = logging.getLogger(__name__)


def _swap_lock(app: Sanic) -> asyncio.Lock:
    lock = getattr(app.ctx, "model_swap_lock", None)
    if lock is None:
        lock = app.ctx.model_swap_lock = asyncio.Lock()
    return lock


async def replace_model(app: Sanic, archive: Path) -> Any:
    """Loads `archive` next to the running agent and makes it the served one; returns the new agent."""
    from bot.core.agent import Agent

    state = server_state(app)
    async with _swap_lock(app):  # two swaps at once would build two models and keep the last
        old = state.require_agent()
        processor = old.processor
        load = partial(Agent.load, archive, tracker_store=processor.tracker_store, lock_store=processor.lock_store,
                       action_executor=processor.action_executor, ownership=processor.ownership,
                       listeners=processor.listeners, plugin=getattr(processor, "plugin", None),
                       max_number_of_predictions=processor.max_number_of_predictions)
        new = await asyncio.get_running_loop().run_in_executor(None, load)
        # The background jobs (event publisher, retention) run on, owned by the served agent.
        new.publisher, new.retention = old.publisher, old.retention
        try:
            await new.warm_up()
        except Exception:  # only the first message's speed is at stake
            logger.warning("warming up the new model failed", exc_info=True)
        state.agent = new
        logger.info("serving model %s (was %s)", new.model.path, old.model.path)
        del old, processor, load
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    return new
