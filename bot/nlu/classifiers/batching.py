"""Training batches: the examples' feature rows (`features`) as tensors once, then padded
batches gathered with a few index operations, with no Python loop over examples inside an epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from bot.nlu.classifiers.features import FeatureRows

__all__ = ["Batch", "EncodedFeatures", "batch_order", "gather", "to_tensors"]


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


def to_tensors(rows: FeatureRows) -> EncodedFeatures:
    """The examples' feature rows as tensors."""
    if rows.matrix is not None:
        indptr = torch.from_numpy(rows.matrix.indptr.astype(np.int64))
        indices = torch.from_numpy(rows.matrix.indices.astype(np.int64))
        values = torch.from_numpy(rows.matrix.data.astype(np.float32))
    else:
        indptr = torch.zeros(rows.total_rows + 1, dtype=torch.int64)
        indices = torch.zeros(0, dtype=torch.int64)
        values = torch.zeros(0, dtype=torch.float32)
    dense = torch.from_numpy(rows.dense) if rows.dense is not None else None
    tags = {name: torch.from_numpy(ids) for name, ids in rows.tags.items()}
    return EncodedFeatures(indptr, indices, values, dense, torch.from_numpy(rows.row_start),
                           torch.from_numpy(rows.lengths), tags)


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
