"""`HandoverRuntime`: what one `bot run` process holds for the human side, and the agents' operations.

The API calls these; each is one ownership change through the service (so events, feed and outbox
commit together) plus what follows it: the router wakes, the outbox delivers, consoles hear it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sanic import Sanic
from sqlalchemy.engine import Connection

from bot.shared.core.events import SlotSet
from handover import store, tables
from handover.agent_model import Agent, has_role
from handover.delivery import Outbox
from handover.login_limits import LoginRateLimiter
from handover.notices import notice_text
from handover.ownership import (
    Accept,
    ConversationState,
    DeclineOffer,
    HandBack,
    Ownership,
    Resolve,
    TakeOver,
    Transfer,
)
from handover.plugin import HandoverPlugin
from handover.routing import DECLINED_FEED_KIND
from handover.service import Change, agent_message_event

__all__ = ["HandoverRuntime", "runtime"]

logger = logging.getLogger(__name__)

TRANSCRIPT_EVENTS = 500


class HandoverRuntime:
    """The plugin, the agent directory, the login limiter and the outbox of one process."""

    def __init__(self, plugin: HandoverPlugin, directory: Any, outbox: Outbox, domain: Any = None,
                 login_limiter: LoginRateLimiter | None = None, processor: Callable[[], Any] | None = None,
                 assist: Any = None) -> None:
        self.plugin = plugin
        self.service = plugin.service
        self.directory = directory
        self.outbox = outbox
        self.domain = domain
        self.login_limiter = login_limiter or LoginRateLimiter()
        # The served model's processor, read at each call: `PUT /model` replaces it while the server runs.
        self.processor = processor
        self.assist = assist  # handover.assist.AgentAssist: suggestions for agents
        self.live_config: Any = None  # handover.live_config.LiveConfig, set by the server extension

    # -- visibility ------------------------------------------------------------------------------
    def may_see(self, agent: Agent, row: Mapping[str, Any]) -> bool:
        """Supervisors see all; agents their own, those offered to them, and their teams' queues."""
        if has_role(agent, "supervisor"):
            return True
        if agent.username in (row.get("agent"), row.get("offered_to"), row.get("last_agent")):
            return True
        return row.get("team") is None or not agent.teams or row.get("team") in agent.teams

    async def conversations_for(self, agent: Agent, state: str) -> list[dict[str, Any]]:
        if state == "all":
            return await self.service.rows(states=["queued", "offered", "assigned"])
        if state == "mine":
            return await self.service.rows(states=["assigned"], agent=agent.username)
        if state == "offered":
            return [row for row in await self.service.rows(states=["offered"], agent=agent.username)
                    if row["offered_to"] == agent.username]
        return [row for row in await self.service.rows(states=["queued", "offered"]) if self.may_see(agent, row)]

    async def conversation_exists(self, sender_id: str) -> bool:
        return (await self.service.tracker_store.read_since(sender_id, 2**31 - 1))[1] > 0

    async def details(self, sender_id: str) -> dict[str, Any]:
        """The transcript (customer, bot and agent messages with times, each with its event number `seq`),
        how far the customer's web chat has read (`read_watermark`: every seq up to it) and the private notes."""
        events, last_seq = await self.service.tracker_store.read_since(sender_id, 0)
        first_seq = last_seq - len(events) + 1  # event numbers are consecutive and end at last_seq
        start = max(0, len(events) - TRANSCRIPT_EVENTS)
        transcript = [{**_transcript_item(event), "seq": first_seq + index}
                      for index, event in enumerate(events[start:], start)
                      if event.get("event") in ("user", "bot") or str(event.get("event", "")).startswith("hand")]
        read_watermark = max((int(event.get("watermark") or 0) for event in events
                              if event.get("event") == "receipt" and event.get("status") == "read"), default=0)

        def notes(conn: Connection) -> list[dict[str, Any]]:
            query = (sa.select(tables.notes).where(tables.notes.c.sender_id == sender_id)
                     .order_by(tables.notes.c.id))
            return [dict(row) for row in conn.execute(query).mappings()]

        return {"transcript": transcript, "read_watermark": read_watermark,
                "notes": await self.service.tracker_store.run_in_transaction(notes, write=False)}

    async def tracker(self, sender_id: str) -> Any:
        """The conversation's tracker (its current session) under the served model's domain."""
        if self.processor is None:
            from bot.core.tracker import DialogueStateTracker

            events = await self.service.tracker_store.get_events(sender_id, since_last_session_start=True)
            return DialogueStateTracker.from_dicts(sender_id, events, self.domain)
        return await self.processor().fetch_tracker(sender_id)

    async def current_slots(self, sender_id: str) -> dict[str, Any]:
        """The conversation's slot values now (what the agent set at hand-back included)."""
        return dict((await self.tracker(sender_id)).current_slot_values())

    # -- agents' operations ------------------------------------------------------------------------
    async def set_presence(self, username: str, status: str) -> Agent:
        agent = await self.directory.set_status(username, status)
        await self.service.record(lambda conn, now: [store.insert_feed(
            conn, "agent_status", now, {"username": agent.username, "status": status}, agent=agent.username)])
        self.plugin.router.wake()  # a backlog drains as soon as someone comes online
        return agent

    async def present(self, agent: Agent) -> Agent:
        """An agent who works a conversation while `offline` is present: they go online.

        Integrations (a helpdesk acting by token) often never set a presence; left offline, routing
        would take their conversations back after the grace period. Away stays away (no new offers).
        """
        if agent.status != "offline" or agent.disabled:
            return agent
        return await self.set_presence(agent.username, "online")

    async def accept(self, agent: Agent, sender_id: str, arrived_at: float | None = None) -> dict[str, Any]:
        """Takes the conversation; the offer timeout is judged by `arrived_at`, when the request reached us.

        While the accept is handled this process's router does not expire its offer. If another
        process's router expired it meanwhile (setting the agent away), the agent answered in time:
        they are set online again, and the accept still succeeds while the conversation waits in the queue.
        """
        arrived_at = self.service.clock() if arrived_at is None else arrived_at
        username = agent.username
        change = None
        with self.plugin.router.accepting(sender_id, username, arrived_at):
            try:
                change = await self.service.change(sender_id, Accept(username))
            finally:
                offered_to_me = change is not None and change.before.state is ConversationState.OFFERED \
                    and change.before.offered_to == username
                if not offered_to_me:  # queued, or the offer is gone: did it run out after we got the accept?
                    await self.service.record(lambda conn, now: _undo_late_expiry(conn, username, sender_id,
                                                                                  arrived_at, now))
        await self.present(agent)
        return change.row or {}

    async def decline(self, agent: Agent, sender_id: str, reason: str | None) -> dict[str, Any]:
        """Turns down an offer: it goes to the next agent, and this one is not offered it again for a while.

        Unlike letting the offer run out, the agent stays online (they answered).
        """
        cooldown = self.plugin.settings.routing.decline_cooldown_seconds

        def extra(conn: Connection, change: Change, now: float) -> None:
            change.feed.append(store.insert_feed(conn, DECLINED_FEED_KIND, now, {
                "agent": agent.username, "reason": reason, "until": now + cooldown},
                sender_id=sender_id, agent=agent.username, team=change.after.team))

        change = await self.service.change(sender_id, DeclineOffer(agent.username), extra=extra)
        return change.row or {}

    async def agent_message(self, agent: Agent, sender_id: str, text: str) -> dict[str, Any]:
        """The reply as a `bot` event with the agent in its metadata; taking the conversation if needed."""
        await self.present(agent)

        def command(ownership: Ownership) -> TakeOver | None:
            mine = ownership.state is ConversationState.ASSIGNED and ownership.agent == agent.username
            return None if mine else TakeOver(agent.username)

        def extra(conn: Connection, change: Change, now: float) -> None:
            event = agent_message_event(text, agent.as_dict(), now)
            change.events.append(event)
            row = change.row or {}
            fields: dict[str, Any] = {"last_agent_message_at": now}
            if not row.get("first_response_at"):
                fields["first_response_at"] = now
            store.update_fields(conn, sender_id, now, **fields)
            change.outbox.extend(store.insert_outbox(conn, sender_id, row.get("channel"), change.after.version,
                                                     [_outgoing(event, sender_id)], now))
            change.feed.append(store.insert_feed(conn, "agent_message", now, {"text": text, "agent": agent.username,
                                                                          "timestamp": now},
                                                 sender_id=sender_id, agent=agent.username, team=change.after.team))

        change = await self.service.change(sender_id, command, extra=extra)
        await self.outbox.deliver(change.outbox)
        return change.events[-1]

    async def agent_typing(self, agent: Agent, row: Mapping[str, Any], on: bool) -> bool:
        """Forwards "typing" to the customer's channel when it can show it (the web chat can); True if shown."""
        output = self.outbox.outputs.get(row.get("channel")) if self.outbox.outputs is not None else None
        typing = getattr(output, "typing", None)
        if typing is None:
            return False
        return bool(await typing(row["sender_id"], on, {"id": agent.username,
                                                         "name": agent.display_name or agent.username}))

    async def add_note(self, agent: Agent, sender_id: str, text: str) -> dict[str, Any]:
        def work(conn: Connection, now: float) -> list[dict[str, Any]]:
            conn.execute(sa.insert(tables.notes).values(sender_id=sender_id, agent=agent.username, text=text,
                                                        created_at=now))
            return [store.insert_feed(conn, "note", now, {"agent": agent.username, "text": text},
                                      sender_id=sender_id)]

        items = await self.service.record(work)
        return {"conversation_id": sender_id, "agent": agent.username, "text": text,
                "created_at": items[0]["created_at"]}

    async def transfer(self, agent: Agent, sender_id: str, to_agent: str | None, to_team: str | None,
                       note: str | None) -> dict[str, Any]:
        if to_agent is not None:
            await self.directory.get_agent(to_agent)  # 404-style error for an unknown agent

        def extra(conn: Connection, change: Change, now: float) -> None:
            if note:
                conn.execute(sa.insert(tables.notes).values(sender_id=sender_id, agent=agent.username,
                                                            text=note, created_at=now))

        change = await self.service.change(sender_id, Transfer(agent.username, to_agent, to_team, note), extra=extra)
        return change.row or {}

    async def hand_back(self, agent: Agent, sender_id: str, reason: str | None,
                        slots: dict[str, Any]) -> dict[str, Any]:
        """Back to the bot: the slots the agent set, then the bot says so in the customer's language."""
        def extra(conn: Connection, change: Change, now: float) -> None:
            change.events.extend(SlotSet(name, value, timestamp=now).as_dict() for name, value in slots.items())
            language = (slots.get("language") or change.before.language
                        or ((change.row or {}).get("packet") or {}).get("language")
                        or self.plugin.settings.default_language)
            event = self._bot_notice("utter_handback", language, now)
            change.events.append(event)
            change.outbox.extend(store.insert_outbox(conn, sender_id, (change.row or {}).get("channel"),
                                                     change.after.version, [_outgoing(event, sender_id)], now))
            store.record_handling(conn, sender_id, change.row, "handed_back", now, change.before)

        change = await self.service.change(sender_id, HandBack(agent.username, reason), extra=extra)
        await self.outbox.deliver(change.outbox)
        return change.row or {}

    async def resolve(self, agent: Agent, sender_id: str) -> dict[str, Any]:
        def extra(conn: Connection, change: Change, now: float) -> None:
            store.record_handling(conn, sender_id, change.row, "resolved", now, change.before)

        change = await self.service.change(sender_id, Resolve(agent.username), extra=extra)
        return change.row or {}

    async def agents_overview(self) -> list[dict[str, Any]]:
        agents = await self.service.tracker_store.run_in_transaction(store.load_agents, write=False)
        return [{key: agent[key] for key in ("username", "display_name", "role", "teams", "skills", "languages",
                                             "capacity", "status", "load", "status_changed_at")}
                for agent in agents]

    def _bot_notice(self, name: str, language: str | None, now: float) -> dict[str, Any]:
        """A notice from the bot: the domain's response of that name if it has one, else the built-in text."""
        text = None
        if self.domain is not None:
            variation = self.domain.response_for(name, {"language": language})
            text = (variation or {}).get("text")
        return {"event": "bot", "timestamp": now, "text": text or notice_text(name, language), "data": {},
                "metadata": {"utter_action": name}}


