"""CRFEntityExtractor: entities by a linear-chain conditional random field (CRFsuite), as in Rasa.

One CRF tags each token with a BILOU entity tag (plain tags with `BILOU_flag: false`), trained by
sklearn-crfsuite with L-BFGS and L1/L2 penalties. When the data annotates roles or groups, one more
CRF each tags them, with the entity tag as an extra feature. A token's confidence is its marginal
probability (with BILOU, summed over the B/I/L/U tags of the predicted type).

Differs from Rasa: the archive stores the trained CRFsuite models (their own binary format) instead
of the training features, so loading a model does not train the CRFs again.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from bot.nlu.component import Component, ComponentConfig
from bot.nlu.extractors.bilou import (
    NO_ENTITY_TAG,
    bilou_to_entities,
    ensure_consistent_bilou,
    entities_to_bilou,
    tag_without_prefix,
)
from bot.nlu.extractors.crf_features import CRF_FEATURES, DEFAULT_CRF_FEATURES, CrfToken, token_features
from bot.nlu.extractors.crf_values import ValueLexicon
from bot.shared.errors import InvalidModel
from bot.shared.nlu.constants import (
    ENTITIES,
    ENTITY_GROUP,
    ENTITY_ROLE,
    ENTITY_TYPE,
    EXTRACTOR,
    INTENT,
    TEXT,
)
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_META_FILE = "crf_entity.json"
_TAG_SETS = (ENTITY_TYPE, ENTITY_ROLE, ENTITY_GROUP)  # the entity CRF first: the others read its tags


class CRFEntityConfig(ComponentConfig):
    """Rasa's CRFEntityExtractor options (same names and defaults)."""

    BILOU_flag: bool = True
    split_entities_by_comma: bool | dict[str, bool] = True
    features: list[list[str]] = Field(default_factory=lambda: [list(w) for w in DEFAULT_CRF_FEATURES])
    max_iterations: int = Field(50, gt=0)
    L1_c: float = Field(0.1, ge=0)
    L2_c: float = Field(0.1, ge=0)
    featurizers: list[str] = Field(default_factory=list)
    # not in Rasa: with the feature `entity_values`, a value counts when at least this share of the
    # times its words occur in the training texts are annotated as that entity (see crf_values)
    entity_values_min_share: float = Field(0.5, gt=0, le=1)

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: list[list[str]]) -> list[list[str]]:
        if len(value) % 2 != 1:
            raise ValueError(f"needs an odd number of windows (the middle one is the token itself), got {len(value)}")
        unknown = sorted({name for window in value for name in window if name not in CRF_FEATURES})
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}; known: {sorted(CRF_FEATURES)}")
        return value


def _tag_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """(first token, end token, type) of each entity in a BILOU (or plain) tag sequence."""
    spans: list[tuple[int, int, str]] = []
    for i, tag in enumerate(tags):
        label = tag_without_prefix(tag)
        if tag == NO_ENTITY_TAG:
            continue
        previous = tags[i - 1] if i else NO_ENTITY_TAG
        continues = (spans and spans[-1][1] == i and spans[-1][2] == label and tag[:2] not in ("B-", "U-")
                     and previous[:2] not in ("L-", "U-"))
        if continues:
            spans[-1] = (spans[-1][0], i + 1, label)
        else:
            spans.append((i, i + 1, label))
    return spans


