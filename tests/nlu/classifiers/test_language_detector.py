"""LanguageDetector, trained on the example assistant's real German/English NLU data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.classifiers.language_detector import LanguageDetector, language_label
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig, InvalidModel
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

REPO = Path(__file__).resolve().parents[3]
NLU_FILES = sorted((REPO / "data" / "nlu").glob("*.yml"))


def _load_example_data() -> TrainingData:
    from bot.shared.nlu.readers import load_nlu_files

    return load_nlu_files(NLU_FILES)


def _example(text: str, language: str | None = None, **data: object) -> Message:
    metadata = {"language": language} if language else {}
    return Message(data={"text": text, "intent": "greet", "metadata": metadata, **data})


@pytest.fixture(scope="module")
def example_data() -> TrainingData:
    assert NLU_FILES, "data/nlu/*.yml is missing"
    return _load_example_data()


@pytest.fixture(scope="module")
def detector(example_data: TrainingData) -> LanguageDetector:
    component = LanguageDetector.create({}, language="de")
    component.train(example_data)
    return component


def _detect(component: LanguageDetector, text: str) -> dict:
    message = Message.from_text(text)
    component.process([message])
    return message.get("language")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("wo ist mein paket", "de"),
        ("Sendungsverfolgung JJD000390007812345 bitte", "de"),
        ("Ich möchte mit einem Mitarbeiter sprechen", "de"),
        ("Habt ihr samstags offen?", "de"),
        ("where is my parcel", "en"),
        ("I want to return order A-123456", "en"),
        ("can I talk to a real person", "en"),
        ("are you open on Saturday?", "en"),
    ],
)
def test_detects_sentences(detector: LanguageDetector, text: str, expected: str) -> None:
    result = _detect(detector, text)
    assert result["name"] == expected
    assert result["confidence"] >= 0.8


@pytest.mark.parametrize(
    "text, expected",
    [("ja", "de"), ("danke", "de"), ("nein", "de"), ("tschüss", "de"),
     ("yes", "en"), ("thanks", "en"), ("no", "en"), ("hello", "en")],
)
def test_short_messages(detector: LanguageDetector, text: str, expected: str) -> None:
    assert _detect(detector, text)["name"] == expected


def test_output_shape_is_plain_json(detector: LanguageDetector) -> None:
    result = _detect(detector, "where is my parcel")
    assert set(result) == {"name", "confidence"}
    assert type(result["name"]) is str and type(result["confidence"]) is float
    assert 0.0 <= result["confidence"] <= 1.0


def test_learns_the_languages_of_the_data(detector: LanguageDetector) -> None:
    assert detector.languages == ["de", "en"]
    assert detector.default_language == "de"


def test_unsure_falls_back_to_default(example_data: TrainingData) -> None:
    strict = LanguageDetector.create({"threshold": 0.999, "default_language": "en"}, language="de")
    strict.train(example_data)
    result = _detect(strict, "hi")  # the same greeting in both languages
    assert result["name"] == "en"
    assert result["confidence"] < 0.999


def test_ids_alone_give_the_default_language(detector: LanguageDetector) -> None:
    assert _detect(detector, "JJD000390007812345") == {"name": "de", "confidence": 0.0}
    assert _detect(detector, "") == {"name": "de", "confidence": 0.0}


def test_single_language_trains_nothing() -> None:
    data = TrainingData([_example("hallo", "de"), _example("tschüss", "de")])
    component = LanguageDetector.create({}, language="en")
    component.train(data)
    assert component._model is None
    # The configured default wins over the data's only language, with full confidence.
    assert _detect(component, "where is my parcel") == {"name": "en", "confidence": 1.0}


def test_unlabelled_data_uses_the_config_language() -> None:
    component = LanguageDetector.create({}, language="de")
    component.train(TrainingData([_example("hallo"), _example("hello")]))
    assert component._model is None
    assert _detect(component, "hello") == {"name": "de", "confidence": 1.0}


def test_languages_option_restricts_the_labels(example_data: TrainingData) -> None:
    component = LanguageDetector.create({"languages": ["en"]})
    component.train(example_data)
    assert component.languages == ["en"]
    assert _detect(component, "wo ist mein paket") == {"name": "en", "confidence": 1.0}


def test_persist_and_load_round_trip(detector: LanguageDetector, tmp_path: Path) -> None:
    detector.persist(tmp_path)
    loaded = LanguageDetector.load(detector.config, tmp_path)
    for text in ("wo ist mein paket", "where is my parcel", "ok", "danke"):
        assert _detect(loaded, text) == _detect(detector, text)
    assert loaded.languages == detector.languages


def test_load_honours_a_new_default(detector: LanguageDetector, tmp_path: Path) -> None:
    detector.persist(tmp_path)
    config = LanguageDetector.Config(default_language="en")
    loaded = LanguageDetector.load(config, tmp_path)
    assert _detect(loaded, "12345")["name"] == "en"


def test_persist_without_model_round_trips(tmp_path: Path) -> None:
    component = LanguageDetector.create({}, language="de")
    component.train(TrainingData([_example("hallo", "de")]))
    component.persist(tmp_path)
    loaded = LanguageDetector.load(component.config, tmp_path)
    assert _detect(loaded, "hello") == {"name": "de", "confidence": 1.0}


def test_load_from_an_empty_directory_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(InvalidModel, match="retrain"):
        LanguageDetector.load(LanguageDetector.Config(), tmp_path)


def test_training_examples_keep_their_label(example_data: TrainingData, detector: LanguageDetector) -> None:
    data = TrainingData([_example("hi", "en"), _example("wo ist mein paket")])
    detector.process_training_data(data)
    assert data.training_examples[0].get("language") == {"name": "en", "confidence": 1.0}
    assert data.training_examples[1].get("language")["name"] == "de"


def test_response_variations_conditioned_on_language_are_used() -> None:
    data = TrainingData(
        [_example("hallo", "de"), _example("hello", "en")],
        responses={"utter_faq/x": [
            {"text": "Die Lieferung dauert zwei Werktage", "condition": [
                {"type": "slot", "name": "language", "value": "de"}]},
            {"text": "Delivery takes two working days", "condition": [
                {"type": "slot", "name": "language", "value": "en"}]},
            {"text": "unconditioned variations carry no label"},
        ]},
    )
    component = LanguageDetector.create({})
    component.train(data)
    assert _detect(component, "Lieferung dauert")["name"] == "de"
    assert _detect(component, "delivery takes")["name"] == "en"


@pytest.mark.parametrize(
    "metadata, expected",
    [
        ({"language": "de"}, "de"),
        ({"intent": {"language": "en"}}, "en"),
        ({"intent": {"language": "en"}, "example": {"language": "de"}}, "de"),
        ({"language": " "}, None),
        ({}, None),
        ("not a mapping", None),
    ],
)
def test_language_label_forms(metadata: object, expected: str | None) -> None:
    assert language_label(Message(data={"text": "x", "metadata": metadata})) == expected


@pytest.mark.parametrize("options", [{"threshold": 1.5}, {"languages": []}, {"threshold": "high"}])
def test_bad_options_name_the_step(options: dict) -> None:
    with pytest.raises(InvalidConfig, match="LanguageDetector"):
        component_class("LanguageDetector").create(options, index=2)


def test_registered_under_its_rasa_name() -> None:
    assert component_class("LanguageDetector") is LanguageDetector


def test_numpy_inference_matches_scikit_learn(detector: LanguageDetector, example_data: TrainingData) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.nlu.classifiers.language_detector import _ngrams

    pairs = [(m.text, language_label(m)) for m in example_data.training_examples if m.text and language_label(m)]
    texts, labels = [t for t, _ in pairs], [label for _, label in pairs]
    vectorizer = TfidfVectorizer(analyzer=_ngrams, sublinear_tf=True)
    classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
    classifier.fit(vectorizer.fit_transform(texts + [t for t, _ in _response_pairs(example_data)]),
                   labels + [label for _, label in _response_pairs(example_data)])
    probe = ["Wann habt ihr am Samstag offen?", "where is my parcel", "ok", "Danke!", "JJD0003 bitte", "merci"]
    expected = classifier.predict_proba(vectorizer.transform(probe))
    model = detector._model
    assert model is not None and model.classes == list(classifier.classes_)
    for text, row in zip(probe, expected, strict=True):
        assert model.predict_proba(text) == pytest.approx(row, abs=1e-6), text


def _response_pairs(data: TrainingData) -> list[tuple[str, str]]:
    from bot.nlu.classifiers.language_detector import _response_texts

    return _response_texts(data)


def test_saved_model_is_plain_arrays(detector: LanguageDetector, tmp_path: Path) -> None:
    detector.persist(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["language_detector.json", "language_model.npz"]
    loaded = LanguageDetector.load(detector.config, tmp_path)  # np.load refuses pickles
    for text in ("Guten Morgen", "good morning", "JJD000390007812345"):
        assert loaded.detect(text) == detector.detect(text)
