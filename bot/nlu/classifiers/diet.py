"""DIETClassifier: joint intent classification and entity recognition (Rasa's DIET, in PyTorch).

Differences from Rasa worth knowing:
- the intent loss is a softmax over *all* labels rather than over `number_of_negative_examples`
  sampled negatives: with an embedding dimension of 20 this costs less than sampling and
  learns at least as well; above 2000 labels a random subset of negatives is used per batch;
- `connection_density`/`weight_sparsity`, `tensorboard_log_directory`, masked language
  modelling and relative attention are not implemented (a warning says so when set).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import astuple
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field

from bot.nlu.classifiers.batching import Batch, EncodedFeatures, FeatureDims, batch_order, encode, gather
from bot.nlu.classifiers.diet_model import TAG_SETS, DIETModel, ModelSpec
from bot.nlu.classifiers.row_adam import RowAdam, used_rows
from bot.nlu.component import Component, ComponentConfig
from bot.shared.errors import InvalidModel
from bot.shared.nlu.constants import ENTITIES, EXTRACTOR, INTENT, INTENT_RANKING, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_MAX_ALL_LABELS = 2000  # above this many labels, negatives are sampled (see module docstring)
_PREDICT_BATCH = 256


class DIETConfig(ComponentConfig):
    """Rasa's DIETClassifier options (same names and defaults)."""

    epochs: int = 300
    batch_size: int | list[int] = Field(default_factory=lambda: [64, 256])
    batch_strategy: Literal["balanced", "sequence"] = "balanced"
    learning_rate: float = 0.001
    dense_dimension: dict[str, int] = Field(default_factory=lambda: {"text": 128, "label": 20})
    hidden_layers_sizes: dict[str, list[int]] = Field(default_factory=lambda: {"text": [], "label": []})
    number_of_transformer_layers: int | dict[str, int] = 2
    transformer_size: int | dict[str, int] | None = 256
    number_of_attention_heads: int = 4
    unidirectional_encoder: bool = False
    use_masked_language_model: bool = False
    drop_rate: float = 0.2
    drop_rate_attention: float = 0.0
    sparse_input_dropout: bool = True
    dense_input_dropout: bool = False
    connection_density: float = 0.2
    weight_sparsity: float | None = None
    embedding_dimension: int = 20
    similarity_type: Literal["auto", "inner", "cosine"] = "auto"
    loss_type: Literal["cross_entropy", "margin"] = "cross_entropy"
    number_of_negative_examples: int = 20
    model_confidence: Literal["softmax", "linear_norm"] = "softmax"
    ranking_length: int = 10
    renormalize_confidences: bool = False
    scale_loss: bool = False
    constrain_similarities: bool = False
    intent_classification: bool = True
    entity_recognition: bool = True
    BILOU_flag: bool = True
    evaluate_every_number_of_epochs: int = 20
    evaluate_on_number_of_examples: int = 0
    # Fixed by default (Rasa: random) so that the same data gives the same model; null = from the clock
    random_seed: int | None = 0
    tensorboard_log_directory: str | None = None
    checkpoint_model: bool = False


def _text_option(value: Any, default: Any) -> Any:
    """Rasa allows {"text": x, "label": y} for some sizes; we take the text one."""
    if isinstance(value, dict):
        return value.get(TEXT, default)
    return default if value is None else value