class CRFEntityExtractor(Component):
    """Entity extraction with CRFsuite over hand-made token features (and optional dense ones)."""

    Config: ClassVar[type[ComponentConfig]] = CRFEntityConfig
    required_packages: ClassVar[list[str]] = ["sklearn_crfsuite", "pycrfsuite"]
    config: CRFEntityConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.models: dict[str, bytes] = {}  # tag set -> trained CRFsuite model, in _TAG_SETS order
        self._taggers: dict[str, Any] | None = None
        self._lock = threading.Lock()  # a CRFsuite tagger holds the sequence being tagged
        self.values: ValueLexicon | None = None  # the entity_values feature's lexicon

    # --- features -------------------------------------------------------------------------------
    def _crf_tokens(self, message: Message, own_tags: list[str] | None = None) -> list[CrfToken]:
        """`own_tags`: a training example's entity tags, left out of the entity_values counts."""
        tokens = message.tokens.get(TEXT) or []
        dense = self._dense_features(message, len(tokens)) if self._uses("text_dense_features") else None
        crf_tokens = [CrfToken.of(token, None if dense is None else dense[i]) for i, token in enumerate(tokens)]
        if self._uses("intent"):
            intent = message.get(INTENT)
            name = intent.get("name") if isinstance(intent, dict) else intent
            for token in crf_tokens:
                token.intent = str(name) if name else None
        if self.values is not None:
            words = [token.text.lower() for token in tokens]
            spans = None if own_tags is None else _tag_spans(own_tags)
            for token, tags in zip(crf_tokens, self.values.tags(words, spans), strict=True):
                token.values = tags
        return crf_tokens

    def _uses(self, name: str) -> bool:
        return any(name in window for window in self.config.features)

    def _dense_features(self, message: Message, n_tokens: int) -> np.ndarray | None:
        _, _, sequence, _ = message.get_features(TEXT, self.config.featurizers or None)
        if sequence is None:
            return None
        if sequence.shape[0] != n_tokens:
            logger.warning("CRFEntityExtractor: '%s' has %d dense feature rows for %d tokens; its dense "
                           "features are left out", message.text[:40], sequence.shape[0], n_tokens)
            return None
        return np.asarray(sequence)

    def _tags(self, message: Message, tag_set: str) -> list[str]:
        tokens = message.tokens.get(TEXT) or []
        # entities another extractor added are not what this one should learn
        entities = [e for e in message.entities if e.get(EXTRACTOR) in (None, "CRFEntityExtractor")]
        tags = entities_to_bilou(tokens, entities, attribute=tag_set)
        return tags if self.config.BILOU_flag else [tag_without_prefix(tag) for tag in tags]

    # --- training -------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> None:
        examples = [m for m in training_data.training_examples if m.get(TEXT) and m.tokens.get(TEXT)]
        if not any(m.entities for m in examples):
            logger.debug("CRFEntityExtractor: no example has entities; nothing to train")
            return
        self._warn_missing_pos(examples)
        tag_sets = [name for name in _TAG_SETS if any(e.get(name) for m in examples for e in m.entities)]
        entity_tags = [self._tags(m, ENTITY_TYPE) for m in examples]
        self.values = None
        if self._uses("entity_values"):
            self.values = ValueLexicon(self.config.entity_values_min_share)
            self.values.fit([([t.text.lower() for t in m.tokens[TEXT]], _tag_spans(tags))
                             for m, tags in zip(examples, entity_tags, strict=True)])
        tokens = [self._crf_tokens(m, tags) for m, tags in zip(examples, entity_tags, strict=True)]
        self.models = {}
        for tag_set in tag_sets:
            with_entity = tag_set != ENTITY_TYPE
            if with_entity:
                for message_tokens, message_tags in zip(tokens, entity_tags, strict=True):
                    for token, tag in zip(message_tokens, message_tags, strict=True):
                        token.entity_tag = tag
            features = [token_features(t, self.config.features, with_entity) for t in tokens]
            labels = entity_tags if tag_set == ENTITY_TYPE else [self._tags(m, tag_set) for m in examples]
            self.models[tag_set] = self._fit(features, labels)
        self._taggers = None

    def _warn_missing_pos(self, examples: list[Message]) -> None:
        if not (self._uses("pos") or self._uses("pos2")):
            return
        if not any(t.data.get("pos") for m in examples for t in m.tokens.get(TEXT, [])):
            logger.warning("CRFEntityExtractor: the features 'pos'/'pos2' need part-of-speech tags, which "
                           "SpacyTokenizer gives after SpacyNLP with a model; the tokens have none, so these "
                           "features are left out")

    def _fit(self, features: list[list[dict[str, Any]]], labels: list[list[str]]) -> bytes:
        import sklearn_crfsuite

        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "model.crfsuite"
            crf = sklearn_crfsuite.CRF(
                algorithm="lbfgs", c1=self.config.L1_c, c2=self.config.L2_c,
                max_iterations=self.config.max_iterations, all_possible_transitions=True,
                model_filename=str(path),
            )
            crf.fit(features, labels)
            return path.read_bytes()

    # --- prediction -----------------------------------------------------------------------------
    def _tagger(self, tag_set: str) -> Any:
        if self._taggers is None:
            import pycrfsuite

            taggers = {}
            for name, model in self.models.items():
                tagger = pycrfsuite.Tagger()
                tagger.open_inmemory(model)
                taggers[name] = tagger
            self._taggers = taggers
        return self._taggers[tag_set]

    def _marginals(self, tag_set: str, features: list[dict[str, Any]]) -> list[dict[str, float]]:
        with self._lock:
            tagger = self._tagger(tag_set)
            tagger.set(features)
            labels = tagger.labels()
            return [{label: tagger.marginal(label, i) for label in labels} for i in range(len(features))]

    def _best_tags(self, marginals: list[dict[str, float]]) -> tuple[list[str], list[float]]:
        """The most probable tag of each token; with BILOU its confidence sums the tags of its type."""
        tags, confidences = [], []
        for token_marginals in marginals:
            tag = max(token_marginals, key=token_marginals.__getitem__)
            tags.append(tag)
            if self.config.BILOU_flag:
                kind = tag_without_prefix(tag)
                confidences.append(sum(p for t, p in token_marginals.items() if tag_without_prefix(t) == kind))
            else:
                confidences.append(token_marginals[tag])
        return tags, confidences

    def extract(self, message: Message) -> list[dict[str, Any]]:
        """The entities the CRFs find in a tokenised message."""
        tokens = message.tokens.get(TEXT) or []
        if not self.models or not tokens:
            return []
        crf_tokens = self._crf_tokens(message)
        tags: dict[str, list[str]] = {}
        confidences: dict[str, list[float]] = {}
        for tag_set in self.models:
            with_entity = tag_set != ENTITY_TYPE
            if with_entity:
                for token, tag in zip(crf_tokens, tags.get(ENTITY_TYPE, []), strict=False):
                    token.entity_tag = tag
            best, confidence = self._best_tags(
                self._marginals(tag_set, token_features(crf_tokens, self.config.features, with_entity)))
            if self.config.BILOU_flag:
                best = ensure_consistent_bilou(best, confidence)
            tags[tag_set], confidences[tag_set] = best, confidence
        if ENTITY_TYPE not in tags:
            return []
        entities = bilou_to_entities(tokens, tags, confidences, message.text,
                                     split_by_comma=self.config.split_entities_by_comma)
        for entity in entities:
            entity[EXTRACTOR] = "CRFEntityExtractor"
        return entities

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            found = self.extract(message)
            if found:
                message.set(ENTITIES, list(message.get(ENTITIES) or []) + found)

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their annotated entities."""

    # --- persistence ----------------------------------------------------------------------------
    def persist(self, directory: Path) -> None:
        files = {}
        for tag_set, model in self.models.items():
            files[tag_set] = f"crf_{tag_set}.crfsuite"
            (directory / files[tag_set]).write_bytes(model)
        meta: dict[str, Any] = {"models": files}
        if self.values is not None:
            meta["entity_values"] = self.values.as_dict()
        (directory / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> CRFEntityExtractor:
        component = cls(config)
        meta_file = directory / _META_FILE
        if not meta_file.exists():
            return component
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        files = meta.get("models", {})
        if component._uses("entity_values"):
            if "entity_values" not in meta:
                raise InvalidModel(f"{meta_file} has no entity values, though the config asks for the "
                                   "'entity_values' feature", hint="retrain the model (`bot train --force`)")
            component.values = ValueLexicon.from_dict(meta["entity_values"])
        for tag_set, name in files.items():
            if not (directory / name).is_file():
                raise InvalidModel(f"{directory / name} is missing: the model is incomplete",
                                   hint="retrain the model (`bot train --force`)")
            component.models[tag_set] = (directory / name).read_bytes()
        return component
