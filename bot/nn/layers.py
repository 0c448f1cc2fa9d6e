"""numpy forward passes of the torch layers our models train with (inference only, float32).

Each class reads its parameters from a state_dict (as numpy arrays) under the same names torch
uses, so `Linear.of(weights, "text_embed")` is `nn.Linear` saved as `text_embed.weight/.bias`.
Sequences are 2-D `[positions, width]`: one message or one dialogue at a time, no padding.
"""

from __future__ import annotations

import math

import numpy as np

from bot.shared.blas import limit_blas_threads

# numpy's OpenBLAS runs a thread per core, and they spin while they wait for work. These products
# are small (one message through DIET's or TED's forward pass), where a second thread costs more
# than it shares: a DIET parse took 33 ms of CPU with two threads and 6 ms with one on the busy
# 2-core machine (docs/components.md, "DIET on small data"). So BLAS runs one thread per process,
# through the one rule `bot run` uses too: an operator's *_NUM_THREADS setting is kept.
limit_blas_threads()

__all__ = ["EncoderLayer", "LayerNorm", "Linear", "encoder_layers", "gelu", "logsumexp", "sinusoids", "softmax"]

Weights = dict[str, np.ndarray]


class Linear:
    """`nn.Linear`: x @ W^T + b, with W^T kept contiguous for the product."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None = None) -> None:
        self.matrix = np.ascontiguousarray(weight.T)
        self.bias = bias

    @classmethod
    def of(cls, weights: Weights, prefix: str) -> Linear:
        return cls(weights[f"{prefix}.weight"], weights.get(f"{prefix}.bias"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.matrix
        return y + self.bias if self.bias is not None else y


class LayerNorm:
    """`nn.LayerNorm` over the last axis (torch's default eps)."""

    def __init__(self, weights: Weights, prefix: str, eps: float = 1e-5) -> None:
        self.scale = weights[f"{prefix}.weight"]
        self.shift = weights[f"{prefix}.bias"]
        self.eps = eps

    def __call__(self, x: np.ndarray) -> np.ndarray:
        centred = x - x.mean(-1, keepdims=True)
        variance = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(variance + self.eps) * self.scale + self.shift


class EncoderLayer:
    """`nn.TransformerEncoderLayer(norm_first=True, activation="gelu")` in eval mode."""

    def __init__(self, weights: Weights, prefix: str, heads: int) -> None:
        self.heads = heads
        attention = f"{prefix}.self_attn"
        self.qkv = Linear(weights[f"{attention}.in_proj_weight"], weights[f"{attention}.in_proj_bias"])
        self.out = Linear.of(weights, f"{attention}.out_proj")
        self.norm1 = LayerNorm(weights, f"{prefix}.norm1")
        self.norm2 = LayerNorm(weights, f"{prefix}.norm2")
        self.linear1 = Linear.of(weights, f"{prefix}.linear1")
        self.linear2 = Linear.of(weights, f"{prefix}.linear2")

    def __call__(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """x [T, E]; mask [T, T] added to the attention scores (-inf where a query may not look)."""
        steps, width = x.shape
        size = width // self.heads
        q, k, v = np.split(self.qkv(self.norm1(x)), 3, axis=-1)
        q = q.reshape(steps, self.heads, size).transpose(1, 0, 2)
        k = k.reshape(steps, self.heads, size).transpose(1, 2, 0)
        v = v.reshape(steps, self.heads, size).transpose(1, 0, 2)
        scores = (q @ k) * np.float32(1.0 / math.sqrt(size))
        if mask is not None:
            scores = scores + mask
        context = softmax(scores) @ v
        x = x + self.out(context.transpose(1, 0, 2).reshape(steps, width))
        return x + self.linear2(gelu(self.linear1(self.norm2(x))))


def encoder_layers(weights: Weights, prefix: str, count: int, heads: int) -> list[EncoderLayer]:
    """The `count` layers of an `nn.TransformerEncoder` saved under `prefix` ("encoder")."""
    return [EncoderLayer(weights, f"{prefix}.layers.{i}", heads) for i in range(count)]


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return (np.log(np.exp(x - top).sum(axis=axis, keepdims=True)) + top).squeeze(axis)


def gelu(x: np.ndarray) -> np.ndarray:
    """torch's exact GELU, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) * np.float32(1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + np.float32(0.3275911) * z)
    poly = t * (np.float32(0.254829592) + t * (np.float32(-0.284496736) + t * (
        np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return np.float32(0.5) * x * (1.0 + erf)


def sinusoids(length: int, width: int) -> np.ndarray:
    """Fixed sine/cosine position signals [length, width] (float32); the same in training."""
    position = np.arange(length, dtype=np.float32)[:, None]
    scale = np.exp(np.arange(0, width, 2, dtype=np.float32) * np.float32(-math.log(10000.0) / width))
    table = np.zeros((length, width), dtype=np.float32)
    table[:, 0::2] = np.sin(position * scale)
    table[:, 1::2] = np.cos(position * scale)[:, : width // 2]
    return table
