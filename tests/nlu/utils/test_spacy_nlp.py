"""SpacyNLP + SpacyTokenizer + SpacyFeaturizer with small local pipelines (no model download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig, MissingDependency
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

spacy = pytest.importorskip("spacy")


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory) -> Path:
    """An English pipeline on disk: tokenizer, word vectors and an attribute ruler setting tag/lemma."""
    nlp = spacy.blank("en")
    for i, word in enumerate(["i", "want", "to", "fly", "berlin", "flights"]):
        nlp.vocab.set_vector(word, np.full(4, i + 1, dtype=np.float32))
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "flights"}]], {"TAG": "NNS", "LEMMA": "flight"})
    ruler.add([[{"LOWER": "fly"}]], {"TAG": "VB", "LEMMA": "fly"})
    path = tmp_path_factory.mktemp("spacy") / "en_test_pipeline"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="module")
def blank_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spacy") / "blank_de"
    spacy.blank("de").to_disk(path)
    return path


def _create(name: str, language: str = "en", **options):
    return component_class(name).create(options, language=language)


def test_missing_model_names_it_and_the_alternatives():
    nlp = _create("SpacyNLP", model="en_core_web_md", case_sensitive=False)
    with pytest.raises(MissingDependency) as caught:
        nlp.train(TrainingData([Message.from_text("hi", intent="greet")]))
    text = str(caught.value)
    assert "'en_core_web_md'" in text
    assert "point `model:` to a local path" in text
    assert "WhitespaceTokenizer + CountVectorsFeaturizer" in text


def test_no_model_option_is_a_config_error():
    with pytest.raises(InvalidConfig, match="model"):
        _create("SpacyNLP").train(TrainingData())


def test_local_pipeline_path_tokens_pos_lemma_and_vectors(pipeline_dir, tmp_path):
    examples = [Message.from_text("I want flights to Berlin", intent="fly"),
                Message(data={"text": "book it", "intent": "faq", "response": "Flights are booked"})]
    data = TrainingData(examples)
    pipeline = [_create("SpacyNLP", model=str(pipeline_dir)), _create("SpacyTokenizer"), _create("SpacyFeaturizer")]
    for component in pipeline:
        component.train(data)
        component.process_training_data(data)
    tokens = examples[0].tokens["text"]
    # case_sensitive defaults to false: spaCy sees lower-cased text
    assert [t.text for t in tokens] == ["i", "want", "flights", "to", "berlin"]
    assert tokens[2].data["pos"] == "NNS" and tokens[2].lemma == "flight"
    seq, sent = examples[0].get_features()[2:]
    assert seq.shape == (5, 4) and sent.shape == (1, 4)
    assert seq[0, 0] == 1.0 and seq[4, 0] == 5.0
    assert np.allclose(sent[0], seq.mean(axis=0))
    assert examples[1].get_features("response")[2].shape == (3, 4)

    # round trip: persist, load and parse a new message
    loaded = []
    for i, component in enumerate(pipeline):
        directory = tmp_path / str(i)
        directory.mkdir()
        component.persist(directory)
        loaded.append(type(component).load(component.config, directory))
    message = Message.from_text("Fly to Berlin")
    for component in loaded:
        component.process([message])
    assert [t.text for t in message.tokens["text"]] == ["fly", "to", "berlin"]
    assert message.tokens["text"][0].data["pos"] == "VB"
    assert message.get_features()[2].shape == (3, 4)


def test_spacy_featurizer_without_vectors_explains(blank_dir):
    data = TrainingData([Message.from_text("Hallo Welt", intent="greet")])
    nlp = _create("SpacyNLP", "de", model=str(blank_dir))
    nlp.train(data)
    nlp.process_training_data(data)
    with pytest.raises(MissingDependency, match="no word vectors"):
        _create("SpacyFeaturizer", "de").train(data)


def test_spacy_featurizer_without_spacy_nlp_is_a_config_error():
    data = TrainingData([Message.from_text("Hallo Welt", intent="greet")])
    with pytest.raises(InvalidConfig, match="SpacyNLP"):
        _create("SpacyFeaturizer", "de").train(data)


def test_spacy_featurizer_aligns_with_whitespace_tokens(pipeline_dir):
    message = Message.from_text("I want flights")
    nlp = _create("SpacyNLP", model=str(pipeline_dir))
    component_class("WhitespaceTokenizer").create({}).process([message])
    nlp.process([message])
    _create("SpacyFeaturizer", pooling="max").process([message])
    seq, sent = message.get_features()[2:]
    assert seq.shape == (3, 4) and sent[0, 0] == 6.0


def test_spacy_tokenizer_without_spacy_nlp_uses_blank_language(tmp_path):
    tokenizer = _create("SpacyTokenizer", "de")
    message = Message.from_text("Grüße aus Köln, Straße 12.5!")
    tokenizer.process([message])
    tokens = message.tokens["text"]
    assert [t.text for t in tokens] == ["Grüße", "aus", "Köln", ",", "Straße", "12.5", "!"]
    assert all(message.text[t.start : t.end] == t.text for t in tokens)
    tokenizer.persist(tmp_path)
    loaded = type(tokenizer).load(tokenizer.config, tmp_path)
    assert loaded.language == "de"
    # the language's own rules are used: German keeps "geht's", English splits the clitic
    assert [t.text for t in loaded.tokenize("geht's")] == ["geht's"]
    assert [t.text for t in _create("SpacyTokenizer", "en").tokenize("it's")] == ["it", "'s"]
