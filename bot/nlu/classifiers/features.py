"""A DIET example's features as rows of one sparse and one dense matrix (numpy, no torch).

Every example owns consecutive "rows": one per token (sequence features) followed by one for the
sentence features (DIET's extra final CLS position). All rows of all examples form one CSR matrix
(sparse features, sentence columns shifted after the sequence columns so that one projection
acts as two separate linear layers) and one dense matrix (sequence block, then sentence block).
The last row is empty and stands for padding. Training (`batching`) turns these into tensors;
inference (`diet_inference`) uses them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse

from bot.shared.errors import InvalidModel
from bot.shared.nlu.constants import SENTENCE, SEQUENCE
from bot.shared.nlu.message import Message

__all__ = ["FeatureDims", "FeatureRows", "encode_rows"]


@dataclass
class FeatureDims:
    """Feature widths seen in training; inference features must have the same widths."""

    sparse_sequence: int = 0
    sparse_sentence: int = 0
    dense_sequence: int = 0
    dense_sentence: int = 0

    @property
    def sparse_total(self) -> int:
        return self.sparse_sequence + self.sparse_sentence

    @property
    def dense_total(self) -> int:
        return self.dense_sequence + self.dense_sentence

    @classmethod
    def of(cls, messages: list[Message], attribute: str) -> FeatureDims:
        dims = cls()
        for message in messages:
            parts = _feature_parts(message, attribute)
            dims.sparse_sequence = max(dims.sparse_sequence, parts.width(SEQUENCE, True))
            dims.sparse_sentence = max(dims.sparse_sentence, parts.width(SENTENCE, True))
            dims.dense_sequence = max(dims.dense_sequence, parts.width(SEQUENCE, False))
            dims.dense_sentence = max(dims.dense_sentence, parts.width(SENTENCE, False))
        return dims


@dataclass
class _FeatureParts:
    """One message's feature matrices of one attribute by (type, sparse), in featurizer order.

    Kept apart rather than concatenated with `Message.get_features`: scipy's hstack costs
    ~0.3 ms a call, which was most of DIET's set-up time on 10,000 examples."""

    matrices: dict[tuple[str, bool], list[Any]]

    def width(self, kind: str, sparse: bool) -> int:
        return sum(int(m.shape[-1]) for m in self.matrices.get((kind, sparse), []))

    def rows(self, kind: str, sparse: bool) -> int:
        matrices = self.matrices.get((kind, sparse), [])
        return int(matrices[0].shape[0]) if matrices else 0

    def dense(self, kind: str) -> np.ndarray | None:
        matrices = self.matrices.get((kind, False))
        return np.concatenate(matrices, axis=-1) if matrices else None


def _feature_parts(message: Message, attribute: str) -> _FeatureParts:
    matrices: dict[tuple[str, bool], list[Any]] = {}
    for feature in message.features:
        if feature.attribute == attribute:
            matrices.setdefault((feature.type, feature.is_sparse), []).append(feature.matrix)
    return _FeatureParts(matrices)


def _sparse_triplets(matrices: list[Any], first_row: int, first_column: int) -> list[tuple[np.ndarray, ...]]:
    """(row, column, value) arrays of side-by-side sparse matrices, rows and columns shifted."""
    triplets = []
    for matrix in matrices:
        if isinstance(matrix, scipy.sparse.csr_matrix):
            rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
            columns, values = matrix.indices, matrix.data
        else:
            coo = scipy.sparse.coo_matrix(matrix)
            rows, columns, values = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
        triplets.append((rows + first_row, columns + first_column, values))
        first_column += int(matrix.shape[1])
    return triplets


@dataclass
class FeatureRows:
    """All examples' rows; see the module docstring."""

    matrix: scipy.sparse.csr_matrix | None  # [rows + 1, sparse_total], scaled by `_log_l2_rows`
    dense: np.ndarray | None  # [rows + 1, dense_total] float32
    row_start: np.ndarray  # [examples] first row of each example
    lengths: np.ndarray  # [examples] number of token rows; the CLS row follows them
    tags: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [rows + 1] tag ids

    @property
    def total_rows(self) -> int:
        """Rows including the padding row."""
        return int(self.lengths.sum()) + len(self.lengths) + 1

    def __len__(self) -> int:
        return len(self.lengths)


