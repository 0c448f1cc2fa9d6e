"""Loops: actions that stay active over several turns (forms, the two-stage fallback).

A loop runs in three steps each time it is predicted, as in Rasa 3: activate (first run only),
`do` while it is not done, then deactivate once it is done. Raising `LoopRejected` from any step
rejects this run; the processor then records `ActionExecutionRejected` and asks the policies again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.actions.action import Action, ActionContext
from bot.shared.core.events import ActionExecutionRejected, ActiveLoop, Event

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

__all__ = ["LoopAction", "LoopRejected"]


class LoopRejected(Exception):
    """The loop cannot handle the latest user message (e.g. the requested slot was not filled)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class LoopAction(Action):
    """Base of loop actions; subclasses implement `do` and `is_done`, optionally `activate`/`deactivate`."""

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """Activation, one step and, when done, deactivation; a rejection is one ActionExecutionRejected."""
        try:
            return await self._run_steps(tracker, context)
        except LoopRejected:
            return [ActionExecutionRejected(self.name())]

    async def _run_steps(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        events: list[Event] = []
        if not self.is_activated(tracker):
            events.append(ActiveLoop(self.name()))
            events += await self.activate(tracker, context)
        if not await self.is_done(tracker, context, events):
            events += await self.do(tracker, context, list(events))
        if await self.is_done(tracker, context, events):
            events.append(ActiveLoop(None))
            events += await self.deactivate(tracker, context, list(events))
        return events

    def is_activated(self, tracker: DialogueStateTracker) -> bool:
        """Whether this loop is the active one."""
        return tracker.active_loop_name == self.name()

    async def activate(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """Extra events on activation (after `ActiveLoop(name)`)."""
        return []

    async def do(self, tracker: DialogueStateTracker, context: ActionContext,
                 events_so_far: list[Event]) -> list[Event]:
        """One step of the loop."""
        raise NotImplementedError

    async def is_done(self, tracker: DialogueStateTracker, context: ActionContext,
                      events_so_far: list[Event]) -> bool:
        """Whether the loop has finished, given the events of this run so far."""
        raise NotImplementedError

    async def deactivate(self, tracker: DialogueStateTracker, context: ActionContext,
                         events_so_far: list[Event]) -> list[Event]:
        """Extra events after `ActiveLoop(None)`."""
        return []
