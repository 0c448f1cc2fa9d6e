"""BILOU tagging round trips."""

from __future__ import annotations

from bot.nlu.extractors.bilou import (
    bilou_to_entities,
    build_tag_id_dict,
    ensure_consistent_bilou,
    entities_to_bilou,
)
from bot.shared.nlu.message import Message, Token
from bot.shared.nlu.training_data import TrainingData

TEXT = "fly from Berlin to New York City"


def _tokens(text: str) -> list[Token]:
    tokens, pos = [], 0
    for word in text.split():
        start = text.index(word, pos)
        tokens.append(Token(word, start))
        pos = start + len(word)
    return tokens


ENTITIES = [
    {"entity": "city", "start": 9, "end": 15, "value": "Berlin", "role": "departure"},
    {"entity": "city", "start": 19, "end": 32, "value": "New York City", "role": "destination"},
]


def test_entities_to_bilou_unit_and_multi_token():
    tags = entities_to_bilou(_tokens(TEXT), ENTITIES)
    assert tags == ["O", "O", "U-city", "O", "B-city", "I-city", "L-city"]
    roles = entities_to_bilou(_tokens(TEXT), ENTITIES, attribute="role")
    assert roles == ["O", "O", "U-departure", "O", "B-destination", "I-destination", "L-destination"]
    assert entities_to_bilou(_tokens(TEXT), ENTITIES, attribute="group") == ["O"] * 7


def test_round_trip_with_roles_and_confidences():
    tokens = _tokens(TEXT)
    tags = {
        "entity": entities_to_bilou(tokens, ENTITIES),
        "role": entities_to_bilou(tokens, ENTITIES, attribute="role"),
    }
    confidences = {"entity": [1, 1, 0.9, 1, 0.8, 0.7, 0.95], "role": [1, 1, 0.6, 1, 0.5, 0.5, 0.5]}
    entities = bilou_to_entities(tokens, tags, confidences, TEXT)
    assert [(e["entity"], e["value"], e["role"]) for e in entities] == [
        ("city", "Berlin", "departure"),
        ("city", "New York City", "destination"),
    ]
    assert entities[1]["start"] == 19 and entities[1]["end"] == 32
    assert entities[1]["confidence_entity"] == 0.7
    assert entities[0]["confidence_role"] == 0.6
    assert "group" not in entities[0]


def test_plain_list_tags_and_consecutive_units():
    tokens = _tokens("red green")
    entities = bilou_to_entities(tokens, ["U-color", "U-color"], None, "red green")
    assert [e["value"] for e in entities] == ["red", "green"]
    merged = bilou_to_entities(tokens, ["color", "color"], None, "red green")
    assert [e["value"] for e in merged] == ["red green"]


def test_partial_token_overlap_is_tagged():
    tokens = _tokens("Berlin's weather")
    tags = entities_to_bilou(tokens, [{"entity": "city", "start": 0, "end": 6, "value": "Berlin"}])
    assert tags == ["U-city", "O"]


def test_ensure_consistent_bilou_repairs_predictions():
    assert ensure_consistent_bilou(["I-city", "L-city", "O"]) == ["B-city", "L-city", "O"]
    assert ensure_consistent_bilou(["B-city", "O"]) == ["U-city", "O"]
    assert ensure_consistent_bilou(["B-city", "L-country"], [0.4, 0.9]) == ["B-country", "L-country"]


def test_build_tag_id_dict():
    data = TrainingData([Message(data={"text": TEXT, "entities": ENTITIES})])
    ids = build_tag_id_dict(data)
    assert ids["O"] == 0 and set(ids) == {"O", "B-city", "I-city", "L-city", "U-city"}
    assert build_tag_id_dict(data, "group") == {}


def _whitespace_tokens(text: str) -> list[Token]:
    from bot.nlu.tokenizers.whitespace import WhitespaceTokenizer

    return WhitespaceTokenizer(WhitespaceTokenizer.Config()).tokenize(text)


ADDRESS = "ship to Schönhauser Allee 175, 10119 Berlin please"


def _address_tags(tokens: list[Token]) -> list[str]:
    inside = [t.text for t in tokens].index("Schönhauser"), [t.text for t in tokens].index("Berlin")
    return ["O" if not inside[0] <= i <= inside[1] else
            "B-address" if i == inside[0] else "L-address" if i == inside[1] else "I-address"
            for i in range(len(tokens))]


def test_split_entities_by_comma_splits_at_a_comma_by_default_as_rasa_does():
    tokens = _whitespace_tokens(ADDRESS)
    assert [t.text for t in tokens][4:6] == ["175", "10119"]  # the comma is not a token
    entities = bilou_to_entities(tokens, _address_tags(tokens), None, ADDRESS)
    assert [e["value"] for e in entities] == ["Schönhauser Allee 175", "10119 Berlin"]


def test_split_entities_by_comma_false_keeps_one_entity_per_type():
    tokens = _whitespace_tokens(ADDRESS)
    joined = bilou_to_entities(tokens, _address_tags(tokens), None, ADDRESS, split_by_comma={"address": False})
    assert [e["value"] for e in joined] == ["Schönhauser Allee 175, 10119 Berlin"]
    # a type not named in the mapping is split (Rasa's default, true)
    other = bilou_to_entities(tokens, _address_tags(tokens), None, ADDRESS, split_by_comma={"food": False})
    assert len(other) == 2


def test_tokens_far_apart_are_two_entities_even_without_splitting():
    text = "Berlin    Hamburg"  # four spaces: more than three characters apart
    entities = bilou_to_entities(_tokens(text), ["B-city", "L-city"], None, text, split_by_comma=False)
    assert [e["value"] for e in entities] == ["Berlin", "Hamburg"]
    text = "Berlin   Hamburg"  # three: still one entity when not split
    entities = bilou_to_entities(_tokens(text), ["B-city", "L-city"], None, text, split_by_comma=False)
    assert [e["value"] for e in entities] == [text]
    text = "Berlin - Hamburg"  # a dash is not a joining character
    tokens = _whitespace_tokens(text)
    assert len(tokens) == 2
    entities = bilou_to_entities(tokens, ["B-city", "L-city"], None, text, split_by_comma=False)
    assert [e["value"] for e in entities] == ["Berlin", "Hamburg"]
