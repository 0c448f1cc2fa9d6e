"""TEDPolicy: Rasa's Transformer Embedding Dialogue policy, in PyTorch.

Learns from stories (not rules, as in Rasa) which action follows a history of dialogue
states, and generalises to histories no story spells out. The network is in `ted_model`,
state vectors come from `bot.core.featurizers`.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator, model_validator

from bot.core.featurizers import (
    StateFeaturizer,
    StateHistoryCache,
    Vocabulary,
    rule_only_names,
    training_windows,
    uses_text,
    window,
)
from bot.core.policies.policy import Policy, PolicyConfig, PolicyPrediction, TrainingStories
from bot.core.policies.ted_inference import TedInference, confidences
from bot.core.states import State
from bot.core.tracker import DialogueStateTracker
from bot.nn.weights import load_weights, save_weights, to_numpy
from bot.shared.core.domain import Domain
from bot.shared.errors import InvalidModel

logger = logging.getLogger(__name__)

# With `max_history: null` Rasa looks at the whole conversation; beyond this many turns the
# oldest add nothing a story could have taught, and only cost time.
FULL_HISTORY_CAP = 20
WEIGHTS_FILE = "ted_weights.npz"
META_FILE = "ted_featurizer.json"
TEXT_BUCKETS = 128  # hashed words of end-to-end texts, when stories have any

# Rasa options that exist there but change nothing here (they tune parts this network does not have).
_NO_EFFECT_OPTIONS = (
    "hidden_layers_sizes", "dense_dimension", "concat_dimension", "encoding_dimension", "unidirectional_encoder",
    "use_key_relative_attention", "use_value_relative_attention", "max_relative_position",
    "number_of_negative_examples", "similarity_type", "loss_type", "maximum_positive_similarity",
    "maximum_negative_similarity", "use_maximum_negative_similarity", "scale_loss", "regularization_constant",
    "negative_margin_scale", "connection_density", "use_sparse_input_dropout", "use_dense_input_dropout",
    "tensorboard_log_directory", "tensorboard_log_level", "e2e_confidence_threshold", "featurizers", "BILOU_flag",
    "split_entities_by_comma", "constrain_similarities", "batch_strategy", "checkpoint_model",
    "evaluate_on_number_of_examples",
)


class TEDConfig(PolicyConfig):
    """TEDPolicy options with Rasa's names and defaults."""

    max_history: int | None = Field(default=None, ge=1)
    epochs: int = Field(default=1, ge=0)
    batch_size: int | list[int] = [64, 256]
    batch_strategy: str = "balanced"
    embedding_dimension: int = Field(default=20, ge=1)
    number_of_transformer_layers: int | dict[str, int] = {
        "text": 1, "action_text": 1, "label_action_text": 1, "dialogue": 1}
    transformer_size: int | dict[str, int] = {
        "text": 128, "action_text": 128, "label_action_text": 128, "dialogue": 128}
    number_of_attention_heads: int = Field(default=4, ge=1)
    drop_rate_dialogue: float = Field(default=0.1, ge=0.0, lt=1.0)
    drop_rate_label: float = Field(default=0.0, ge=0.0, lt=1.0)
    drop_rate_attention: float = Field(default=0.0, ge=0.0, lt=1.0)
    learning_rate: float = Field(default=0.001, gt=0.0)
    random_seed: int | None = 0  # fixed by default (Rasa: random): same stories, same model
    model_confidence: str = "softmax"
    ranking_length: int = Field(default=0, ge=0)  # Rasa 3: 0 = every action keeps its score
    renormalize_confidences: bool = False
    entity_recognition: bool = True
    evaluate_every_number_of_epochs: int = 20
    checkpoint_model: bool = False
    constrain_similarities: bool = False
    split_entities_by_comma: bool | dict[str, bool] = True
    # accepted for compatibility; see _NO_EFFECT_OPTIONS
    hidden_layers_sizes: Any = None
    dense_dimension: Any = None
    concat_dimension: Any = None
    encoding_dimension: Any = None
    unidirectional_encoder: Any = None
    use_key_relative_attention: Any = None
    use_value_relative_attention: Any = None
    max_relative_position: Any = None
    number_of_negative_examples: Any = None
    similarity_type: Any = None
    loss_type: Any = None
    maximum_positive_similarity: Any = None
    maximum_negative_similarity: Any = None
    use_maximum_negative_similarity: Any = None
    scale_loss: Any = None
    regularization_constant: Any = None
    negative_margin_scale: Any = None
    connection_density: Any = None
    use_sparse_input_dropout: Any = None
    use_dense_input_dropout: Any = None
    tensorboard_log_directory: Any = None
    tensorboard_log_level: Any = None
    e2e_confidence_threshold: Any = None
    featurizers: Any = None
    BILOU_flag: Any = None
    evaluate_on_number_of_examples: Any = None

    @field_validator("model_confidence")
    @classmethod
    def _known_confidence(cls, value: str) -> str:
        if value not in ("softmax", "linear_norm"):
            raise ValueError(f"'{value}' is not supported; use 'softmax' (Rasa's default) or 'linear_norm'")
        return value

    @field_validator("batch_size")
    @classmethod
    def _positive_batch(cls, value: int | list[int]) -> int | list[int]:
        sizes = value if isinstance(value, list) else [value]
        if not sizes or len(sizes) > 2 or any(size < 1 for size in sizes):
            raise ValueError("give one positive batch size or two, [smallest, largest]")
        return value

    @model_validator(mode="after")
    def _heads_divide_size(self) -> TEDConfig:
        if self.dialogue_layers > 0 and self.dialogue_size % self.number_of_attention_heads:
            raise ValueError(f"transformer_size {self.dialogue_size} must be a multiple of "
                             f"number_of_attention_heads {self.number_of_attention_heads}")
        return self

    @property
    def dialogue_size(self) -> int:
        return _dialogue_value(self.transformer_size, 128)

    @property
    def dialogue_layers(self) -> int:
        return _dialogue_value(self.number_of_transformer_layers, 1)

    @property
    def history_length(self) -> int:
        return self.max_history or FULL_HISTORY_CAP

    @property
    def batch_sizes(self) -> tuple[int, int]:
        sizes = self.batch_size if isinstance(self.batch_size, list) else [self.batch_size]
        return sizes[0], sizes[-1]


