"""Slot types: coercion and the features the dialogue policies see."""

from __future__ import annotations

import pytest

from bot.shared.core.domain import (
    AnySlot,
    BooleanSlot,
    CategoricalSlot,
    Domain,
    FloatSlot,
    ListSlot,
    TextSlot,
)


def test_text_and_list_features() -> None:
    slot = TextSlot("name")
    assert slot.as_feature() == [0.0]
    slot.value = "Ada"
    assert slot.as_feature() == [1.0]
    assert TextSlot("x", influence_conversation=False).as_feature() == []
    listed = ListSlot("items")
    assert listed.as_feature() == [0.0]
    listed.value = []
    assert listed.as_feature() == [0.0]
    listed.value = ["a"]
    assert listed.as_feature() == [1.0]
    assert listed.coerce("a") == ["a"]


def test_bool_slot_features_and_coercion() -> None:
    slot = BooleanSlot("ok")
    assert slot.as_feature() == [0.0, 0.0]
    slot.value = False
    assert slot.as_feature() == [1.0, 0.0]
    slot.value = "yes"
    assert slot.as_feature() == [1.0, 1.0]
    assert slot.coerce("False") is False and slot.coerce(1) is True
    with pytest.raises(ValueError, match="not true or false"):
        slot.coerce("maybe")


def test_float_slot_scales_into_range() -> None:
    slot = FloatSlot("n", min_value=0, max_value=10)
    assert slot.as_feature() == [0.0, 0.0]
    slot.value = 5
    assert slot.as_feature() == [1.0, 0.5]
    slot.value = 99
    assert slot.as_feature() == [1.0, 1.0]
    slot.value = "2.5"
    assert slot.as_feature() == [1.0, 0.25]
    assert slot.coerce("3") == 3.0
    with pytest.raises(ValueError, match="not a number"):
        slot.coerce("three")


def test_categorical_slot_one_hot_with_other() -> None:
    domain = Domain.from_dict({"slots": {"size": {"type": "categorical", "values": ["Small", "large"],
                                                  "mappings": [{"type": "custom"}]}}})
    slot = domain.slot("size")
    assert isinstance(slot, CategoricalSlot)
    assert slot.values == ["small", "large", "__other__"]
    assert slot.as_feature() == [0.0, 0.0, 0.0]
    slot.value = "SMALL"
    assert slot.as_feature() == [1.0, 0.0, 0.0]
    slot.value = "huge"
    assert slot.as_feature() == [0.0, 0.0, 1.0]
    assert domain.as_dict()["slots"]["size"]["values"] == ["Small", "large"]


def test_any_slot_is_never_featurised() -> None:
    slot = AnySlot("blob")
    slot.value = {"a": 1}
    assert not slot.influence_conversation and slot.as_feature() == []


def test_slots_from_domain_keep_initial_values_and_copies_are_fresh() -> None:
    domain = Domain.from_dict({"slots": {
        "said_hi": {"type": "bool", "initial_value": False, "mappings": [{"type": "from_intent", "value": True,
                                                                          "intent": "greet"}]},
        "n": {"type": "float", "min_value": 1, "max_value": 3, "influence_conversation": False,
              "mappings": [{"type": "from_entity", "entity": "n"}]},
    }, "entities": ["n"]})
    said_hi = domain.slot("said_hi")
    assert said_hi is not None and said_hi.value is False and said_hi.as_feature() == [1.0, 0.0]
    copy = said_hi.copy()
    copy.value = True
    assert said_hi.value is False
    info = domain.as_dict()["slots"]["n"]
    assert info["min_value"] == 1 and info["influence_conversation"] is False
    assert info["mappings"] == [{"type": "from_entity", "entity": "n"}]
