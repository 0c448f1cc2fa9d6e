"""Stories, rules and test stories in Rasa 3.x YAML: reading, errors, unfolding."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.shared.core.stories_yaml import (
    is_story_file,
    is_test_story_file,
    read_story_file,
    read_story_files,
    read_story_text,
)
from bot.shared.core.story_graph import expand_or_steps, expand_stories
from bot.shared.core.story_steps import ANY_VALUE, RULE_SNIPPET_ACTION, STORY_START, fill_any_value_slots
from bot.shared.errors import InvalidTrainingData, InvalidYaml

DATA = Path(__file__).resolve().parent.parent / "data" / "stories"


def read(text: str, **kwargs):
    return read_story_text(textwrap.dedent(text), source="stories.yml", **kwargs)


def intent_of(event: dict) -> str | None:
    return event["parse_data"]["intent"]["name"]


# --- steps -----------------------------------------------------------------------------------


def test_user_and_action_steps_become_rasa_events():
    [story] = read("""
        stories:
        - story: greet
          steps:
          - intent: greet
            entities:
            - city: Berlin
            - name
            - city: Paris
              role: destination
            - city: Rome
              group: "2"
            - entity: city
          - action: utter_greet
          - bot: Hello!
        """)
    assert story.kind == "story" and story.name == "greet" and story.location == "stories.yml:3"
    user, action, bot = story.steps
    assert user == {
        "event": "user", "text": None,
        "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "text": None, "entities": [
            {"entity": "city", "value": "Berlin"},
            {"entity": "name", "value": ""},
            {"entity": "city", "value": "Paris", "role": "destination"},
            {"entity": "city", "value": "Rome", "group": "2"},
            {"entity": "entity", "value": "city"},  # as Rasa 3.6 reads it
        ]},
    }
    assert action == {"event": "action", "name": "utter_greet"}
    assert bot == {"event": "action", "name": None, "action_text": "Hello!"}
    assert story.step_locations == ["stories.yml:5", "stories.yml:14", "stories.yml:15"]


def test_story_entity_written_with_entity_and_value_keys_is_refused_with_the_rasa_form():
    with pytest.raises(InvalidTrainingData) as caught:
        read("""
            stories:
            - story: greet
              steps:
              - intent: greet
                entities:
                - entity: city
                  value: Rome
              - action: utter_greet
            """)
    assert caught.value.location == "stories.yml:7"
    assert "write '- city: Rome' instead" in str(caught.value)


def test_slot_and_active_loop_steps():
    [story] = read("""
        stories:
        - story: form
          steps:
          - intent: request
          - action: restaurant_form
          - active_loop: restaurant_form
          - slot_was_set:
            - cuisine: italian
            - seats: [1, 2]
            - confirmed: true
            - requested_slot: null
            - name
          - active_loop: null
        """)
    events = story.steps[2:]
    assert events[0] == {"event": "active_loop", "name": "restaurant_form"}
    assert events[1:5] == [
        {"event": "slot", "name": "cuisine", "value": "italian"},
        {"event": "slot", "name": "seats", "value": [1, 2]},
        {"event": "slot", "name": "confirmed", "value": True},
        {"event": "slot", "name": "requested_slot", "value": None},
    ]
    assert events[5] == {"event": "slot", "name": "name", "value": None, ANY_VALUE: True}
    assert events[6] == {"event": "active_loop", "name": None}
    filled = fill_any_value_slots(story.events, lambda slot: "filled")
    assert filled[-2] == {"event": "slot", "name": "name", "value": "filled"}


def test_end_to_end_user_text_with_entity_markup():
    pytest.importorskip("bot.shared.nlu.readers.entity_markup")
    [story] = read("""
        stories:
        - story: e2e
          steps:
          - user: |
              I want [Kenyan](cuisine) food
          - bot: good for you
          - user: hi
            intent: greet
        """)
    first, _, second = story.steps
    assert first["text"] == "I want Kenyan food"
    assert intent_of(first) is None
    [entity] = first["parse_data"]["entities"]
    assert (entity["entity"], entity["value"], entity["start"], entity["end"]) == ("cuisine", "Kenyan", 7, 13)
    assert second["text"] == "hi" and intent_of(second) == "greet"


def test_user_text_with_intent_prefix_sends_the_intent():
    [story] = read("""
        stories:
        - story: direct intent
          steps:
          - user: '/inform{"city": "Oslo"}'
          - action: utter_ok
        """)
    user = story.steps[0]
    assert intent_of(user) == "inform"
    assert user["parse_data"]["entities"] == [{"entity": "city", "value": "Oslo"}]


def test_leading_slash_in_intent_is_dropped(caplog):
    [story] = read("""
        stories:
        - story: s
          steps:
          - intent: /simple
          - action: utter_default
        """)
    assert intent_of(story.steps[0]) == "simple"
    assert "starts with '/'" in caplog.text


def test_or_and_checkpoints_are_kept_explicit():
    [story] = read("""
        stories:
        - story: s
          steps:
          - checkpoint: start_here
            slot_was_set:
            - name: Ada
          - or:
            - intent: affirm
            - intent: thanks
            - slot_was_set:
              - happy: true
          - action: utter_ok
          - checkpoint: end_here
        """)
    assert story.steps[0] == {"checkpoint": "start_here", "conditions": {"name": "Ada"}}
    alternatives = story.steps[1]["or"]
    assert [intent_of(a[0]) for a in alternatives[:2]] == ["affirm", "thanks"]
    assert alternatives[2] == [{"event": "slot", "name": "happy", "value": True}]
    assert [c.name for c in story.start_checkpoints] == ["start_here"]
    assert story.start_checkpoints[0].conditions == {"name": "Ada"}
    assert [c.name for c in story.end_checkpoints] == ["end_here"]
    assert not story.is_linear
    with pytest.raises(ValueError):
        _ = story.events


def test_rules_keep_condition_and_flags():
    rules = read("""
        rules:
        - rule: activate form
          condition:
          - active_loop: null
          - slot_was_set:
            - done: false
          steps:
          - intent: request
          - action: my_form
          - active_loop: my_form
        - rule: welcome
          conversation_start: true
          steps:
          - intent: greet
          - action: utter_greet
        - rule: chain
          wait_for_user_input: false
          steps:
          - intent: greet
          - action: action_listen
        """)
    first, welcome, chain = rules
    assert first.kind == "rule" and first.is_rule
    assert first.condition == [{"event": "active_loop", "name": None},
                               {"event": "slot", "name": "done", "value": False}]
    assert len(first.steps) == 3
    assert first.conversation_start is False and first.wait_for_user_input is True
    assert first.rule_events()[2] == {"event": "action", "name": RULE_SNIPPET_ACTION}
    assert welcome.conversation_start is True
    assert RULE_SNIPPET_ACTION not in [e.get("name") for e in welcome.rule_events()]
    assert chain.wait_for_user_input is False
    assert chain.rule_events()[-1] == {"event": "action", "name": RULE_SNIPPET_ACTION}
    assert chain.steps[-1] == {"event": "action", "name": "action_listen"}


def test_metadata_is_kept_and_metadata_only_steps_skipped():
    [story] = read("""
        stories:
        - story: s
          metadata:
            author: me
          steps:
          - intent: greet
            metadata:
              channel: web
          - metadata:
              note: ignored
          - action: utter_greet
        """)
    assert story.metadata == {"author": "me"}
    assert story.steps[0]["metadata"] == {"channel": "web"}
    assert len(story.steps) == 2


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("yaml", "line", "words"), [
    ("stories:\n- story: s\n  steps:\n  - acton: utter_x\n", 4, "did you mean 'action'"),
    ("stories:\n- story: s\n", 2, "has no steps"),
    ("stories:\n- story: s\n  steps: []\n", 3, "has no steps"),
    ("stories:\n- story: ''\n  steps:\n  - action: a\n", 2, "empty name"),
    ("stories:\n- steps:\n  - action: a\n", 2, "no 'story:' name"),
    ("stories:\n- story: s\n  steps:\n  - intent: greet\n    action: utter_greet\n", 5, "mixes 'intent' with 'action'"),
    ("stories:\n- story: s\n  steps:\n  - slot_was_set:\n      a: 1\n", 4, "'slot_was_set' must be a list"),
    ("stories:\n- story: s\n  steps:\n  - intent: x\n    entites: [a]\n", 5, "did you mean 'entities'"),
    ("stories:\n- story: s\n  steps:\n  - slot_was_set:\n    - [1, 2]\n", 5, "cannot read slot"),
    ("rules:\n- rule: r\n  steps:\n  - checkpoint: c\n  - action: a\n", 4, "rules cannot"),
    ("rules:\n- rule: r\n  condition:\n  - intent: greet\n  steps:\n  - action: a\n", 4, "condition can only"),
    ("rules:\n- rule: r\n  conversation_start: yes please\n  steps:\n  - action: a\n", 3, "true or false"),
    ("stories:\n- story: s\n  condition: []\n  steps:\n  - action: a\n", 3, "only rules have it"),
    ("stories:\n- story: s\n  steps:\n  - or:\n    - action: a\n", 5, "'or' can only hold"),
    ("stories:\n- story: s\n  steps:\n  - intent:\n  - action: a\n", 4, "'intent:' is empty"),
    ("stories:\n- story: s\n  steps:\n  - action_listen\n", 4, "unexpected step"),
    ("stories:\n- story: s\n  steps:\n  - intent: x\n    entities: city\n", 5, "'entities' must be a list"),
    ("stories: hello\n", 1, "must be a list"),
])
def test_mistakes_name_file_line_and_fix(yaml, line, words):
    with pytest.raises(InvalidTrainingData) as caught:
        read_story_text(yaml, source="data/stories.yml")
    assert caught.value.location == f"data/stories.yml:{line}"
    assert words in str(caught.value)
    assert caught.value.hint


def test_a_rule_under_stories_is_skipped_with_a_warning_naming_its_line(caplog):
    blocks = read_story_text("stories:\n- rule: r\n  steps:\n  - action: a\n- story: s\n  steps:\n  - action: b\n",
                             source="data/stories.yml")
    assert [b.name for b in blocks] == ["s"]  # as Rasa: the misplaced block is skipped, not fatal
    assert "data/stories.yml:2" in caplog.text and "move it under 'rules:'" in caplog.text


def test_broken_yaml_is_reported_with_line(tmp_path):
    path = tmp_path / "stories.yml"
    path.write_text("stories:\n- story: s\n  steps: [\n")
    with pytest.raises(InvalidYaml):
        read_story_file(path)


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["story", "rule", "steps", "intent", "action", "or",
                                                       "checkpoint", "slot_was_set", "user", "x"]),
                                      inner, max_size=3),
                    max_leaves=12))
def test_any_yaml_shape_is_read_or_rejected_cleanly(content):
    from bot.shared.core.stories_yaml import _read_content

    try:
        _read_content({"stories": content}, "s.yml", False)
        _read_content({"rules": content}, "s.yml", False)
    except InvalidTrainingData as error:
        assert error.location and error.location.startswith("s.yml")


# --- files -----------------------------------------------------------------------------------


def test_file_detection():
    assert is_story_file(DATA / "stories.yml")
    assert is_story_file(DATA / "rules.yml")
    assert not is_story_file(DATA / "nlu.yml")
    assert not is_story_file(DATA / "missing.yml")
    assert is_test_story_file(DATA / "tests" / "conversations.yml", project_root=DATA)
    assert not is_test_story_file(DATA / "stories.yml", project_root=DATA)
    assert is_test_story_file(DATA / "stories.yml", project_root=DATA.parents[3])  # under the repo tests/


def test_reading_a_directory_finds_story_files_only():
    blocks = read_story_files([DATA], project_root=DATA)
    assert sorted(b.name for b in blocks) == ["greet and ask name", "happy path", "name given", "say goodbye"]
    [test_story] = [b for b in blocks if b.name == "happy path"]
    assert test_story.is_test and test_story.location.endswith("conversations.yml:2")
    assert not any(b.is_test for b in blocks if b is not test_story)


def test_every_rasa_bot_story_rule_and_test_file_loads(shared_dir):
    bots = shared_dir / "rasa-bots"
    files = sorted([*bots.glob("*/data/**/*.yml"), *bots.glob("*/tests/*.yml")])
    story_files = [f for f in files if is_story_file(f)]
    assert len(story_files) >= 30
    blocks = read_story_files(story_files)
    assert len(blocks) > 200
    assert all(block.steps for block in blocks)
    # financial-demo uses `or`; its stories must unfold into more paths than there are stories.
    financial = read_story_files([bots / "financial-demo" / "data"])
    assert len(expand_stories(financial)) > len(financial)


# --- unfolding -------------------------------------------------------------------------------


def test_or_steps_multiply():
    [story] = read("""
        stories:
        - story: s
          steps:
          - or:
            - intent: a
            - intent: b
          - action: x
          - or:
            - intent: c
            - intent: d
            - intent: e
        """)
    variants = expand_or_steps(story.steps)
    assert len(variants) == 6
    assert [intent_of(v[0]) + intent_of(v[2]) for v in variants][:2] == ["ac", "ad"]
    assert len(expand_or_steps(story.steps, limit=4)) == 4


def test_rules_with_the_same_steps_for_different_forms_are_all_kept():
    # Each form has its own "no thanks" rule; they differ only in their condition.
    blocks = read("""
        rules:
        - rule: stop tracking
          condition:
          - active_loop: tracking_form
          steps:
          - intent: deny
          - action: action_deactivate_loop
          - active_loop: null
        - rule: stop ordering
          condition:
          - active_loop: order_form
          steps:
          - intent: deny
          - action: action_deactivate_loop
          - active_loop: null
        - rule: same steps again
          condition:
          - active_loop: order_form
          steps:
          - intent: deny
          - action: action_deactivate_loop
          - active_loop: null
        """)
    trajectories = expand_stories(blocks)
    assert [(t.name, t.condition[0]["name"]) for t in trajectories] == [
        ("stop tracking", "tracking_form"), ("stop ordering", "order_form")]


def test_checkpoints_join_stories():
    trajectories = expand_stories(read_story_files([DATA / "stories.yml"]))
    assert len(trajectories) == 2
    names = [[e.get("name") or intent_of(e) for e in t.events] for t in trajectories]
    assert names == [["greet", "utter_greet", "inform", "utter_thanks"],
                     ["greet", "utter_greet", "affirm", "utter_thanks"]]
    assert trajectories[0].name == "greet and ask name > name given"


def test_checkpoint_in_the_middle_and_slot_conditions():
    blocks = read("""
        stories:
        - story: ask
          steps:
          - intent: greet
          - checkpoint: greeted
          - action: utter_ask
          - slot_was_set:
            - vip: true
          - checkpoint: asked
        - story: vip
          steps:
          - checkpoint: asked
            slot_was_set:
            - vip: true
          - action: utter_vip
        - story: normal
          steps:
          - checkpoint: asked
            slot_was_set:
            - vip: false
          - action: utter_normal
        - story: from greeted
          steps:
          - checkpoint: greeted
          - action: utter_hello
        """)
    sequences = sorted([e.get("name") or intent_of(e) for e in t.events] for t in expand_stories(blocks))
    assert sequences == [["greet", "utter_ask", "vip", "utter_vip"], ["greet", "utter_hello"]]


def test_cycles_terminate_and_unused_checkpoints_drop(shared_dir, caplog):
    fixtures = shared_dir / "rasa-fixtures" / "test_yaml_stories"
    cycle = read_story_files([fixtures / "stories_with_cycle.yml"])
    once = expand_stories(cycle, entity_slots={"name"})
    twice = expand_stories(cycle, entity_slots={"name"}, max_visits=2)
    assert 0 < len(once) < len(twice)
    assert all(t.events[-1] == {"event": "action", "name": "action_restart"} for t in twice)
    assert expand_stories(read_story_files([fixtures / "stories_unused_checkpoints.yml"])) == []
    assert "check_end_1" in caplog.text


def test_cap_on_combinations():
    steps = "\n".join("  - or:\n    - intent: a\n    - intent: b\n  - action: x" for _ in range(12))
    blocks = read_story_text(f"stories:\n- story: big\n  steps:\n{steps}\n", "s.yml")
    assert len(expand_stories(blocks, max_trajectories=100)) == 100


def test_rules_unfold_with_their_condition():
    rules = read("""
        rules:
        - rule: r
          condition:
          - active_loop: f
          steps:
          - or:
            - intent: a
            - intent: b
          - action: x
        """)
    trajectories = expand_stories(rules)
    assert len(trajectories) == 2
    assert trajectories[0].kind == "rule"
    assert trajectories[0].condition == [{"event": "active_loop", "name": "f"}]
    assert STORY_START == "STORY_START"
