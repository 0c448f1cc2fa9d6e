"""Queue position, expected wait and when a waiting customer hears again."""

from __future__ import annotations

import pytest

from handover.waiting import (
    DEFAULT_HANDLE_SECONDS,
    QueueEntry,
    WaitNotice,
    expected_wait_seconds,
    queue_order,
    queue_position,
    should_notify,
)

QUEUE = [
    QueueEntry("late-normal", 0, 300.0),
    QueueEntry("early-normal", 0, 100.0),
    QueueEntry("late-urgent", 2, 400.0),
    QueueEntry("tie-b", 0, 200.0),
    QueueEntry("tie-a", 0, 200.0),
]


def test_priority_then_longest_waiting_then_id() -> None:
    assert [e.conversation_id for e in queue_order(QUEUE)] == [
        "late-urgent", "early-normal", "tie-a", "tie-b", "late-normal"]
    assert queue_position("late-urgent", QUEUE) == 1
    assert queue_position("late-normal", QUEUE) == 5
    assert queue_position("not-there", QUEUE) is None
    assert queue_position("x", []) is None


def test_expected_wait_from_recent_handling_times() -> None:
    history = [240.0, 300.0, 360.0, 3600.0 * 8, 200.0, 400.0]  # one left open all day: the median ignores it
    median = 330.0
    assert expected_wait_seconds(1, 1, history) == pytest.approx(0.5 * median)
    assert expected_wait_seconds(3, 1, history) == pytest.approx(2.5 * median)
    assert expected_wait_seconds(6, 6, history) == pytest.approx(5.5 * median / 6)
    # The longer the queue, the longer the wait; more agents, shorter.
    waits = [expected_wait_seconds(p, 3, history) for p in range(1, 10)]
    assert waits == sorted(waits) and len(set(waits)) == len(waits)
    assert expected_wait_seconds(9, 6, history) < expected_wait_seconds(9, 3, history)


def test_free_slots_and_nobody_online() -> None:
    assert expected_wait_seconds(2, 6, [300.0] * 10, free_slots=2) == 0.0
    assert expected_wait_seconds(3, 6, [300.0] * 10, free_slots=2) == pytest.approx(0.5 * 300 / 6)
    assert expected_wait_seconds(1, 0, [300.0] * 10) is None
    with pytest.raises(ValueError, match="position"):
        expected_wait_seconds(0, 3, [])


def test_fallback_without_enough_history() -> None:
    assert expected_wait_seconds(1, 1, [10.0, 20.0]) == pytest.approx(0.5 * DEFAULT_HANDLE_SECONDS)
    assert expected_wait_seconds(1, 1, [], default_handle_seconds=120) == pytest.approx(60)
    assert expected_wait_seconds(1, 1, [float("nan"), -5, 0] + [100.0] * 5) == pytest.approx(50)


def test_notices_at_most_once_a_minute_and_only_on_change() -> None:
    first = WaitNotice.build(4, 250.0, now=1000.0)
    assert (first.position, first.wait_minutes) == (4, 5)
    assert should_notify(None, first, now=1000.0)
    same = WaitNotice.build(4, 241.0, now=1100.0)  # still "5 minutes"
    assert not should_notify(first, same, now=1100.0)
    moved = WaitNotice.build(3, 180.0, now=1030.0)
    assert not should_notify(first, moved, now=1030.0)  # changed, but too soon
    assert should_notify(first, moved, now=1060.0)
    assert should_notify(first, WaitNotice.build(4, None, now=1200.0), now=1200.0)  # nobody online now
    assert WaitNotice.build(1, 0.0, now=0).wait_minutes == 0
    assert not should_notify(first, moved, now=1200.0, min_interval=300)
