"""`HandoverPlugin`: the human side, plugged into the processor and the server as one object.

It answers the processor's questions (who owns this conversation? write this turn, with any
ownership change it carries), brings `action_handover`, and owns the service, the router and the
background work. `bot run` builds it when the tracker store is SQL (the embedded default is).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.actions.action import Action, ActionContext
from bot.core.plugin import Owner, WrittenTurn
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.events import BotUttered, Event, HandoverCancelled, HandoverRequested
from handover import store
from handover.notices import notice_text
from handover.ownership import ConversationState, Ownership
from handover.packet import build_packet
from handover.routing import Router, RoutingSettings, eligible_agents
from handover.service import HandoverService

__all__ = ["HandoverPlugin", "HandoverSettings"]

logger = logging.getLogger(__name__)

ACTION_HANDOVER = "action_handover"
DEFAULT_WAIT_SECONDS = 180.0  # expected handling time before any handling was measured


@dataclass(frozen=True)
class HandoverSettings:
    """What the plugin needs from handover.yml (teams, routing) and the domain (cancel intents)."""

    default_team: str | None = None
    cancel_intents: tuple[str, ...] = ("cancel_handover",)
    request_intents: tuple[str, ...] = ("human_handoff",)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    # team -> is it open at this (aware) time; team -> next opening after this time (None: never closes)
    is_open: Callable[[str | None, datetime], bool] = lambda team, now: True
    next_opening: Callable[[str | None, datetime], datetime | None] = lambda team, now: None


class HandoverPlugin:
    """The processor's `ConversationPlugin` for the human side."""

    def __init__(self, service: HandoverService, settings: HandoverSettings | None = None) -> None:
        self.service = service
        self.settings = settings or HandoverSettings()
        self.router = Router(service, self.settings.routing, is_open=self.settings.is_open)

    async def start(self) -> None:
        await self.service.start()
        self.router.start()

    async def stop(self) -> None:
        await self.router.stop()
        await self.service.close()

    # -- ConversationPlugin -----------------------------------------------------------------------
    async def owner_for_turn(self, tracker: DialogueStateTracker) -> Owner:
        ownership = await self.service.ownership(tracker.sender_id)
        intent = (tracker.latest_message_data.get("intent") or {}).get("name")
        waiting = ownership.state in (ConversationState.QUEUED, ConversationState.OFFERED)
        if waiting and intent in self.settings.cancel_intents:
            # The customer withdraws: the bot answers this message, the wait ends in the same write.
            return Owner(human=False, version=ownership.version, events=(HandoverCancelled("customer_cancelled"),))
        return Owner(human=ownership.is_human, version=ownership.version)

    async def write_turn(self, tracker: DialogueStateTracker, events: Sequence[dict[str, Any]], expected_seq: int,
                         owner_version: int | None) -> WrittenTurn:
        def packet(ownership: Ownership, row: dict[str, Any] | None, now: float) -> Mapping[str, Any]:
            return build_packet(tracker.events, tracker.current_slot_values(), reason=ownership.reason,
                                priority=ownership.priority, team=ownership.team, skill=ownership.skill,
                                language=ownership.language, channel=tracker.get_latest_input_channel(),
                                customer_id=tracker.sender_id, queued_at=ownership.queued_at or now)

        written, _ = await self.service.write_turn(tracker.sender_id, events, expected_seq, owner_version,
                                                   packet=packet, channel=tracker.get_latest_input_channel())
        return written

    def actions(self) -> Mapping[str, Callable[[], Action]]:
        return {ACTION_HANDOVER: lambda: HandoverAction(self)}

    # -- what action_handover needs --------------------------------------------------------------
    async def queue_outlook(self, team: str | None, skill: str | None, language: str | None) -> dict[str, Any]:
        """Whether the team is open and staffed, the position a new arrival would get and the expected wait."""
        now = self.service.clock()
        wall = datetime.fromtimestamp(now, UTC)
        probe = {"team": team, "skill": skill, "language": language}

        def read(conn: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[float]]:
            return (store.list_rows(conn, states=["queued", "offered"], teams=[team] if team else None),
                    store.load_agents(conn), store.recent_handle_seconds(conn, team))

        waiting, agents, handled = await self.service.tracker_store.run_in_transaction(read, write=False)
        staffed = [agent for agent in agents if agent["status"] == "online"
                   and eligible_agents(probe, [{**agent, "load": 0}])]
        position = len(waiting) + 1
        free_slots = sum(max(agent["capacity"] - agent["load"], 0) for agent in staffed)
        per_handling = sorted(handled)[len(handled) // 2] if handled else DEFAULT_WAIT_SECONDS
        wait = 0.0 if free_slots >= position else per_handling * math.ceil(
            (position - free_slots) / max(len(staffed), 1))
        return {"open": self.settings.is_open(team, wall), "staffed": bool(staffed), "position": position,
                "wait_seconds": wait, "opening": self.settings.next_opening(team, wall)}


class HandoverAction(Action):
    """`action_handover`: tells the customer what happens next and hands the conversation to a team.

    Reason, team, skill and priority come from the slots `handover_reason`, `handover_team`,
    `handover_skill`, `handover_priority` when the domain has them and they are set; else the
    reason says whether the customer asked for a person, and the team is handover.yml's default.
    """

    def __init__(self, plugin: HandoverPlugin) -> None:
        super().__init__(ACTION_HANDOVER)
        self.plugin = plugin

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        settings = self.plugin.settings
        intent = (tracker.latest_message_data.get("intent") or {}).get("name")
        reason = tracker.get_slot("handover_reason") or (
            "asked_for_human" if intent in settings.request_intents else "bot_escalated")
        team = tracker.get_slot("handover_team") or settings.default_team
        skill = tracker.get_slot("handover_skill")
        priority = _priority(tracker.get_slot("handover_priority"))
        language = tracker.get_slot("language") or (tracker.latest_message_data.get("language") or {}).get("name")
        outlook = await self.plugin.queue_outlook(team, skill, language)
        if not outlook["open"]:
            opening = outlook["opening"]
            name, values = "utter_handover_closed", {"opening": _when(opening, language) if opening else "?"}
        elif not outlook["staffed"]:
            name, values = "utter_handover_unstaffed", {}
        else:
            name, values = "utter_handover_queued", {
                "position": outlook["position"], "wait_minutes": max(1, round(outlook["wait_seconds"] / 60))}
        message = context.response(name, tracker, **values) or BotUttered(
            notice_text(name, language, **values), {}, metadata={"utter_action": name})
        return [message, HandoverRequested(reason, priority, skill, team, language)]


def _priority(value: Any) -> int:
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _when(moment: datetime, language: str | None) -> str:
    """A reopening time as a customer reads it: "Mo., 08:00" / "Mon 08:00" in the team's time zone."""
    days_de = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."]
    if (language or "en").startswith("de"):
        return f"{days_de[moment.weekday()]} {moment:%d.%m.}, {moment:%H:%M} Uhr"
    return moment.strftime("%a %d %b, %H:%M")
