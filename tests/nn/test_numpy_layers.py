"""The numpy layers compute what the torch layers they mirror compute (eval mode)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bot.nn.layers import LayerNorm, Linear, encoder_layers, gelu, sinusoids
from bot.nn.weights import load_weights, save_weights, to_numpy
from bot.shared.errors import InvalidModel


def _randomised(module: nn.Module, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0.0, 0.3)
    return module.eval()


def test_gelu_matches_torch_exact_gelu() -> None:
    x = np.linspace(-8, 8, 2001, dtype=np.float32)
    expected = nn.functional.gelu(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(gelu(x), expected, atol=2e-6)  # float32 rounding of the erf series


def test_linear_and_layer_norm_match_torch() -> None:
    linear, norm = _randomised(nn.Linear(6, 4), 1), _randomised(nn.LayerNorm(4), 2)
    x = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    with torch.no_grad():
        expected = norm(linear(torch.from_numpy(x))).numpy()
    weights = {**{f"l.{k}": v for k, v in to_numpy(linear.state_dict()).items()},
               **{f"n.{k}": v for k, v in to_numpy(norm.state_dict()).items()}}
    ours = LayerNorm(weights, "n")(Linear.of(weights, "l")(x))
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
def test_encoder_matches_torch_pre_norm_transformer(causal: bool, layers: int) -> None:
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=64, dropout=0.1, activation="gelu",
                                       batch_first=True, norm_first=True)
    encoder = _randomised(nn.TransformerEncoder(layer, layers, enable_nested_tensor=False), 3)
    x = np.random.default_rng(1).normal(size=(7, 16)).astype(np.float32)
    mask = nn.Transformer.generate_square_subsequent_mask(7) if causal else None
    with torch.no_grad():
        expected = encoder(torch.from_numpy(x)[None], mask=mask, is_causal=causal)[0].numpy()
    weights = {f"encoder.{k}": v for k, v in to_numpy(encoder.state_dict()).items()}
    ours = x
    for ours_layer in encoder_layers(weights, "encoder", layers, heads=4):
        ours = ours_layer(ours, mask.numpy() if mask is not None else None)
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_sinusoids_do_not_depend_on_the_table_length() -> None:
    np.testing.assert_array_equal(sinusoids(10, 8), sinusoids(40, 8)[:10])
    assert sinusoids(3, 6).dtype == np.float32


def test_weights_round_trip_and_damaged_files(tmp_path) -> None:
    state = nn.Linear(3, 2).state_dict()
    save_weights(state, tmp_path / "w.npz")
    loaded = load_weights(tmp_path / "w.npz")
    assert set(loaded) == {"weight", "bias"}
    np.testing.assert_array_equal(loaded["weight"], state["weight"].numpy())
    with pytest.raises(InvalidModel, match="missing"):
        load_weights(tmp_path / "nothing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(InvalidModel, match="cannot read"):
        load_weights(tmp_path / "bad.npz")
