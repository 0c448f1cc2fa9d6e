"""LogisticRegressionClassifier: learns from sentence features, Rasa's output shape, options, persistence."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from bot.nlu.classifiers.logistic_regression import LogisticRegressionClassifier
from bot.nlu.pipeline import NLUPipeline
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Features, Message
from bot.shared.nlu.readers import read_nlu_text
from bot.shared.nlu.training_data import TrainingData

# "book" and "cancel" tell two intents apart whose examples are otherwise the same words
NLU = """
version: "3.1"
nlu:
- intent: book_table
  examples: |
    - book a table
    - please book a table for two
    - can you book a table tonight
    - book me a table
    - I want to book a table
- intent: cancel_table
  examples: |
    - cancel a table
    - please cancel a table for two
    - can you cancel a table tonight
    - cancel me a table
    - I want to cancel a table
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
"""

FEATURIZERS = [("WhitespaceTokenizer", {}), ("CountVectorsFeaturizer", {})]


def _featurized(data: TrainingData) -> list:
    """Trains tokenizer and featurizer on `data`; returns them to featurize new messages."""
    steps = []
    for name, options in FEATURIZERS:
        component = component_class(name).create(options, language="en")
        component.train(data)
        component.process_training_data(data)
        steps.append(component)
    return steps


def _trained(**options: object) -> tuple[LogisticRegressionClassifier, list]:
    data = read_nlu_text(NLU)
    steps = _featurized(data)
    classifier = component_class("LogisticRegressionClassifier").create(options, language="en")
    assert isinstance(classifier, LogisticRegressionClassifier)
    classifier.train(data)
    return classifier, steps


def _parse(classifier, steps, text: str) -> Message:
    message = Message.from_text(text)
    for step in [*steps, classifier]:
        step.process([message])
    return message


def test_words_decide_the_intent_and_output_has_rasas_shape():
    classifier, steps = _trained()
    assert _parse(classifier, steps, "please book a table").get("intent")["name"] == "book_table"
    assert _parse(classifier, steps, "please cancel a table").get("intent")["name"] == "cancel_table"
    message = _parse(classifier, steps, "hello")
    intent, ranking = message.get("intent"), message.get("intent_ranking")
    assert intent["name"] == "greet" and set(intent) == {"name", "confidence"}
    assert [r["name"] for r in ranking][0] == "greet" and len(ranking) == 3
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_probabilities_match_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    classifier, steps = _trained()
    messages = [_parse(classifier, steps, t) for t in ["book it", "cancel it", "hi", "morning table"]]
    data = read_nlu_text(NLU)
    _featurized(data)
    from bot.nlu.classifiers.sentence_features import sentence_matrix

    examples = data.intent_examples
    reference = LogisticRegression(class_weight="balanced", random_state=42).fit(
        sentence_matrix(examples, *classifier.widths), [m.get("intent") for m in examples])
    expected = reference.predict_proba(sentence_matrix(messages, *classifier.widths))
    assert np.allclose(classifier.predict_proba(messages), expected, atol=1e-6)


def test_sparse_and_dense_sentence_features_are_used_together():
    """Dense features alone (the sparse ones carry nothing) still separate the intents."""
    def message(text: str, intent: str | None, value: float) -> Message:
        m = Message.from_text(text, **({"intent": intent} if intent else {}))
        m.add_features(Features(scipy.sparse.csr_matrix(np.zeros((1, 3))), "sentence", "text", "cv"))
        m.add_features(Features(np.array([[value, 1.0 - value]]), "sentence", "text", "dense"))
        return m

    data = TrainingData([message(f"a{i}", "up", 1.0) for i in range(4)]
                        + [message(f"b{i}", "down", 0.0) for i in range(4)])
    classifier = component_class("LogisticRegressionClassifier").create({})
    classifier.train(data)
    assert classifier.widths == (3, 2)
    probe = message("x", None, 0.9)
    classifier.process([probe])
    assert probe.get("intent")["name"] == "up"


def test_ranking_length_and_liblinear_on_three_intents():
    classifier, steps = _trained(ranking_length=2, solver="liblinear")
    assert classifier.one_vs_rest
    message = _parse(classifier, steps, "please cancel a table")
    assert message.get("intent")["name"] == "cancel_table"
    assert len(message.get("intent_ranking")) == 2


@pytest.mark.parametrize("options, option", [
    ({"solver": "adam"}, "solver"),
    ({"max_iter": 0}, "max_iter"),
    ({"tol": -1}, "tol"),
    ({"ranking_length": -1}, "ranking_length"),
])
def test_bad_option_values_name_the_option(options, option):
    with pytest.raises(InvalidConfig) as error:
        component_class("LogisticRegressionClassifier").create(options, index=2)
    assert "LogisticRegressionClassifier" in str(error.value) and option in str(error.value)


def test_persist_and_load_round_trip(tmp_path):
    classifier, steps = _trained()
    classifier.persist(tmp_path)
    assert not list(tmp_path.glob("*.pkl"))
    loaded = LogisticRegressionClassifier.load(classifier.config, tmp_path)
    for text in ["please book a table", "cancel me a table", "good morning"]:
        assert _parse(loaded, steps, text).get("intent_ranking") == _parse(classifier, steps, text).get("intent_ranking")


def test_one_intent_is_not_trained_and_predicts_nothing(caplog):
    classifier = component_class("LogisticRegressionClassifier").create({})
    data = TrainingData([Message.from_text("hi", intent="greet")])
    classifier.train(data)
    assert "at least two intents" in caplog.text
    message = Message.from_text("hi")
    classifier.process([message])
    assert message.get("intent") == {"name": None, "confidence": 0.0}


def test_config_yml_pipeline_trains_persists_and_parses(tmp_path):
    config = {"language": "en", "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "LogisticRegressionClassifier", "max_iter": 200, "random_state": 1},
        {"name": "rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier"},
    ]}
    pipeline = NLUPipeline.from_config(config)
    pipeline.train(read_nlu_text(NLU))
    pipeline.persist(tmp_path / "nlu")
    parsed = NLUPipeline.load(tmp_path / "nlu").parse("could you book me a table")
    assert parsed["intent"]["name"] == "book_table"
    assert len(parsed["intent_ranking"]) == 3
