"""What every dialogue action is: a name and an async `run` that returns events."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.shared.core.domain import Domain
from bot.shared.core.events import BotUttered, Event

if TYPE_CHECKING:
    from bot.core.actions.action_executor import ActionExecutor
    from bot.core.tracker import DialogueStateTracker

# Which variation of a response is said. One generator for every context: a new random.Random()
# seeds itself from os.urandom, and a turn makes several contexts (5 % of a busy server's loop).
_RESPONSE_CHOICE = random.Random()


@dataclass
class ActionContext:
    """What an action may use besides the tracker: the domain, custom-action execution, the channel."""

    domain: Domain
    executor: ActionExecutor | None = None
    output_channel: str | None = None
    rng: random.Random = field(default_factory=lambda: _RESPONSE_CHOICE)

    def response(self, name: str, tracker: DialogueStateTracker, **extra_slots: Any) -> BotUttered | None:
        """The domain response `name` filled with the tracker's slots, as a BotUttered event, or None."""
        slots = {**tracker.current_slot_values(), **extra_slots}
        variation = self.domain.response_for(name, slots, self.output_channel, self.rng)
        if variation is None:
            return None
        return bot_uttered(variation, name)


def bot_uttered(response: dict[str, Any], template_name: str | None = None) -> BotUttered:
    """A BotUttered event in Rasa's shape from a filled response variation (or a dispatcher message)."""
    data = {key: response.get(key) for key in
            ("elements", "quick_replies", "buttons", "attachment", "image", "custom")}
    metadata = dict(response.get("metadata") or {})
    if template_name:
        metadata.setdefault("utter_action", template_name)
    return BotUttered(response.get("text"), data, metadata=metadata)


class Action:
    """A dialogue action; subclasses implement `run`."""

    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"
