"""An anonymous web chat continues in the customer's conversation once the shop says who they are.

The anonymous conversation's events are copied, in order, to the end of the customer's
conversation, together with a `conversation_merged` event naming the source and the last event
number copied, in one append. That marker is what makes a repeated login (a second tab, a retried
request) copy only what is newer: nothing is lost and nothing shows twice. The anonymous
conversation itself is kept as it was, for the record.

Only anonymous conversations are merged (a session token of another customer never is), and not
while a person is handling the anonymous chat: its ownership belongs to that conversation until the
agent hands back or resolves, so the widget stays in it and merges at the next session after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.shared.core.events import ConversationMerged
from bot.shared.errors import ConcurrentAppend

__all__ = ["ANONYMOUS_PREFIX", "MergeResult", "merge_anonymous"]

ANONYMOUS_PREFIX = "webchat-"  # SessionTokens.new_conversation_id
# The handover events that leave a conversation with the bot; any other one puts a person in charge.
_BACK_TO_BOT = {"handback", "handover_resolved", "handover_cancelled"}
_NOT_COPIED = {"receipt", "conversation_merged"}
_ATTEMPTS = 3  # receipts count the source's event numbers, not ours


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: `copied` events; `deferred` when a person still handles the anonymous chat."""

    copied: int = 0
    deferred: bool = False


async def merge_anonymous(tracker_store: Any, lock_store: Any, source: str, target: str) -> MergeResult:
    """Copies what `source` (an anonymous chat) has beyond the last merge into `target`, once."""
    if not source.startswith(ANONYMOUS_PREFIX) or source == target:
        return MergeResult()
    # Both locks, always in the same order, so two merges (or a merge and a turn) never deadlock.
    first, second = sorted((source, target))
    async with lock_store.lock(first), lock_store.lock(second):
        events, last = await tracker_store.read_since(source, 0)
        if not events:
            return MergeResult()
        if _with_a_person(events):
            return MergeResult(deferred=True)
        for attempt in range(_ATTEMPTS):
            target_events, target_last = await tracker_store.read_since(target, 0)
            through = max((int(event.get("through") or 0) for event in target_events
                           if event.get("event") == "conversation_merged" and event.get("source") == source),
                          default=0)
            if through >= last:
                return MergeResult()
            copies = [_copy(event, source) for event in events[through:] if event.get("event") not in _NOT_COPIED]
            marker = ConversationMerged(source=source, through=last).as_dict()
            try:
                # A writer without our lock (an agent's message) makes this fail instead of interleaving.
                await tracker_store.append_events(target, [*copies, marker], expected_seq=target_last)
            except ConcurrentAppend:
                if attempt == _ATTEMPTS - 1:
                    raise
                continue
            return MergeResult(copied=len(copies))
    raise AssertionError("unreachable")


def _with_a_person(events: list[dict[str, Any]]) -> bool:
    kinds = [event.get("event") for event in events]
    handover = [kind for kind in kinds if kind == "handover" or kind == "handback"
                or str(kind).startswith("handover_")]
    return bool(handover) and handover[-1] not in _BACK_TO_BOT


def _copy(event: dict[str, Any], source: str) -> dict[str, Any]:
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    return {**event, "metadata": {**metadata, "merged_from": source}}