class DIETClassifier(Component):
    """Intent classifier and entity extractor trained on the pipeline's text features."""

    Config: ClassVar[type[ComponentConfig]] = DIETConfig
    config: DIETConfig
    label_key: ClassVar[str] = INTENT  # what the examples are classified by

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.model: DIETModel | None = None
        self.labels: list[str] = []
        self.tag_names: dict[str, list[str]] = {}  # tag set -> tag strings by id (0 is "O")

    # --- what to learn (the response selector overrides these) ------------------------------------
    def _examples(self, training_data: TrainingData) -> list[Message]:
        return [m for m in training_data.training_examples if m.get(TEXT)]

    def _label_of(self, message: Message) -> str | None:
        return message.get(self.label_key)

    def _entities_wanted(self) -> bool:
        return self.config.entity_recognition

    # --- training -------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> None:
        self._warn_unsupported()
        examples = self._examples(training_data)
        if not examples:
            logger.warning("%s: no training examples, nothing to train", type(self).__name__)
            return
        seed = self.config.random_seed
        torch.manual_seed(seed if seed is not None else int(time.time()))
        rng = np.random.default_rng(seed)
        # One thread unless told otherwise: DIET's ops are small, and with two threads on a busy
        # 2-core machine each op waits for a descheduled worker (measured 10x slower).
        torch.set_num_threads(int(os.environ.get("BOT_TORCH_THREADS", "1")))

        intent_on = self.config.intent_classification
        self.labels = sorted({label for m in examples if (label := self._label_of(m))}) if intent_on else []
        index = {label: i for i, label in enumerate(self.labels)}
        label_ids = np.array([index.get(self._label_of(m) or "", -1) for m in examples], dtype=np.int64)
        tag_ids = self._tag_ids(examples) if self._entities_wanted() else {}
        if not self.labels and not tag_ids:
            logger.warning("%s: the data has neither labels nor entities to learn", type(self).__name__)
            return

        dims = FeatureDims.of(examples, TEXT)
        self.model = DIETModel(self._spec(dims))
        order = rng.permutation(len(examples))
        held = order[: max(0, min(self.config.evaluate_on_number_of_examples, len(examples) - 1))]
        train_ids = np.setdiff1d(np.arange(len(examples)), held)
        encoded = encode(examples, TEXT, dims, tag_ids)
        self._fit(encoded, label_ids, train_ids, held, rng)

    def _warn_unsupported(self) -> None:
        cfg = self.config
        for option, used in (
            ("connection_density", cfg.connection_density != 0.2 or cfg.weight_sparsity is not None),
            ("tensorboard_log_directory", cfg.tensorboard_log_directory is not None),
            ("use_masked_language_model", cfg.use_masked_language_model),
            ("loss_type margin", cfg.loss_type == "margin"),
        ):
            if used:
                logger.warning("%s: option %s is not implemented and is ignored", type(self).__name__, option)

    def _spec(self, dims: FeatureDims) -> ModelSpec:
        cfg = self.config
        similarity = "inner" if cfg.similarity_type == "auto" else cfg.similarity_type
        return ModelSpec(
            dims=dims,
            num_labels=len(self.labels),
            num_tags={name: len(tags) for name, tags in self.tag_names.items()},
            dense_dimension=cfg.dense_dimension.get(TEXT, 128),
            hidden_layers_sizes=list(cfg.hidden_layers_sizes.get(TEXT, [])),
            number_of_transformer_layers=_text_option(cfg.number_of_transformer_layers, 2),
            transformer_size=_text_option(cfg.transformer_size, 256),
            number_of_attention_heads=cfg.number_of_attention_heads,
            unidirectional_encoder=cfg.unidirectional_encoder,
            drop_rate=cfg.drop_rate,
            drop_rate_attention=cfg.drop_rate_attention,
            sparse_input_dropout=cfg.sparse_input_dropout,
            dense_input_dropout=cfg.dense_input_dropout,
            embedding_dimension=cfg.embedding_dimension,
            similarity_type=similarity,
            intent_classification=bool(self.labels),
            scale_loss=cfg.scale_loss,
            constrain_similarities=cfg.constrain_similarities,
        )

    def _tag_ids(self, examples: list[Message]) -> dict[str, list[list[int]]]:
        """Per tag set present in the data, the tag id of each token of each example."""
        from bot.nlu.extractors.bilou import NO_ENTITY_TAG, entities_to_bilou, tag_without_prefix

        self.tag_names = {}
        per_set: dict[str, list[list[str]]] = {}
        for name in TAG_SETS:
            if not any(e.get(name) for m in examples for e in m.entities):
                continue
            tags = []
            for message in examples:
                message_tags = entities_to_bilou(message.tokens.get(TEXT, []), message.entities, attribute=name)
                if not self.config.BILOU_flag:
                    message_tags = [tag_without_prefix(tag) for tag in message_tags]
                tags.append(message_tags)
            per_set[name] = tags
            names = sorted({tag for message_tags in tags for tag in message_tags} - {NO_ENTITY_TAG})
            self.tag_names[name] = [NO_ENTITY_TAG] + names
        ids = {}
        for name, tags in per_set.items():
            lookup = {tag: i for i, tag in enumerate(self.tag_names[name])}
            ids[name] = [[lookup[tag] for tag in message_tags] for message_tags in tags]
        return ids

    def _fit(
        self,
        encoded: EncodedFeatures,
        label_ids: np.ndarray,
        train_ids: np.ndarray,
        held: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        assert self.model is not None
        cfg = self.config
        model = self.model
        # the sparse projection's table gets a row-wise Adam (see row_adam), the rest one fused Adam
        table = model.sparse.weight if model.sparse is not None else None
        rest = [p for p in model.parameters() if p is not table]
        optimizer = torch.optim.Adam(rest, lr=cfg.learning_rate, fused=True)
        row_optimizer = RowAdam(table.data, cfg.learning_rate) if table is not None else None
        labels = torch.from_numpy(label_ids)
        lengths = encoded.lengths.numpy()
        low, high = (cfg.batch_size, cfg.batch_size) if isinstance(cfg.batch_size, int) else cfg.batch_size[:2]
        balanced = cfg.batch_strategy == "balanced" and bool(self.labels)
        best_accuracy, best_state = -1.0, None
        deterministic = torch.are_deterministic_algorithms_enabled()
        if cfg.random_seed is not None:
            torch.use_deterministic_algorithms(True, warn_only=True)
        started = time.monotonic()
        try:
            for epoch in range(cfg.epochs):
                model.train()
                size = int(low + (high - low) * epoch / max(cfg.epochs - 1, 1))
                subset_labels = label_ids[train_ids] if balanced else None
                for batch_ids in batch_order(lengths[train_ids], subset_labels, size, balanced, rng):
                    ids = torch.from_numpy(train_ids[batch_ids])
                    batch = gather(encoded, ids, self._sentence_only())
                    columns, rows = None, None
                    if row_optimizer is not None:
                        columns, batch.bag_indices = used_rows(batch.bag_indices, row_optimizer.table.shape[0])
                        rows = row_optimizer.table[columns].requires_grad_()
                    loss = self._batch_loss(batch, labels[ids], rows)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    if row_optimizer is not None and rows is not None and rows.grad is not None:
                        row_optimizer.step(columns, rows.grad)
                every = max(cfg.evaluate_every_number_of_epochs, 1)
                if len(held) and ((epoch + 1) % every == 0 or epoch + 1 == cfg.epochs):
                    accuracy = self._held_out_accuracy(encoded, label_ids, held)
                    logger.info(
                        "%s epoch %d/%d: hold-out accuracy %.4f (%.0fs)",
                        type(self).__name__, epoch + 1, cfg.epochs, accuracy, time.monotonic() - started,
                    )
                    if cfg.checkpoint_model and accuracy > best_accuracy:
                        best_accuracy = accuracy
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        finally:
            torch.use_deterministic_algorithms(deterministic)
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()

    def _sentence_only(self) -> bool:
        """Tokens cannot influence the result: no transformer, no entity tagging."""
        assert self.model is not None
        return self.model.encoder is None and not self.tag_names

    def _batch_loss(self, batch: Batch, labels: torch.Tensor, sparse_rows: torch.Tensor | None) -> torch.Tensor:
        assert self.model is not None
        states = self.model.encode(batch, sparse_rows)
        loss = states.new_zeros(())
        if self.labels:
            sims = self.model.similarities(states, batch)
            if sims.shape[1] > _MAX_ALL_LABELS:
                sims, labels = _sample_negatives(sims, labels, self.config.number_of_negative_examples)
            loss = loss + self.model.intent_loss(sims, labels)
        for value in self.model.entity_loss(states, batch).values():
            loss = loss + value
        return loss

    def _held_out_accuracy(self, encoded: EncodedFeatures, label_ids: np.ndarray, held: np.ndarray) -> float:
        if not self.labels:
            return 0.0
        correct = 0
        for start in range(0, len(held), _PREDICT_BATCH):
            chunk = held[start : start + _PREDICT_BATCH]
            confidences, _ = self._predict_chunk(encoded, chunk, with_tags=False)
            correct += int((confidences.argmax(1).numpy() == label_ids[chunk]).sum())
        return correct / len(held)

    # --- prediction -----------------------------------------------------------------------------
    def _predict_chunk(
        self, encoded: EncodedFeatures, ids: np.ndarray, with_tags: bool = True
    ) -> tuple[torch.Tensor, dict[str, tuple[torch.Tensor, torch.Tensor]]]:
        """Label confidences [n, labels] and (tags, confidences) per tag set for examples `ids`."""
        assert self.model is not None
        model = self.model
        was_training = model.training
        if was_training:  # eval()/train() walk every submodule: ~1 ms a parse if done each time
            model.eval()
        with torch.inference_mode():
            batch = gather(encoded, torch.from_numpy(ids), self._sentence_only())
            states = model.encode(batch)
            confidences = torch.zeros(len(ids), 0)
            if self.labels:
                sims = model.similarities(states, batch)
                confidences = model.confidences(sims, self.config.model_confidence)
            tags = model.predict_tags(states, batch) if with_tags else {}
        if was_training:
            model.train()
        return confidences, tags

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their gold labels: a later ResponseSelector trains on them too."""

    def process(self, messages: list[Message]) -> None:
        if self.model is None or not messages:
            return
        encoded = self._encode(messages)
        for start in range(0, len(messages), _PREDICT_BATCH):
            chunk = np.arange(start, min(start + _PREDICT_BATCH, len(messages)))
            confidences, tags = self._predict_chunk(encoded, chunk)
            for row, i in enumerate(chunk):
                message = messages[i]
                if self.labels:
                    self._write_label(message, confidences[row].numpy())
                if tags:
                    self._write_entities(message, {k: (v[0][row], v[1][row]) for k, v in tags.items()})

    def _encode(self, messages: list[Message]) -> EncodedFeatures:
        """The messages' features as tensors; one parsed message keeps them for the next classifier."""
        assert self.model is not None
        dims = self.model.spec.dims
        if len(messages) != 1:
            return encode(messages, TEXT, dims)
        message = messages[0]
        key = (TEXT, astuple(dims), len(message.features))
        encoded = message.encodings.get(key)
        if encoded is None:
            encoded = message.encodings[key] = encode(messages, TEXT, dims)
        return encoded

    def _ranking(self, confidences: np.ndarray) -> list[tuple[str, float]]:
        """(label, confidence) best first, cut to ranking_length (0 = all), optionally renormalised."""
        order = np.argsort(-confidences, kind="stable")
        length = self.config.ranking_length
        if length > 0:
            order = order[:length]
        values = confidences[order].astype(np.float64)
        if self.config.renormalize_confidences and length > 0 and values.sum() > 0:
            values = values / values.sum()
        return [(self.labels[i], float(v)) for i, v in zip(order, values, strict=False)]

    def _write_label(self, message: Message, confidences: np.ndarray) -> None:
        ranking = self._ranking(confidences)
        message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
        message.set(INTENT_RANKING, [{"name": name, "confidence": value} for name, value in ranking])

    def _write_entities(self, message: Message, tags: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        from bot.nlu.extractors.bilou import ensure_consistent_bilou

        tokens = message.tokens.get(TEXT, [])
        if not tokens or "entity" not in tags:
            return
        from bot.nlu.extractors.bilou import bilou_to_entities

        names, confidences = {}, {}
        for name, (ids, conf) in tags.items():
            values = conf[: len(tokens)].tolist()
            strings = [self.tag_names[name][i] for i in ids[: len(tokens)].tolist()]
            names[name] = ensure_consistent_bilou(strings, values) if self.config.BILOU_flag else strings
            confidences[name] = values
        entities = bilou_to_entities(tokens, names, confidences, message.text)
        for entity in entities:
            entity[EXTRACTOR] = type(self).__name__
        if entities:
            message.set(ENTITIES, message.get(ENTITIES, []) + entities)

    # --- persistence ----------------------------------------------------------------------------
    def persist(self, directory: Path) -> None:
        """state_dict (weights only) plus JSON with labels, tags and the network's shape."""
        meta: dict[str, Any] = {"trained": self.model is not None}
        if self.model is not None:
            spec = self.model.spec
            meta.update(
                labels=self.labels,
                tag_names=self.tag_names,
                spec={**spec.__dict__, "dims": spec.dims.__dict__},
            )
            torch.save(self.model.state_dict(), directory / "model.pt")
        (directory / "meta.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> Component:
        torch.set_num_threads(int(os.environ.get("BOT_TORCH_THREADS", "1")))  # see train()
        component = cls(config)
        meta_file = directory / "meta.json"
        if not meta_file.exists():
            raise InvalidModel(f"{directory}: meta.json is missing", hint="retrain the model")
        meta = json.loads(meta_file.read_text())
        if not meta.get("trained"):
            return component
        spec_data = dict(meta["spec"])
        spec = ModelSpec(**{**spec_data, "dims": FeatureDims(**spec_data["dims"])})
        component.labels = meta["labels"]
        component.tag_names = meta["tag_names"]
        component.model = DIETModel(spec)
        state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
        component.model.load_state_dict(state)
        component.model.eval()
        return component


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
