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
