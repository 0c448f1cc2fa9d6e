"""Dialogue states as fixed-size vectors, and the state histories ML policies learn from.

A state (see `bot.core.states`) becomes one vector laid out as
    intent one-hot | entity multi-hot | previous action one-hot | active loop one-hot |
    slot features | hashed words of the user text | hashed words of an end-to-end bot text
The last two blocks exist only when the training stories contain end-to-end turns.
As in Rasa, the user part counts only right after `action_listen` (a real user turn); later
states of the same turn describe the bot's actions, not a new message.

The vocabulary (which names sit at which index) is saved with a trained policy, so a
domain changed after training is caught instead of silently shifting every index.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bot.core.states import State, current_state, states_and_actions
from bot.core.tracker import DialogueStateTracker
from bot.core.training_events import story_events
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN, ACTION_UNLIKELY_INTENT
from bot.shared.core.events import ActionExecuted, Event
from bot.shared.core.story_graph import Trajectory
from bot.shared.errors import InvalidModel

DEFAULT_TEXT_BUCKETS = 128
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Vocabulary:
    """The names behind each index of a state vector; equal vocabularies mean compatible vectors."""

    intents: list[str]
    entities: list[str]
    actions: list[str]
    loops: list[str]
    slots: list[tuple[str, int]]  # (slot name, feature size) of slots that influence the conversation
    text_buckets: int = 0  # hashed bag-of-words size for end-to-end text; 0 = no text features

    @classmethod
    def from_domain(cls, domain: Domain, text_buckets: int = 0) -> Vocabulary:
        slots = [(slot.name, slot.feature_dimensionality()) for slot in domain.slots]
        return cls(intents=list(domain.intents), entities=list(domain.entity_states),
                   actions=list(domain.action_names_or_texts), loops=list(domain.form_names),
                   slots=[(name, size) for name, size in slots if size > 0], text_buckets=text_buckets)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["slots"] = [list(pair) for pair in self.slots]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        return cls(intents=list(data["intents"]), entities=list(data["entities"]), actions=list(data["actions"]),
                   loops=list(data["loops"]), slots=[(str(n), int(s)) for n, s in data["slots"]],
                   text_buckets=int(data.get("text_buckets", 0)))

    def differences(self, other: Vocabulary) -> list[str]:
        """Human-readable differences (`other` is the newer one), empty when compatible."""
        found = []
        for label, mine, theirs in (("intents", self.intents, other.intents),
                                    ("entities", self.entities, other.entities),
                                    ("actions", self.actions, other.actions),
                                    ("forms", self.loops, other.loops),
                                    ("featurized slots", [f"{n}({s})" for n, s in self.slots],
                                     [f"{n}({s})" for n, s in other.slots])):
            if mine == theirs:
                continue
            added = [x for x in theirs if x not in mine]
            removed = [x for x in mine if x not in theirs]
            parts = ([f"added {', '.join(added)}"] if added else []) + (
                [f"removed {', '.join(removed)}"] if removed else [])
            found.append(f"{label}: {'; '.join(parts) or 'order changed'}")
        return found


@dataclass
class StateFeaturizer:
    """Turns states into vectors over a fixed `Vocabulary` (built from the domain at training)."""

    vocabulary: Vocabulary
    _offsets: dict[str, int] = field(init=False, repr=False)
    _index: dict[str, dict[Any, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        vocab = self.vocabulary
        sizes = [("intent", len(vocab.intents)), ("entities", len(vocab.entities)),
                 ("action", len(vocab.actions)), ("loop", len(vocab.loops)),
                 ("slots", sum(size for _, size in vocab.slots)),
                 ("user_text", vocab.text_buckets), ("action_text", vocab.text_buckets)]
        self._offsets = {}
        start = 0
        for name, size in sizes:
            self._offsets[name] = start
            start += size
        self.dimension = start
        self._index = {
            "intent": {name: i for i, name in enumerate(vocab.intents)},
            "entities": {name: i for i, name in enumerate(vocab.entities)},
            "action": {name: i for i, name in enumerate(vocab.actions)},
            "loop": {name: i for i, name in enumerate(vocab.loops)},
        }
        self._slot_spans: dict[str, tuple[int, int]] = {}
        position = self._offsets["slots"]
        for name, size in vocab.slots:
            self._slot_spans[name] = (position, size)
            position += size

    @classmethod
    def from_domain(cls, domain: Domain, text_buckets: int = 0) -> StateFeaturizer:
        return cls(Vocabulary.from_domain(domain, text_buckets))

    def check_domain(self, domain: Domain) -> None:
        """Raises InvalidModel when `domain` no longer matches the vocabulary the model learnt."""
        current = Vocabulary.from_domain(domain, self.vocabulary.text_buckets)
        differences = self.vocabulary.differences(current)
        if differences:
            raise InvalidModel(
                "the domain changed since the dialogue model was trained (" + "; ".join(differences) + ")",
                hint="retrain the model (`bot train`) so the policies learn the current domain")

    def encode(self, state: State, out: np.ndarray | None = None) -> np.ndarray:
        """One state as a float32 vector of length `dimension`; unknown names are left out."""
        vector = out if out is not None else np.zeros(self.dimension, dtype=np.float32)
        prev_action = state.get("prev_action", {})
        action_name = prev_action.get("action_name")
        if action_name:
            self._set(vector, "action", action_name)
        elif prev_action.get("action_text"):
            self._hash_words(vector, "action_text", prev_action["action_text"])
        user = state.get("user")
        if user and action_name == ACTION_LISTEN:  # a real user turn, as in Rasa
            if user.get("intent"):
                self._set(vector, "intent", user["intent"])
            elif user.get("text"):
                self._hash_words(vector, "user_text", user["text"])
            for entity in user.get("entities", ()):
                self._set(vector, "entities", entity)
        loop = state.get("active_loop", {}).get("name")
        if loop:
            self._set(vector, "loop", loop)
        for name, values in state.get("slots", {}).items():
            span = self._slot_spans.get(name)
            if span is not None:
                start, size = span
                clipped = list(values)[:size]
                vector[start:start + len(clipped)] = clipped
        return vector

    def encode_many(self, states: list[State]) -> np.ndarray:
        """States as a (len(states), dimension) matrix."""
        matrix = np.zeros((len(states), self.dimension), dtype=np.float32)
        for row, state in enumerate(states):
            self.encode(state, matrix[row])
        return matrix

    def _set(self, vector: np.ndarray, block: str, name: str) -> None:
        index = self._index[block].get(name)
        if index is not None:
            vector[self._offsets[block] + index] = 1.0

    def _hash_words(self, vector: np.ndarray, block: str, text: str) -> None:
        buckets = self.vocabulary.text_buckets
        if not buckets:
            return
        # crc32, not hash(): Python salts str hashes per process, which would scramble saved models
        for word in _WORD.findall(text.lower()):
            vector[self._offsets[block] + zlib.crc32(word.encode("utf-8")) % buckets] = 1.0


def uses_text(states: Iterable[State]) -> bool:
    """True when some state carries end-to-end text (user text without intent, or a bot text)."""
    return any(state.get("user", {}).get("text") and not state.get("user", {}).get("intent")
               or state.get("prev_action", {}).get("action_text") for state in states)


def window(states: list[State], max_history: int | None) -> list[State]:
    """The last `max_history` states (all when None)."""
    return states[-max_history:] if max_history else states


def prediction_states(tracker: DialogueStateTracker, domain: Domain, *, ignore_rule_only_turns: bool = True,
                      rule_only_slots: Iterable[str] = (), rule_only_loops: Iterable[str] = ()) -> list[State]:
    """The states an ML policy sees for `tracker`: one before each action, then the current one.

    As in Rasa, turns a rule predicted on its own (`hide_rule_turn`) are left out, and slots and
    loops that only rules mention are removed, so stories are compared with story-like histories.
    """
    history = StateHistory(domain, tracker.sender_id, ignore_rule_only_turns=ignore_rule_only_turns,
                           rule_only_slots=rule_only_slots, rule_only_loops=rule_only_loops)
    history.extend(tracker.applied_events())
    return history.states_now()


class StateHistory:
    """The states of one conversation, built event by event so a growing conversation is not replayed.

    Replaying from scratch costs a fresh tracker (a copy of every slot) per prediction; the
    processor predicts after every action, so extending the previous replay is much cheaper.
    """

    def __init__(self, domain: Domain, sender_id: str, *, ignore_rule_only_turns: bool = True,
                 rule_only_slots: Iterable[str] = (), rule_only_loops: Iterable[str] = ()) -> None:
        self.domain = domain
        self.ignore_rule_only_turns = ignore_rule_only_turns
        self._slots_to_drop = set(rule_only_slots)
        self._loops_to_drop = set(rule_only_loops)
        self._replay = DialogueStateTracker(sender_id, domain.slots)
        self.events: list[Event] = []
        self.states: list[State] = []
        self._hidden = False
        self._last_ml_action: dict[str, str] = {}

    def continues(self, events: list[Event]) -> bool:
        """True when `events` start with the events seen so far (so `extend` with the rest is right)."""
        seen = self.events
        return len(events) >= len(seen) and all(
            a is b or a == b for a, b in zip(seen, events[:len(seen)], strict=True))

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.events.append(event)
            if _is_unlikely_intent(event):  # a hint to the user's intent, not a dialogue turn (Rasa)
                continue
            if isinstance(event, ActionExecuted):
                self._visit(event.hide_rule_turn, commit=True)
            self._replay.update(event)

    def states_now(self) -> list[State]:
        """The states before each action so far, plus the current state (unless a rule turn hides it)."""
        current = self._visit(False, commit=False)
        return [*self.states, current] if current is not None else list(self.states)

    def _visit(self, hide: bool, *, commit: bool) -> State | None:
        replay, hidden, last_ml_action = self._replay, self._hidden, self._last_ml_action
        state: State | None = None
        if self.ignore_rule_only_turns:
            if not hidden:
                last_ml_action = dict(replay.latest_action)
            # a follow-up action or the active loop running again keeps the turn's visibility
            if not replay.followup_action and replay.latest_action.get("action_name") != replay.active_loop_name:
                hidden = hide
        if not hidden:
            state = current_state(replay, self.domain)
            if self.ignore_rule_only_turns:
                _drop_rule_only(state, self._slots_to_drop, self._loops_to_drop)
                if self.states:
                    _keep_user_of_previous(state, self.states[-1])
                if last_ml_action:
                    state["prev_action"] = dict(last_ml_action)
            state = {key: value for key, value in state.items() if value}
        if commit:
            self._hidden, self._last_ml_action = hidden, last_ml_action
            if state is not None:
                self.states.append(state)
        return state


class StateHistoryCache:
    """Recent conversations' `StateHistory`, by sender id (a bounded, thread-safe LRU)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._histories: OrderedDict[str, StateHistory] = OrderedDict()
        self._lock = threading.Lock()

    def states(self, tracker: DialogueStateTracker, domain: Domain, **options: Any) -> list[State]:
        events = tracker.applied_events()
        with self._lock:
            history = self._histories.pop(tracker.sender_id, None)
        if history is None or history.domain is not domain or not history.continues(events):
            history = StateHistory(domain, tracker.sender_id, **options)
        history.extend(events[len(history.events):])
        states = history.states_now()
        with self._lock:
            self._histories[tracker.sender_id] = history
            while len(self._histories) > self.size:
                self._histories.popitem(last=False)
        return states


