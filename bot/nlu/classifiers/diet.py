"""DIETClassifier: joint intent classification and entity recognition (Rasa's DIET, in PyTorch).

Differences from Rasa worth knowing:
- the intent loss is a softmax over *all* labels rather than over `number_of_negative_examples`
  sampled negatives: with an embedding dimension of 20 this costs less than sampling and
  learns at least as well; above 2000 labels a random subset of negatives is used per batch;
- `tensorboard_log_directory`, masked language modelling and relative attention are not
  implemented (a warning says so when set); docs/components.md compares every option with Rasa's.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import astuple
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from bot.nlu.classifiers.diet_inference import DietInference, TagPrediction
from bot.nlu.classifiers.diet_spec import TAG_SETS, ModelSpec
from bot.nlu.classifiers.features import FeatureDims, FeatureRows, encode_rows
from bot.nlu.component import Component, ComponentConfig
from bot.nn.weights import load_weights, save_weights
from bot.shared.errors import InvalidConfig, InvalidModel
from bot.shared.nlu.constants import ENTITIES, EXTRACTOR, INTENT, INTENT_RANKING, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_PREDICT_BATCH = 256
WEIGHTS_FILE = "weights.npz"


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
    use_sparse_input_dropout: bool = True
    use_dense_input_dropout: bool = True
    # Rasa's default is 0.2 (a fifth of each hidden and transformer weight matrix trained); set it
    # to get that. Fully connected by default here: on the small bots of bench/smallbots 0.2 lost
    # 2.5 and 2.8 points on two and tied on the third (docs/components.md, "DIET on small data").
    connection_density: float = 1.0
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
    # true: two tokens of one entity type separated by ", " (or more than one other character) are two
    # entities; a mapping sets it per entity type (the rest stay true). Rasa's rule, see bilou.py.
    split_entities_by_comma: bool | dict[str, bool] = True
    evaluate_every_number_of_epochs: int = 20
    evaluate_on_number_of_examples: int = 0
    # Fixed by default (Rasa: random) so that the same data gives the same model; null = from the clock
    random_seed: int | None = 0
    tensorboard_log_directory: str | None = None
    checkpoint_model: bool = False
    # Accepted so that Rasa configs load; they tune parts this network does not have (_NO_EFFECT).
    regularization_constant: float = 0.002
    concat_dimension: dict[str, int] = Field(default_factory=lambda: {"text": 128, "label": 20})
    share_hidden_layers: bool = False
    use_key_relative_attention: bool = False
    use_value_relative_attention: bool = False
    max_relative_position: int | None = 5
    featurizers: list[str] = Field(default_factory=list)
    maximum_positive_similarity: float = 0.8
    maximum_negative_similarity: float = -0.4
    use_maximum_negative_similarity: bool = True
    negative_margin_scale: float = 0.8
    tensorboard_log_level: str = "epoch"
    run_eagerly: bool = False
    drop_small_last_batch: bool = False


# Rasa options declared above that change nothing here, and why; a warning names them when set.
_NO_EFFECT = {
    "regularization_constant": "no L2 penalty is applied (the sparse rows are scaled to unit length "
                               "instead; an L2 penalty of 0.002 cost 19 points on BANKING77, bench/README.md)",
    "concat_dimension": "sequence and sentence features are joined without a projection",
    "share_hidden_layers": "text and label hidden layers are never shared",
    "use_key_relative_attention": "attention uses absolute positions",
    "use_value_relative_attention": "attention uses absolute positions",
    "max_relative_position": "attention uses absolute positions",
    "featurizers": "DIET uses the features of every featurizer in the pipeline",
    "maximum_positive_similarity": "only for loss_type margin, which is not implemented",
    "maximum_negative_similarity": "only for loss_type margin, which is not implemented",
    "use_maximum_negative_similarity": "only for loss_type margin, which is not implemented",
    "negative_margin_scale": "only for loss_type margin, which is not implemented",
    "tensorboard_log_level": "no TensorBoard logs are written",
    "run_eagerly": "a TensorFlow switch",
    "drop_small_last_batch": "the last, smaller batch is always trained",
}


def _changes(what: str, old: list[str], new: list[str]) -> list[str]:
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    return ([f"new {what} {', '.join(added)}"] if added else []) + (
        [f"{what} no longer in the data: {', '.join(removed)}"] if removed else [])


def _density(cfg: DIETConfig) -> float:
    """Share of hidden and transformer weights trained; Rasa 2's weight_sparsity is its complement."""
    density = 1.0 - cfg.weight_sparsity if cfg.weight_sparsity is not None else cfg.connection_density
    if not 0.0 <= density <= 1.0:
        raise InvalidConfig(f"connection_density {density} is not between 0 and 1",
                            hint="set connection_density to a share of weights, e.g. 0.2 (Rasa's default)")
    return density


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
        self.model: DietInference | None = None  # trained in torch (diet_training), answers in numpy
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
        intent_on = self.config.intent_classification
        self.labels = sorted({label for m in examples if (label := self._label_of(m))}) if intent_on else []
        index = {label: i for i, label in enumerate(self.labels)}
        label_ids = np.array([index.get(self._label_of(m) or "", -1) for m in examples], dtype=np.int64)
        tag_ids = self._tag_ids(examples) if self._entities_wanted() else {}
        if not self.labels and not tag_ids:
            logger.warning("%s: the data has neither labels nor entities to learn", type(self).__name__)
            return

        from bot.nlu.classifiers.diet_training import train_network  # imports torch: training only

        dims = FeatureDims.of(examples, TEXT)
        spec = self._spec(dims)
        weights = train_network(spec, encode_rows(examples, TEXT, dims, tag_ids), label_ids, self.config,
                                type(self).__name__)
        self.model = DietInference(spec, weights)

    def finetune(self, training_data: TrainingData, epoch_fraction: float) -> None:
        """Continues training the loaded network for `epochs` × `epoch_fraction` (Rasa's `--finetune`).

        The data must have the model's labels, entity tags and feature widths: the network's output
        layers are sized by them. A model with nothing trained yet is trained from scratch.
        """
        if self.model is None:
            self.train(training_data)
            return
        examples = self._examples(training_data)
        spec, old_labels, old_tags = self.model.spec, self.labels, self.tag_names
        labels = sorted({label for m in examples if (label := self._label_of(m))}) if old_labels else []
        tag_ids = self._tag_ids(examples) if self._entities_wanted() else {}
        dims = FeatureDims.of(examples, TEXT)
        changes = _changes("labels", old_labels, labels) + [
            change for name in sorted(set(old_tags) | set(self.tag_names))
            for change in _changes(f"{name} tags", old_tags.get(name, []), self.tag_names.get(name, []))]
        if dims != spec.dims:
            changes.append(f"feature widths {spec.dims} -> {dims}")
        if changes:
            self.tag_names = old_tags
            raise InvalidModel(f"{type(self).__name__} cannot be fine-tuned on this data: " + "; ".join(changes),
                               hint="train without --finetune when labels or entities change")
        from bot.nlu.classifiers.diet_training import train_network  # imports torch: training only

        index = {label: i for i, label in enumerate(labels)}
        label_ids = np.array([index.get(self._label_of(m) or "", -1) for m in examples], dtype=np.int64)
        config = self.config.model_copy(update={"epochs": max(1, math.ceil(self.config.epochs * epoch_fraction))})
        weights = train_network(spec, encode_rows(examples, TEXT, dims, tag_ids), label_ids, config,
                                type(self).__name__, initial=self.model.weights)
        self.model = DietInference(spec, weights)

    def _warn_unsupported(self) -> None:
        cfg = self.config
        for option, why in _NO_EFFECT.items():
            if option in cfg.model_fields_set and getattr(cfg, option) != type(cfg).model_fields[option].get_default(
                    call_default_factory=True):
                logger.warning("%s: option %s has no effect here: %s", type(self).__name__, option, why)
        for option, used in (
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
            sparse_input_dropout=cfg.use_sparse_input_dropout,
            dense_input_dropout=cfg.use_dense_input_dropout,
            embedding_dimension=cfg.embedding_dimension,
            similarity_type=similarity,
            intent_classification=bool(self.labels),
            scale_loss=cfg.scale_loss,
            constrain_similarities=cfg.constrain_similarities,
            rasa_transformer_scaling=True,
            connection_density=_density(cfg),
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

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their gold labels: a later ResponseSelector trains on them too."""

    # --- prediction -----------------------------------------------------------------------------
    def process(self, messages: list[Message]) -> None:
        if self.model is None or not messages:
            return
        for start in range(0, len(messages), _PREDICT_BATCH):
            chunk = messages[start : start + _PREDICT_BATCH]
            confidences, tags = self.model.predict(self._encode(chunk), self.config.model_confidence)
            for row, message in enumerate(chunk):
                if self.labels:
                    self._write_label(message, confidences[row])
                if tags[row]:
                    self._write_entities(message, tags[row])

    def _encode(self, messages: list[Message]) -> FeatureRows:
        """The messages' feature rows; one parsed message keeps them for the next classifier."""
        assert self.model is not None
        dims = self.model.spec.dims
        if len(messages) != 1:
            return encode_rows(messages, TEXT, dims)
        message = messages[0]
        key = (TEXT, astuple(dims), len(message.features))
        encoded = message.encodings.get(key)
        if encoded is None:
            encoded = message.encodings[key] = encode_rows(messages, TEXT, dims)
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

    def _write_entities(self, message: Message, tags: TagPrediction) -> None:
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
        entities = bilou_to_entities(tokens, names, confidences, message.text, self.config.split_entities_by_comma)
        for entity in entities:
            entity[EXTRACTOR] = type(self).__name__
        if entities:
            message.set(ENTITIES, message.get(ENTITIES, []) + entities)

    # --- persistence ----------------------------------------------------------------------------
    def persist(self, directory: Path) -> None:
        """The weights (numpy arrays) plus JSON with labels, tags and the network's shape."""
        meta: dict[str, Any] = {"trained": self.model is not None}
        if self.model is not None:
            spec = self.model.spec
            meta.update(
                labels=self.labels,
                tag_names=self.tag_names,
                spec={**spec.__dict__, "dims": spec.dims.__dict__},
            )
            save_weights(self.model.weights, directory / WEIGHTS_FILE)
        (directory / "meta.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> Component:
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
        component.model = DietInference(spec, load_weights(directory / WEIGHTS_FILE))
        return component
