"""Data classes for stories and rules as read from Rasa 3.x YAML.

A block's `steps` is a list of plain dicts. Each is one of:

- an event in Rasa's JSON shape (it has an ``"event"`` key):
  ``{"event": "user", "text": str | None, "parse_data": {"intent": {"name": str | None,
  "confidence": 1.0}, "entities": [...], "text": ...}}``,
  ``{"event": "action", "name": str}``, ``{"event": "action", "name": None, "action_text": str}``
  (an end-to-end bot utterance), ``{"event": "active_loop", "name": str | None}``,
  ``{"event": "slot", "name": str, "value": Any}``.
  A slot written by name only (``slot_was_set: [- my_slot]``) means "any non-null value" in Rasa;
  it is ``{"event": "slot", "name": "my_slot", "value": None, ANY_VALUE: True}``. Whoever knows the
  domain replaces the value with the slot type's stand-in (`fill_any_value_slots`).
- an alternative: ``{"or": [[event], [event, ...], ...]}`` (each alternative is the events of one
  user step or one ``slot_was_set`` step).
- a checkpoint: ``{"checkpoint": name, "conditions": {slot: value}}``; at the start of a story it
  is where the story may begin, at the end where it continues, in the middle both.

Events may carry ``"metadata"`` when the YAML step had it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

STORY_START = "STORY_START"
ANY_VALUE = "_any_value"
RULE_SNIPPET_ACTION = "..."

StepDict = dict[str, Any]


@dataclass
class Checkpoint:
    """A named point where stories join; `conditions` are slot values required to enter there."""

    name: str
    conditions: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoryBlock:
    """One story or rule as written, with its source location."""

    name: str
    kind: Literal["story", "rule"]
    location: str
    steps: list[StepDict]
    step_locations: list[str] = field(default_factory=list)
    condition: list[StepDict] = field(default_factory=list)  # rules only: slot/active_loop events
    conversation_start: bool = False
    wait_for_user_input: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)
    is_test: bool = False

    @property
    def is_rule(self) -> bool:
        return self.kind == "rule"

    @property
    def source(self) -> str:
        """The file the block came from (location without the line)."""
        return self.location.rsplit(":", 1)[0] if ":" in self.location else self.location

    @property
    def start_checkpoints(self) -> list[Checkpoint]:
        """Checkpoints before the first non-checkpoint step (STORY_START when there are none)."""
        found = []
        for step in self.steps:
            if "checkpoint" not in step:
                break
            found.append(Checkpoint(step["checkpoint"], dict(step.get("conditions") or {})))
        return found or [Checkpoint(STORY_START)]

    @property
    def end_checkpoints(self) -> list[Checkpoint]:
        """Checkpoints after the last non-checkpoint step."""
        found = []
        for step in reversed(self.steps):
            if "checkpoint" not in step:
                break
            found.append(Checkpoint(step["checkpoint"]))
        if len(found) == len(self.steps):  # only checkpoints: they are starts, not ends
            return []
        return list(reversed(found))

    @property
    def is_linear(self) -> bool:
        """True when the steps are plain events (no `or`, no checkpoints)."""
        return all("event" in step for step in self.steps)

    @property
    def events(self) -> list[StepDict]:
        """The steps as events; only for linear blocks (use `expand_stories` otherwise)."""
        if not self.is_linear:
            raise ValueError(f"{self.location}: '{self.name}' has 'or' or checkpoint steps; "
                             "use expand_stories() to get linear event sequences")
        return list(self.steps)

    def rule_events(self) -> list[StepDict]:
        """A linear rule as Rasa's rule policy sees it: conditions, then '...' unless it is for
        the conversation start, the steps, and a trailing '...' when it does not wait for input."""
        events = list(self.condition)
        if not self.conversation_start:
            events.append({"event": "action", "name": RULE_SNIPPET_ACTION})
        events.extend(self.events)
        if not self.wait_for_user_input:
            events.append({"event": "action", "name": RULE_SNIPPET_ACTION})
        return events


def is_any_value_slot(event: StepDict) -> bool:
    """True for a slot event written by name only ("any non-null value")."""
    return event.get("event") == "slot" and bool(event.get(ANY_VALUE))


def fill_any_value_slots(events: list[StepDict], stand_in: Callable[[str], Any]) -> list[StepDict]:
    """Copies `events`, giving each "any value" slot event the value `stand_in(slot_name)`.

    Rasa uses "filled" for text slots and True for bool slots; the domain knows the types.
    """
    filled = []
    for event in events:
        if is_any_value_slot(event):
            event = {"event": "slot", "name": event["name"], "value": stand_in(event["name"])}
        filled.append(event)
    return filled
