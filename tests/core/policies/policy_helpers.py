"""Helpers for policy tests: tiny domains and stories written inline (conftest puts this folder on sys.path)."""

from __future__ import annotations

import textwrap

from bot.core.policies.policy import TrainingStories
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import ActionExecuted, Event, UserUttered
from bot.shared.core.stories_yaml import read_story_text
from bot.shared.core.story_graph import expand_stories
from bot.shared.yaml_io import read_yaml

DOMAIN_YAML = """
intents: [greet, goodbye, mood_great, mood_unhappy, affirm, deny, chitchat, request_form, inform, stop]
entities: [name]
slots:
  name:
    type: text
    mappings: [{type: from_entity, entity: name}]
  confirmed:
    type: bool
    mappings: [{type: custom}]
forms:
  some_form:
    required_slots: [name]
actions: [action_custom]
responses:
  utter_greet: [{text: hi}]
  utter_goodbye: [{text: bye}]
  utter_happy: [{text: great}]
  utter_cheer_up: [{text: cheer}]
  utter_did_that_help: [{text: help?}]
  utter_chitchat: [{text: chat}]
  utter_submit: [{text: done}]
  utter_ask_continue: [{text: continue?}]
  utter_noworries: [{text: np}]
"""


def make_domain(text: str = DOMAIN_YAML) -> Domain:
    return Domain.from_dict(read_yaml(textwrap.dedent(text), "domain.yml"))


def training(text: str, source: str = "data/stories.yml") -> TrainingStories:
    blocks = read_story_text(textwrap.dedent(text), source)
    return TrainingStories(blocks, expand_stories(blocks))


def user(intent: str, text: str | None = None, entities: list | None = None) -> UserUttered:
    return UserUttered(text, {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or []})


def tracker_of(domain: Domain, *steps: Event | str) -> DialogueStateTracker:
    """A tracker from events; a string is an executed action's name."""
    events = [ActionExecuted(step) if isinstance(step, str) else step for step in steps]
    return DialogueStateTracker.from_events("test", events, domain.slots)


def predicted(prediction, domain: Domain) -> str:
    return domain.action_names_or_texts[prediction.max_confidence_index]
