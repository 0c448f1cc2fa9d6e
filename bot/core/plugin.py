"""How the human side plugs into the processor: one object, handed to the processor, no globals.

The processor asks it who owns a conversation at the start of a turn, lets it write the turn's
events (so an ownership change and its events commit together, and a bot turn whose owner
changed meanwhile is not delivered), and adds the actions it brings (`action_handover`).
The framework runs without one: then the tracker store writes the events and the bot owns all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.shared.core.events import Event

if TYPE_CHECKING:
    from bot.core.actions.action import Action
    from bot.core.tracker import DialogueStateTracker

__all__ = ["ConversationPlugin", "Owner", "ReplacesEvents", "WrittenTurn"]


@dataclass(frozen=True)
class Owner:
    """Who answers this turn: the bot (`human` False) or a person; `version` is the owner's version."""

    human: bool
    version: int | None = None
    # Events the owner adds before the turn runs, e.g. the customer withdrew from the queue.
    events: tuple[Event, ...] = field(default_factory=tuple)
    # An action to run instead of the policies' choice, after which the bot listens (a built-in
    # handover trigger fired: repeated fallback, an angry customer, a business rule).
    only_action: str | None = None


@dataclass(frozen=True)
class WrittenTurn:
    """The outcome of writing a turn: the conversation's last seq, and whether the bot may deliver."""

    last_seq: int
    deliver: bool = True


@runtime_checkable
class ConversationPlugin(Protocol):
    """The seams the human side implements (handover.plugin.HandoverPlugin is the real one)."""

    async def owner_for_turn(self, tracker: DialogueStateTracker) -> Owner:
        """Who answers the user message just logged on `tracker` (its parse data is there)."""
        ...

    async def write_turn(self, tracker: DialogueStateTracker, events: Sequence[dict[str, Any]], expected_seq: int,
                         owner_version: int | None) -> WrittenTurn:
        """Appends the turn's events (the last ones on `tracker`); applies any ownership change they
        carry in the same transaction, and says whether the bot may still deliver its messages."""
        ...

    def actions(self) -> Mapping[str, Callable[[], Action]]:
        """Actions the plugin brings, by name; they replace built-ins of the same name."""
        ...


@runtime_checkable
class ReplacesEvents(Protocol):
    """A plugin that takes part in replacing a conversation's events (`PUT .../tracker/events`)."""

    async def replace_events(self, sender_id: str, events: Sequence[dict[str, Any]]) -> None:
        """Stores `events` as the conversation's whole history, keeping the plugin's own records in step
        with them; raises `ConversationConflict` (nothing stored) when its state refuses a rewrite."""
        ...
