"""The DIET network: sparse+dense features -> (transformer) -> intent similarities and CRF entity tags.

Shapes follow `batching.Batch`: B examples, T positions (tokens then one CLS position per example).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse
import torch
from torch import nn
from torch.nn import functional as F

from bot.nlu.classifiers.batching import Batch
from bot.nlu.classifiers.crf import CRF
from bot.nlu.classifiers.diet_spec import TAG_SETS, ModelSpec
from bot.nn.layers import sinusoids


class DIETModel(nn.Module):
    """Joint intent classification (embedding similarity) and entity tagging (stacked CRFs)."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        dims = spec.dims
        width = dims.dense_total
        self.sparse: nn.EmbeddingBag | None = None
        if dims.sparse_total:
            self.sparse = nn.EmbeddingBag(dims.sparse_total, spec.dense_dimension, mode="sum")
            nn.init.normal_(self.sparse.weight, std=1.0 / math.sqrt(spec.dense_dimension))
            # separate biases for token rows and the sentence row: they are separate layers in Rasa
            self.sparse_bias = nn.Parameter(torch.zeros(2, spec.dense_dimension))
            width += spec.dense_dimension
        width = max(width, 1)  # a model trained on no features still runs (on biases)
        layers: list[nn.Module] = []
        for size in spec.hidden_layers_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(spec.drop_rate)]
            width = size
        self.feed_forward = nn.Sequential(*layers)
        self.encoder: nn.TransformerEncoder | None = None
        if spec.number_of_transformer_layers > 0:
            self.input_projection = nn.Linear(width, spec.transformer_size)
            layer = nn.TransformerEncoderLayer(
                spec.transformer_size,
                spec.number_of_attention_heads,
                dim_feedforward=4 * spec.transformer_size,
                dropout=spec.drop_rate,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            layer.self_attn.dropout = spec.drop_rate_attention
            self.encoder = nn.TransformerEncoder(
                layer,
                spec.number_of_transformer_layers,
                norm=nn.LayerNorm(spec.transformer_size),
                enable_nested_tensor=False,
            )
            self.register_buffer("positions", _sinusoids(64, spec.transformer_size), persistent=False)
            width = spec.transformer_size
        self.dropout = nn.Dropout(spec.drop_rate)
        self.output_width = width
        if spec.intent_classification:
            self.text_embed = nn.Linear(width, spec.embedding_dimension)
            self.label_embed = nn.Embedding(max(spec.num_labels, 1), spec.embedding_dimension)
        self.tag_logits = nn.ModuleDict()
        self.tag_embed = nn.ModuleDict()
        self.crfs = nn.ModuleDict()
        for name in TAG_SETS:
            if name not in spec.num_tags:
                continue
            stacked = name != "entity" and "entity" in spec.num_tags
            extra = spec.embedding_dimension if stacked else 0
            self.tag_logits[name] = nn.Linear(width + extra, spec.num_tags[name])
            self.crfs[name] = CRF(spec.num_tags[name])
        if "entity" in spec.num_tags and len(spec.num_tags) > 1:
            self.tag_embed["entity"] = nn.Embedding(spec.num_tags["entity"], spec.embedding_dimension)
        self.connection_masks: list[tuple[torch.Tensor, torch.Tensor]] = []
        if spec.connection_density < 1.0:
            self.connection_masks = [(w, _connection_mask(w.shape, spec.connection_density))
                                     for w in self._sparsely_connected()]
            self.apply_connection_masks()

    # --- sparse connections (Rasa's connection_density) ----------------------------------------
    def _sparsely_connected(self) -> list[torch.Tensor]:
        """The weight matrices Rasa builds as RandomlyConnectedDense: hidden layers, the
        transformer's input projection, attention and feed-forward layers."""
        weights = [m.weight for m in self.feed_forward if isinstance(m, nn.Linear)]
        if self.encoder is not None:
            weights.append(self.input_projection.weight)
            for layer in self.encoder.layers:
                weights += [layer.self_attn.in_proj_weight, layer.self_attn.out_proj.weight,
                            layer.linear1.weight, layer.linear2.weight]
        return weights

    def keep_connections(self) -> None:
        """Continues with the connections a loaded network has (its non-zero weights) rather than
        new random ones, which would cut trained weights (fine-tuning)."""
        self.connection_masks = [(w, (w.detach() != 0).to(w.dtype)) for w, _ in self.connection_masks]

    @torch.no_grad()
    def apply_connection_masks(self) -> None:
        """Zeroes the weights outside each matrix's connections; after every optimiser step, as
        Rasa masks its kernels before every call."""
        for weight, mask in self.connection_masks:
            weight.mul_(mask)

    # --- encoding -------------------------------------------------------------------------------
    def encode(self, batch: Batch, sparse_rows: torch.Tensor | None = None) -> torch.Tensor:
        """Contextual states [B, T, output_width] of tokens and CLS positions.

        `sparse_rows`: the rows of the sparse projection the batch uses, when `batch.bag_indices`
        index into them rather than into the whole table (training with `RowAdam`)."""
        batch_size, steps = batch.mask.shape
        parts = []
        if self.sparse is not None:
            weights = batch.bag_weights
            if self.training and self.spec.sparse_input_dropout and self.spec.drop_rate > 0:
                keep = torch.rand_like(weights) >= self.spec.drop_rate
                weights = weights * keep / (1.0 - self.spec.drop_rate)
            table = self.sparse.weight if sparse_rows is None else sparse_rows
            projected = _SparseProjection.apply(table, batch.bag_indices, batch.bag_offsets, weights)
            projected = projected.view(batch_size, steps, -1) + self.sparse_bias[batch.is_sentence.long()]
            # a nonlinearity here: without one, a model with no transformer is a rank-limited linear map
            projected = F.dropout(F.gelu(projected), self.spec.drop_rate, self.training)
            parts.append(projected)
        if batch.dense is not None:
            dense = batch.dense
            if self.training and self.spec.dense_input_dropout:
                dense = F.dropout(dense, self.spec.drop_rate)
            parts.append(dense)
        if not parts:
            parts.append(torch.zeros(batch_size, steps, 1))
        states = torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]
        states = self.feed_forward(states)
        if self.encoder is not None:
            states = self.input_projection(states)
            if self.spec.rasa_transformer_scaling:
                # without it the position encodings (values up to 1) outweigh a freshly initialised
                # projection (~0.03) many times, and a CLS row mostly says how long the message is
                states = states * math.sqrt(self.spec.transformer_size)
            if steps > self.positions.shape[0]:
                self.positions = _sinusoids(2 * steps, self.spec.transformer_size)
            states = self.dropout(states + self.positions[:steps])
            causal = None
            if self.spec.unidirectional_encoder:
                causal = torch.triu(torch.full((steps, steps), float("-inf")), diagonal=1)
            states = self.encoder(states, mask=causal, src_key_padding_mask=~batch.mask)
            if self.spec.rasa_transformer_scaling:
                states = F.gelu(states)
        return states

    # --- intents --------------------------------------------------------------------------------
    def similarities(self, states: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Similarity of each example's CLS embedding with every label embedding, [B, labels]."""
        cls = states[torch.arange(states.shape[0]), batch.lengths]
        text = self.text_embed(cls)
        labels = self.label_embed.weight
        if self.spec.similarity_type == "cosine":
            text, labels = F.normalize(text, dim=-1), F.normalize(labels, dim=-1)
        return text @ labels.T

    def intent_loss(self, similarities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Softmax cross-entropy over all labels (examples with label -1 do not count)."""
        known = labels >= 0
        if not bool(known.any()):
            return similarities.sum() * 0.0
        sims, labels = similarities[known], labels[known]
        losses = F.cross_entropy(sims, labels, reduction="none")
        if self.spec.scale_loss:
            # focus on badly predicted examples: weight (1 - p_correct)^4, not differentiated
            p_correct = torch.softmax(sims, -1).gather(1, labels.unsqueeze(1)).squeeze(1)
            losses = losses * (1 - p_correct).pow(4).detach()
        loss = losses.mean()
        if self.spec.constrain_similarities:
            target = F.one_hot(labels, sims.shape[1]).to(sims.dtype)
            loss = loss + F.binary_cross_entropy_with_logits(sims, target, reduction="sum") / len(labels)
        return loss

    # --- entities -------------------------------------------------------------------------------
    def _tag_inputs(self, states: torch.Tensor, name: str, entity_tags: torch.Tensor | None) -> torch.Tensor:
        tokens = states[:, : states.shape[1] - 1]
        if name != "entity" and "entity" in self.tag_embed and entity_tags is not None:
            tokens = torch.cat([tokens, self.tag_embed["entity"](entity_tags)], dim=-1)
        return self.tag_logits[name](tokens)

    def entity_loss(self, states: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """CRF negative log-likelihood per tag set; roles/groups see the gold entity tags."""
        token_mask = batch.mask[:, :-1] & ~batch.is_sentence[:, :-1]
        losses = {}
        if token_mask.shape[1] == 0:
            return losses
        for name, crf in self.crfs.items():
            logits = self._tag_inputs(states, name, batch.tags.get("entity"))
            losses[name] = crf.neg_log_likelihood(logits, batch.tags[name], token_mask)
        return losses


class _SparseProjection(torch.autograd.Function):
    """Weighted sum of table rows per bag (F.embedding_bag, mode "sum") with a cheaper backward.

    The table's gradient is X^T @ grad for the batch's sparse matrix X [bags, rows]. torch's
    embedding_bag backward sorts the indices and materialises one gradient row per non-zero
    (~9 ms for 128 messages with ~170 n-grams each on the 2-core VM); scipy's CSC product
    accumulates them in place (~1.4 ms)."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, table: torch.Tensor, indices: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        ctx.save_for_backward(indices, offsets, weights)
        ctx.table_rows = table.shape[0]
        return F.embedding_bag(indices, table, offsets, mode="sum", per_sample_weights=weights)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, None, None]:  # type: ignore[override]
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        indices, offsets, weights = ctx.saved_tensors
        indptr = np.append(offsets.numpy(), indices.shape[0])
        matrix = scipy.sparse.csr_matrix(
            (weights.detach().numpy(), indices.numpy(), indptr), shape=(offsets.shape[0], ctx.table_rows)
        )
        table_grad = matrix.T @ grad.detach().contiguous().numpy()
        return torch.from_numpy(np.ascontiguousarray(table_grad, dtype=np.float32)), None, None, None


def _connection_mask(shape: torch.Size, density: float) -> torch.Tensor:
    """Rasa's RandomlyConnectedDense mask for a torch weight [out, in]: each weight kept with
    probability `density`, plus a tiled identity so that every input and output keeps a connection."""
    rows, columns = shape
    short = min(rows, columns)
    eye = torch.eye(short).repeat(math.ceil(rows / short), math.ceil(columns / short))[:rows, :columns]
    return torch.clamp(eye + (torch.rand(rows, columns) < density).float(), max=1.0)


def _sinusoids(length: int, width: int) -> torch.Tensor:
    """Fixed sine/cosine position encodings [length, width], as inference computes them."""
    return torch.from_numpy(sinusoids(length, width))
