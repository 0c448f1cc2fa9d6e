"""The example's domain, stories, rules, test stories, NLU data and actions fit together."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from rasa_sdk import Action as SdkAction

import actions
from bot.shared.core.domain import load_domain
from bot.shared.core.domain.constants import DEFAULT_INTENTS
from bot.shared.core.stories_yaml import read_story_files
from bot.shared.project import Project

REPO = Path(__file__).resolve().parents[2]
TEST_STORIES = REPO / "tests" / "test_stories.yml"


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.discover(REPO)


@pytest.fixture(scope="module")
def domain(project: Project):
    return project.load_domain()  # domain.yml plus the retrieval answers in data/nlu/faq.yml


@pytest.fixture(scope="module")
def blocks(project: Project):
    return read_story_files([*project.story_files, TEST_STORIES], project_root=REPO)


def _events(blocks, kind: str):
    for block in blocks:
        for step in block.steps:
            alternatives = step["or"] if "or" in step else [[step]]
            for alternative in alternatives:
                for event in alternative:
                    if event.get("event") == kind:
                        yield block, event


def test_domain_file_loads_on_its_own() -> None:
    domain = load_domain(REPO / "domain.yml")
    assert domain.session_config.session_expiration_time == 60
    assert domain.session_config.carry_over_slots is True
    language = domain.slot("language")
    assert language is not None and language.influence_conversation is False


def test_every_action_in_stories_and_rules_exists(domain, blocks) -> None:
    known = set(domain.action_names_or_texts)
    missing = {(b.name, e["name"]) for b, e in _events(blocks, "action") if e.get("name") not in known}
    assert not missing, f"actions used in stories/rules but not in the domain: {sorted(missing)}"


def test_every_intent_entity_slot_and_form_in_stories_exists(domain, blocks) -> None:
    intents = set(domain.intents) | {"nlu_fallback"}
    entities = set(domain.entities)
    slots = {s.name for s in domain.slots}
    problems = []
    for block, event in _events(blocks, "user"):
        intent = event["parse_data"]["intent"]["name"]
        if intent not in intents:
            problems.append(f"{block.name}: intent {intent}")
        problems += [f"{block.name}: entity {e['entity']}" for e in event["parse_data"]["entities"]
                     if e["entity"] not in entities]
    problems += [f"{b.name}: slot {e['name']}" for b, e in _events(blocks, "slot") if e["name"] not in slots]
    problems += [f"{b.name}: form {e['name']}" for b, e in _events(blocks, "active_loop")
                 if e["name"] is not None and e["name"] not in domain.form_names]
    assert not problems


def test_nlu_intents_and_domain_intents_match(project: Project, domain) -> None:
    nlu_intents = {m.get("intent") for m in project.load_nlu_data().intent_examples}
    assert nlu_intents == set(domain.intents) - (set(DEFAULT_INTENTS) - {"out_of_scope"})


def test_every_response_speaks_both_languages_and_has_a_default(domain) -> None:
    for name, variations in domain.responses.items():
        languages = {c["value"] for v in variations for c in v.get("condition") or [] if c.get("name") == "language"}
        assert languages == {"de", "en"}, name
        assert any(not v.get("condition") for v in variations), f"{name} has no unconditioned variation"


def _sdk_actions() -> dict[str, type]:
    found = {}
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, SdkAction) and cls.__module__ == module.__name__ and not inspect.isabstract(cls):
                found[cls().name()] = cls
    return found


def test_custom_actions_and_domain_actions_match(domain) -> None:
    assert set(_sdk_actions()) == {a for a in domain.user_actions if not a.startswith("utter_")}


def test_responses_named_in_actions_exist(domain) -> None:
    source = "\n".join(p.read_text() for p in (REPO / "actions").glob("*.py"))
    named = set(re.findall(r'response="(utter_[a-z_/]+)"', source))
    assert named and named <= set(domain.responses), sorted(named - set(domain.responses))


def test_forms_have_a_question_per_slot_and_a_validation_action(domain) -> None:
    for form in domain.form_names:
        assert f"validate_{form}" in domain.user_actions
        for slot in domain.required_slots_for_form(form):
            assert f"utter_ask_{slot}" in domain.responses, slot


def test_test_stories_cover_both_languages(blocks) -> None:
    tests = [b for b in blocks if b.is_test]
    assert len(tests) >= 10
    assert sum(b.name.endswith("(de)") for b in tests) >= 5 and sum(b.name.endswith("(en)") for b in tests) >= 5
    assert all(e.get("text") for _, e in _events(tests, "user"))
