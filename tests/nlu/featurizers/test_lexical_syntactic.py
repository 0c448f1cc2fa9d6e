"""LexicalSyntacticFeaturizer: window features, one-hot columns, config validation, persistence."""

from __future__ import annotations

import pytest

from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Message, Token
from bot.shared.nlu.training_data import TrainingData


def _trained(**options):
    data = TrainingData([Message.from_text("Hallo Welt", intent="greet"), Message.from_text("ich bin 42 JAHRE",
                                                                                           intent="age")])
    component_class("WhitespaceTokenizer").create({}).process_training_data(data)
    featurizer = component_class("LexicalSyntacticFeaturizer").create(options)
    featurizer.train(data)
    featurizer.process_training_data(data)
    return featurizer, data


def _active(featurizer, message: Message, row: int) -> set[str]:
    names = {index: key for key, index in featurizer.columns.items()}
    seq = message.get_features()[0]
    return {names[c] for c in seq[row].indices}


def test_default_window_features():
    featurizer, data = _trained()
    message = data.training_examples[1]
    seq, sent, _, _ = message.get_features()
    assert seq.shape == (4, len(featurizer.columns)) and sent is None
    assert _active(featurizer, message, 2) == {
        "-1|low|True", "-1|title|False", "-1|upper|False",
        "0|BOS|False", "0|EOS|False", "0|low|False", "0|upper|False", "0|title|False", "0|digit|True",
        "1|low|False", "1|title|False", "1|upper|True",
    }
    # first token: nothing from position -1
    assert not any(key.startswith("-1|") for key in _active(featurizer, message, 0))


def test_unseen_values_set_no_column_and_pos_is_used():
    featurizer, _ = _trained(features=[["suffix2", "pos"]])
    assert "0|suffix2|lo" in featurizer.columns
    message = Message(data={"text": "Hallo xyz"}, tokens={"text": [Token("Hallo", 0, data={"pos": "NN"}),
                                                                   Token("xyz", 6)]})
    featurizer.process([message])
    assert _active(featurizer, message, 0) == {"0|suffix2|lo"}
    assert _active(featurizer, message, 1) == set()


def test_unknown_feature_name_is_a_config_error():
    with pytest.raises(InvalidConfig, match="suffix9"):
        component_class("LexicalSyntacticFeaturizer").create({"features": [["low", "suffix9"]]})


def test_persist_and_load(tmp_path):
    featurizer, data = _trained()
    featurizer.persist(tmp_path)
    loaded = type(featurizer).load(featurizer.config, tmp_path)
    assert loaded.columns == featurizer.columns
    message = Message.from_text("ich bin 42 JAHRE")
    component_class("WhitespaceTokenizer").create({}).process([message])
    loaded.process([message])
    assert (message.get_features()[0] != data.training_examples[1].get_features()[0]).nnz == 0
