"""ResponseSelector: retrieval intents, Rasa's output shape, retrieval_intent filter, persistence."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

from bot.nlu.selectors.response_selector import ResponseSelector
from bot.shared.errors import InvalidModel
from bot.shared.nlu.message import Features, Message, Token
from bot.shared.nlu.training_data import TrainingData

EXAMPLES = [
    ("when do you open", "faq/ask_hours"), ("what are your opening hours", "faq/ask_hours"),
    ("are you open on sunday", "faq/ask_hours"), ("opening times please", "faq/ask_hours"),
    ("where is my parcel", "faq/track_parcel"), ("track my parcel", "faq/track_parcel"),
    ("where is my package", "faq/track_parcel"), ("parcel status", "faq/track_parcel"),
    ("tell me a joke", "chitchat/joke"), ("make me laugh", "chitchat/joke"),
    ("say something funny", "chitchat/joke"), ("a joke please", "chitchat/joke"),
]
RESPONSES = {
    "utter_faq/ask_hours": [{"text": "We open at 9."}],
    "utter_faq/track_parcel": [{"text": "Send me the tracking number."}],
    "utter_chitchat/joke": [{"text": "Knock knock."}, {"text": "Why did the chicken..."}],
}


class _Featurize:
    def __init__(self) -> None:
        words = sorted({w for text, _ in EXAMPLES for w in text.split()} | {"hello"})
        self.vocabulary = {w: i for i, w in enumerate(words)}

    def __call__(self, message: Message) -> Message:
        tokens = [Token(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", message.text)]
        message.tokens["text"] = tokens
        rows = np.zeros((len(tokens), len(self.vocabulary)), dtype=np.float32)
        for i, token in enumerate(tokens):
            rows[i, self.vocabulary.get(token.text, 0)] = 1.0
        message.add_features(Features(scipy.sparse.csr_matrix(rows), "sequence", "text", "t"))
        message.add_features(Features(scipy.sparse.csr_matrix(rows.sum(0, keepdims=True)), "sentence", "text", "t"))
        return message


@pytest.fixture(scope="module")
def featurize() -> _Featurize:
    return _Featurize()


def _data(featurize: _Featurize) -> TrainingData:
    messages = [
        featurize(Message.from_text(text, intent=key.split("/")[0], intent_response_key=key))
        for text, key in EXAMPLES
    ] + [featurize(Message.from_text("hello", intent="greet"))]
    return TrainingData(messages, responses=RESPONSES)


def _train(featurize: _Featurize, **options) -> ResponseSelector:
    selector = ResponseSelector.create({"epochs": 30, "random_seed": 1, **options})
    assert isinstance(selector, ResponseSelector)
    selector.train(_data(featurize))
    return selector


def _parse(selector: ResponseSelector, featurize: _Featurize, text: str) -> Message:
    message = featurize(Message.from_text(text))
    selector.process([message])
    return message


def test_selects_response_in_rasa_shape(featurize: _Featurize, tmp_path: Path) -> None:
    selector = _train(featurize)
    message = _parse(selector, featurize, "where is my parcel now")
    output = message.get("response_selector")
    assert output["all_retrieval_intents"] == ["chitchat", "faq"]
    response = output["default"]["response"]
    assert response["intent_response_key"] == "faq/track_parcel"
    assert response["utter_action"] == response["template_name"] == "utter_faq/track_parcel"
    assert response["responses"] == response["response_templates"] == RESPONSES["utter_faq/track_parcel"]
    assert isinstance(response["id"], int) and 0 < response["confidence"] <= 1
    ranking = output["default"]["ranking"]
    assert {r["intent_response_key"] for r in ranking} == {"faq/ask_hours", "faq/track_parcel", "chitchat/joke"}
    assert ranking[0]["id"] == response["id"] and ranking[0]["confidence"] == response["confidence"]
    assert "intent" not in message.data  # the selector does not classify intents

    selector.persist(tmp_path)
    loaded = ResponseSelector.load(selector.config, tmp_path)
    assert _parse(loaded, featurize, "where is my parcel now").data == message.data


def test_retrieval_intent_restricts_labels_and_key(featurize: _Featurize) -> None:
    selector = _train(featurize, retrieval_intent="chitchat", epochs=20)
    output = _parse(selector, featurize, "tell me something funny").get("response_selector")
    assert set(output) == {"all_retrieval_intents", "chitchat"}
    assert output["chitchat"]["response"]["intent_response_key"] == "chitchat/joke"
    assert output["chitchat"]["response"]["responses"] == RESPONSES["utter_chitchat/joke"]


def test_no_retrieval_examples_leaves_messages_alone(featurize: _Featurize) -> None:
    selector = _train(featurize, retrieval_intent="missing", epochs=2)
    assert "response_selector" not in _parse(selector, featurize, "hello").data


def test_diet_and_selector_share_one_encoding_of_a_parsed_message(featurize: _Featurize, monkeypatch) -> None:
    from bot.nlu.classifiers import diet as diet_module
    from bot.nlu.classifiers.diet import DIETClassifier

    classifier = DIETClassifier.create({"epochs": 5, "random_seed": 1, "number_of_transformer_layers": 0})
    classifier.train(_data(featurize))
    selector = _train(featurize)
    calls = []
    real_encode = diet_module.encode_rows
    monkeypatch.setattr(diet_module, "encode_rows", lambda *a, **k: calls.append(1) or real_encode(*a, **k))
    shared = featurize(Message.from_text("where is my parcel now"))
    classifier.process([shared])
    selector.process([shared])
    assert len(calls) == 1
    alone = featurize(Message.from_text("where is my parcel now"))
    selector.process([alone])
    assert alone.get("response_selector") == shared.get("response_selector")
    # Features added in between (another featurizer) are not served from the old encoding.
    shared.add_features(shared.features[-1])
    with pytest.raises(InvalidModel, match="the model was trained on"):
        selector.process([shared])
    assert len(calls) == 3