def _undo_late_expiry(conn: Connection, username: str, sender_id: str, arrived_at: float,
                      now: float) -> list[dict[str, Any]]:
    """Sets the agent online again if routing set them away for letting this conversation's offer expire
    after their accept of it had arrived (it waited in a busy server); nothing otherwise."""
    agent = store.lock_agent(conn, username)
    if agent is None or agent["status"] != "away" or (agent["status_changed_at"] or 0) < arrived_at:
        return []
    if not store.offer_expired_since(conn, sender_id, username, arrived_at):
        return []
    store.set_agent_status(conn, username, "online", now)
    return [store.insert_feed(conn, "agent_status", now, {"username": username, "status": "online",
                                                          "reason": "accepted_in_time"}, agent=username)]


def _outgoing(event: Mapping[str, Any], sender_id: str) -> dict[str, Any]:
    """A stored `bot` event as a channel sends it (the REST reply shape, the agent in metadata)."""
    message: dict[str, Any] = {"recipient_id": sender_id}
    if event.get("text"):
        message["text"] = event["text"]
    for key, value in (event.get("data") or {}).items():
        if value:
            message[key] = value
    if (event.get("metadata") or {}).get("agent"):
        message["metadata"] = {"agent": event["metadata"]["agent"]}
    return message


def _transcript_item(event: Mapping[str, Any]) -> dict[str, Any]:
    kind = event.get("event")
    metadata = event.get("metadata") or {}
    if kind == "user":
        parse = event.get("parse_data") or {}
        return {"from": "customer", "text": event.get("text"), "timestamp": event.get("timestamp"),
                "intent": parse.get("intent"), "entities": parse.get("entities") or []}
    if kind == "bot":
        sender = "agent" if metadata.get("agent") else "bot"
        return {"from": sender, "text": event.get("text"), "timestamp": event.get("timestamp"),
                "agent": metadata.get("agent"), "delivered": not metadata.get("undelivered"),
                "data": event.get("data") or {}}
    return {"from": "system", "event": kind, "timestamp": event.get("timestamp"),
            **{k: v for k, v in event.items() if k not in ("event", "timestamp", "metadata")}}


def runtime(app: Sanic) -> HandoverRuntime:
    found = getattr(app.ctx, "handover", None)
    if found is None:
        from http import HTTPStatus

        from bot.server.errors import ApiError

        raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "HandoverStarting", "The handover is not running yet.")
    return found

