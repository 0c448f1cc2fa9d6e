"""The handover service: every ownership change, as one transaction with its events, feed and outbox.

Agents, routing and the bot's own turns all change ownership through here:
  - `change(sender_id, command)`: a person or the router acts (accept, offer, transfer, hand back...).
    The state machine (`handover.ownership.apply`) decides; the new owner (checked against the
    version read), the events it emits, feed items and outbox rows commit together.
  - `write_turn(...)`: the processor writes a bot turn. Handover events in the turn (from
    `action_handover`, or the customer withdrawing) change ownership in the same transaction, and a
    turn whose owner changed while it ran is recorded but not delivered.
After the commit, feed items are published to the consoles and outbox rows are delivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from bot.core.plugin import WrittenTurn
from bot.shared.core.events import BotUttered
from bot.shared.errors import ConcurrentAppend
from bot.stores.sql_tracker_store import SQLTrackerStore, append_in_transaction
from handover import store
from handover.migrations import upgrade_handover_to_head
from handover.ownership import (
    Command,
    ConversationState,
    IllegalTransition,
    Ownership,
    Transition,
    apply,
    command_from_event,
)
from handover.realtime import Broadcaster, InProcessBroadcaster

__all__ = ["Change", "HandoverService", "agent_message_event"]

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass
class Change:
    """What one transaction did: the ownership before and after, and what goes out after the commit."""

    before: Ownership
    after: Ownership
    events: list[dict[str, Any]] = field(default_factory=list)
    feed: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)
    row: dict[str, Any] | None = None


# What the turn writer needs to know about the conversation to fill the packet: given by the plugin.
PacketBuilder = Callable[[Ownership, dict[str, Any] | None, float], Mapping[str, Any]]


class HandoverService:
    """Ownership changes and reads over the handover tables in the tracker store's database."""

    def __init__(self, tracker_store: SQLTrackerStore, *, broadcaster: Broadcaster | None = None,
                 clock: Clock = time.time) -> None:
        self.tracker_store = tracker_store
        self.broadcaster = broadcaster or InProcessBroadcaster()
        self.clock = clock
        # Called after every commit that queued work for them (the router, the outbox's sender).
        self.after_commit: list[Callable[[Change], Awaitable[None]]] = []
        self._feed_reads: dict[int, asyncio.Future[list[dict[str, Any]]]] = {}  # after id -> the read under way

    async def start(self) -> None:
        await self.tracker_store.run_in_transaction(upgrade_handover_to_head)
        await self.broadcaster.start()

    async def close(self) -> None:
        await self.broadcaster.close()

    # -- reads -------------------------------------------------------------------------------------
    async def ownership(self, sender_id: str) -> Ownership:
        return (await self.tracker_store.run_in_transaction(store.load_ownership, sender_id, write=False))[0]

    async def row(self, sender_id: str) -> dict[str, Any] | None:
        return await self.tracker_store.run_in_transaction(store.load_row, sender_id, write=False)

    async def rows(self, **filters: Any) -> list[dict[str, Any]]:
        """Handover rows (see `store.list_rows` for the filters, `with_packet=False` for the light read)."""
        return await self.tracker_store.run_in_transaction(lambda conn: store.list_rows(conn, **filters),
                                                           write=False)

    async def feed_since(self, after_id: int) -> list[dict[str, Any]]:
        """Feed items after `after_id`. Consoles that catch up from the same id at once share one read:
        a gap in the live feed (items of two processes arriving out of order) reaches every console of
        this process together, and twenty identical reads would only slow down the writes filling it."""
        pending = self._feed_reads.get(after_id)
        if pending is None:
            pending = asyncio.ensure_future(
                self.tracker_store.run_in_transaction(store.feed_since, after_id, write=False))
            self._feed_reads[after_id] = pending
            pending.add_done_callback(lambda _: self._feed_reads.pop(after_id, None))
        return list(await asyncio.shield(pending))

    async def last_feed_id(self) -> int:
        return await self.tracker_store.run_in_transaction(store.last_feed_id, write=False)

    # -- changes by people and the router ------------------------------------------------------------
    async def change(self, sender_id: str, command: Command | Callable[[Ownership], Command | None] | None, *,
                     extra: Callable[[Connection, Change, float], None] | None = None,
                     guard: Callable[[Connection, Change, float], None] | None = None,
                     fields: Mapping[str, Any] | None = None) -> Change:
        """Applies `command` (IllegalTransition if the state does not allow it) in one transaction.

        With `command` None the owner stays as it is (an assigned agent's reply) and only `extra` runs.
        A callable `command` is given the current ownership (read under the row lock) and returns the
        command, or None: "take it over unless it is mine" without a read of its own.

        `guard(conn, change, now)` runs right after the new owner is written and before any feed item:
        it may raise to roll the change back (the router's capacity check), leaving no gap in feed ids.
        `extra(conn, change, now)` runs in the same transaction after the transition: it may add
        events to `change.events` (appended after the transition's), feed items and outbox rows.
        """
        def work(conn: Connection) -> Change:
            now = self.clock()
            before, row = store.load_ownership(conn, sender_id, for_update=True)
            decided = command(before) if callable(command) else command
            transition = apply(before, decided, now) if decided is not None else Transition(before, [])
            change = Change(before, transition.ownership, list(transition.events), row=row)
            if decided is not None:
                store.save_ownership(conn, sender_id, change.after, before.version, now,
                                     **{**_timestamps(before, change.after, now), **dict(fields or {})})
                change.row = store.current_row(conn, sender_id)
                if guard is not None:
                    guard(conn, change, now)
                change.feed[:0] = _state_feed(conn, sender_id, change, now)
            if extra is not None:
                extra(conn, change, now)
                change.row = store.current_row(conn, sender_id)  # extra may have changed columns
            append_in_transaction(conn, sender_id, change.events)
            store.flush_feed(conn)  # last: the feed's ordering lock is held only until the commit
            return change

        change = await self.tracker_store.run_in_transaction(work)
        await self._after(change)
        return change

    async def record(self, work: Callable[[Connection, float], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Runs `work(conn, now)` (no ownership change: a note, a presence change) and publishes its feed."""
        def run(conn: Connection) -> list[dict[str, Any]]:
            items = work(conn, self.clock())
            store.flush_feed(conn)
            return items

        items = await self.tracker_store.run_in_transaction(run)
        await self.broadcaster.publish_many(items)
        return items

    async def queue_notice(self, sender_id: str, text: str, notice: Mapping[str, Any]) -> Change:
        """A bot message to a waiting customer (new position or wait), through the outbox."""
        def extra(conn: Connection, change: Change, now: float) -> None:
            event = BotUttered(text, {}, metadata={"utter_action": "utter_handover_queue_update"},
                               timestamp=now).as_dict()
            change.events.append(event)
            row = change.row or {}
            store.update_fields(conn, sender_id, now, last_notice=dict(notice))
            change.outbox.extend(store.insert_outbox(conn, sender_id, row.get("channel"), change.after.version,
                                                     [{"recipient_id": sender_id, "text": text}], now))

        change = await self.change(sender_id, None, extra=extra)
        return change

    async def sla_warning(self, row: Mapping[str, Any], kind: str, state: str, due: float,
                          seconds_left: float) -> None:
        """Tells the conversation's agent (or team) that a clock turned amber/red; records a breach once."""
        sender_id = row["sender_id"]

        def work(conn: Connection, now: float) -> list[dict[str, Any]]:
            if state == "breached" and not store.breach_recorded(conn, sender_id, kind, due):
                store.record_breach(conn, sender_id, kind, due, now, row.get("agent"), row.get("team"))
            return [store.insert_feed(conn, "sla_warning", now, {
                "clock": kind, "state": state, "due": due, "seconds_left": round(seconds_left, 1)},
                sender_id=sender_id, agent=row.get("agent"), team=row.get("team"))]

        await self.record(work)

    async def record_notice(self, sender_id: str, notice: Mapping[str, Any]) -> None:
        """Remembers what the customer was told (without telling them anything)."""
        await self.tracker_store.run_in_transaction(
            lambda conn: store.update_fields(conn, sender_id, self.clock(), last_notice=dict(notice)))

    # -- the bot's turns ---------------------------------------------------------------------------
    async def write_turn(self, sender_id: str, events: Sequence[dict[str, Any]], expected_seq: int,
                         owner_version: int | None, packet: PacketBuilder | None = None,
                         channel: str | None = None) -> tuple[WrittenTurn, Change]:
        """Appends a turn; ownership changes its handover events carry commit with it."""
        def work(conn: Connection) -> tuple[WrittenTurn, Change]:
            now = self.clock()
            before, row = store.load_ownership(conn, sender_id, for_update=True)
            deliver = owner_version is None or before.version == owner_version
            after = before
            for event in events:
                command = command_from_event(event)
                if command is None:
                    continue
                try:
                    after = apply(after, command, now).ownership
                except IllegalTransition as refused:  # recorded as it happened; ownership stays
                    logger.warning("conversation %s: %s", sender_id, refused)
            turn = [event if deliver or event.get("event") != "bot" else _undelivered(event) for event in events]
            try:
                last_seq = append_in_transaction(conn, sender_id, turn, expected_seq)
            except ConcurrentAppend:  # an agent or notice came first: the turn follows it
                last_seq = append_in_transaction(conn, sender_id, turn)
            change = Change(before, after, row=row)
            fields: dict[str, Any] = {}
            said = [event for event in events if event.get("event") == "user"]
            if after.is_human and said:
                fields.update(last_customer_message_at=now, channel=channel or (row or {}).get("channel"),
                              last_intent=((said[-1].get("parse_data") or {}).get("intent") or {}).get("name"))
            if after != before:
                if packet is not None and after.state is ConversationState.QUEUED and not before.is_human:
                    built = dict(packet(after, row, now))
                    if isinstance(built.get("customer"), Mapping):  # their earlier conversations with people
                        built["customer"] = {**built["customer"],
                                             "previous_conversations": store.previous_conversations(conn, sender_id)}
                    fields.update(packet=built, channel=channel, **_deadlines(built))
                store.save_ownership(conn, sender_id, after, before.version, now,
                                     **{**_timestamps(before, after, now), **fields})
                change.row = store.current_row(conn, sender_id)
                change.feed[:0] = _state_feed(conn, sender_id, change, now)
            elif fields and row is not None:
                store.update_fields(conn, sender_id, now, **fields)
            if before.is_human and after.is_human:
                for event in events:
                    if event.get("event") == "user":
                        change.feed.append(store.insert_feed(
                            conn, "customer_message", now, _message_payload(event), sender_id=sender_id,
                            agent=after.agent or after.offered_to, team=after.team))
                    elif event.get("event") == "receipt" and event.get("status") == "read":
                        change.feed.append(store.insert_feed(
                            conn, "read", now, _read_payload(event, now), sender_id=sender_id,
                            agent=after.agent or after.offered_to, team=after.team))
            change.row = store.current_row(conn, sender_id) if change.feed else row
            store.flush_feed(conn)
            return WrittenTurn(last_seq, deliver), change

        written, change = await self.tracker_store.run_in_transaction(work)
        await self._after(change)
        return written, change

    async def _after(self, change: Change) -> None:
        await self.broadcaster.publish_many(change.feed)
        for hook in self.after_commit:
            try:
                await hook(change)
            except Exception:  # the commit stands; the hook's own retry (router tick, outbox) catches up
                logger.exception("handover after-commit hook failed")


def _read_payload(event: dict[str, Any], now: float) -> dict[str, Any]:
    """The customer's widget showed every message up to event number `watermark`; `message_id` is the
    newest of them as the web chat names it (bot/channels/webchat.py: "m<number>")."""
    watermark = int(event.get("watermark") or 0)
    return {"message_id": f"m{watermark}", "watermark": watermark, "read_at": event.get("timestamp") or now}


def _undelivered(event: dict[str, Any]) -> dict[str, Any]:
    """A bot message of a turn whose owner changed while it ran: kept in the record, never sent."""
    # "delivered": False is what channels with catch-up skip (bot/channels/output.py); "undelivered" says why.
    return {**event, "metadata": {**(event.get("metadata") or {}), "delivered": False, "undelivered": "owner_changed"}}


def _timestamps(before: Ownership, after: Ownership, now: float) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if after.state is ConversationState.ASSIGNED and (before.state is not ConversationState.ASSIGNED
                                                      or before.agent != after.agent):
        fields["assigned_at"] = now
    if after.state is ConversationState.OFFERED:
        fields["offer_expires_at"] = None  # the router sets the real expiry with its offer
    return fields


def _deadlines(packet: Mapping[str, Any]) -> dict[str, Any]:
    sla = packet.get("sla") or {}
    return {key: sla.get(key) for key in ("first_response_due", "resolution_due") if key in sla} | (
        {"sla_policy": sla["policy"]} if sla.get("policy") else {})


def _message_payload(event: Mapping[str, Any]) -> dict[str, Any]:
    parse = event.get("parse_data") or {}
    return {"text": event.get("text"), "timestamp": event.get("timestamp"),
            "intent": parse.get("intent"), "entities": parse.get("entities") or []}


def _state_feed(conn: Connection, sender_id: str, change: Change, now: float) -> list[dict[str, Any]]:
    """The conversation's new state for everyone who sees its team, then an offer item for the offered agent.

    In that order, so the ids a console receives follow each other (a gap makes it catch up from the table).
    """
    after = change.after
    data = {"state": str(after.state), "version": after.version, "owner": list(after.owner), "team": after.team,
            "agent": after.agent, "offered_to": after.offered_to, "priority": after.priority,
            "reason": after.reason, "queued_at": after.queued_at, "previous_state": str(change.before.state),
            "previous_agent": change.before.agent}
    items = [store.insert_feed(conn, "conversation", now, data, sender_id=sender_id, team=after.team)]
    if after.state is ConversationState.OFFERED:
        row = change.row or {}
        items.append(store.insert_feed(conn, "offer", now, {
            **data, "offer_expires_at": row.get("offer_expires_at"), "packet": row.get("packet") or {},
            "channel": row.get("channel")}, sender_id=sender_id, agent=after.offered_to, team=after.team))
    return items


def agent_message_event(text: str, agent: Mapping[str, Any], now: float) -> dict[str, Any]:
    """An agent's reply as the tracker keeps it: a `bot` event with the agent in its metadata."""
    return BotUttered(text, {}, metadata={"agent": {"id": agent["username"], "name": agent.get("display_name")
                                                    or agent["username"]}}, timestamp=now).as_dict()