def _dialogue_value(value: int | dict[str, int], default: int) -> int:
    return int(value.get("dialogue", default)) if isinstance(value, dict) else int(value)


class TEDPolicy(Policy):
    """Transformer Embedding Dialogue policy (priority 1, as in Rasa)."""

    name: ClassVar[str] = "TEDPolicy"
    default_priority: ClassVar[int] = 1
    Config: ClassVar[type[PolicyConfig]] = TEDConfig
    config: TEDConfig

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__(config)
        self.featurizer: StateFeaturizer | None = None
        self.model: TedInference | None = None  # trained in torch (ted_model), answers in numpy
        self.rule_only_slots: list[str] = []
        self.rule_only_loops: list[str] = []
        self._checked_domain: Domain | None = None
        self._histories = StateHistoryCache()
        self.finetuned_epochs: int | None = None  # set by finetune(): how many epochs it ran
        for option in sorted(set(_NO_EFFECT_OPTIONS) & config.model_fields_set):
            logger.info("%s: option '%s' is accepted for Rasa compatibility but has no effect here",
                        self.name, option)

    @property
    def rule_only_data(self) -> dict[str, list[str]]:
        return {"rule_only_slots": list(self.rule_only_slots), "rule_only_loops": list(self.rule_only_loops)}

    @rule_only_data.setter
    def rule_only_data(self, data: dict[str, Any]) -> None:
        """The ensemble hands over RulePolicy's view; without one TED keeps what it found in training."""
        if data:
            self.rule_only_slots = list(data.get("rule_only_slots") or [])
            self.rule_only_loops = list(data.get("rule_only_loops") or [])
            self._histories = StateHistoryCache()  # cached states were cut with the old lists

    # -- training -------------------------------------------------------------------------------
    def train(self, stories: TrainingStories, domain: Domain) -> None:
        """Learns the next action for every history window of every story (rules are for RulePolicy)."""
        started = time.perf_counter()
        config = self.config
        if config.max_history is None:
            logger.info("%s: max_history is not set; histories longer than %d turns are cut to the last %d",
                        self.name, FULL_HISTORY_CAP, FULL_HISTORY_CAP)
        self.rule_only_slots, self.rule_only_loops = rule_only_names(
            [t.condition + t.events for t in stories.rule_trajectories],
            [t.events for t in stories.story_trajectories])
        windows, labels = training_windows(stories.story_trajectories, domain, config.history_length)
        has_text = uses_text(state for states in windows for state in states)
        self.featurizer = StateFeaturizer.from_domain(domain, TEXT_BUCKETS if has_text else 0)
        self._checked_domain = domain
        if has_text and config.entity_recognition:
            logger.warning("%s: entities in end-to-end story text are not learnt here; they come from the NLU "
                           "pipeline only", self.name)
        data = self._training_set(windows, labels, domain)
        if not len(data):
            logger.warning("%s: no stories to learn from (rules train RulePolicy only); it will predict nothing",
                           self.name)
            self.model = None
            return
        from bot.core.policies.ted_model import train_model  # imports torch: training only

        model = self._new_model(self.featurizer.dimension, len(domain.action_names_or_texts))
        train_model(model, data, epochs=config.epochs, batch_sizes=config.batch_sizes,
                    learning_rate=config.learning_rate, seed=config.random_seed,
                    evaluate_every=config.evaluate_every_number_of_epochs, name=self.name)
        self.model = self._inference(to_numpy(model.state_dict()))
        logger.info("%s: trained on %d examples in %.1f s", self.name, len(data), time.perf_counter() - started)

    def finetune(self, stories: TrainingStories, domain: Domain, epoch_fraction: float) -> None:
        """Continues the loaded network for `epochs` × `epoch_fraction` on changed stories (Rasa's `--finetune`).

        The state featurizer keeps the loaded vocabulary, so the input layer keeps its width; the domain
        must have the same actions (`bot train --finetune` checks that first). A policy that had nothing
        to learn from before is trained from scratch.
        """
        if self.model is None or self.featurizer is None:
            self.train(stories, domain)
            return
        started = time.perf_counter()
        self.featurizer.check_domain(domain)  # the same actions, intents, slots: the layers fit
        self._checked_domain = domain
        self.rule_only_slots, self.rule_only_loops = rule_only_names(
            [t.condition + t.events for t in stories.rule_trajectories],
            [t.events for t in stories.story_trajectories])
        self._histories = StateHistoryCache()
        windows, labels = training_windows(stories.story_trajectories, domain, self.config.history_length)
        data = self._training_set(windows, labels, domain)
        if not len(data):
            logger.warning("%s: no stories to fine-tune on; the previous weights are kept", self.name)
            return
        import torch

        from bot.core.policies.ted_model import train_model  # imports torch: training only

        model = self._new_model(self.featurizer.dimension, len(domain.action_names_or_texts))
        model.load_state_dict({name: torch.from_numpy(array.copy()) for name, array in self.model.weights.items()})
        epochs = max(1, math.ceil(self.config.epochs * epoch_fraction))
        train_model(model, data, epochs=epochs, batch_sizes=self.config.batch_sizes,
                    learning_rate=self.config.learning_rate, seed=self.config.random_seed,
                    evaluate_every=self.config.evaluate_every_number_of_epochs, name=self.name)
        self.model = self._inference(to_numpy(model.state_dict()))
        self.finetuned_epochs = epochs
        logger.info("%s: fine-tuned on %d examples for %d epochs in %.1f s", self.name, len(data), epochs,
                    time.perf_counter() - started)

    def _training_set(self, windows: list[list[State]], labels: list[str], domain: Domain) -> Any:
        from bot.core.policies.ted_model import build_training_set

        assert self.featurizer is not None
        encoded, label_ids = [], []
        unknown: set[str] = set()
        for states, label in zip(windows, labels, strict=True):
            index = domain.index_for_action(label)
            if index is None:
                unknown.add(label)
                continue
            encoded.append(self.featurizer.encode_many(states))
            label_ids.append(index)
        if unknown:
            logger.warning("%s: stories use actions the domain does not list, skipped: %s", self.name,
                           ", ".join(sorted(unknown)))
        return build_training_set(encoded, label_ids)

    def _new_model(self, input_size: int, num_actions: int) -> Any:
        import torch

        from bot.core.policies.ted_model import TedModel

        config = self.config
        with torch.random.fork_rng(devices=[]):  # seeded weights without touching the caller's RNG
            if config.random_seed is not None:
                torch.manual_seed(config.random_seed)
            return TedModel(input_size, num_actions, transformer_size=config.dialogue_size,
                            num_layers=config.dialogue_layers, num_heads=config.number_of_attention_heads,
                            embedding_size=config.embedding_dimension, drop_rate=config.drop_rate_dialogue,
                            drop_rate_label=config.drop_rate_label, drop_rate_attention=config.drop_rate_attention,
                            max_turns=config.history_length)

    def _inference(self, weights: dict[str, np.ndarray]) -> TedInference:
        return TedInference(weights, num_layers=self.config.dialogue_layers,
                            num_heads=self.config.number_of_attention_heads)

    # -- prediction -----------------------------------------------------------------------------
    def predict(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        """Confidences over `domain.action_names_or_texts` for the next action."""
        size = len(domain.action_names_or_texts)
        if self.model is None or self.featurizer is None:
            return self.prediction([0.0] * size)
        if self._checked_domain is not domain:
            self.featurizer.check_domain(domain)
            self._checked_domain = domain
        states = window(self._histories.states(tracker, domain, rule_only_slots=self.rule_only_slots,
                                               rule_only_loops=self.rule_only_loops), self.config.history_length)
        return self.prediction(self.probabilities(states))

    def probabilities(self, states: list[dict[str, Any]]) -> list[float]:
        """Confidences for a history of states (the last is the current one)."""
        assert self.model is not None and self.featurizer is not None
        similarities = self.model.similarities(self.featurizer.encode_many(states))
        scores = confidences(similarities, self.config.model_confidence)
        return _rank_and_mask(scores, self.config.ranking_length, self.config.renormalize_confidences)

    # -- persistence ----------------------------------------------------------------------------
    def persist(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta: dict[str, Any] = {
            "vocabulary": self.featurizer.vocabulary.as_dict() if self.featurizer else None,
            "rule_only_slots": self.rule_only_slots,
            "rule_only_loops": self.rule_only_loops,
            "trained": self.model is not None,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
        if self.model is not None:
            save_weights(self.model.weights, directory / WEIGHTS_FILE)

    @classmethod
    def load(cls, config: PolicyConfig, directory: Path) -> TEDPolicy:
        policy = cls(config)
        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.exists():
            raise InvalidModel(f"{meta_path} is missing: the TEDPolicy model is incomplete",
                               hint="retrain the model (`bot train`)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            policy.rule_only_slots = list(meta.get("rule_only_slots", []))
            policy.rule_only_loops = list(meta.get("rule_only_loops", []))
            if meta.get("vocabulary"):
                policy.featurizer = StateFeaturizer(Vocabulary.from_dict(meta["vocabulary"]))
            if meta.get("trained") and policy.featurizer is not None:
                model = policy._inference(load_weights(directory / WEIGHTS_FILE))
                expected = (policy.featurizer.dimension, len(policy.featurizer.vocabulary.actions))
                if (model.input_layer.matrix.shape[0], model.label_matrix.shape[1]) != expected:
                    raise ValueError(f"the weights are for {model.input_layer.matrix.shape[0]} state features and "
                                     f"{model.label_matrix.shape[1]} actions, the featurizer has {expected}")
                policy.model = model
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise InvalidModel(f"cannot load the TEDPolicy model from {directory}: {error}",
                               hint="the model was written by another version or with other TEDPolicy options "
                                    "in config.yml; retrain it (`bot train`)") from None
        return policy


def _rank_and_mask(scores: np.ndarray, ranking_length: int, renormalize: bool) -> list[float]:
    """Rasa's `ranking_length`: only the top confidences are kept, the rest become 0."""
    if 0 < ranking_length < len(scores):
        cutoff = np.argsort(-scores, kind="stable")[ranking_length:]
        scores = scores.copy()
        scores[cutoff] = 0.0
        if renormalize and scores.sum() > 0:
            scores = scores / scores.sum()
    return [float(value) for value in scores]
