"""The message processor: one user message in, the bot's actions run, events stored, replies out.

It knows no transport. Channels and the HTTP API call `handle_message`; the human side plugs in
through `ownership` (does a person own this conversation?) and `listeners` (who hears new events).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.actions.action import Action, ActionContext
from bot.core.messages import UserMessage, bot_message_for_channel, parse_intent_message
from bot.core.plugin import ConversationPlugin, Owner, ReplacesEvents, WrittenTurn
from bot.core.policies.policy import PolicyPrediction
from bot.core.tracker import DialogueStateTracker
from bot.core.tracker_cache import TrackerCache
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN, ACTION_SESSION_START
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from bot.shared.errors import BotError, ConcurrentAppend, UnknownConversation
from bot.shared.limits import DEFAULT_MAX_CONCURRENT_TURNS, MessageLimits

if TYPE_CHECKING:
    from bot.stores.lock_store import LockStore
    from bot.stores.tracker_store import TrackerStore

logger = logging.getLogger(__name__)

LANGUAGE_SLOT = "language"
LANGUAGE_MIN_CONFIDENCE = 0.6  # the LanguageDetector's default threshold
DEFAULT_MAX_PREDICTIONS = 10
TRACKER_CACHE_SIZE = 1000  # conversations whose tracker stays in memory between messages


class ConversationOwnership(Protocol):
    """The hook the human side implements: while a person owns a conversation, the bot stays silent."""

    async def is_owned_by_human(self, sender_id: str) -> bool: ...


class EventListener(Protocol):
    """Hears every batch of new events after it is stored (handover console, event broker)."""

    async def on_events(self, sender_id: str, events: Sequence[Event], tracker: DialogueStateTracker) -> None: ...


@dataclass(frozen=True)
class Turn:
    """What a turn the HTTP API asked for did: the bot's replies and the tracker right after it
    (read under the conversation's lock, so no later message is mixed in)."""

    messages: list[dict[str, Any]]
    tracker: DialogueStateTracker


class MessageProcessor:
    """Runs conversations against a trained model and the configured stores."""

    def __init__(
        self,
        domain: Domain,
        nlu: Any,
        policies: Any,
        tracker_store: TrackerStore,
        lock_store: LockStore,
        action_executor: Any = None,
        *,
        ownership: ConversationOwnership | None = None,
        listeners: Sequence[EventListener] = (),
        plugin: ConversationPlugin | None = None,
        max_number_of_predictions: int = DEFAULT_MAX_PREDICTIONS,
        max_concurrent_turns: int | None = DEFAULT_MAX_CONCURRENT_TURNS,
    ) -> None:
        """`max_concurrent_turns`: customer messages handled at once (None: no limit). A burst beyond it
        waits in arrival order before taking its conversation's lock, so the turns in flight and
        everything else on the event loop (agents' requests, the handover's routing) keep their pace
        instead of every step queueing behind hundreds of half-done turns."""
        self.domain = domain
        self.nlu = nlu
        self.policies = policies
        self.tracker_store = tracker_store
        self.lock_store = lock_store
        self.action_executor = action_executor
        self.ownership = ownership
        self.listeners = list(listeners)
        self.plugin = plugin
        self.max_number_of_predictions = max_number_of_predictions
        self._turn_slots = asyncio.Semaphore(max_concurrent_turns) if max_concurrent_turns else None
        self.message_limits = MessageLimits()  # characters and tokens a message may have before NLU
        # sender -> (stored seq, tracker as stored): the next message reads only what is newer,
        # usually nothing, instead of reading and replaying the session (see _tracker_for_update).
        self._trackers = TrackerCache(TRACKER_CACHE_SIZE)  # also bounded by the events it holds

    # -- public entry points ---------------------------------------------------------------------
    async def handle_message(self, message: UserMessage) -> list[dict[str, Any]]:
        """Processes one user message; returns the bot's replies in the REST channel's shape."""
        return (await self._handle_message(message)).messages

    async def _handle_message(self, message: UserMessage, keep_tracker: bool = False) -> Turn:
        # The slot is taken before the conversation's lock: a message waiting for a slot holds no lock.
        async with self._turn_slot(), self.lock_store.lock(message.sender_id):
            tracker, seq = await self._tracker_for_update(message.sender_id)
            stored = len(tracker.events)
            await self._start_session_if_due(tracker, message)
            parse_data = message.parse_data or await self.parse_message(message.text or "", message.metadata)
            self._log_user_message(tracker, message, parse_data)
            owner = await self._owner(tracker)
            if owner.human:
                await self._save(tracker, stored, seq, owner)  # a person answers; the bot only keeps the record
                return Turn([], tracker.copy() if keep_tracker else tracker)
            received = len(tracker.events)
            try:
                await self._extract_slots(tracker, message.input_channel)
                if owner.only_action is not None:
                    await self._run_action(self._action(owner.only_action), tracker,
                                           PolicyPrediction([], "handover_trigger", 0), message.input_channel)
                    tracker.update(ActionExecuted(ACTION_LISTEN, policy="handover_trigger"))
                else:
                    await self._predict_and_run(tracker, message.input_channel)
            except Exception:
                await self._save_received(tracker, stored, received, seq)
                raise
            new_events = tracker.events[stored:]
            written = await self._save(tracker, stored, seq, owner)
            after = tracker.copy() if keep_tracker else tracker
        # A person took the conversation over while the bot's turn ran: its replies stay in the
        # record but are not delivered (checked when the turn is written, after every action ran).
        return Turn(self._replies(new_events, message.sender_id) if written.deliver else [], after)

    def _turn_slot(self) -> Any:
        return self._turn_slots if self._turn_slots is not None else contextlib.nullcontext()

    async def trigger_intent(self, sender_id: str, intent: str, entities: dict[str, Any] | None = None,
                             input_channel: str | None = None) -> Turn:
        """Acts as if the user sent `intent` with `entities` (Rasa's trigger_intent)."""
        entity_list = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
        intent_data = {"name": intent, "confidence": 1.0}
        parse = {"text": f"/{intent}", "intent": intent_data, "intent_ranking": [intent_data],
                 "entities": entity_list}
        return await self._handle_message(UserMessage(f"/{intent}", sender_id, input_channel, parse_data=parse),
                                          keep_tracker=True)

    async def execute_action(self, sender_id: str, action_name: str, input_channel: str | None = None,
                             policy: str | None = None, confidence: float | None = None,
                             predict_after: bool = True, *, existing_only: bool = False) -> Turn:
        """Runs one named action, then lets the policies continue until they listen (unless not
        `predict_after`: interactive learning confirms every step itself). With `existing_only`, an
        unknown conversation raises UnknownConversation (checked under the lock, as the action runs)."""
        if action_name not in self.domain.action_names_or_texts:
            raise BotError(f"action '{action_name}' is not in the domain",
                           hint="list it under 'actions:' in domain.yml and retrain")
        async with self.lock_store.lock(sender_id):
            tracker, seq = await self._tracker_for_update(sender_id)
            if existing_only and not tracker.events:
                self._trackers.pop(sender_id, None)
                raise UnknownConversation(sender_id)
            stored = len(tracker.events)
            await self._start_session_if_due(tracker, None)
            prediction = PolicyPrediction([], policy or "api", 0)
            if (await self._run_action(self._action(action_name), tracker, prediction, input_channel, confidence)
                    and predict_after):
                await self._predict_and_run(tracker, input_channel)
            new_events = tracker.events[stored:]
            await self._save(tracker, stored, seq)
            return Turn(self._replies(new_events, sender_id), tracker.copy())

    async def parse_message(self, text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """NLU parse in a worker thread (never on the event loop); '/intent{...}' bypasses NLU."""
        self.message_limits.check_characters(text)  # before anything reads it: every step below is O(length)
        direct = parse_intent_message(text) if text.startswith("/") else None
        if direct is not None:
            return direct
        if self.nlu is None:
            return {"text": text, "intent": {"name": None, "confidence": 0.0}, "entities": [], "intent_ranking": []}
        return await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self.nlu.parse, text, metadata, self.message_limits))

    async def fetch_tracker(self, sender_id: str, *, until: float | None = None) -> DialogueStateTracker:
        """The conversation from its latest session start (older sessions stay stored, unread);
        with `until`, only its events with a timestamp up to that one."""
        events = await self.tracker_store.get_events(sender_id, since_last_session_start=True)
        if until is not None:
            events = [event for event in events if (event.get("timestamp") or 0) <= until]
        return DialogueStateTracker.from_dicts(sender_id, events, self.domain)

    async def _tracker_for_update(self, sender_id: str) -> tuple[DialogueStateTracker, int]:
        """The conversation's tracker and its stored seq, for a caller holding the conversation's lock.

        A tracker kept from the last message is brought up to date with whatever another process
        (or the API) appended since; it is taken out of the cache until `_save` puts it back, so a
        turn that fails half-way never leaves unsaved events in memory.
        """
        cached = self._trackers.pop(sender_id, None)
        if cached is not None:
            seq, tracker = cached
            newer, last = await self.tracker_store.read_since(sender_id, seq)
            if last == seq + len(newer) and not any(e.get("event") == "session_started" for e in newer):
                tracker.update_with_events([Event.from_dict(e) for e in newer])
                return tracker, last
        events, last = await self.tracker_store.read_since(sender_id, None)
        return DialogueStateTracker.from_dicts(sender_id, events, self.domain), last

    async def conversation_events(self, sender_id: str, *, all_sessions: bool = False) -> list[dict[str, Any]]:
        """The conversation's stored event dicts: its latest session, or every session."""
        return await self.tracker_store.get_events(sender_id, since_last_session_start=not all_sessions)

    async def fetch_full_tracker(self, sender_id: str) -> DialogueStateTracker:
        events = await self.tracker_store.get_events(sender_id, since_last_session_start=False)
        return DialogueStateTracker.from_dicts(sender_id, events, self.domain)

    async def predict_next(self, sender_id: str) -> dict[str, Any]:
        """What the policies would do next, without doing it; UnknownConversation without events."""
        tracker = await self.fetch_tracker(sender_id)
        if not tracker.events:
            raise UnknownConversation(sender_id)
        return self.predict_for(tracker)

    def predict_for(self, tracker: DialogueStateTracker) -> dict[str, Any]:
        """What the policies would do next in `tracker` (stored or built from events), with every score."""
        action_name, prediction = self.policies.predict(tracker, self.domain)
        scores = [{"action": name, "score": score}
                  for name, score in zip(self.domain.action_names_or_texts, prediction.probabilities, strict=False)]
        return {"scores": sorted(scores, key=lambda s: -s["score"]), "policy": prediction.policy_name,
                "confidence": prediction.max_confidence, "action": action_name,
                "tracker": tracker.current_state()}

    async def log_message(self, message: UserMessage) -> DialogueStateTracker:
        """Stores a user message (parsed, slots extracted) without predicting actions (HTTP API)."""
        async with self.lock_store.lock(message.sender_id):
            tracker, seq = await self._tracker_for_update(message.sender_id)
            stored = len(tracker.events)
            await self._start_session_if_due(tracker, message)
            parse_data = message.parse_data or await self.parse_message(message.text or "", message.metadata)
            self._log_user_message(tracker, message, parse_data)
            await self._extract_slots(tracker, message.input_channel)
            await self._save(tracker, stored, seq)
        return tracker.copy()

    async def append_events(self, sender_id: str, events: Sequence[Event]) -> DialogueStateTracker:
        """Appends events to a conversation as given (HTTP API); listeners hear them as usual."""
        async with self.lock_store.lock(sender_id):
            tracker, seq = await self._tracker_for_update(sender_id)
            stored = len(tracker.events)
            tracker.update_with_events(list(events))
            await self._save(tracker, stored, seq)
        return tracker.copy()

    async def replace_events(self, sender_id: str, events: Sequence[Event]) -> DialogueStateTracker:
        """Makes `events` the conversation's whole history (HTTP API's replace); returns its tracker.

        The tracker is built from the events before anything is stored, so events that cannot make a
        tracker leave the stored conversation untouched. Listeners are not told: nothing happened in
        the conversation, a client rewrote it.
        """
        replacement = DialogueStateTracker.from_dicts(sender_id, [e.as_dict() for e in events], self.domain)
        dicts = [e.as_dict() for e in replacement.events]
        async with self.lock_store.lock(sender_id):
            self._trackers.pop(sender_id, None)
            if isinstance(self.plugin, ReplacesEvents):  # the human side may refuse (ConversationConflict)
                await self.plugin.replace_events(sender_id, dicts)
            else:
                await self.tracker_store.replace_events(sender_id, dicts)
            return await self.fetch_tracker(sender_id)

    def forget(self, sender_id: str) -> None:
        """Drops the conversation's tracker from memory (after its data was erased from the stores)."""
        self._trackers.pop(sender_id, None)

    # -- steps -----------------------------------------------------------------------------------
    async def _owner(self, tracker: DialogueStateTracker) -> Owner:
        """Who answers the message just logged; the plugin may add events first (a withdrawn wait)."""
        if self.plugin is not None:
            owner = await self.plugin.owner_for_turn(tracker)
            tracker.update_with_events(list(owner.events))
            return owner
        if self.ownership is not None:
            return Owner(human=await self.ownership.is_owned_by_human(tracker.sender_id))
        return Owner(human=False)

    async def _start_session_if_due(self, tracker: DialogueStateTracker, message: UserMessage | None) -> None:
        if not self._session_is_due(tracker):
            return
        from bot.core.actions.registry import action_for_name
        action = action_for_name(ACTION_SESSION_START, self.domain,
                                 metadata=message.metadata if message is not None else None)
        await self._run_action(action, tracker, PolicyPrediction([], "session", 0),
                               message.input_channel if message else None)

    def _session_is_due(self, tracker: DialogueStateTracker) -> bool:
        if not any(isinstance(e, SessionStarted) for e in tracker.events):
            return True
        config = self.domain.session_config
        if not config.are_sessions_enabled():
            return False
        last = tracker.latest_user_message_time()
        return last is not None and time.time() - last > config.session_expiration_time * 60

    def _log_user_message(self, tracker: DialogueStateTracker, message: UserMessage,
                          parse_data: dict[str, Any]) -> None:
        tracker.update(UserUttered(message.text, parse_data, input_channel=message.input_channel,
                                   message_id=message.message_id, metadata=message.metadata or {}))
        detected = parse_data.get("language") or {}
        language, confidence = detected.get("name"), float(detected.get("confidence") or 0.0)
        current = tracker.get_slot(LANGUAGE_SLOT)
        # The customer's language decides which response variations are used (docs/languages.md).
        # A weak detection (a bare tracking number, "ok") keeps the language the conversation has.
        if (language and self.domain.slot(LANGUAGE_SLOT) is not None and language != current
                and (current is None or confidence >= LANGUAGE_MIN_CONFIDENCE)):
            tracker.update(SlotSet(LANGUAGE_SLOT, language))

    async def _extract_slots(self, tracker: DialogueStateTracker, channel: str | None) -> None:
        """Global slot mappings run after every user message, as Rasa 3's action_extract_slots."""
        action = self._action("action_extract_slots")
        try:
            events = await action.run(tracker, self._context(channel))
        except Exception:  # a broken custom mapping must not lose the user's message
            logger.exception("slot extraction failed for %s", tracker.sender_id)
            return
        tracker.update_with_events(events)

    async def _predict_and_run(self, tracker: DialogueStateTracker, channel: str | None) -> None:
        for _ in range(self.max_number_of_predictions):
            action_name, prediction = self._next_action(tracker)
            keep_going = await self._run_action(self._action(action_name), tracker, prediction, channel)
            if not keep_going:
                return
        logger.warning("conversation %s: stopped after %d actions without listening (circuit breaker); "
                       "check your stories for a loop", tracker.sender_id, self.max_number_of_predictions)
        tracker.update(ActionExecuted(ACTION_LISTEN, policy="circuit_breaker"))

    def _next_action(self, tracker: DialogueStateTracker) -> tuple[str, Any]:
        followup = tracker.followup_action
        if followup and followup in self.domain.action_names_or_texts:
            return followup, PolicyPrediction([], "followup_action", 0)
        return self.policies.predict(tracker, self.domain)

    async def _run_action(self, action: Action, tracker: DialogueStateTracker, prediction: Any,
                          channel: str | None, confidence: float | None = None) -> bool:
        """Runs the action and logs it; returns whether another action should be predicted."""
        # The action sees the prediction's events (e.g. LoopInterrupted) before they are logged, as in Rasa.
        view = tracker
        if prediction.events:
            view = tracker.copy()
            view.update_with_events(prediction.events)
        try:
            events = await action.run(view, self._context(channel)) or []
        except BotError as error:
            logger.error("action '%s' failed: %s", action.name(), error)
            events = []
        except Exception:
            logger.exception("action '%s' raised", action.name())
            events = []
        if any(isinstance(e, ActionExecutionRejected) for e in events):
            tracker.update_with_events(events)
            return True  # the ensemble now ignores the rejected action and picks another
        tracker.update_with_events(prediction.events)
        tracker.update(ActionExecuted(action.name(), policy=prediction.policy_name,
                                      confidence=confidence if confidence is not None
                                      else (prediction.max_confidence if prediction.probabilities else 1.0),
                                      hide_rule_turn=getattr(prediction, "hide_rule_turn", False)))
        tracker.update_with_events(events)
        return action.name() not in (ACTION_LISTEN, ACTION_SESSION_START)

    # -- helpers ---------------------------------------------------------------------------------
    def _action(self, name: str) -> Action:
        from bot.core.actions.registry import action_for_name

        if self.plugin is not None:
            factory = self.plugin.actions().get(name)
            if factory is not None:
                return factory()
        return action_for_name(name, self.domain)

    def _context(self, channel: str | None) -> ActionContext:
        return ActionContext(self.domain, self.action_executor, channel)

    async def _save(self, tracker: DialogueStateTracker, stored: int, seq: int,
                    owner: Owner | None = None) -> WrittenTurn:
        """Appends the events after index `stored` and keeps the tracker for the conversation's next turn.

        The append expects the conversation still at `seq`. Someone else may have appended without
        the conversation's lock meanwhile (an agent taking over, a queue notice): then the turn is
        appended after theirs and the cached tracker, which lacks their events, is dropped.
        """
        new_events = tracker.events[stored:]
        written = WrittenTurn(seq)
        if new_events:
            written = await self._write(tracker, [e.as_dict() for e in new_events], seq, owner)
        # After a session start the stored view begins there; the next turn reads it back instead.
        consistent = written.last_seq == seq + len(new_events)
        if consistent and not any(isinstance(e, SessionStarted) for e in new_events):
            self._trackers[tracker.sender_id] = (written.last_seq, tracker)  # evicts the oldest past its bounds
        if not new_events:
            return written
        for listener in self.listeners:
            try:
                await listener.on_events(tracker.sender_id, new_events, tracker)
            except Exception:  # a listener's failure must not fail the conversation
                logger.exception("event listener %r failed", listener)
        return written

    async def _write(self, tracker: DialogueStateTracker, events: list[dict[str, Any]], seq: int,
                     owner: Owner | None) -> WrittenTurn:
        sender_id = tracker.sender_id
        if self.plugin is not None:
            return await self.plugin.write_turn(tracker, events, seq, owner.version if owner else None)
        try:
            return WrittenTurn(await self.tracker_store.append_events(sender_id, events, expected_seq=seq))
        except ConcurrentAppend:
            return WrittenTurn(await self.tracker_store.append_events(sender_id, events))

    async def _save_received(self, tracker: DialogueStateTracker, stored: int, received: int, seq: int) -> None:
        """After a turn failed half-way: stores what the customer said (events up to `received`), not the rest."""
        logger.exception("conversation %s: the turn failed; the user message is kept, the bot's part dropped",
                         tracker.sender_id)
        kept = DialogueStateTracker.from_dicts(tracker.sender_id, [e.as_dict() for e in tracker.events[:received]],
                                               self.domain)
        await self._save(kept, stored, seq)

    @staticmethod
    def _replies(events: Sequence[Event], sender_id: str) -> list[dict[str, Any]]:
        return [bot_message_for_channel(e.as_dict(), sender_id) for e in events if isinstance(e, BotUttered)]
