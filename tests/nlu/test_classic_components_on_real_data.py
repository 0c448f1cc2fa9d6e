"""The non-neural components together on a real Rasa project's NLU data (financial-demo)."""

from __future__ import annotations

import pytest

from bot.nlu.registry import component_class
from bot.shared.nlu.message import Message

PIPELINE = [
    ("WhitespaceTokenizer", {}),
    ("RegexFeaturizer", {}),
    ("LexicalSyntacticFeaturizer", {}),
    ("CountVectorsFeaturizer", {}),
    ("CountVectorsFeaturizer", {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}),
    ("KeywordIntentClassifier", {"case_sensitive": False}),
    ("FallbackClassifier", {"threshold": 0.7}),
    ("RegexEntityExtractor", {}),
    ("EntitySynonymMapper", {}),
]


@pytest.fixture
def financial_data(shared_dir):
    readers = pytest.importorskip("bot.shared.nlu.readers")
    return readers.read_nlu_yaml(shared_dir / "rasa-bots" / "financial-demo" / "data" / "nlu" / "nlu.yml")


def test_train_persist_load_and_parse(financial_data, tmp_path):
    components = []
    for index, (name, options) in enumerate(PIPELINE):
        component = component_class(name).create(options, index=index, language="en")
        component.train(financial_data)
        component.process_training_data(financial_data)
        directory = tmp_path / str(index)
        directory.mkdir()
        component.persist(directory)
        components.append(type(component).load(component.config, directory))

    example = next(m for m in financial_data.training_examples if m.tokens.get("text"))
    seq_sparse, sent_sparse, _, _ = example.get_features()
    assert seq_sparse.shape[0] == len(example.tokens["text"]) and sent_sparse.shape[0] == 1

    keyword_example = financial_data.intent_examples[0]
    message = Message.from_text(keyword_example.text)
    for component in components:
        component.process([message])
    # a training example is its own keyword: confident, so no fallback
    assert message.get("intent") == {"name": keyword_example.intent, "confidence": 1.0}
    assert message.get_features()[0].shape[0] == len(message.tokens["text"])

    unknown = Message.from_text("zzzz qqqq")
    for component in components:
        component.process([unknown])
    assert unknown.get("intent")["name"] == "nlu_fallback"
