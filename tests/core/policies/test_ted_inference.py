"""TED in numpy (what predicts at run time) computes what the torch network it was trained as computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bot.core.policies.ted_inference import TedInference, confidences
from bot.core.policies.ted_model import TedModel
from bot.nn.weights import to_numpy


@pytest.mark.parametrize("layers", [0, 1, 2])
@pytest.mark.parametrize("turns", [1, 5, 20])
def test_numpy_inference_equals_the_torch_network(layers: int, turns: int) -> None:
    torch.manual_seed(layers)
    model = TedModel(9, 6, transformer_size=16, num_layers=layers, num_heads=4, embedding_size=5, max_turns=8)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.4)
    model.eval()
    history = (np.random.default_rng(turns).random((turns, 9)) < 0.3).astype(np.float32)
    with torch.inference_mode():
        expected = model(torch.from_numpy(history)[None], torch.tensor([turns]))[0].numpy()
    ours = TedInference(to_numpy(model.state_dict()), num_layers=layers, num_heads=4)
    np.testing.assert_allclose(ours.similarities(history), expected, atol=1e-4)


def test_confidences() -> None:
    similarities = np.array([[2.0, -1.0, 0.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(confidences(similarities, "softmax").sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(confidences(similarities, "linear_norm"), [[2 / 3, 0, 0, 1 / 3]], rtol=1e-6)
    np.testing.assert_array_equal(confidences(-similarities ** 2, "linear_norm"), [[0, 0, 0, 0]])
