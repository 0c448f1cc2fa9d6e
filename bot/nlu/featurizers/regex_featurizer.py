"""RegexFeaturizer: which regexes and lookup tables of the training data match each token.

One feature column per pattern (each `- regex:` line, each lookup table). A token's
column is 1 when a match of the pattern overlaps the token's characters; the sentence
feature is 1 when the pattern matches anywhere. Tokens also get ``data["pattern"]``,
{pattern name: matched?}, like Rasa.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse

from bot.nlu.component import Component, ComponentConfig
from bot.shared.nlu.constants import RESPONSE, SENTENCE, SEQUENCE, TEXT
from bot.shared.nlu.message import Features, Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_PATTERNS_FILE = "regex_patterns.json"
# scripts written without spaces: \b around lookup entries would never match inside text
_NO_WORD_BOUNDARY_LANGUAGES = ("zh", "ja", "th")


def lookup_table_pattern(elements: list[str], *, use_word_boundaries: bool) -> str:
    """One alternation of the escaped lookup elements, optionally bounded by word boundaries.

    Longer elements go first so that "New York City" wins over "New York". The boundary is
    "no word character next to it" rather than \\b, so elements ending in a symbol
    ("St.", "C++") still match.
    """
    alternatives = "|".join(re.escape(e) for e in sorted({str(e) for e in elements if str(e)}, key=len, reverse=True))
    if use_word_boundaries:
        return rf"(?<!\w)(?:{alternatives})(?!\w)"
    return f"(?:{alternatives})"


def extract_patterns(
    training_data: TrainingData,
    *,
    use_lookup_tables: bool = True,
    use_regexes: bool = True,
    use_word_boundaries: bool = True,
    only_entities: bool = False,
) -> list[dict[str, str]]:
    """[{"name", "pattern"}] from the training data's regexes and lookup tables.

    With `only_entities`, keeps only patterns named like an entity that the training data
    annotates (what RegexEntityExtractor uses).
    """
    patterns: list[dict[str, str]] = []
    if use_regexes:
        patterns.extend({"name": r["name"], "pattern": r["pattern"]} for r in training_data.regex_features)
    if use_lookup_tables:
        for table in training_data.lookup_tables:
            elements = table.get("elements") or []
            if elements:
                patterns.append({
                    "name": table["name"],
                    "pattern": lookup_table_pattern(list(elements), use_word_boundaries=use_word_boundaries),
                })
    if only_entities:
        entity_names = training_data.entities
        patterns = [p for p in patterns if p["name"] in entity_names]
    return patterns


class RegexFeaturizerConfig(ComponentConfig):
    """Rasa's RegexFeaturizer options."""

    case_sensitive: bool = True
    use_word_boundaries: bool = True
    use_lookup_tables: bool = True
    use_regexes: bool = True
    # Rasa reserves extra columns for incremental training; we do not train incrementally
    number_additional_patterns: int | None = None


class RegexFeaturizer(Component):
    """Sparse pattern-match features from the training data's regexes and lookup tables."""

    Config: ClassVar[type[ComponentConfig]] = RegexFeaturizerConfig
    config: RegexFeaturizerConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        if self.config.number_additional_patterns:
            logger.warning("RegexFeaturizer: number_additional_patterns is ignored (no incremental training)")
        self.patterns: list[dict[str, str]] = []
        self._compiled: list[re.Pattern[str]] | None = None

    def train(self, training_data: TrainingData) -> None:
        boundaries = self.config.use_word_boundaries and (self.language or "")[:2] not in _NO_WORD_BOUNDARY_LANGUAGES
        self.patterns = extract_patterns(
            training_data,
            use_lookup_tables=self.config.use_lookup_tables,
            use_regexes=self.config.use_regexes,
            use_word_boundaries=boundaries,
        )
        self._compiled = None
        if not self.patterns:
            logger.warning("RegexFeaturizer: the training data has no regexes or lookup tables; it adds no features")

    @property
    def compiled(self) -> list[re.Pattern[str]]:
        if self._compiled is None:
            flags = 0 if self.config.case_sensitive else re.IGNORECASE
            self._compiled = [re.compile(p["pattern"], flags) for p in self.patterns]
        return self._compiled

    def _featurize(self, message: Message, attribute: str) -> None:
        text = message.get(attribute)
        tokens = message.tokens.get(attribute)
        if not self.patterns or not isinstance(text, str) or not tokens:
            return
        n_patterns = len(self.patterns)
        sequence = np.zeros((len(tokens), n_patterns), dtype=np.float32)
        flags_per_token: list[dict[str, bool]] = [{} for _ in tokens]
        for column, (pattern, compiled) in enumerate(zip(self.patterns, self.compiled, strict=True)):
            spans = [m.span() for m in compiled.finditer(text) if m.end() > m.start()]
            for row, token in enumerate(tokens):
                hit = any(token.start < end and token.end > start for start, end in spans)
                # one name may have several regexes: a token matches the name if any matches
                flags_per_token[row][pattern["name"]] = flags_per_token[row].get(pattern["name"], False) or hit
                if hit:
                    sequence[row, column] = 1.0
        for token, flags in zip(tokens, flags_per_token, strict=True):
            token.data["pattern"] = flags
        sentence = sequence.max(axis=0, keepdims=True)
        origin = self.name or type(self).__name__
        message.add_features(Features(scipy.sparse.csr_matrix(sequence), SEQUENCE, attribute, origin))
        message.add_features(Features(scipy.sparse.csr_matrix(sentence), SENTENCE, attribute, origin))

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            self._featurize(message, TEXT)

    def process_training_data(self, training_data: TrainingData) -> None:
        for message in training_data.training_examples:
            self._featurize(message, TEXT)
            if message.get(RESPONSE):
                self._featurize(message, RESPONSE)

    def persist(self, directory: Path) -> None:
        state: dict[str, Any] = {"language": self.language, "patterns": self.patterns}
        (directory / _PATTERNS_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> RegexFeaturizer:
        component = cls(config)
        path = directory / _PATTERNS_FILE
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            component.language = state.get("language")
            component.patterns = state.get("patterns", [])
        return component
