"""Replacing a conversation's events (`PUT /conversations/{id}/tracker/events`) with the human side in step.

Rasa clients rewrite a conversation this way (rewinding it, restoring it, emptying it). The handover
row and the tracker must keep telling the same story, so, in one transaction with the replacement:

  - While a person has the conversation (queued, offered or with an agent) it is refused (409): the
    agent works on that history, its SLA clock and routing run on it, and a rewrite would pull it
    from under them. Hand it back or resolve it first, as an agent inbox closes a conversation
    before a bot may start over.
  - A replacement whose handover events leave it with a person is refused (409) too: a replace
    restores a record, it does not route. Replace with the history up to the handover, then append
    the `handover` event (`POST .../tracker/events`), which queues and routes it as `action_handover`.
  - Otherwise the events are stored, and the row (if the conversation ever had one) takes the
    state the events describe (bot or resolved) with its version moved on, so a message of the
    old history still waiting in the outbox is not delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from bot.shared.errors import ConversationConflict
from bot.stores.sql_tracker_store import replace_in_transaction
from handover import store
from handover.ownership import Ownership, ownership_from_events
from handover.service import HandoverService

__all__ = ["replace_conversation"]


async def replace_conversation(service: HandoverService, sender_id: str, events: Sequence[dict[str, Any]]) -> None:
    """Stores `events` as the conversation's whole history, or raises `ConversationConflict` (nothing stored)."""

    def work(conn: Connection) -> None:
        before, row = store.load_ownership(conn, sender_id, for_update=True)
        if before.is_human:
            who = f"the agent '{before.agent}'" if before.agent else f"the queue of {before.team or 'any team'}"
            raise ConversationConflict(
                f"Conversation '{sender_id}' is with {who} ({before.state.value}); its events cannot be replaced "
                "while a person handles it.",
                hint="hand it back (POST /handover/conversations/{id}/handback) or resolve it first",
                detail={"state": before.state.value, "owner": list(before.owner)})
        described = ownership_from_events(events, strict=False)
        if described.is_human:
            raise ConversationConflict(
                f"The new events leave conversation '{sender_id}' {described.state.value} for a person; a replace "
                "does not hand a conversation over.",
                hint="replace with the events before the handover, then append the 'handover' event with "
                     "POST /conversations/{id}/tracker/events: that queues and routes it",
                detail={"state": before.state.value, "owner": list(before.owner)})
        replace_in_transaction(conn, sender_id, events)
        if row is not None:
            after = Ownership(state=described.state, version=before.version + 1, last_agent=before.last_agent)
            store.save_ownership(conn, sender_id, after, before.version, service.clock())

    await service.tracker_store.run_in_transaction(work)
