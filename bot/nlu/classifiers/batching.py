"""Turns messages' features into flat tensors once, then gathers padded batches with tensor ops.

Every example owns consecutive "rows": one per token (sequence features) followed by one for the
sentence features (DIET's extra final CLS position). All rows of all examples form one CSR matrix
(sparse features, sentence columns shifted after the sequence columns so that one
`nn.EmbeddingBag` acts as two separate linear layers) and one dense matrix (sequence block, then
sentence block). The last row is empty and stands for padding. Gathering a batch is then a few
index operations, with no Python loop over examples inside an epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
import torch

from bot.shared.errors import InvalidModel
from bot.shared.nlu.constants import SENTENCE, SEQUENCE
from bot.shared.nlu.message import Message


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
class EncodedFeatures:
    """All examples' rows; see the module docstring."""

    indptr: torch.Tensor  # [rows + 1] int64
    indices: torch.Tensor  # [nnz] int64
    values: torch.Tensor  # [nnz] float32
    dense: torch.Tensor | None  # [rows, dense_total] float32
    row_start: torch.Tensor  # [examples] first row of each example
    lengths: torch.Tensor  # [examples] number of token rows; the CLS row follows them
    tags: dict[str, torch.Tensor] = field(default_factory=dict)  # name -> [rows] tag ids

    @property
    def pad_row(self) -> int:
        return self.indptr.shape[0] - 2

    def __len__(self) -> int:
        return int(self.lengths.shape[0])


def _log_l2_rows(values: torch.Tensor, counts: np.ndarray) -> torch.Tensor:
    """log(1 + count), then each row (a token or a sentence) scaled to unit length.

    Raw counts grow with the length of a message; on BANKING77 this scaling (as TF-IDF models
    use) lifted DIET's accuracy by several points at no cost. (Weighting columns by IDF as well,
    or scaling each featurizer's block separately, did not help: CLINC150 -1 point and +0.)
    """
    if values.numel() == 0:
        return values
    values = torch.log1p(values.clamp(min=0)) * torch.sign(values)
    rows = torch.repeat_interleave(torch.arange(len(counts)), torch.from_numpy(counts))
    norms = torch.zeros(len(counts)).index_add_(0, rows, values * values).sqrt()
    return values / norms[rows].clamp(min=1e-8)


def encode(
    messages: list[Message],
    attribute: str,
    dims: FeatureDims,
    tag_ids: dict[str, list[list[int]]] | None = None,
) -> EncodedFeatures:
    """Flattens the features of `messages` (and optional per-token tag ids) into tensors."""
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
    if dims.sparse_total:
        # one CSR matrix over all rows (+ the empty padding row); scipy sums duplicate entries
        rows, columns, values = (np.concatenate([t[k] for t in triplets]) if triplets else np.zeros(0)
                                 for k in range(3))
        matrix = scipy.sparse.csr_matrix(
            (values.astype(np.float32), (rows.astype(np.int64), columns.astype(np.int64))),
            shape=(total_rows + 1, dims.sparse_total),
        )
        matrix.sum_duplicates()
        counts = np.diff(matrix.indptr).astype(np.int64)
        indptr = torch.from_numpy(matrix.indptr.astype(np.int64))
        indices = torch.from_numpy(matrix.indices.astype(np.int64))
        values = _log_l2_rows(torch.from_numpy(matrix.data.astype(np.float32)), counts)
    else:
        indptr = torch.zeros(total_rows + 2, dtype=torch.int64)
        indices = torch.zeros(0, dtype=torch.int64)
        values = torch.zeros(0, dtype=torch.float32)
    dense = None
    if dense_blocks:
        dense = torch.from_numpy(np.concatenate(dense_blocks + [np.zeros((1, dims.dense_total), np.float32)]))
    row_start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    tags = {}
    for name, per_message in (tag_ids or {}).items():
        flat = np.zeros(total_rows + 1, dtype=np.int64)
        for start, ids in zip(row_start, per_message, strict=False):
            flat[start : start + len(ids)] = ids
        tags[name] = torch.from_numpy(flat)
    return EncodedFeatures(
        indptr, indices, values, dense, torch.from_numpy(row_start), torch.from_numpy(lengths), tags
    )