def _log_l2_rows(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """log(1 + count), then each row (a token or a sentence) scaled to unit length.

    Raw counts grow with the length of a message; on BANKING77 this scaling (as TF-IDF models
    use) lifted DIET's accuracy by several points at no cost. (Weighting columns by IDF as well,
    or scaling each featurizer's block separately, did not help: CLINC150 -1 point and +0.)
    """
    if values.size == 0:
        return values
    values = (np.log1p(np.clip(values, 0, None)) * np.sign(values)).astype(np.float32)
    counts = np.diff(indptr)
    rows = np.repeat(np.arange(len(counts)), counts)
    norms = np.sqrt(np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=len(counts)))
    return (values / np.maximum(norms, 1e-8)[rows]).astype(np.float32)


def encode_rows(
    messages: list[Message],
    attribute: str,
    dims: FeatureDims,
    tag_ids: dict[str, list[list[int]]] | None = None,
) -> FeatureRows:
    """Flattens the features of `messages` (and optional per-token tag ids) into rows."""
    triplets: list[tuple[np.ndarray, ...]] = []
    dense_blocks: list[np.ndarray] = []
    lengths = np.zeros(len(messages), dtype=np.int64)
    first_row = 0
    for i, message in enumerate(messages):
        parts = _feature_parts(message, attribute)
        _check_width(parts.width(SEQUENCE, True), dims.sparse_sequence, message, "sparse sequence")
        _check_width(parts.width(SENTENCE, True), dims.sparse_sentence, message, "sparse sentence")
        _check_width(parts.width(SEQUENCE, False), dims.dense_sequence, message, "dense sequence")
        _check_width(parts.width(SENTENCE, False), dims.dense_sentence, message, "dense sentence")
        n_tokens = max(parts.rows(SEQUENCE, True), parts.rows(SEQUENCE, False))
        lengths[i] = n_tokens
        if dims.sparse_total:
            for kind, rows, shift in ((SEQUENCE, n_tokens, 0), (SENTENCE, 1, dims.sparse_sequence)):
                if parts.rows(kind, True) == rows:
                    triplets += _sparse_triplets(parts.matrices.get((kind, True), []), first_row, shift)
                first_row += rows
        if dims.dense_total:
            seq_dense, sent_dense = parts.dense(SEQUENCE), parts.dense(SENTENCE)
            block = np.zeros((n_tokens + 1, dims.dense_total), dtype=np.float32)
            if seq_dense is not None:
                block[: seq_dense.shape[0], : dims.dense_sequence] = seq_dense
            if sent_dense is not None:
                block[n_tokens, dims.dense_sequence :] = np.asarray(sent_dense).reshape(-1)
            dense_blocks.append(block)
    total_rows = int(lengths.sum()) + len(messages)
    matrix = None
    if dims.sparse_total:
        # one CSR matrix over all rows (+ the empty padding row); scipy sums duplicate entries
        rows, columns, values = (np.concatenate([t[k] for t in triplets]) if triplets else np.zeros(0)
                                 for k in range(3))
        matrix = scipy.sparse.csr_matrix(
            (values.astype(np.float32), (rows.astype(np.int64), columns.astype(np.int64))),
            shape=(total_rows + 1, dims.sparse_total),
        )
        matrix.sum_duplicates()
        matrix.data = _log_l2_rows(matrix.data, matrix.indptr)
    dense = None
    if dense_blocks:
        dense = np.concatenate(dense_blocks + [np.zeros((1, dims.dense_total), np.float32)])
    row_start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    tags = {}
    for name, per_message in (tag_ids or {}).items():
        flat = np.zeros(total_rows + 1, dtype=np.int64)
        for start, ids in zip(row_start, per_message, strict=False):
            flat[start : start + len(ids)] = ids
        tags[name] = flat
    return FeatureRows(matrix, dense, row_start, lengths, tags)


def _check_width(found: int, width: int, message: Message, what: str) -> None:
    if found and found != width:
        where = f" ({message.location})" if message.location else ""
        raise InvalidModel(
            f"{what} features of '{message.text[:40]}'{where} are {found} wide, the model was "
            f"trained on {width}",
            hint="retrain the model: the featurizers in the pipeline changed since it was trained",
        )
