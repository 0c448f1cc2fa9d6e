"""CountVectorsFeaturizer: counts per token and per message, options, persistence, speed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

TEXTS = [
    ("Ich möchte mein Konto prüfen", "check_balance"),
    ("Wie hoch ist mein Kontostand?", "check_balance"),
    ("Überweise 50 Euro an Anna", "transfer"),
    ("Schick Anna 20 Euro", "transfer"),
    ("Hallo", "greet"),
]


def _data(texts=TEXTS) -> TrainingData:
    return TrainingData([Message.from_text(t, intent=i) for t, i in texts])


def _tokenize(*items):
    tokenizer = component_class("WhitespaceTokenizer").create({})
    for item in items:
        if isinstance(item, TrainingData):
            tokenizer.process_training_data(item)
        else:
            tokenizer.process([item])


def _trained(data: TrainingData | None = None, **options):
    data = data or _data()
    _tokenize(data)
    featurizer = component_class("CountVectorsFeaturizer").create(options)
    featurizer.train(data)
    featurizer.process_training_data(data)
    return featurizer, data


def _parse(featurizer, text: str) -> Message:
    message = Message.from_text(text)
    _tokenize(message)
    featurizer.process([message])
    return message


def test_word_counts_per_token_and_sentence():
    featurizer, data = _trained()
    vocab = featurizer.vocabularies["text"]
    assert "konto" in vocab and "__number__" in vocab and "Konto" not in vocab
    seq, sent, _, _ = data.training_examples[0].get_features()
    assert seq.shape == (5, len(vocab)) and sent.shape == (1, len(vocab))
    assert seq[3, vocab["konto"]] == 1 and seq[3].sum() == 1
    assert sent.toarray()[0, vocab["mein"]] == 1 and sent.sum() == 5


def test_matches_sklearn_transform_for_ngrams():
    featurizer, data = _trained(max_ngram=2)
    message = _parse(featurizer, "Ich möchte mein Konto, mein Konto!")
    words = [t.text.lower() for t in message.tokens["text"]]
    reference = CountVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2),
                                vocabulary=featurizer.vocabularies["text"])
    seq, sent, _, _ = message.get_features()
    assert np.array_equal(sent.toarray(), reference.transform([" ".join(words)]).toarray())
    assert np.array_equal(seq.toarray(), reference.transform(words).toarray())
    assert sent.toarray()[0, featurizer.vocabularies["text"]["mein konto"]] == 2


def test_char_wb_ngrams_sum_to_sentence():
    featurizer, _ = _trained(analyzer="char_wb", min_ngram=1, max_ngram=3)
    vocab = featurizer.vocabularies["text"]
    assert " ko" in vocab and "ü" in vocab
    message = _parse(featurizer, "Konto Anna")
    seq, sent, _, _ = message.get_features()
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3), vocabulary=vocab)
    assert np.array_equal(sent.toarray(), reference.transform(["konto anna"]).toarray())
    assert np.array_equal(seq.toarray(), reference.transform(["konto", "anna"]).toarray())


def test_oov_token_replaces_unseen_words():
    texts = TEXTS + [("ich will bla", "other")]
    featurizer, _ = _trained(_data(texts), OOV_token="oov", OOV_words=["bla"])
    vocab = featurizer.vocabularies["text"]
    assert "oov" in vocab and "bla" not in vocab
    seq = _parse(featurizer, "zebra Konto").get_features()[0]
    assert seq[0, vocab["oov"]] == 1 and seq[1, vocab["konto"]] == 1


def test_options_min_df_stop_words_strip_accents_lowercase():
    featurizer, _ = _trained(min_df=2)
    assert set(featurizer.vocabularies["text"]) == {"mein", "anna", "euro", "__number__"}
    featurizer, _ = _trained(stop_words=["mein", "ich"], strip_accents="unicode", lowercase=False)
    vocab = featurizer.vocabularies["text"]
    assert "mein" not in vocab and "Uberweise" in vocab and "Konto" in vocab


def test_response_attribute_own_or_shared_vocabulary():
    examples = [Message(data={"text": "Öffnungszeiten?", "intent": "faq", "intent_response_key": "faq/hours",
                              "response": "Wir haben von 9 bis 17 Uhr offen"}),
                Message.from_text("hallo", intent="greet")]
    featurizer, data = _trained(TrainingData(examples))
    assert "uhr" in featurizer.vocabularies["response"] and "uhr" not in featurizer.vocabularies["text"]
    assert data.training_examples[0].get_features("response")[0].shape[0] == 8
    shared, _ = _trained(TrainingData([Message(data=dict(m.data)) for m in examples]), use_shared_vocab=True)
    assert shared.vocabularies["text"] is shared.vocabularies["response"]
    assert "uhr" in shared.vocabularies["text"]


def test_persist_and_load_give_same_features(tmp_path):
    featurizer, _ = _trained(analyzer="char_wb", max_ngram=3, use_shared_vocab=True)
    featurizer.persist(tmp_path)
    loaded = type(featurizer).load(featurizer.config, tmp_path)
    before = _parse(featurizer, "Konto prüfen bitte").get_features()
    after = _parse(loaded, "Konto prüfen bitte").get_features()
    assert (before[0] != after[0]).nnz == 0 and (before[1] != after[1]).nnz == 0
    assert loaded.vocabularies["text"] is loaded.vocabularies["response"]


def test_invalid_ngram_range():
    with pytest.raises(InvalidConfig, match="ngram"):
        component_class("CountVectorsFeaturizer").create({"min_ngram": 3, "max_ngram": 2})


def test_message_without_tokens_gets_no_features():
    featurizer, _ = _trained()
    message = Message.from_text("")
    featurizer.process([message])
    assert message.features == []


def test_batch_and_single_messages_get_the_same_features():
    # The speed of both paths is measured in bench/; here they must agree.
    featurizer, _ = _trained(analyzer="char_wb", max_ngram=4)
    texts = [f"Ich möchte {i} Euro an Anna überweisen, bitte schnell" for i in range(50)]
    batch = [Message.from_text(t) for t in texts]
    single = [Message.from_text(t) for t in texts]
    _tokenize(*batch, *single)
    featurizer.process(batch)
    for message in single:
        featurizer.process([message])
    for a, b in zip(batch, single, strict=True):
        assert len(a.features) == len(b.features) > 0
        for fa, fb in zip(a.features, b.features, strict=True):
            assert fa.type == fb.type and fa.attribute == fb.attribute
            assert (fa.matrix != fb.matrix).nnz == 0
