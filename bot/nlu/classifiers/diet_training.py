"""Training DIET's network in PyTorch; the trained weights then answer in numpy (`diet_inference`).

Only `bot train` (and benchmarks) import this module, and with it torch.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from bot.nlu.classifiers.batching import Batch, EncodedFeatures, batch_order, gather, to_tensors
from bot.nlu.classifiers.diet_inference import DietInference
from bot.nlu.classifiers.diet_model import DIETModel
from bot.nlu.classifiers.diet_spec import ModelSpec
from bot.nlu.classifiers.features import FeatureRows
from bot.nlu.classifiers.row_adam import RowAdam, used_rows
from bot.nn.progress import report_epoch
from bot.nn.weights import to_numpy

__all__ = ["train_network"]

logger = logging.getLogger(__name__)

_MAX_ALL_LABELS = 2000  # above this many labels, negatives are sampled (see diet's module docstring)


def train_network(
    spec: ModelSpec,
    rows: FeatureRows,
    label_ids: np.ndarray,
    config: Any,
    name: str,
    initial: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Trains a network of shape `spec` on the examples' rows; returns its weights as numpy arrays.

    `config` is the component's DIETConfig (epochs, batch sizes, learning rate, seed, hold-out);
    `initial` are the weights to continue from (fine-tuning), else they start at random."""
    seed = config.random_seed
    torch.manual_seed(seed if seed is not None else int(time.time()))
    rng = np.random.default_rng(seed)
    # One thread unless told otherwise: DIET's ops are small, and with two threads on a busy
    # 2-core machine each op waits for a descheduled worker (measured 10x slower).
    torch.set_num_threads(int(os.environ.get("BOT_TORCH_THREADS", "1")))
    model = DIETModel(spec)
    if initial is not None:
        model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in initial.items()})
        model.keep_connections()
    count = len(rows)
    order = rng.permutation(count)
    held = order[: max(0, min(config.evaluate_on_number_of_examples, count - 1))]
    train_ids = np.setdiff1d(np.arange(count), held)
    trainer = _Trainer(model, to_tensors(rows), rows, label_ids, config, name)
    trainer.fit(train_ids, held, rng)
    return to_numpy(model.state_dict())


class _Trainer:
    def __init__(self, model: DIETModel, encoded: EncodedFeatures, rows: FeatureRows,
                 label_ids: np.ndarray, config: Any, name: str) -> None:
        self.model, self.encoded, self.rows = model, encoded, rows
        self.label_ids, self.config, self.name = label_ids, config, name
        self.has_labels = model.spec.intent_classification

    def fit(self, train_ids: np.ndarray, held: np.ndarray, rng: np.random.Generator) -> None:
        cfg = self.config
        model = self.model
        # the sparse projection's table gets a row-wise Adam (see row_adam), the rest one fused Adam
        table = model.sparse.weight if model.sparse is not None else None
        rest = [p for p in model.parameters() if p is not table]
        optimizer = torch.optim.Adam(rest, lr=cfg.learning_rate, fused=True)
        row_optimizer = RowAdam(table.data, cfg.learning_rate) if table is not None else None
        labels = torch.from_numpy(self.label_ids)
        lengths = self.encoded.lengths.numpy()
        low, high = (cfg.batch_size, cfg.batch_size) if isinstance(cfg.batch_size, int) else cfg.batch_size[:2]
        balanced = cfg.batch_strategy == "balanced" and self.has_labels
        best_accuracy, best_state = -1.0, None
        deterministic = torch.are_deterministic_algorithms_enabled()
        if cfg.random_seed is not None:
            torch.use_deterministic_algorithms(True, warn_only=True)
        started = time.monotonic()
        try:
            for epoch in range(cfg.epochs):
                model.train()
                size = int(low + (high - low) * epoch / max(cfg.epochs - 1, 1))
                subset_labels = self.label_ids[train_ids] if balanced else None
                epoch_loss, batches = 0.0, 0
                for batch_ids in batch_order(lengths[train_ids], subset_labels, size, balanced, rng):
                    ids = torch.from_numpy(train_ids[batch_ids])
                    batch = gather(self.encoded, ids, model.spec.sentence_only)
                    columns, rows = None, None
                    if row_optimizer is not None:
                        columns, batch.bag_indices = used_rows(batch.bag_indices, row_optimizer.table.shape[0])
                        rows = row_optimizer.table[columns].requires_grad_()
                    loss = self._batch_loss(batch, labels[ids], rows)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    model.apply_connection_masks()
                    if row_optimizer is not None and rows is not None and rows.grad is not None:
                        row_optimizer.step(columns, rows.grad)
                    epoch_loss, batches = epoch_loss + float(loss.detach()), batches + 1
                report_epoch(self.name, epoch + 1, cfg.epochs, epoch_loss / max(batches, 1))
                every = max(cfg.evaluate_every_number_of_epochs, 1)
                if len(held) and ((epoch + 1) % every == 0 or epoch + 1 == cfg.epochs):
                    accuracy = self._held_out_accuracy(held)
                    logger.info("%s epoch %d/%d: hold-out accuracy %.4f (%.0fs)",
                                self.name, epoch + 1, cfg.epochs, accuracy, time.monotonic() - started)
                    if cfg.checkpoint_model and accuracy > best_accuracy:
                        best_accuracy = accuracy
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        finally:
            torch.use_deterministic_algorithms(deterministic)
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()

    def _batch_loss(self, batch: Batch, labels: torch.Tensor, sparse_rows: torch.Tensor | None) -> torch.Tensor:
        states = self.model.encode(batch, sparse_rows)
        loss = states.new_zeros(())
        if self.has_labels:
            sims = self.model.similarities(states, batch)
            if sims.shape[1] > _MAX_ALL_LABELS:
                sims, labels = _sample_negatives(sims, labels, self.config.number_of_negative_examples)
            loss = loss + self.model.intent_loss(sims, labels)
        for value in self.model.entity_loss(states, batch).values():
            loss = loss + value
        return loss

    def _held_out_accuracy(self, held: np.ndarray) -> float:
        if not self.has_labels:
            return 0.0
        inference = DietInference(self.model.spec, to_numpy(self.model.state_dict()))
        confidences, _ = inference.predict(self.rows, "softmax", with_tags=False, examples=held)
        return float((confidences.argmax(1) == self.label_ids[held]).mean())


def _sample_negatives(
    sims: torch.Tensor, labels: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Restricts the softmax to the batch's labels plus `count` x batch random others (many labels)."""
    known = labels[labels >= 0]
    extra = torch.randint(sims.shape[1], (max(count, 1) * max(len(known), 1),))
    candidates = torch.unique(torch.cat([known, extra]))
    remap = torch.full((sims.shape[1],), -1, dtype=torch.long)
    remap[candidates] = torch.arange(len(candidates))
    return sims[:, candidates], torch.where(labels >= 0, remap[labels.clamp(min=0)], -1)
