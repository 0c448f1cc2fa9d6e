"""`HandoverPlugin`: the human side, plugged into the processor and the server as one object.

It answers the processor's questions (who owns this conversation? write this turn, with any
ownership change it carries), brings `action_handover`, and owns the service, the router and the
background work. `bot run` builds it when the tracker store is SQL (the embedded default is).
"""

from __future__ import annotations

import dataclasses
import logging
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
from handover.replacing import replace_conversation
from handover.routing import Router, RoutingSettings, eligible_agents
from handover.service import HandoverService
from handover.triggers import escalation_reason
from handover.waiting import WaitNotice, expected_wait_seconds, queue_sort_key, should_notify

__all__ = ["HandoverPlugin", "HandoverSettings"]

logger = logging.getLogger(__name__)

ACTION_HANDOVER = "action_handover"


@dataclass(frozen=True)
class HandoverSettings:
    """What the plugin needs from handover.yml (teams, routing, triggers) and the domain (cancel intents)."""

    default_team: str | None = None
    cancel_intents: tuple[str, ...] = ("cancel_handover",)
    request_intents: tuple[str, ...] = ("human_handoff",)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    teams: Mapping[str, Any] = field(default_factory=dict)  # name -> handover.config.TeamConfig
    sla_policies: Mapping[str, Any] = field(default_factory=dict)  # name -> handover.sla.SlaPolicy
    triggers: Any = None  # handover.triggers.TriggerConfig; None: no built-in triggers
    notice_interval_seconds: float = 60.0  # queue position updates, at most this often
    default_language: str | None = None  # config.yml's language: notices for a customer whose language is unknown

    @classmethod
    def from_config(cls, config: Any, default_language: str | None = None) -> HandoverSettings:
        """From a `handover.config.HandoverConfig` (handover.yml) and the model's language."""
        routing = RoutingSettings(offer_timeout_seconds=config.routing.offer_timeout_seconds,
                                  offline_grace_seconds=config.routing.offline_grace_seconds,
                                  decline_cooldown_seconds=config.routing.decline_cooldown_seconds)
        return cls(default_team=config.routing.default_team, routing=routing, teams=dict(config.teams),
                   sla_policies=dict(config.all_sla_policies), triggers=config.triggers,
                   default_language=default_language)

    def hours(self, team: str | None) -> Any:
        from handover.hours import BusinessHours

        found = self.teams.get(team) if team else None
        return found.hours if found is not None else BusinessHours.always()

    def is_open(self, team: str | None, now: datetime) -> bool:
        return bool(self.hours(team).is_open(now))

    def next_opening(self, team: str | None, now: datetime) -> datetime | None:
        return self.hours(team).next_opening(now)

    def sla(self, team: str | None, started_at: float) -> dict[str, Any]:
        """The team's SLA policy and the deadlines of a conversation queued at `started_at`."""
        found = self.teams.get(team) if team else None
        name = getattr(found, "sla_policy", None) or "live_chat"
        policy = self.sla_policies.get(name)
        if policy is None:
            return {}
        from handover.hours import NeverOpen

        sla: dict[str, Any] = {"policy": name}
        for kind, key in (("first_response", "first_response_due"), ("resolution", "resolution_due")):
            clock = policy.clock(kind, started_at, self.hours(team))
            if clock is None:
                continue
            try:
                sla[key] = clock.deadline.timestamp()
            except NeverOpen:  # hours whose last special day has passed: no deadline, but the escalation stands
                logger.warning("team %s: its business hours never open again; %s has no SLA deadline", team, kind)
        return sla


