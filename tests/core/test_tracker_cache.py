"""The processor's tracker cache is bounded by conversations and by the events they hold."""

from __future__ import annotations

from bot.core.messages import UserMessage
from bot.core.processor import MessageProcessor
from bot.core.tracker_cache import TrackerCache
from bot.shared.core.domain import Domain
from bot.stores import InMemoryLockStore, InMemoryTrackerStore


class _Tracker:
    def __init__(self, events: int) -> None:
        self.events = [None] * events


def test_the_oldest_conversations_go_first_past_either_bound() -> None:
    cache = TrackerCache(max_conversations=3, max_events=10)
    cache["a"], cache["b"] = (1, _Tracker(4)), (1, _Tracker(4))
    cache["c"] = (1, _Tracker(4))  # 12 events > 10: "a" goes
    assert list(cache) == ["b", "c"] and cache.events == 8
    assert cache.pop("b")[0] == 1 and cache.events == 4 and cache.pop("zz", None) is None
    cache["c"] = (2, _Tracker(6))  # replacing counts the new size only
    assert cache.events == 6
    cache["huge"] = (1, _Tracker(50))  # one conversation over the budget is still kept alone
    assert list(cache) == ["huge"] and cache.events == 50


async def test_a_processor_keeps_only_a_bounded_number_of_events() -> None:
    domain = Domain.from_dict({"intents": ["greet"], "responses": {"utter_greet": [{"text": "Hallo!"}]}})
    processor = MessageProcessor(domain, None, _Listen(), InMemoryTrackerStore(), InMemoryLockStore())
    processor._trackers.max_events = 40
    parse = {"text": "hi", "intent": {"name": "greet", "confidence": 1.0}, "entities": []}
    for _turn in range(3):
        for conversation in range(10):
            await processor.handle_message(UserMessage("hi", f"c{conversation}", parse_data=parse))
    assert 0 < processor._trackers.events <= 40
    assert processor._trackers.events == sum(len(t.events) for _, t in processor._trackers.values())


class _Listen:
    """A policy ensemble that always listens (enough to store turns)."""

    def predict(self, tracker, domain):
        from bot.core.policies.policy import PolicyPrediction

        probabilities = [0.0] * len(domain.action_names_or_texts)
        probabilities[domain.index_for_action("action_listen")] = 1.0
        return "action_listen", PolicyPrediction(probabilities, "listen", 0)
