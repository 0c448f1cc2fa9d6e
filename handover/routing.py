"""Routing: offers queued conversations to agents, takes back what is not accepted or abandoned.

Each tick, in every `bot run` process (the database decides; version checks make concurrent
routers safe):
  1. offers that were not accepted in time expire; the agent who let one expire goes `away`;
  2. conversations of agents offline past the grace period go back to their queue (same place);
  3. queued conversations, highest priority then longest waiting, are offered to an eligible
     agent: online, in the team, with the skill and language, below capacity; a returning
     customer's last agent first, else the least loaded. Outside a team's business hours its
     queue waits (agents may still accept by hand).
A full tick runs every second. In between, whenever the queue grows or capacity frees (an
escalation, an agent coming online, a resolve), only step 3 runs at once, so a backlog drains as
soon as someone can take it. That pass first asks whether any agent has room, so a burst of
escalations while everyone is busy costs one small query each, not a read of the whole queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from handover import store
from handover.ownership import ConversationState, IllegalTransition, Offer, OfferExpired, Reclaim
from handover.service import Change, HandoverService
from handover.store import StaleOwnership

__all__ = ["DECLINED_FEED_KIND", "Router", "RoutingSettings", "eligible_agents"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoutingSettings:
    offer_timeout_seconds: float = 30.0
    offline_grace_seconds: float = 120.0
    tick_seconds: float = 1.0
    decline_cooldown_seconds: float = 300.0  # an agent who declined is not offered that conversation again sooner


DECLINED_FEED_KIND = "offer_declined"


class AtCapacity(Exception):
    """The agent filled up meanwhile (another process offered them something): try the next one."""


def eligible_agents(conversation: Mapping[str, Any], agents: list[dict[str, Any]],
                    excluded: Collection[str] = ()) -> list[dict[str, Any]]:
    """Agents who may be offered the conversation, best first: its last agent, then the least loaded.

    `excluded`: agents who declined it lately.
    """
    team, skill, language = conversation.get("team"), conversation.get("skill"), conversation.get("language")
    fitting = [
        agent for agent in agents
        if agent["status"] == "online" and agent["load"] < agent["capacity"] and agent["username"] not in excluded
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
        self._listener: asyncio.Task[None] | None = None
        # (conversation, agent) -> until when that agent is not offered it again (they declined it).
        self._declined: dict[tuple[str, str], float] = {}
        # (conversation, agent) -> when accepts of it reached this process and are still being handled.
        self._accepting: dict[tuple[str, str], list[float]] = {}
        self.on_tick: list[Callable[[float], Awaitable[None]]] = []  # e.g. queue position notices
        service.after_commit.append(self._on_change)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="handover-router")
        self._listener = asyncio.create_task(self._hear_declines(self.service.broadcaster.subscribe()),
                                             name="handover-router-declines")

    async def stop(self) -> None:
        for task in (self._task, self._listener):
            if task is not None:
                task.cancel()
                await asyncio.wait({task}, timeout=5)
        self._task = self._listener = None

    def wake(self) -> None:
        self._wake.set()

    async def _on_change(self, change: Change) -> None:
        for item in change.feed:  # this process's declines count before the offer pass this wakes
            self._note_decline(item)
        if _may_route(change):
            self.wake()

    def _note_decline(self, item: Mapping[str, Any]) -> None:
        if item.get("kind") == DECLINED_FEED_KIND and item.get("conversation_id") and item.get("agent"):
            self._declined[(item["conversation_id"], item["agent"])] = float(item["data"]["until"])

    async def _hear_declines(self, subscription: Any) -> None:
        """Declines made through other processes (the feed reaches every process), so no router re-offers."""
        try:
            while True:
                self._note_decline(await subscription.get())
        finally:
            subscription.close()

    def declined_by(self, sender_id: str, now: float) -> set[str]:
        """Agents who declined the conversation and are not to be offered it yet."""
        expired = [key for key, until in self._declined.items() if until <= now]
        for key in expired:
            del self._declined[key]
        return {agent for (conversation, agent) in self._declined if conversation == sender_id}

    @contextlib.contextmanager
    def accepting(self, sender_id: str, agent: str, arrived_at: float) -> Iterator[None]:
        """While an accept that arrived at `arrived_at` is handled here, its offer does not expire.

        A busy server can take longer than the offer timeout to get to an accept; the agent answered in
        time, so expiring the offer (and setting them away) would punish them for the server's backlog.
        """
        key = (sender_id, agent)
        self._accepting.setdefault(key, []).append(arrived_at)
        try:
            yield
        finally:
            times = self._accepting.get(key, [])
            times.remove(arrived_at)
            if not times:
                self._accepting.pop(key, None)

    def _accept_on_its_way(self, row: Mapping[str, Any]) -> bool:
        """An accept of this offer reached this process before the offer ran out and is still handled."""
        arrivals = self._accepting.get((row["sender_id"], row["offered_to"]), [])
        return any(arrived <= (row["offer_expires_at"] or 0) for arrived in arrivals)

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_full = loop.time()
        while True:
            try:
                if loop.time() >= next_full:
                    next_full = loop.time() + self.settings.tick_seconds
                    await self.tick()
                else:
                    await self._offer_queue(self.service.clock())
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed tick (database briefly away) is retried on the next one
                logger.exception("handover routing tick failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(next_full - loop.time(), 0.0)):
                    await self._wake.wait()

    async def tick(self) -> None:
        """One pass: expire offers, take back abandoned conversations, offer the queue."""
        now = self.service.clock()
        rows = await self.service.rows(states=["offered", "assigned"], with_packet=False)
        agents = await self.service.tracker_store.run_in_transaction(store.load_agents, write=False)
        by_name = {agent["username"]: agent for agent in agents}
        for row in rows:
            if row["state"] == "offered" and (row["offer_expires_at"] or 0) <= now:
                if self._accept_on_its_way(row):
                    continue
                await self._try(row["sender_id"], OfferExpired(row["offered_to"]), **_goes_away(row["offered_to"]))
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
        def read(conn: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            agents = store.load_agents(conn)
            if not any(agent["status"] == "online" and agent["load"] < agent["capacity"] for agent in agents):
                return [], agents  # nobody has room: the queue waits, unread
            return store.list_rows(conn, states=["queued"], with_packet=False), agents

        rows, agents = await self.service.tracker_store.run_in_transaction(read, write=False)
        if not rows:
            return
        wall = datetime.fromtimestamp(now, UTC)
        for row in rows:
            if not self.is_open(row["team"], wall):
                continue
            for agent in eligible_agents(row, agents, self.declined_by(row["sender_id"], now)):
                offered = await self._try(
                    row["sender_id"], Offer(agent["username"]),
                    guard=_below_capacity(agent["username"]),
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


def _may_route(change: Change) -> bool:
    """Whether a change can let routing offer something: the queue grew, or an agent's capacity freed."""
    before, after = change.before, change.after
    if after.state is ConversationState.QUEUED and before.state is not ConversationState.QUEUED:
        return True
    held_before = before.agent or before.offered_to
    return held_before is not None and held_before != (after.agent or after.offered_to)


