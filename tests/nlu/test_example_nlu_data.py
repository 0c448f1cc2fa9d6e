"""Guards on the example assistant's bilingual NLU data (data/nlu/*.yml)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bot.shared.nlu.training_data import TrainingData

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "en")
INTENTS = {
    "greet", "goodbye", "thanks", "affirm", "deny", "ask_opening_hours", "track_parcel", "order_status",
    "return_item", "delivery_address_change", "complaint", "human_handoff", "cancel_handover", "bot_challenge",
    "out_of_scope",
}


@pytest.fixture(scope="module")
def data() -> TrainingData:
    from bot.shared.nlu.readers import load_nlu_files

    return load_nlu_files(sorted((REPO / "data" / "nlu").glob("*.yml")))


def _language(message) -> str | None:
    return (message.get("metadata") or {}).get("language")


def test_every_example_is_labelled_with_a_known_language(data: TrainingData) -> None:
    unlabelled = [m.location for m in data.training_examples if _language(m) not in LANGUAGES]
    assert not unlabelled


def test_both_languages_have_the_same_intents_with_enough_examples(data: TrainingData) -> None:
    counts = Counter((m.get("intent_response_key") or m.get("intent"), _language(m)) for m in data.training_examples)
    labels = {label for label, _ in counts}
    assert INTENTS <= labels
    for label in labels:
        minimum = 25 if "/" not in label else 15
        for language in LANGUAGES:
            assert counts[(label, language)] >= minimum, (label, language)


def test_every_retrieval_key_has_a_variation_per_language_and_a_default(data: TrainingData) -> None:
    keys = {m.get("intent_response_key") for m in data.retrieval_examples}
    assert len(keys) >= 6
    for key in keys:
        variations = data.response_for(key)
        conditioned = {
            c["value"] for v in variations for c in v.get("condition", [])
            if c["type"] == "slot" and c["name"] == "language"
        }
        assert conditioned == set(LANGUAGES), key
        assert any("condition" not in v for v in variations), key


def test_regex_entities_are_annotated_wherever_the_regex_matches(data: TrainingData) -> None:
    patterns: dict[str, list[re.Pattern]] = {}
    for regex in data.regex_features:
        patterns.setdefault(regex["name"], []).append(re.compile(regex["pattern"]))
    assert {"tracking_number", "order_id", "zip"} <= set(patterns)
    for message in data.training_examples:
        spans = {(e["start"], e["end"], e["entity"]) for e in message.entities}
        for name, compiled in patterns.items():
            for pattern in compiled:
                for match in pattern.finditer(message.text):
                    assert (match.start(), match.end(), name) in spans, (message.location, match.group())
        for entity in message.entities:
            if entity["entity"] in patterns:
                surface = message.text[entity["start"]:entity["end"]]
                assert any(p.fullmatch(surface) for p in patterns[entity["entity"]]), message.location


def test_weekday_mentions_map_to_canonical_english_values(data: TrainingData) -> None:
    canonical = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "holiday"}
    synonyms = {surface.lower(): value for surface, value in data.entity_synonyms.items()}
    weekdays = [e["value"] for m in data.training_examples for e in m.entities if e["entity"] == "weekday"]
    assert len(weekdays) >= 20
    for value in weekdays:
        assert synonyms.get(value.lower(), value.lower()) in canonical, value


def test_no_example_text_is_used_for_two_intents(data: TrainingData) -> None:
    owners: dict[str, set[str]] = {}
    for message in data.training_examples:
        label = message.get("intent_response_key") or message.get("intent")
        owners.setdefault(message.text.lower().strip(" ?!."), set()).add(label)
    assert not {text: labels for text, labels in owners.items() if len(labels) > 1}