def _check_width(found: int, width: int, message: Message, what: str) -> None:
    if found and found != width:
        where = f" ({message.location})" if message.location else ""
        raise InvalidModel(
            f"{what} features of '{message.text[:40]}'{where} are {found} wide, the model was "
            f"trained on {width}",
            hint="retrain the model: the featurizers in the pipeline changed since it was trained",
        )


@dataclass
class Batch:
    """A padded batch: position rows, sparse bag inputs and masks."""

    bag_indices: torch.Tensor  # [nnz in batch] column ids
    bag_offsets: torch.Tensor  # [B*T] start of each position's bag
    bag_weights: torch.Tensor  # [nnz in batch] values
    is_sentence: torch.Tensor  # [B, T] bool, True at the CLS position
    dense: torch.Tensor | None  # [B, T, dense_total]
    mask: torch.Tensor  # [B, T] bool: tokens and CLS
    lengths: torch.Tensor  # [B] tokens (the CLS sits at index lengths[b])
    tags: dict[str, torch.Tensor]  # name -> [B, T - 1] tag ids of the tokens


def gather(encoded: EncodedFeatures, example_ids: torch.Tensor, sentence_only: bool = False) -> Batch:
    """The batch of the given examples, padded to the longest one plus its CLS position.

    `sentence_only` keeps just the CLS position (as if there were no tokens): enough when
    no transformer mixes tokens into it and no entities are tagged, and much cheaper."""
    lengths = encoded.lengths[example_ids]
    row_start = encoded.row_start[example_ids]
    if sentence_only:
        row_start, lengths = row_start + lengths, torch.zeros_like(lengths)
    steps = int(lengths.max()) + 1 if len(example_ids) else 1
    position = torch.arange(steps).unsqueeze(0)
    mask = position <= lengths.unsqueeze(1)
    rows = torch.where(mask, row_start.unsqueeze(1) + position, encoded.pad_row)
    flat_rows = rows.reshape(-1)
    starts = encoded.indptr[flat_rows]
    counts = encoded.indptr[flat_rows + 1] - starts
    offsets = torch.cumsum(counts, 0) - counts
    total = int(counts.sum())
    picks = torch.repeat_interleave(starts - offsets, counts, output_size=total) + torch.arange(total)
    dense = encoded.dense[rows] if encoded.dense is not None else None
    token_rows = rows[:, : steps - 1]
    token_mask = mask[:, : steps - 1] & (position[:, : steps - 1] < lengths.unsqueeze(1))
    tags = {name: torch.where(token_mask, ids[token_rows], 0) for name, ids in encoded.tags.items()}
    return Batch(
        bag_indices=encoded.indices[picks],
        bag_offsets=offsets,
        bag_weights=encoded.values[picks],
        is_sentence=position == lengths.unsqueeze(1),
        dense=dense,
        mask=mask,
        lengths=lengths,
        tags=tags,
    )


def batch_order(
    lengths: np.ndarray,
    labels: np.ndarray | None,
    batch_size: int,
    balanced: bool,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Example ids per batch for one epoch: shuffled (label-interleaved when `balanced`),
    then sorted by length inside windows of 50 batches so little padding is computed."""
    count = len(lengths)
    if balanced and labels is not None:
        # round-robin over labels (each shuffled) so every batch sees many labels, as Rasa's
        # balanced strategy aims for, without over- or under-sampling any example
        groups = [rng.permutation(np.flatnonzero(labels == label)) for label in np.unique(labels)]
        rank = np.concatenate([np.arange(len(g)) + rng.random() for g in groups])
        order = np.concatenate(groups)[np.argsort(rank, kind="stable")]
    else:
        order = rng.permutation(count)
    window = batch_size * 50
    batches = []
    for start in range(0, count, window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches
