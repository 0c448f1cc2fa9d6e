"""The message processor with real stores and a rule-trained policy ensemble."""

from __future__ import annotations

import pytest

from bot.core.messages import UserMessage
from bot.core.policies.ensemble import PolicyEnsemble
from bot.core.policies.policy import TrainingStories
from bot.core.processor import MessageProcessor
from bot.shared.core.domain import Domain
from bot.shared.core.stories_yaml import read_story_text
from bot.shared.core.story_graph import expand_stories
from bot.stores import InMemoryLockStore, InMemoryTrackerStore

DOMAIN = {
    "intents": ["greet"],
    "slots": {"language": {"type": "categorical", "values": ["de", "en"], "influence_conversation": False,
                           "mappings": [{"type": "custom"}]}},
    "responses": {"utter_greet": [
        {"text": "Hallo!", "condition": [{"type": "slot", "name": "language", "value": "de"}]},
        {"text": "Hello!", "condition": [{"type": "slot", "name": "language", "value": "en"}]},
        {"text": "Hallo!"},
    ]},
}
RULES = 'rules:\n- rule: greet\n  steps:\n  - intent: greet\n  - action: utter_greet\n'


@pytest.fixture
def processor() -> MessageProcessor:
    domain = Domain.from_dict(DOMAIN)
    blocks = read_story_text(RULES, source="rules.yml")
    ensemble = PolicyEnsemble.from_config([{"name": "RulePolicy"}])
    ensemble.train(TrainingStories(blocks, expand_stories(blocks)), domain)
    return MessageProcessor(domain, None, ensemble, InMemoryTrackerStore(), InMemoryLockStore())


def _greet(language: str, confidence: float) -> UserMessage:
    parse = {"text": "x", "intent": {"name": "greet", "confidence": 1.0}, "entities": [],
             "language": {"name": language, "confidence": confidence}}
    return UserMessage("x", "c1", parse_data=parse)


async def test_replies_follow_the_detected_language_but_not_a_weak_guess(processor):
    assert [r["text"] for r in await processor.handle_message(_greet("en", 0.95))] == ["Hello!"]
    # a bare tracking number is detected weakly: the conversation keeps its language
    assert [r["text"] for r in await processor.handle_message(_greet("de", 0.2))] == ["Hello!"]
    assert [r["text"] for r in await processor.handle_message(_greet("de", 0.9))] == ["Hallo!"]


async def test_events_are_stored_in_rasa_shapes_and_a_session_starts_first(processor):
    await processor.handle_message(_greet("en", 0.95))
    events = await processor.tracker_store.get_events("c1", since_last_session_start=False)
    names = [e["event"] for e in events]
    assert names[:3] == ["action", "session_started", "action"]  # action_session_start, then listen
    assert events[0]["name"] == "action_session_start" and events[2]["name"] == "action_listen"
    assert {"user", "bot", "slot"} <= set(names)
    bot = next(e for e in events if e["event"] == "bot")
    assert bot["text"] == "Hello!" and bot["metadata"]["utter_action"] == "utter_greet"
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}


async def test_a_person_owning_the_conversation_silences_the_bot(processor):
    class Owned:
        async def is_owned_by_human(self, sender_id: str) -> bool:
            return True

    processor.ownership = Owned()
    assert await processor.handle_message(_greet("en", 0.9)) == []
    events = await processor.tracker_store.get_events("c1")
    assert [e["event"] for e in events][-2:] == ["user", "slot"]  # kept for the agent, no bot action


async def test_a_kept_tracker_reads_only_what_is_new_and_sees_outside_appends(processor):
    store = processor.tracker_store
    reads: list[int | None] = []
    read_since = store.read_since

    async def counting(sender_id, after_seq):
        reads.append(after_seq)
        return await read_since(sender_id, after_seq)

    store.read_since = counting
    await processor.handle_message(_greet("en", 0.95))  # starts the session: the next turn reads it back
    await processor.handle_message(_greet("en", 0.95))
    stored = len(await store.get_events("c1", since_last_session_start=False))
    await processor.handle_message(_greet("en", 0.95))
    assert reads == [None, None, stored]  # the third turn only asked for events after the second
    # Someone else (the API, another process) appends: the next turn sees it.
    await store.append_events("c1", [{"event": "slot", "name": "language", "value": "de"}])
    assert [r["text"] for r in await processor.handle_message(_greet("de", 0.2))] == ["Hallo!"]
    fresh = await processor.fetch_tracker("c1")
    kept = processor._trackers["c1"][1]
    assert [e.as_dict() for e in kept.events] == [e.as_dict() for e in fresh.events]


async def test_a_failed_save_leaves_no_unsaved_events_in_memory(processor):
    await processor.handle_message(_greet("en", 0.95))
    store = processor.tracker_store
    append = store.append_events

    async def failing(sender_id, events, expected_seq=None):
        raise OSError("disk full")

    store.append_events = failing
    with pytest.raises(OSError):
        await processor.handle_message(_greet("de", 0.95))
    store.append_events = append
    assert [r["text"] for r in await processor.handle_message(_greet("en", 0.2))] == ["Hello!"]
    tracker = await processor.fetch_tracker("c1")
    assert [e.text for e in tracker.events if e.type_name == "bot"] == ["Hello!", "Hello!"]


async def test_a_burst_beyond_the_turn_limit_waits_for_a_free_slot_without_holding_a_lock():
    """With one turn at a time, a second conversation's message takes no lock until the first turn ends."""
    import asyncio
    import contextlib

    domain = Domain.from_dict(DOMAIN)
    blocks = read_story_text(RULES, source="rules.yml")
    ensemble = PolicyEnsemble.from_config([{"name": "RulePolicy"}])
    ensemble.train(TrainingStories(blocks, expand_stories(blocks)), domain)
    locks = InMemoryLockStore()
    entered: list[str] = []
    release_first = asyncio.Event()

    class Watched:
        @contextlib.asynccontextmanager
        async def lock(self, sender_id, **options):
            entered.append(sender_id)
            if sender_id == "first":
                await release_first.wait()
            async with locks.lock(sender_id, **options) as held:
                yield held

    processor = MessageProcessor(domain, None, ensemble, InMemoryTrackerStore(), Watched(), max_concurrent_turns=1)

    def message(sender: str) -> UserMessage:
        return UserMessage("x", sender, parse_data={"text": "x", "intent": {"name": "greet", "confidence": 1.0},
                                                    "entities": []})

    first = asyncio.create_task(processor.handle_message(message("first")))
    while entered != ["first"]:
        await asyncio.sleep(0)
    second = asyncio.create_task(processor.handle_message(message("second")))
    for _ in range(50):  # the second message gets every chance to run; it waits for the slot
        await asyncio.sleep(0)
    assert entered == ["first"]
    release_first.set()
    assert [r["text"] for r in await first] == ["Hallo!"]
    assert [r["text"] for r in await second] == ["Hallo!"]
    assert entered == ["first", "second"]
