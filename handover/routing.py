"""Routing: offers queued conversations to agents, takes back what is not accepted or abandoned.

Each tick, in every `bot run` process (the database decides; version checks make concurrent
routers safe):
  1. offers that were not accepted in time expire; the agent who let one expire goes `away`;
  2. conversations of agents offline past the grace period go back to their queue (same place);
  3. queued conversations, highest priority then longest waiting, are offered to an eligible
     agent: online, in the team, with the skill and language, below capacity; a returning
     customer's last agent first, else the least loaded. Outside a team's business hours its
     queue waits (agents may still accept by hand).
A tick runs every second and whenever something changes (an escalation, an agent coming online
or freeing capacity), so a backlog drains as soon as someone can take it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from handover import store
from handover.ownership import IllegalTransition, Offer, OfferExpired, Reclaim
from handover.service import Change, HandoverService
from handover.store import StaleOwnership

__all__ = ["Router", "RoutingSettings", "eligible_agents"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoutingSettings:
    offer_timeout_seconds: float = 30.0
    offline_grace_seconds: float = 120.0
    tick_seconds: float = 1.0


class AtCapacity(Exception):
    """The agent filled up meanwhile (another process offered them something): try the next one."""


def eligible_agents(conversation: Mapping[str, Any], agents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agents who may be offered the conversation, best first: its last agent, then the least loaded."""
    team, skill, language = conversation.get("team"), conversation.get("skill"), conversation.get("language")
    fitting = [
        agent for agent in agents
        if agent["status"] == "online" and agent["load"] < agent["capacity"]
        and (team is None or not agent["teams"] or team in agent["teams"])
        and (skill is None or skill in agent["skills"])
        and (language is None or not agent["languages"] or language in agent["languages"])
    ]
    last = conversation.get("last_agent")
    return sorted(fitting, key=lambda agent: (agent["username"] != last, agent["load"],
                                              agent.get("status_changed_at") or 0.0))


class Router:
    """Runs routing ticks in the background of one process."""

    def __init__(self, service: HandoverService, settings: RoutingSettings | None = None, *,
                 is_open: Callable[[str | None, datetime], bool] | None = None) -> None:
        self.service = service
        self.settings = settings or RoutingSettings()
        self.is_open = is_open or (lambda team, now: True)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.on_tick: list[Callable[[float], Awaitable[None]]] = []  # e.g. queue position notices
        service.after_commit.append(self._on_change)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="handover-router")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _on_change(self, change: Change) -> None:
        if change.after.is_human or change.before.is_human:
            self.wake()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed tick (database briefly away) is retried on the next one
                logger.exception("handover routing tick failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.tick_seconds):
                    await self._wake.wait()

    async def tick(self) -> None:
        """One pass: expire offers, take back abandoned conversations, offer the queue."""
        now = self.service.clock()
        rows = await self.service.rows(states=["queued", "offered", "assigned"])
        agents = await self.service.tracker_store.run_in_transaction(store.load_agents, write=False)
        by_name = {agent["username"]: agent for agent in agents}
        for row in rows:
            if row["state"] == "offered" and (row["offer_expires_at"] or 0) <= now:
                await self._try(row["sender_id"], OfferExpired(row["offered_to"]), extra=_goes_away(row["offered_to"]))
            elif row["state"] == "assigned":
                agent = by_name.get(row["agent"])
                offline_since = (agent or {}).get("status_changed_at") or 0.0
                if (agent is None or agent["status"] == "offline") and \
                        now - offline_since >= self.settings.offline_grace_seconds:
                    await self._try(row["sender_id"], Reclaim(row["agent"]))
        await self._offer_queue(now)
        for step in self.on_tick:
            await step(now)

    async def _offer_queue(self, now: float) -> None:
        rows = await self.service.rows(states=["queued"])
        if not rows:
            return
        agents = await self.service.tracker_store.run_in_transaction(store.load_agents, write=False)
        wall = datetime.fromtimestamp(now, UTC)
        for row in rows:
            if not self.is_open(row["team"], wall):
                continue
            for agent in eligible_agents(row, agents):
                offered = await self._try(
                    row["sender_id"], Offer(agent["username"]),
                    extra=_below_capacity(agent["username"]),
                    fields={"offer_expires_at": now + self.settings.offer_timeout_seconds})
                if offered:
                    agent["load"] += 1
                    break

    async def _try(self, sender_id: str, command: Any, **options: Any) -> bool:
        try:
            await self.service.change(sender_id, command, **options)
            return True
        except (IllegalTransition, StaleOwnership, AtCapacity) as skipped:  # another process got there
            logger.debug("routing skipped %s for %s: %s", command, sender_id, skipped)
            return False


def _goes_away(username: str) -> Callable[[Connection, Change, float], None]:
    """An agent who let an offer expire is set away, so the queue does not wait on them again."""
    def extra(conn: Connection, change: Change, now: float) -> None:
        store.set_agent_status(conn, username, "away", now)
        change.feed.append(store.insert_feed(conn, "agent_status", now, {"username": username, "status": "away",
                                                                       "reason": "offer_expired"},
                                             agent=username))
    return extra


def _below_capacity(username: str) -> Callable[[Connection, Change, float], None]:
    """Recounts the agent's load under their row lock, so two routers never overfill them."""
    def extra(conn: Connection, change: Change, now: float) -> None:
        agent = store.lock_agent(conn, username)
        if agent is None or agent["status"] != "online":
            raise AtCapacity(username)
        # The offer itself is already written in this transaction, so it counts in the load.
        if store.agent_loads(conn).get(username, 0) > agent["capacity"]:
            raise AtCapacity(username)
    return extra