def _is_unlikely_intent(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_UNLIKELY_INTENT


def _drop_rule_only(state: State, slots: set[str], loops: set[str]) -> None:
    for name in slots:
        state.get("slots", {}).pop(name, None)
    if state.get("active_loop", {}).get("name") in loops:
        del state["active_loop"]


def _keep_user_of_previous(state: State, previous: State) -> None:
    """Within a bot turn the user part must be the one the last shown state had."""
    if state.get("prev_action", {}).get("action_name") == ACTION_LISTEN:
        return
    if previous.get("user"):
        state["user"] = previous["user"]
    else:
        state.pop("user", None)


def rule_only_names(rule_events: Iterable[list[dict[str, Any]]], story_events: Iterable[list[dict[str, Any]]]
                    ) -> tuple[list[str], list[str]]:
    """Slots and loops that rules set or activate but no story does (Rasa hides them from ML policies)."""

    def names(trajectories: Iterable[list[dict[str, Any]]]) -> tuple[set[str], set[str]]:
        slots: set[str] = set()
        loops: set[str] = set()
        for events in trajectories:
            for event in events:
                if event.get("event") == "slot" and event.get("name"):
                    slots.add(event["name"])
                elif event.get("event") == "active_loop" and event.get("name"):
                    loops.add(event["name"])
        return slots, loops

    rule_slots, rule_loops = names(rule_events)
    story_slots, story_loops = names(story_events)
    return sorted(rule_slots - story_slots), sorted(rule_loops - story_loops)



def training_windows(trajectories: Iterable[Trajectory], domain: Domain, history_length: int
                     ) -> tuple[list[list[State]], list[str]]:
    """For each action of each story: the states up to it (at most `history_length`) and the action."""
    windows: list[list[State]] = []
    labels: list[str] = []
    for trajectory in trajectories:
        events = [e for e in story_events(trajectory, domain) if not _is_unlikely_intent(e)]
        states, actions, _ = states_and_actions(events, domain)
        for position, action in enumerate(actions):
            windows.append(states[max(0, position + 1 - history_length):position + 1])
            labels.append(action)
    return windows, labels
