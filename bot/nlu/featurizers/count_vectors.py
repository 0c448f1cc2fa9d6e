"""CountVectorsFeaturizer: sparse bag-of-n-gram counts, per token and per message.

Behaves like Rasa's: tokens (their lemma when `use_lemma` and known) are cleaned
(numbers -> "__NUMBER__", lower-cased), the vocabulary is learned with sklearn's
CountVectorizer from each example's joined tokens, then

- sequence features: one row per token, the counts of the n-grams of that token alone
  (word analyzer: the token's words; char_wb: character n-grams of " token ");
- sentence features: one row, the counts over the whole joined text (word n-grams across
  tokens up to max_ngram).

"text" is featurized always; "response" (retrieval answers, training data only) gets its
own vocabulary, or shares the text one with `use_shared_vocab`.
Counting runs over whole batches with the vocabulary as a dict and builds the sparse
matrices in bulk, because sklearn's `transform` per message is too slow at parse time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import scipy.sparse

from bot.nlu.component import Component, ComponentConfig
from bot.nlu.featurizers.ngrams import build_analyzer
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.constants import RESPONSE, SENTENCE, SEQUENCE, TEXT
from bot.shared.nlu.message import Features, Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"\b[0-9]+\b")
_WORD_PATTERN = r"(?u)\b\w+\b"  # unlike sklearn's default, keeps one-letter words
_VOCAB_FILE = "count_vectors.json"
ATTRIBUTES = (TEXT, RESPONSE)
_TOKEN_CACHE_SIZE = 200_000


class CountVectorsConfig(ComponentConfig):
    """Rasa's CountVectorsFeaturizer options."""

    analyzer: Literal["word", "char", "char_wb"] = "word"
    min_ngram: int = 1
    max_ngram: int = 1
    min_df: int | float = 1
    max_df: int | float = 1.0
    max_features: int | None = None
    lowercase: bool = True
    stop_words: str | list[str] | None = None
    OOV_token: str | None = None
    OOV_words: str | list[str] = []
    use_shared_vocab: bool = False
    strip_accents: Literal["ascii", "unicode"] | None = None
    use_lemma: bool = True
    # deprecated in Rasa 3 and ignored there too; accepted so old configs load quietly
    additional_vocabulary_size: dict[str, Any] | None = None


