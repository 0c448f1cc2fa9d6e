"""A turn that fails never loses the customer's message; FollowupAction from a custom action works."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.actions.in_process import InProcessActionExecutor
from bot.core.messages import UserMessage
from bot.core.policies.ensemble import PolicyEnsemble
from bot.core.policies.policy import TrainingStories
from bot.core.processor import MessageProcessor
from bot.shared.core.domain import Domain
from bot.shared.core.stories_yaml import read_story_text
from bot.shared.core.story_graph import expand_stories
from bot.stores import InMemoryLockStore, InMemoryTrackerStore

DOMAIN = {
    "intents": ["greet", "jump"],
    "actions": ["action_jump"],
    "responses": {"utter_greet": [{"text": "Hallo!"}], "utter_landed": [{"text": "Gelandet."}]},
}
RULES = """
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: jump
  steps:
  - intent: jump
  - action: action_jump
"""
# rasa_sdk's FollowupAction, returned the way a project's custom action returns it.
ACTIONS = '''
from rasa_sdk import Action
from rasa_sdk.events import FollowupAction


class ActionJump(Action):
    def name(self):
        return "action_jump"

    def run(self, dispatcher, tracker, domain):
        return [FollowupAction("utter_landed")]
'''


def _processor(executor=None) -> MessageProcessor:
    domain = Domain.from_dict(DOMAIN)
    blocks = read_story_text(RULES, source="rules.yml")
    ensemble = PolicyEnsemble.from_config([{"name": "RulePolicy"}])
    ensemble.train(TrainingStories(blocks, expand_stories(blocks)), domain)
    return MessageProcessor(domain, None, ensemble, InMemoryTrackerStore(), InMemoryLockStore(), executor)


def _message(intent: str, text: str) -> UserMessage:
    parse = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return UserMessage(text, "anna", parse_data=parse)


async def test_a_custom_actions_followup_action_runs_next(tmp_path: Path) -> None:
    package = tmp_path / "followup_probe_actions"
    package.mkdir()
    (package / "__init__.py").write_text(ACTIONS, encoding="utf-8")
    executor = InProcessActionExecutor("followup_probe_actions", tmp_path)
    assert executor.found
    processor = _processor(executor)
    replies = await processor.handle_message(_message("jump", "spring"))
    assert [r["text"] for r in replies][:1] == ["Gelandet."]
    events = await processor.tracker_store.get_events("anna")
    names = [e.get("name") for e in events if e["event"] in ("action", "followup")]
    # the custom action, its FollowupAction event, then the action it forced (no policy asked)
    assert names[1:4] == ["action_jump", "utter_landed", "utter_landed"]


async def test_a_turn_that_fails_keeps_the_customers_message() -> None:
    processor = _processor()
    predict = processor.policies.predict

    def broken(tracker, domain):
        raise RuntimeError("policy bug")

    processor.policies.predict = broken
    with pytest.raises(RuntimeError):
        await processor.handle_message(_message("greet", "hallo, ist da wer?"))
    events = await processor.tracker_store.get_events("anna")
    assert [e["text"] for e in events if e["event"] == "user"] == ["hallo, ist da wer?"]
    assert not [e for e in events if e["event"] == "bot"]  # the half-run turn is not stored

    processor.policies.predict = predict
    assert [r["text"] for r in await processor.handle_message(_message("greet", "hallo?"))] == ["Hallo!"]
    tracker = await processor.fetch_tracker("anna")
    assert [e.text for e in tracker.events if e.type_name == "user"] == ["hallo, ist da wer?", "hallo?"]
