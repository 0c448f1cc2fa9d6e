"""Domain model: intents/entities/actions as Rasa builds them, merging, sessions, errors."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from bot.shared.core.domain import Domain, DomainWarning, load_domain
from bot.shared.core.domain.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS
from bot.shared.errors import InvalidDomain

FIXTURES = Path(__file__).resolve().parents[4].parent / "shared" / "rasa-fixtures" / "test_domains"


def write(tmp_path: Path, text: str, name: str = "domain.yml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_intent_entity_properties_like_rasa() -> None:
    domain = load_domain(FIXTURES / "default_unfeaturized_entities.yml")
    assert domain.used_entities("greet") == ["name", "used_entity"]
    assert domain.used_entities("default") == ["name", "other", "used_entity"]
    assert domain.used_entities("goodbye") == [] and domain.used_entities("thank") == []
    assert domain.used_entities("pure_intent") == ["name", "other", "unrelated_recognized_entity", "used_entity"]
    assert domain.as_dict()["intents"] == [
        {"ask": {"use_entities": True}},
        {"default": {"ignore_entities": ["unrelated_recognized_entity"]}},
        {"goodbye": {"use_entities": []}},
        {"greet": {"use_entities": ["name", "used_entity"]}},
        "pure_intent",
        {"thank": {"use_entities": []}},
        {"why": {"use_entities": []}},
    ]
    assert set(DEFAULT_INTENTS) <= set(domain.intents)
    assert domain.intents == sorted(domain.intents)


def test_roles_groups_and_entity_states() -> None:
    domain = load_domain(FIXTURES / "travel_form.yml")
    assert domain.roles == {"GPE": ["destination", "origin"]}
    assert "GPE#origin" in domain.entity_states
    assert domain.used_entities("inform") == ["GPE", "GPE#destination", "GPE#origin"]
    assert domain.used_entities("greet") == ["name"]
    assert domain.as_dict()["entities"] == [{"GPE": {"roles": ["destination", "origin"]}}, "name"]


def test_action_names_order_and_send_domain() -> None:
    domain = load_domain(FIXTURES / "valid_actions.yml")
    user = ["utter_default", "action_send_mail", "action_send_mail2", "action_send_mail3", "action_hello",
            "utter_goodbye", "utter_greet"]
    assert domain.action_names_or_texts == DEFAULT_ACTION_NAMES + user
    assert domain.actions_which_explicitly_need_domain == ["utter_default", "action_send_mail2"]
    assert domain.index_for_action("action_listen") == 0


def test_forms_become_actions_and_requested_slot_is_added() -> None:
    domain = load_domain(FIXTURES / "restaurant_form.yml")
    assert domain.action_names_or_texts[-1] == "restaurant_form"
    assert domain.required_slots_for_form("restaurant_form") == ["cuisine", "people"]
    requested = domain.slot("requested_slot")
    assert requested is not None and not requested.influence_conversation
    assert domain.slot("session_started_metadata") is not None


def test_retrieval_responses_make_one_action_and_mark_the_intent() -> None:
    domain = load_domain(FIXTURES / "mixed_retrieval_intents.yml")
    assert domain.retrieval_intents == ["chitchat"]
    assert list(domain.retrieval_intent_responses) == ["utter_chitchat/ask_weather", "utter_chitchat/ask_name"]
    assert domain.action_names_or_texts.count("utter_chitchat") == 1
    assert not any("/" in a for a in domain.action_names_or_texts)


@pytest.mark.filterwarnings("ignore::bot.shared.core.domain.DomainWarning")
def test_directory_merge_and_session_config(tmp_path: Path) -> None:
    loaded = load_domain(FIXTURES / "test_domain_with_separate_session_config")
    assert loaded.session_config.session_expiration_time == 1
    nested = load_domain(FIXTURES / "test_domain_files_with_no_session_config_and_custom_session_config")
    assert nested.session_config.session_expiration_time == 0 and not nested.session_config.carry_over_slots
    assert "utter_test" in nested.responses
    tree = load_domain(FIXTURES / "test_domain_from_directory_tree")
    assert {"utter_root", "utter_skill_1", "utter_skill_2", "utter_subskill"} <= set(tree.intents)
    assert set(tree.entities) == {"pandemic", "ball", "chess", "cluedo", "monopoly"}


@pytest.mark.filterwarnings("ignore::bot.shared.core.domain.DomainWarning")
def test_duplicates_across_files_warn(tmp_path: Path) -> None:
    with pytest.warns(DomainWarning, match="intent 'greet' is declared again"):
        domain = load_domain(FIXTURES / "test_domain_with_duplicates")
    assert domain.responses["utter_greet"] == [{"text": "Hey! How are you?"}]


def test_conflicting_session_configs_first_wins(tmp_path: Path) -> None:
    write(tmp_path, "session_config:\n  session_expiration_time: 5\n", "a.yml")
    write(tmp_path, "session_config:\n  session_expiration_time: 9\n", "b.yml")
    with pytest.warns(DomainWarning, match="session_config"):
        domain = load_domain(tmp_path)
    assert domain.session_config.session_expiration_time == 5


def test_session_config_defaults() -> None:
    domain = Domain.empty()
    assert domain.session_config.session_expiration_time == 60 and domain.session_config.carry_over_slots
    assert Domain.from_dict({"session_config": {"carry_over_slots_to_new_session": False}}).session_config \
        .session_expiration_time == 60
    assert domain.is_empty() and not load_domain(FIXTURES / "default.yml").is_empty()


def test_merge_keeps_self_unless_override() -> None:
    first = Domain.from_dict({"intents": ["greet"], "responses": {"utter_greet": [{"text": "hi"}]},
                              "config": {"store_entities_as_slots": True}})
    second = Domain.from_dict({"intents": ["bye"], "responses": {"utter_greet": [{"text": "yo"}],
                                                                 "utter_bye": [{"text": "bye"}]},
                               "session_config": {"session_expiration_time": 7},
                               "config": {"store_entities_as_slots": False}})
    merged = first.merge(second)
    assert {"greet", "bye"} <= set(merged.intents)
    assert merged.responses["utter_greet"] == [{"text": "hi"}]
    assert merged.session_config.session_expiration_time == 7  # explicit beats default
    assert merged.store_entities_as_slots is True
    assert first.merge(second, override=True).responses["utter_greet"] == [{"text": "yo"}]


def test_fingerprint_is_stable_and_sensitive() -> None:
    a = load_domain(FIXTURES / "default.yml")
    b = load_domain(FIXTURES / "default.yml")
    assert a.fingerprint() == b.fingerprint()
    c = Domain.from_dict({**a.as_dict(), "intents": ["greet"]})
    assert c.fingerprint() != a.fingerprint()


def test_from_dict_does_not_change_input() -> None:
    data = {"intents": [{"greet": {"use_entities": None}}], "entities": ["name"],
            "slots": {"name": {"type": "text", "mappings": [{"type": "from_text"}]}}}
    before = repr(data)
    Domain.from_dict(data)
    assert repr(data) == before


@pytest.mark.parametrize(("text", "message", "hint"), [
    ("slots:\n  s:\n    type: txt\n    mappings:\n    - type: from_text\n", "unknown type 'txt'", "did you mean 'text'"),
    ("slots:\n  s:\n    type: text\n    mappings:\n    - type: from_entiti\n      entity: e\n",
     "mapping of unknown type 'from_entiti'", "did you mean 'from_entity'"),
    ("slots:\n  s:\n    type: text\n", "slot 's' has no 'mappings'", "mappings:"),
    ("forms:\n  f:\n    required_slots:\n      s:\n      - type: from_text\n", "Rasa 2 syntax", "required_slots:"),
    ("forms:\n  f:\n    s:\n    - type: from_text\n", "unknown key(s) ['s']", "required_slots:"),
    ("forms:\n  f:\n    required_slots:\n    - nope\n", "requires slot 'nope'", "mappings:"),
    ("intents:\n- greet:\n", "followed by ':' but has no properties", "remove the ':'"),
    ("slots:\n  s:\n    type: any\n    influence_conversation: true\n    mappings:\n    - type: custom\n",
     "cannot influence the conversation", "influence_conversation: false"),
    ("session_config:\n  session_expiration_time: soon\n", "number of minutes", "60"),
    ("responses:\n  utter_x:\n  - image: http://x/y.png\n", "without 'text' or 'custom'", "custom"),
])
def test_errors_name_the_line_and_the_fix(tmp_path: Path, text: str, message: str, hint: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidDomain) as caught:
        load_domain(path)
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")
    assert caught.value.location and caught.value.location.startswith(str(path) + ":")


def test_undeclared_entity_mapping_warns(tmp_path: Path) -> None:
    path = write(tmp_path, "slots:\n  s:\n    type: text\n    mappings:\n    - type: from_entity\n      entity: e\n")
    with pytest.warns(DomainWarning, match="entity 'e', which is not declared"):
        load_domain(path)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidDomain, match="domain not found"):
        load_domain(tmp_path / "nope.yml")


def test_non_domain_yaml_in_directory_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "intents:\n- greet\n", "domain.yml")
    write(tmp_path, "pipeline: []\npolicies: []\n", "config.yml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "greet" in load_domain(tmp_path).intents


def test_intent_keys_rasa_schema_allows_are_kept(tmp_path) -> None:
    # Rasa 3.6 writes `is_retrieval_intent` into domains it dumps, and its schema allows any key on an intent.
    path = write(tmp_path, textwrap.dedent("""\
        intents:
        - chitchat:
            is_retrieval_intent: true
            use_entities: []
        - faq:
            triggers: action_faq
            team_note: reviewed
        - greet
        actions: [action_faq]
        """), "domain.yml")
    domain = load_domain(path)
    assert domain.retrieval_intents == ["chitchat"]
    assert domain.intent_properties["faq"]["team_note"] == "reviewed"
    assert domain.used_entities("chitchat") == []
    assert {"chitchat": {"is_retrieval_intent": True, "use_entities": []}} in domain.as_dict()["intents"]
