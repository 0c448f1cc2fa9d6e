"""The TED network: a causal transformer over dialogue turns, scored against action embeddings.

Each turn's state vector goes through a dense layer into the transformer; the output at the
last real turn is projected into the embedding space, where every action (one-hot through a
dense layer) also lives. The dot products between the dialogue and action embeddings are
the similarities a softmax turns into confidences.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from bot.nn.layers import sinusoids
from bot.nn.progress import report_epoch

logger = logging.getLogger(__name__)

_thread_lock = threading.Lock()
_single_thread_users = 0
_saved_threads = 1


@contextmanager
def single_thread() -> Iterator[None]:
    """Runs torch on one CPU thread meanwhile.

    TED's matrices are tiny: spreading them over threads costs far more in synchronisation than
    it gains (10x slower on a busy machine). The count makes overlapping uses from several
    threads restore the caller's setting only when the last one leaves.
    """
    global _single_thread_users, _saved_threads
    with _thread_lock:
        if _single_thread_users == 0:
            _saved_threads = torch.get_num_threads()
            torch.set_num_threads(1)
        _single_thread_users += 1
    try:
        yield
    finally:
        with _thread_lock:
            _single_thread_users -= 1
            if _single_thread_users == 0:
                torch.set_num_threads(_saved_threads)


class TedModel(nn.Module):
    """Dialogue transformer + label embeddings; `forward` gives (batch, actions) similarities."""

    def __init__(self, input_size: int, num_actions: int, *, transformer_size: int = 128,
                 num_layers: int = 1, num_heads: int = 4, embedding_size: int = 20,
                 drop_rate: float = 0.1, drop_rate_label: float = 0.0, drop_rate_attention: float = 0.0,
                 max_turns: int = 64) -> None:
        super().__init__()
        self.num_actions = num_actions
        self.input_layer = nn.Sequential(nn.Linear(input_size, transformer_size), nn.ReLU(), nn.Dropout(drop_rate))
        self.encoder: nn.TransformerEncoder | None = None
        if num_layers > 0:
            layer = nn.TransformerEncoderLayer(
                transformer_size, num_heads, dim_feedforward=4 * transformer_size, dropout=drop_rate,
                activation="gelu", batch_first=True, norm_first=True)
            layer.self_attn.dropout = drop_rate_attention
            # nested tensors only pay off with key padding masks on long sequences; we use neither
            self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(transformer_size)
        self.register_buffer("positions", _sinusoids(max_turns, transformer_size), persistent=False)
        self.dialogue_embed = nn.Linear(transformer_size, embedding_size)
        self.label_embed = nn.Sequential(nn.Dropout(drop_rate_label), nn.Linear(num_actions, embedding_size))
        self.register_buffer("label_one_hot", torch.eye(num_actions), persistent=False)
        self._masks: dict[int, torch.Tensor] = {}

    def dialogue_embeddings(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(batch, turns, input) right-padded histories -> (batch, embedding) at each last real turn."""
        hidden = self.input_layer(features)
        turns = hidden.shape[1]
        if turns > self.positions.shape[0]:
            self.positions = _sinusoids(turns, hidden.shape[2]).to(hidden.device)
        hidden = hidden + self.positions[:turns]
        if self.encoder is not None:
            # causal: a turn attends to earlier turns only, so right padding never leaks in
            hidden = self.encoder(hidden, mask=self._causal_mask(turns), is_causal=True)
        hidden = self.final_norm(hidden)
        last = hidden[torch.arange(hidden.shape[0]), lengths - 1]
        return self.dialogue_embed(last)

    def label_embeddings(self) -> torch.Tensor:
        """(actions, embedding): one row per action of the domain."""
        return self.label_embed(self.label_one_hot)

    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.dialogue_embeddings(features, lengths) @ self.label_embeddings().T

    def _causal_mask(self, turns: int) -> torch.Tensor:
        mask = self._masks.get(turns)
        if mask is None:
            mask = nn.Transformer.generate_square_subsequent_mask(turns)
            self._masks[turns] = mask
        return mask


def _sinusoids(length: int, size: int) -> torch.Tensor:
    """Fixed sine/cosine position signals (no learned positions, so any history length works)."""
    return torch.from_numpy(sinusoids(length, size))


@dataclass
class TrainingSet:
    """Unique (history, next action) examples as right-padded tensors."""

    features: torch.Tensor  # (examples, turns, state size)
    lengths: torch.Tensor  # (examples,) real turns in each history
    labels: torch.Tensor  # (examples,) action index

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def build_training_set(encoded_windows: list[np.ndarray], labels: list[int]) -> TrainingSet:
    """Pads the encoded histories and drops duplicate (history, action) pairs, as Rasa does."""
    seen: set[tuple[bytes, int, int]] = set()
    kept: list[tuple[np.ndarray, int]] = []
    for matrix, label in zip(encoded_windows, labels, strict=True):
        key = (matrix.tobytes(), matrix.shape[0], label)
        if key not in seen:
            seen.add(key)
            kept.append((matrix, label))
    if not kept:
        return TrainingSet(torch.zeros(0, 1, 1), torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    turns = max(matrix.shape[0] for matrix, _ in kept)
    features = np.zeros((len(kept), turns, kept[0][0].shape[1]), dtype=np.float32)
    for row, (matrix, _) in enumerate(kept):
        features[row, :matrix.shape[0]] = matrix
    return TrainingSet(torch.from_numpy(features), torch.tensor([m.shape[0] for m, _ in kept]),
                       torch.tensor([label for _, label in kept]))


def train_model(model: TedModel, data: TrainingSet, *, epochs: int, batch_sizes: tuple[int, int],
                learning_rate: float, seed: int | None, evaluate_every: int = 0, name: str = "TED") -> None:
    """Adam on the cross-entropy of the similarity softmax; batches grow linearly over the epochs."""
    generator = torch.Generator()
    generator.manual_seed(seed if seed is not None else secrets.randbits(31))
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, foreach=True)  # fewer tiny kernels
    # dropout draws from torch's global generator: fork it so a seeded run is repeatable and
    # does not disturb the random state of whoever called us
    with torch.random.fork_rng(devices=[]), single_thread():
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        model.train()
        for epoch in range(epochs):
            batch_size = _batch_size(epoch, epochs, batch_sizes)
            order = torch.randperm(len(data), generator=generator)
            total = 0.0
            for start in range(0, len(data), batch_size):
                index = order[start:start + batch_size]
                lengths = data.lengths[index]
                turns = int(lengths.max())
                similarities = model(data.features[index, :turns], lengths)
                loss = nn.functional.cross_entropy(similarities, data.labels[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(index)
            report_epoch(name, epoch + 1, epochs, total / len(data))
            if evaluate_every and ((epoch + 1) % evaluate_every == 0 or epoch + 1 == epochs):
                logger.debug("%s: epoch %d/%d loss %.4f accuracy %.3f", name, epoch + 1, epochs,
                             total / len(data), accuracy(model, data))
                model.train()
    model.eval()


def accuracy(model: TedModel, data: TrainingSet) -> float:
    """Share of examples whose most similar action is the right one."""
    model.eval()
    with torch.inference_mode():
        predicted = model(data.features, data.lengths).argmax(dim=-1)
    return float((predicted == data.labels).float().mean())


def _batch_size(epoch: int, epochs: int, sizes: tuple[int, int]) -> int:
    smallest, largest = sizes
    if epochs <= 1 or smallest == largest:
        return smallest
    return int(smallest + epoch * (largest - smallest) / (epochs - 1))
