"""A trained TED network answering in numpy: similarities of a dialogue history to every action.

Mirrors `ted_model.TedModel` in eval mode (tested equal to it) for one history at a time, so a
prediction at run time never touches torch.
"""

from __future__ import annotations

import numpy as np

from bot.nn.layers import LayerNorm, Linear, encoder_layers, sinusoids, softmax

__all__ = ["TedInference", "confidences"]


class TedInference:
    """Forward pass of one trained TedModel; `weights` are its state_dict as numpy arrays."""

    def __init__(self, weights: dict[str, np.ndarray], *, num_layers: int, num_heads: int) -> None:
        self.weights = weights
        self.input_layer = Linear.of(weights, "input_layer.0")  # Sequential(Linear, ReLU, Dropout)
        self.layers = encoder_layers(weights, "encoder", num_layers, num_heads)
        self.final_norm = LayerNorm(weights, "final_norm")
        self.dialogue_embed = Linear.of(weights, "dialogue_embed")
        # the label layer applied to one-hot actions is its weight (transposed) plus its bias
        label_weight, label_bias = weights["label_embed.1.weight"], weights["label_embed.1.bias"]
        self.label_matrix = np.ascontiguousarray((label_weight.T + label_bias).T)  # [embedding, actions]
        self.size = self.input_layer.matrix.shape[1]
        self.positions = sinusoids(16, self.size)

    def similarities(self, features: np.ndarray) -> np.ndarray:
        """[actions] similarities for a history [turns, state size] (the last turn is now)."""
        turns = features.shape[0]
        if turns > self.positions.shape[0]:
            self.positions = sinusoids(2 * turns, self.size)
        hidden = np.maximum(self.input_layer(features.astype(np.float32, copy=False)), 0) + self.positions[:turns]
        if self.layers:
            causal = np.triu(np.full((turns, turns), -np.inf, dtype=np.float32), k=1)
            for layer in self.layers:
                hidden = layer(hidden, causal)
        last = self.final_norm(hidden[-1])
        return self.dialogue_embed(last) @ self.label_matrix


def confidences(similarities: np.ndarray, model_confidence: str) -> np.ndarray:
    """Similarities -> confidences: softmax, or Rasa's `linear_norm` (negatives to 0, sum to 1)."""
    if model_confidence == "linear_norm":
        clipped = np.maximum(similarities, 0.0)
        total = clipped.sum(axis=-1, keepdims=True)
        return np.where(total > 0, clipped / np.maximum(total, 1e-12), 0.0)
    return softmax(similarities)