def _goes_away(username: str) -> dict[str, Callable[[Connection, Change, float], None]]:
    """An agent who let an offer expire is set away, so the queue does not wait on them again.

    The status changes in the guard, with the other row writes; the feed's ordering lock is taken by the
    transaction's last statement (`store.flush_feed`), after every row lock, so two routers cannot
    deadlock on an agent's row.
    """
    def guard(conn: Connection, change: Change, now: float) -> None:
        store.set_agent_status(conn, username, "away", now)

    def extra(conn: Connection, change: Change, now: float) -> None:
        change.feed.append(store.insert_feed(conn, "agent_status", now, {"username": username, "status": "away",
                                                                       "reason": "offer_expired"},
                                             agent=username))
    return {"guard": guard, "extra": extra}


def _below_capacity(username: str) -> Callable[[Connection, Change, float], None]:
    """Recounts the agent's load under their row lock, so two routers never overfill them."""
    def guard(conn: Connection, change: Change, now: float) -> None:
        agent = store.lock_agent(conn, username)
        if agent is None or agent["status"] != "online":
            raise AtCapacity(username)
        # The offer itself is already written in this transaction, so it counts in the load.
        if store.agent_loads(conn).get(username, 0) > agent["capacity"]:
            raise AtCapacity(username)
    return guard
