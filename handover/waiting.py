"""What a waiting customer is told: their place in the queue, the expected wait, and when to update it.

    position = queue_position("conv-7", waiting)                   # 1 = next in line
    wait = expected_wait_seconds(position, agents_online_with_capacity=2, recent_handle_seconds=[...])
    notice = WaitNotice.build(position, wait, now)
    if should_notify(last_notice, notice, now): send it, remember it

Pure: the queue, the agents and the clock are passed in.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "DEFAULT_HANDLE_SECONDS", "QueueEntry", "WaitNotice", "expected_wait_seconds", "queue_order",
    "queue_position", "queue_sort_key", "should_notify",
]

# Without enough history, assume an agent needs five minutes a conversation (a common chat AHT).
DEFAULT_HANDLE_SECONDS = 300.0


class QueueEntry(NamedTuple):
    """One conversation waiting in a queue."""

    conversation_id: str
    priority: int
    queued_at: float


def queue_sort_key(priority: int, queued_at: float, conversation_id: str = "") -> tuple[int, float, str]:
    """The queue's order: higher priority first, then longest waiting, then the id (so ties are stable).

    Routing and the position shown to customers both use this key, so they never disagree.
    """
    return (-priority, queued_at, conversation_id)


def queue_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The entries in the order agents are offered them."""
    return sorted(entries, key=lambda e: queue_sort_key(e.priority, e.queued_at, e.conversation_id))


def queue_position(conversation_id: str, entries: Iterable[QueueEntry]) -> int | None:
    """1-based place of `conversation_id` in its queue; None when it is not waiting there."""
    for index, entry in enumerate(queue_order(entries), start=1):
        if entry.conversation_id == conversation_id:
            return index
    return None


def expected_wait_seconds(position: int, agents_online_with_capacity: int,
                          recent_handle_seconds: Sequence[float], *, free_slots: int = 0,
                          default_handle_seconds: float = DEFAULT_HANDLE_SECONDS,
                          min_history: int = 5) -> float | None:
    """Seconds until an agent is likely free for the customer at `position`; None when nobody is online.

    `agents_online_with_capacity` is the number of conversations the online agents of this queue can
    hold at once (agents × capacity); `free_slots` those open right now, whose customers are served at
    once (0 s). The k-th customer after those waits for k slots to turn over. All slots together
    finish `slots / handle` conversations a second, and a busy slot is on average halfway through
    its conversation, so the wait is (k - 0.5) × handle / slots. The handling time is the median of
    recent ones (robust to one conversation left open all day), or `default_handle_seconds` with
    fewer than `min_history` of them.
    """
    if position < 1:
        raise ValueError(f"A queue position starts at 1, not {position}.")
    slots = max(agents_online_with_capacity, 0)
    if slots == 0:
        return None
    if position <= free_slots:
        return 0.0
    history = [s for s in recent_handle_seconds if s is not None and math.isfinite(s) and s > 0]
    handle = statistics.median(history) if len(history) >= min_history else default_handle_seconds
    ahead = position - max(free_slots, 0)
    return (ahead - 0.5) * handle / slots


@dataclass(frozen=True)
class WaitNotice:
    """What the customer was (or would be) told: their position and the wait in whole minutes."""

    position: int | None
    wait_minutes: int | None
    sent_at: float

    @classmethod
    def build(cls, position: int | None, wait_seconds: float | None, now: float) -> WaitNotice:
        """Rounds the wait up to whole minutes: customers are told minutes, so seconds never re-notify."""
        if wait_seconds is None:
            return cls(position, None, now)
        return cls(position, math.ceil(wait_seconds / 60) if wait_seconds > 0 else 0, now)


def should_notify(previous_notice: WaitNotice | None, new_notice: WaitNotice, now: float,
                  min_interval: float = 60.0) -> bool:
    """Tell the customer again? Only when position or wait changed, and at most once per `min_interval`."""
    if previous_notice is None:
        return True
    if now - previous_notice.sent_at < min_interval:
        return False
    return (new_notice.position, new_notice.wait_minutes) != (previous_notice.position, previous_notice.wait_minutes)
