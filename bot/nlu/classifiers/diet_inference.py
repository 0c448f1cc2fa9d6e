"""A trained DIET network answering in numpy: intent confidences and CRF entity tags.

Mirrors `diet_model.DIETModel` in eval mode (tested equal to it), one example at a time so no
padding or masks are needed. Parsing a message then never touches torch.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from bot.nlu.classifiers.diet_spec import TAG_SETS, ModelSpec
from bot.nlu.classifiers.features import FeatureRows
from bot.nn.layers import EncoderLayer, LayerNorm, Linear, encoder_layers, gelu, logsumexp, sinusoids, softmax

__all__ = ["CrfDecoder", "DietInference", "TagPrediction"]

TagPrediction = dict[str, tuple[np.ndarray, np.ndarray]]  # tag set -> (tag ids, confidences) per token


class DietInference:
    """Forward passes of one trained network; `weights` are its state_dict as numpy arrays."""

    def __init__(self, spec: ModelSpec, weights: dict[str, np.ndarray]) -> None:
        self.spec = spec
        self.weights = weights
        self.sparse_table = weights.get("sparse.weight")
        self.sparse_bias = weights.get("sparse_bias")
        # feed_forward is Sequential(Linear, ReLU, Dropout) per hidden layer
        self.feed_forward = [Linear.of(weights, f"feed_forward.{3 * i}") for i in range(len(spec.hidden_layers_sizes))]
        self.layers: list[EncoderLayer] = []
        if spec.number_of_transformer_layers > 0:
            self.input_projection = Linear.of(weights, "input_projection")
            self.layers = encoder_layers(weights, "encoder", spec.number_of_transformer_layers,
                                         spec.number_of_attention_heads)
            self.final_norm = LayerNorm(weights, "encoder.norm")
            self.positions = sinusoids(64, spec.transformer_size)
        self.text_embed: Linear | None = None
        if spec.intent_classification:
            self.text_embed = Linear.of(weights, "text_embed")
            labels = weights["label_embed.weight"]
            if spec.similarity_type == "cosine":
                labels = _unit_rows(labels)
            self.label_matrix = np.ascontiguousarray(labels.T)
        self.tag_sets = [name for name in TAG_SETS if name in spec.num_tags]
        self.tag_logits = {name: Linear.of(weights, f"tag_logits.{name}") for name in self.tag_sets}
        self.crfs = {name: CrfDecoder.of(weights, f"crfs.{name}") for name in self.tag_sets}
        self.entity_embed = weights.get("tag_embed.entity.weight")

    # --- encoding -------------------------------------------------------------------------------
    def _project(self, rows: FeatureRows, row_ids: np.ndarray) -> np.ndarray:
        """The features of the given rows through the input layers, [len(row_ids), width]."""
        parts = []
        if self.sparse_table is not None and rows.matrix is not None:
            projected = _sparse_rows_product(rows.matrix, row_ids, self.sparse_table)
            is_sentence = _is_sentence(rows, row_ids)
            parts.append(gelu(projected + self.sparse_bias[is_sentence.astype(np.int64)]))
        if rows.dense is not None:
            parts.append(rows.dense[row_ids])
        if not parts:
            parts.append(np.zeros((len(row_ids), 1), dtype=np.float32))
        states = np.concatenate(parts, axis=-1) if len(parts) > 1 else parts[0]
        for layer in self.feed_forward:
            states = np.maximum(layer(states), 0)
        return states

    def _encode(self, rows: FeatureRows, example: int) -> np.ndarray:
        """Contextual states [tokens + 1, width] of one example (its CLS row last)."""
        start, length = int(rows.row_start[example]), int(rows.lengths[example])
        states = self._project(rows, np.arange(start, start + length + 1))
        if not self.layers:
            return states
        steps = states.shape[0]
        if steps > self.positions.shape[0]:
            self.positions = sinusoids(2 * steps, self.spec.transformer_size)
        states = self.input_projection(states)
        if self.spec.rasa_transformer_scaling:
            states = states * np.float32(np.sqrt(self.spec.transformer_size))
        states = states + self.positions[:steps]
        mask = None
        if self.spec.unidirectional_encoder:
            mask = np.triu(np.full((steps, steps), -np.inf, dtype=np.float32), k=1)
        for layer in self.layers:
            states = layer(states, mask)
        states = self.final_norm(states)
        return gelu(states) if self.spec.rasa_transformer_scaling else states

    # --- outputs --------------------------------------------------------------------------------
    def _similarities(self, cls_states: np.ndarray) -> np.ndarray:
        assert self.text_embed is not None
        text = self.text_embed(cls_states)
        if self.spec.similarity_type == "cosine":
            text = _unit_rows(text)
        return text @ self.label_matrix

    def predict(
        self, rows: FeatureRows, model_confidence: str, with_tags: bool = True, examples: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[TagPrediction]]:
        """Label confidences [examples, labels] and, per example, the tags of each tag set
        (of all examples in `rows`, or of the given ones)."""
        if examples is None:
            examples = np.arange(len(rows))
        count = len(examples)
        if self.spec.sentence_only:
            cls_rows = rows.row_start[examples] + rows.lengths[examples]
            similarities = self._similarities(self._project(rows, cls_rows)) if self.text_embed else None
            return _confidences(similarities, count, model_confidence), [{} for _ in range(count)]
        cls_states, tags = [], []
        for example in examples:
            states = self._encode(rows, example)
            cls_states.append(states[-1])
            tags.append(self._tags(states[:-1]) if with_tags else {})
        similarities = self._similarities(np.stack(cls_states)) if self.text_embed and count else None
        return _confidences(similarities, count, model_confidence), tags

    def _tags(self, tokens: np.ndarray) -> TagPrediction:
        """Viterbi tags per tag set; roles and groups see the predicted entity tags, as in training."""
        predicted: TagPrediction = {}
        if tokens.shape[0] == 0:
            return predicted
        for name in self.tag_sets:
            inputs = tokens
            if name != "entity" and self.entity_embed is not None and "entity" in predicted:
                inputs = np.concatenate([tokens, self.entity_embed[predicted["entity"][0]]], axis=-1)
            predicted[name] = self.crfs[name].decode(self.tag_logits[name](inputs))
        return predicted


class CrfDecoder:
    """Viterbi decoding and forward-backward marginals for a trained `crf.CRF`, one sequence at a time."""

    def __init__(self, transitions: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.transitions = transitions  # [from, to]
        self.start = start
        self.end = end

    @classmethod
    def of(cls, weights: dict[str, np.ndarray], prefix: str) -> CrfDecoder:
        return cls(weights[f"{prefix}.transitions"], weights[f"{prefix}.start"], weights[f"{prefix}.end"])

    def decode(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(tag ids [T], marginal probability of each chosen tag [T]) for logits [T, tags]."""
        score = self.start + logits[0]
        history = []
        for t in range(1, logits.shape[0]):
            total = score[:, None] + self.transitions
            best_from = total.argmax(axis=0)
            history.append(best_from)
            score = total[best_from, np.arange(total.shape[1])] + logits[t]
        best = int((score + self.end).argmax())
        path = [best]
        for best_from in reversed(history):
            best = int(best_from[best])
            path.append(best)
        tags = np.array(path[::-1], dtype=np.int64)
        return tags, self._marginals(logits)[np.arange(len(tags)), tags]

    def _marginals(self, logits: np.ndarray) -> np.ndarray:
        steps = logits.shape[0]
        alphas = [self.start + logits[0]]
        for t in range(1, steps):
            alphas.append(logsumexp(alphas[-1][:, None] + self.transitions, axis=0) + logits[t])
        betas = [self.end]
        for t in range(steps - 2, -1, -1):
            betas.insert(0, logsumexp(self.transitions + (logits[t + 1] + betas[0])[None, :], axis=1))
        return softmax(np.stack(alphas) + np.stack(betas), axis=1)