class HandoverPlugin:
    """The processor's `ConversationPlugin` for the human side."""

    def __init__(self, service: HandoverService, settings: HandoverSettings | None = None) -> None:
        self.service = service
        self.settings = settings or HandoverSettings()
        # Looked up at each call: the settings object is replaced when teams change (handover.live_config).
        self.router = Router(service, self.settings.routing,
                             is_open=lambda team, now: self.settings.is_open(team, now))
        self.router.on_tick.append(self.send_queue_notices)
        self.router.on_tick.append(self.check_sla)
        self._sla_states: dict[tuple[str, str], str] = {}  # (sender, clock) -> the last state agents were told
        self._trigger_reasons: dict[str, str] = {}  # sender -> why a built-in trigger escalates now
        # Told of each customer message in a conversation a person owns (agent assist computes suggestions).
        self.customer_message_listeners: list[Callable[[DialogueStateTracker, dict[str, Any] | None], None]] = []

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
        if not ownership.is_human and self.settings.triggers is not None:
            reason = escalation_reason([event.as_dict() for event in tracker.events], self.settings.triggers)
            if reason is not None:
                self._trigger_reasons[tracker.sender_id] = reason
                return Owner(human=False, version=ownership.version, only_action=ACTION_HANDOVER)
        return Owner(human=ownership.is_human, version=ownership.version)

    async def write_turn(self, tracker: DialogueStateTracker, events: Sequence[dict[str, Any]], expected_seq: int,
                         owner_version: int | None) -> WrittenTurn:
        def packet(ownership: Ownership, row: dict[str, Any] | None, now: float) -> Mapping[str, Any]:
            return build_packet(tracker.events, tracker.current_slot_values(), reason=ownership.reason,
                                priority=ownership.priority, team=ownership.team, skill=ownership.skill,
                                language=ownership.language, channel=tracker.get_latest_input_channel(),
                                customer_id=tracker.sender_id, queued_at=ownership.queued_at or now,
                                sla=self.settings.sla(ownership.team, ownership.queued_at or now))

        written, change = await self.service.write_turn(tracker.sender_id, events, expected_seq, owner_version,
                                                        packet=packet, channel=tracker.get_latest_input_channel())
        if change.before.is_human and change.after.is_human and any(e.get("event") == "user" for e in events):
            for listener in self.customer_message_listeners:  # they only start work: the lock is still held
                listener(tracker, change.row)
        return written

    async def replace_events(self, sender_id: str, events: Sequence[dict[str, Any]]) -> None:
        """`PUT .../tracker/events`: refused while a person has it (handover/replacing.py says why)."""
        await replace_conversation(self.service, sender_id, events)

    def actions(self) -> Mapping[str, Callable[[], Action]]:
        return {ACTION_HANDOVER: lambda: HandoverAction(self)}

    # -- telling waiting customers where they stand ------------------------------------------------
    async def send_queue_notices(self, now: float) -> None:
        """A new position or wait for each waiting customer: only when it changed, at most once a minute."""
        rows = await self.service.rows(states=["queued"], with_packet=False)
        by_team: dict[str | None, list[dict[str, Any]]] = {}
        for row in rows:
            by_team.setdefault(row["team"], []).append(row)
        for team, waiting in by_team.items():
            outlook = await self.queue_outlook(team, None, None)
            waiting.sort(key=lambda row: queue_sort_key(row["priority"], row["queued_at"] or now, row["sender_id"]))
            for position, row in enumerate(waiting, start=1):
                await self._notify(row, position, outlook, now)

    async def _notify(self, row: dict[str, Any], position: int, outlook: dict[str, Any], now: float) -> None:
        if not outlook["open"] or not outlook["staffed"]:
            return
        wait = expected_wait_seconds(position, outlook["slots"], outlook["handled"], free_slots=outlook["free"])
        notice = WaitNotice.build(position, wait, now)
        previous = row.get("last_notice")
        earlier = WaitNotice(previous["position"], previous["wait_minutes"], previous["sent_at"]) if previous else None
        first = earlier is None
        if first:  # action_handover told them already when they joined; remember what it said
            earlier = WaitNotice(position, notice.wait_minutes, row.get("queued_at") or now)
        if not should_notify(earlier, notice, now, self.settings.notice_interval_seconds) and not first:
            return
        if first and (earlier.position, earlier.wait_minutes) == (notice.position, notice.wait_minutes):
            await self.service.record_notice(row["sender_id"], dataclasses.asdict(earlier))
            return
        language = row.get("language")
        if language is None:  # the light row has no packet: read it for the rare row without a language
            language = ((await self.service.row(row["sender_id"]) or {}).get("packet") or {}).get("language")
        language = language or self.settings.default_language
        text = notice_text("utter_handover_queue_update", language, position=position,
                           wait_minutes=max(notice.wait_minutes or 1, 1))
        await self.service.queue_notice(row["sender_id"], text, dataclasses.asdict(notice))

    # -- SLA clocks: amber and red warnings for agents, breaches recorded ---------------------------
    async def check_sla(self, now: float) -> None:
        """Warns agents when a first-response clock turns amber or red, and records breaches once."""
        for row in await self.service.rows(states=["queued", "offered", "assigned"], with_packet=False):
            clock = None if row.get("first_response_at") else self._first_response_clock(row)
            if clock is None:
                continue
            state = clock.state(now)
            key = (row["sender_id"], "first_response")
            if state == "ok" or self._sla_states.get(key) == state:
                continue
            self._sla_states[key] = state
            await self.service.sla_warning(row, "first_response", state, clock.deadline.timestamp(),
                                           clock.seconds_left(now))

    def first_response_state(self, row: Mapping[str, Any], now: float) -> str | None:
        """The first-response clock's state of a conversation not yet answered; None without a target."""
        clock = self._first_response_clock(row)
        return clock.state(now) if clock is not None else None

    def _first_response_clock(self, row: Mapping[str, Any]) -> Any:
        policy = self.settings.sla_policies.get(row.get("sla_policy") or "")
        if policy is None or not row.get("queued_at"):
            return None
        return policy.clock("first_response", row["queued_at"], self.settings.hours(row.get("team")))

    # -- what action_handover needs --------------------------------------------------------------
    async def queue_outlook(self, team: str | None, skill: str | None, language: str | None) -> dict[str, Any]:
        """Whether the team is open and staffed, the position a new arrival would get and the expected wait."""
        now = self.service.clock()
        wall = datetime.fromtimestamp(now, UTC)
        probe = {"team": team, "skill": skill, "language": language}

        def read(conn: Any) -> tuple[int, list[dict[str, Any]], list[float]]:
            return (store.count_rows(conn, ["queued", "offered"], [team] if team else None),
                    store.load_agents(conn), store.recent_handle_seconds(conn, team))

        waiting, agents, handled = await self.service.tracker_store.run_in_transaction(read, write=False)
        staffed = [agent for agent in agents if agent["status"] == "online"
                   and eligible_agents(probe, [{**agent, "load": 0}])]
        position = waiting + 1
        slots = sum(agent["capacity"] for agent in staffed)
        free_slots = sum(max(agent["capacity"] - agent["load"], 0) for agent in staffed)
        wait = expected_wait_seconds(position, slots, handled, free_slots=free_slots) if staffed else None
        return {"open": self.settings.is_open(team, wall), "staffed": bool(staffed), "position": position,
                "wait_seconds": wait or 0.0, "opening": self.settings.next_opening(team, wall),
                "slots": slots, "free": free_slots, "handled": handled}


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
        triggered = self.plugin._trigger_reasons.pop(tracker.sender_id, None)
        reason = tracker.get_slot("handover_reason") or triggered or (
            "asked_for_human" if intent in settings.request_intents else "bot_escalated")
        team = tracker.get_slot("handover_team") or settings.default_team
        skill = tracker.get_slot("handover_skill")
        priority = _priority(tracker.get_slot("handover_priority"))
        language = (tracker.get_slot("language") or (tracker.latest_message_data.get("language") or {}).get("name")
                    or settings.default_language)
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