class CountVectorsFeaturizer(Component):
    """Sparse count features from a learned vocabulary."""

    Config: ClassVar[type[ComponentConfig]] = CountVectorsConfig
    config: CountVectorsConfig
    required_packages: ClassVar[list[str]] = ["sklearn"]

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        cfg = self.config
        if cfg.min_ngram < 1 or cfg.max_ngram < cfg.min_ngram:
            raise InvalidConfig(
                f"CountVectorsFeaturizer: min_ngram={cfg.min_ngram}, max_ngram={cfg.max_ngram} is not a valid range",
                hint="use 1 <= min_ngram <= max_ngram",
            )
        self._oov_token = cfg.OOV_token.lower() if cfg.OOV_token and cfg.lowercase else cfg.OOV_token
        oov_words = [cfg.OOV_words] if isinstance(cfg.OOV_words, str) else cfg.OOV_words
        self._oov_words = {w.lower() if cfg.lowercase else w for w in oov_words}
        if cfg.OOV_words and not cfg.OOV_token:
            logger.warning("CountVectorsFeaturizer: OOV_words are given but no OOV_token; they are ignored")
            self._oov_words = set()
        if cfg.analyzer != "word":
            for option, value in (("OOV_token", cfg.OOV_token), ("stop_words", cfg.stop_words)):
                if value:
                    logger.warning("CountVectorsFeaturizer: analyzer '%s' ignores %s", cfg.analyzer, option)
            if cfg.max_ngram == 1:
                logger.warning("CountVectorsFeaturizer: analyzer '%s' with max_ngram 1 only sees single letters",
                               cfg.analyzer)
        # attribute -> vocabulary (n-gram -> column); with use_shared_vocab both map to one dict
        self.vocabularies: dict[str, dict[str, int]] = {}
        self._analyzer: Callable[[str], list[str]] | None = None
        self._token_cache: dict[int, dict[str, list[int]]] = {}

    # --- vocabulary ---------------------------------------------------------------------
    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer  # training only: parsing needs no sklearn

        cfg = self.config
        return CountVectorizer(
            analyzer=cfg.analyzer,
            token_pattern=_WORD_PATTERN if cfg.analyzer == "word" else None,
            ngram_range=(cfg.min_ngram, cfg.max_ngram),
            min_df=cfg.min_df,
            max_df=cfg.max_df,
            max_features=cfg.max_features,
            lowercase=cfg.lowercase,
            stop_words=cfg.stop_words if cfg.analyzer == "word" else None,
            strip_accents=cfg.strip_accents,
        )

    @property
    def analyzer(self) -> Callable[[str], list[str]]:
        """The analyzer sklearn would build for these options (preprocess, tokenize, stop words, n-grams)."""
        if self._analyzer is None:
            cfg = self.config
            self._analyzer = build_analyzer(
                cfg.analyzer, ngram_range=(cfg.min_ngram, cfg.max_ngram), lowercase=cfg.lowercase,
                strip_accents=cfg.strip_accents, token_pattern=_WORD_PATTERN,
                stop_words=cfg.stop_words if cfg.analyzer == "word" else None,
            )
        return self._analyzer

    def _fit(self, texts: list[str]) -> dict[str, int]:
        if not any(texts):
            return {}
        try:
            vectorizer = self._vectorizer().fit(texts)
        except ValueError as error:  # e.g. every word is a stop word, or min_df too high
            logger.warning("CountVectorsFeaturizer: no vocabulary could be learned (%s)", error)
            return {}
        return {term: int(index) for term, index in vectorizer.vocabulary_.items()}

    def train(self, training_data: TrainingData) -> None:
        examples = training_data.training_examples
        texts = {a: [" ".join(self._token_strings(m, a, training=True)) for m in examples] for a in ATTRIBUTES}
        self._warn_if_oov_token_unused(texts[TEXT])
        if self.config.use_shared_vocab:
            shared = self._fit(texts[TEXT] + texts[RESPONSE])
            self.vocabularies = {a: shared for a in ATTRIBUTES} if shared else {}
        else:
            self.vocabularies = {a: v for a in ATTRIBUTES if (v := self._fit(texts[a]))}
        if TEXT in self.vocabularies:
            logger.info("CountVectorsFeaturizer: %d vocabulary items for text", len(self.vocabularies[TEXT]))

    def _warn_if_oov_token_unused(self, texts: list[str]) -> None:
        token = self._oov_token
        if token and not self._oov_words and any(texts) and not any(token in t for t in texts):
            logger.warning(
                "CountVectorsFeaturizer: OOV_token '%s' occurs in no training example, so unseen "
                "words will be ignored at prediction; add examples containing it or set OOV_words",
                self.config.OOV_token,
            )

    # --- featurizing --------------------------------------------------------------------
    def _token_strings(self, message: Message, attribute: str, *, training: bool) -> list[str]:
        """The cleaned token strings the vectorizer sees, OOV replacement included."""
        tokens = message.tokens.get(attribute) or []
        if not tokens or not message.get(attribute):
            return []
        use_lemma = self.config.use_lemma
        words = [_NUMBER.sub("__NUMBER__", (t.lemma or t.text) if use_lemma else t.text) for t in tokens]
        if self.config.lowercase:
            words = [w.lower() for w in words]
        if self._oov_token and self.config.analyzer == "word":
            vocabulary = self.vocabularies.get(attribute)
            if not training and vocabulary and self._oov_token in vocabulary:
                words = [w if w in vocabulary else self._oov_token for w in words]
            elif training and self._oov_words:
                words = [self._oov_token if w in self._oov_words else w for w in words]
        return words

    def _columns(self, document: str, vocabulary: dict[str, int]) -> list[int]:
        get = vocabulary.get
        return [c for gram in self.analyzer(document) if (c := get(gram)) is not None]

    def _token_columns(self, token: str, vocabulary: dict[str, int]) -> list[int]:
        """Columns of one token's n-grams, memoised: the same words recur in every message."""
        cache = self._token_cache.setdefault(id(vocabulary), {})
        columns = cache.get(token)
        if columns is None:
            if len(cache) > _TOKEN_CACHE_SIZE:
                cache.clear()
            columns = cache[token] = self._columns(token, vocabulary)
        return columns

    def _count(self, documents: list[str], vocabulary: dict[str, int], *, tokens: bool) -> scipy.sparse.csr_matrix:
        """Counts of vocabulary n-grams, one row per document (like sklearn's transform)."""
        columns: list[int] = []
        indptr = [0]
        for document in documents:
            columns.extend(self._token_columns(document, vocabulary) if tokens else self._columns(document, vocabulary))
            indptr.append(len(columns))
        matrix = scipy.sparse.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), np.asarray(columns, dtype=np.int32),
             np.asarray(indptr, dtype=np.int32)),
            shape=(len(documents), len(vocabulary)),
        )
        matrix.sum_duplicates()  # repeated n-grams become counts, and indices get sorted
        return matrix

    @property
    def _sentence_is_sum_of_tokens(self) -> bool:
        """True when no n-gram spans two tokens, so a sentence row is the sum of its token rows."""
        return self.config.analyzer == "char_wb" or (self.config.analyzer == "word" and self.config.max_ngram == 1)

    def _featurize(self, messages: list[Message], attribute: str, *, training: bool) -> None:
        vocabulary = self.vocabularies.get(attribute)
        if not vocabulary:
            return
        origin = self.name or type(self).__name__
        todo: list[tuple[Message, int]] = []
        tokens_flat: list[str] = []
        sentences: list[str] = []
        for message in messages:
            words = self._token_strings(message, attribute, training=training)
            if not words:
                continue
            todo.append((message, len(words)))
            tokens_flat.extend(words)
            sentences.append(" ".join(words))
        if not todo:
            return
        sequence_all = self._count(tokens_flat, vocabulary, tokens=True)
        if self._sentence_is_sum_of_tokens:
            # a message's row holds its tokens' columns: no second analysis, no sparse product
            lengths = np.array([n for _, n in todo])
            token_ends = np.cumsum(lengths)
            entry_ends = sequence_all.indptr[token_ends]
            sentence_all = scipy.sparse.csr_matrix(
                (sequence_all.data, sequence_all.indices, np.concatenate([[0], entry_ends]).astype(np.int32)),
                shape=(len(todo), len(vocabulary)), copy=True,  # sum_duplicates sorts in place
            )
            sentence_all.sum_duplicates()
        else:
            sentence_all = self._count(sentences, vocabulary, tokens=False)
        row = 0
        for i, (message, n_tokens) in enumerate(todo):
            message.add_features(Features(_rows(sequence_all, row, row + n_tokens), SEQUENCE, attribute, origin))
            message.add_features(Features(_rows(sentence_all, i, i + 1), SENTENCE, attribute, origin))
            row += n_tokens

    def process(self, messages: list[Message]) -> None:
        if not self.vocabularies:
            logger.error("CountVectorsFeaturizer has no vocabulary: it was not trained or saw no text")
            return
        self._featurize(messages, TEXT, training=False)

    def process_training_data(self, training_data: TrainingData) -> None:
        for attribute in ATTRIBUTES:
            self._featurize(training_data.training_examples, attribute, training=True)

    # --- persistence --------------------------------------------------------------------
    def persist(self, directory: Path) -> None:
        state = {"language": self.language, "vocabularies": self.vocabularies}
        (directory / _VOCAB_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> CountVectorsFeaturizer:
        component = cls(config)
        path = directory / _VOCAB_FILE
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            component.language = state.get("language")
            component.vocabularies = state.get("vocabularies", {})
            if component.config.use_shared_vocab and TEXT in component.vocabularies:
                # one dict for both attributes again, as after training
                component.vocabularies = {a: component.vocabularies[TEXT] for a in ATTRIBUTES}
        return component

    @property
    def vocabulary_size(self) -> int:
        """Number of columns of the text features."""
        return len(self.vocabularies.get(TEXT, {}))


def _rows(matrix: scipy.sparse.csr_matrix, start: int, stop: int) -> scipy.sparse.csr_matrix:
    """Rows [start, stop) of a CSR matrix as a new matrix sharing its arrays."""
    begin, end = matrix.indptr[start], matrix.indptr[stop]
    return _csr(matrix.data[begin:end], matrix.indices[begin:end], matrix.indptr[start : stop + 1] - begin,
                (stop - start, matrix.shape[1]))


def _csr_checked(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]):
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=shape, copy=False)


def _csr_unchecked(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]):
    # scipy's constructor re-validates arrays we built ourselves (~30 us per call, 2 calls a
    # message); setting the fields directly is ~50x faster. Only used if the self-test passes.
    matrix = scipy.sparse.csr_matrix.__new__(scipy.sparse.csr_matrix)
    matrix.data, matrix.indices, matrix.indptr = data, indices, indptr
    matrix._shape = shape
    matrix.maxprint = 50
    return matrix


def _unchecked_construction_works() -> bool:
    """Whether the fast path builds a matrix identical to scipy's own constructor (scipy internals may change)."""
    try:
        args = (np.array([1.0, 2.0], dtype=np.float32), np.array([0, 2], dtype=np.int32),
                np.array([0, 1, 2], dtype=np.int32), (2, 3))
        fast, checked = _csr_unchecked(*args), _csr_checked(*args)
        same_fields = set(vars(fast)) == set(vars(checked))
        return same_fields and (fast != checked).nnz == 0 and (scipy.sparse.hstack([fast, fast]).tocsr().nnz == 4)
    except Exception:  # noqa: BLE001 - any failure means: use the safe constructor
        return False


_csr = _csr_unchecked if _unchecked_construction_works() else _csr_checked