def _sparse_rows_product(matrix: scipy.sparse.csr_matrix, row_ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    """matrix[row_ids] @ table without building a scipy matrix (a gather and a segment sum)."""
    starts, ends = matrix.indptr[row_ids], matrix.indptr[row_ids + 1]
    counts = ends - starts
    out = np.zeros((len(row_ids), table.shape[1]), dtype=np.float32)
    total = int(counts.sum())
    if total == 0:
        return out
    offsets = np.cumsum(counts) - counts
    picks = np.repeat(starts - offsets, counts) + np.arange(total)
    weighted = table[matrix.indices[picks]] * matrix.data[picks, None]
    filled = counts > 0
    # reduceat sums each non-empty row's run; empty rows have no run and stay 0
    out[filled] = np.add.reduceat(weighted, offsets[filled], axis=0)
    return out


def _is_sentence(rows: FeatureRows, row_ids: np.ndarray) -> np.ndarray:
    """True for the CLS rows among `row_ids` (the row right after each example's tokens)."""
    cls_rows = rows.row_start + rows.lengths
    return np.isin(row_ids, cls_rows)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    # torch's F.normalize: x / max(||x||, 1e-12)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)


def _confidences(similarities: np.ndarray | None, count: int, model_confidence: str) -> np.ndarray:
    if similarities is None:
        return np.zeros((count, 0), dtype=np.float32)
    if model_confidence == "linear_norm":
        clipped = np.maximum(similarities, 0)
        return clipped / np.maximum(clipped.sum(-1, keepdims=True), 1e-8)
    return softmax(similarities)
