"""DIET in numpy (what parses messages) computes what the torch network it was trained as computes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import torch

from bot.nlu.classifiers.batching import gather, to_tensors
from bot.nlu.classifiers.diet_inference import CrfDecoder, DietInference
from bot.nlu.classifiers.diet_model import DIETModel
from bot.nlu.classifiers.diet_spec import ModelSpec
from bot.nlu.classifiers.features import FeatureDims, encode_rows
from bot.nn.weights import to_numpy
from bot.shared.nlu.message import Features, Message

VOCABULARY = 12


def _message(seed: int, tokens: int) -> Message:
    """A message with sparse token/sentence counts and dense token/sentence vectors."""
    rng = np.random.default_rng(seed)
    message = Message.from_text(" ".join(f"w{i}" for i in range(tokens)))
    counts = (rng.random((tokens, VOCABULARY)) < 0.25) * rng.integers(1, 3, (tokens, VOCABULARY))
    message.add_features(Features(scipy.sparse.csr_matrix(counts.astype(np.float32)), "sequence", "text", "s"))
    message.add_features(Features(scipy.sparse.csr_matrix(counts.sum(0, keepdims=True).astype(np.float32)),
                                  "sentence", "text", "s"))
    message.add_features(Features(rng.normal(size=(tokens, 3)).astype(np.float32), "sequence", "text", "d"))
    message.add_features(Features(rng.normal(size=(1, 5)).astype(np.float32), "sentence", "text", "d"))
    return message


def _random_model(spec: ModelSpec) -> DIETModel:
    torch.manual_seed(0)
    model = DIETModel(spec)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.4)
    return model.eval()


SPECS = {
    "transformer, entities and roles, cosine": dict(
        number_of_transformer_layers=2, transformer_size=16, number_of_attention_heads=4,
        hidden_layers_sizes=[24], num_tags={"entity": 4, "role": 3}, similarity_type="cosine"),
    "transformer scaled as Rasa's (inputs x sqrt(size), GELU after)": dict(
        number_of_transformer_layers=2, transformer_size=16, number_of_attention_heads=4,
        num_tags={"entity": 4}, rasa_transformer_scaling=True),
    "no transformer, intents only": dict(number_of_transformer_layers=0, num_tags={}),
    "one-way transformer, entities": dict(
        number_of_transformer_layers=1, transformer_size=8, number_of_attention_heads=2,
        unidirectional_encoder=True, num_tags={"entity": 5}),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_numpy_inference_equals_the_torch_network(name: str) -> None:
    messages = [_message(seed, tokens) for seed, tokens in enumerate([3, 1, 6, 2, 4])]
    dims = FeatureDims.of(messages, "text")
    spec = ModelSpec(dims=dims, num_labels=7, dense_dimension=10, embedding_dimension=6, **SPECS[name])
    model = _random_model(spec)
    rows = encode_rows(messages, "text", dims)
    ours = DietInference(spec, to_numpy(model.state_dict()))

    with torch.inference_mode():
        batch = gather(to_tensors(rows), torch.arange(len(messages)), spec.sentence_only)
        states = model.encode(batch)
        similarities = model.similarities(states, batch)
    confidences, tags = ours.predict(rows, "softmax")
    np.testing.assert_allclose(confidences, torch.softmax(similarities, -1).numpy(), atol=2e-5)
    weights = to_numpy(model.state_dict())
    for example, message_tags in enumerate(tags):
        length = int(rows.lengths[example])
        assert set(message_tags) == set(spec.num_tags)
        entity_tags = None
        for tag_set in ("entity", "role"):
            if tag_set not in spec.num_tags:
                continue
            # the torch network's tag logits (roles see the predicted entities), decoded as trained
            with torch.inference_mode():
                logits = model._tag_inputs(states[example : example + 1, : length + 1], tag_set, entity_tags)
            ids, values = CrfDecoder.of(weights, f"crfs.{tag_set}").decode(logits[0].numpy())
            np.testing.assert_array_equal(message_tags[tag_set][0], ids)
            np.testing.assert_allclose(message_tags[tag_set][1], values, atol=2e-5)
            entity_tags = torch.from_numpy(ids)[None]

    subset, _ = ours.predict(rows, "linear_norm", with_tags=False, examples=np.array([3, 0]))
    clipped = similarities.clamp(min=0)
    linear = (clipped / clipped.sum(-1, keepdim=True).clamp(min=1e-8)).numpy()
    np.testing.assert_allclose(subset, linear[[3, 0]], atol=2e-5)
