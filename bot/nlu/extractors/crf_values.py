"""The `entity_values` feature of CRFEntityExtractor: which tokens spell a value the training data annotates.

A gazetteer learnt from the training examples themselves: every annotated value (its lower-cased
tokens) with the entity types it was annotated as. A token inside a word sequence that is such a
value gets the feature "B-artist" / "I-artist" / "L-artist" / "U-artist" (its place in the value),
so an unseen sentence naming a known playlist or city is tagged from the value, not only from its
context. A value counts only where it is mostly annotated when it occurs (`min_share` of its
occurrences in the training texts), so a word such as "my" that is an entity in a few sentences
and plain text in many others does not fire.

During training each example sees the counts of the *other* examples (leave one out): otherwise
every training entity would match its own value and the CRF would learn to trust the feature
completely, which it cannot on unseen values.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["ValueLexicon"]

MAX_VALUE_TOKENS = 8  # longer values are rare and would make every lookup slower


def _ngrams(words: Sequence[str], longest: int) -> Iterable[tuple[int, int]]:
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + longest) + 1):
            yield start, end


def _positions(start: int, end: int, label: str) -> list[tuple[int, str]]:
    if end - start == 1:
        return [(start, f"U-{label}")]
    return ([(start, f"B-{label}")] + [(i, f"I-{label}") for i in range(start + 1, end - 1)]
            + [(end - 1, f"L-{label}")])


class ValueLexicon:
    """Annotated entity values of the training data and how often their words occur at all."""

    def __init__(self, min_share: float = 0.5) -> None:
        self.min_share = min_share
        self.annotated: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)  # value -> type -> count
        self.occurrences: Counter[tuple[str, ...]] = Counter()  # value -> times its words occur in texts
        self.longest = 0
        self._lookup: dict[tuple[str, ...], list[str]] | None = None

    @staticmethod
    def own_values(words: Sequence[str], spans: Sequence[tuple[int, int, str]]) -> Counter[tuple[tuple[str, ...], str]]:
        return Counter((tuple(words[s:e]), label) for s, e, label in spans if 0 < e - s <= MAX_VALUE_TOKENS)

    def fit(self, examples: Sequence[tuple[Sequence[str], Sequence[tuple[int, int, str]]]]) -> None:
        """`examples`: (lower-cased words, entity spans as (first word, end word, type)) per message."""
        self.annotated.clear()
        self.occurrences.clear()
        for words, spans in examples:
            for (value, label), count in self.own_values(words, spans).items():
                self.annotated[value][label] += count
        self.longest = max((len(value) for value in self.annotated), default=0)
        for words, _ in examples:
            for value, count in self._own_occurrences(words).items():
                self.occurrences[value] += count
        self._lookup = None

    def _own_occurrences(self, words: Sequence[str]) -> Counter[tuple[str, ...]]:
        found: Counter[tuple[str, ...]] = Counter()
        for start, end in _ngrams(words, self.longest):
            value = tuple(words[start:end])
            if value in self.annotated:
                found[value] += 1
        return found

    def _types(self, value: tuple[str, ...], own: Counter[tuple[tuple[str, ...], str]] | None,
               own_occurrences: Counter[tuple[str, ...]] | None) -> list[str]:
        seen = self.occurrences[value] - (own_occurrences[value] if own_occurrences else 0)
        if seen <= 0:
            return []
        types = []
        for label, count in self.annotated[value].items():
            count -= own[(value, label)] if own else 0
            if count > 0 and count >= self.min_share * seen:
                types.append(label)
        return types

    def tags(self, words: Sequence[str], spans: Sequence[tuple[int, int, str]] | None = None) -> list[list[str]]:
        """Per word, the value tags ("B-city", ...) that cover it. With `spans` (a training example's own
        entities) the example's own annotations and words are left out of the counts."""
        result: list[list[str]] = [[] for _ in words]
        if not self.annotated:
            return result
        if spans is None:
            lookup = self.lookup()
            for start, end in _ngrams(words, self.longest):
                for label in lookup.get(tuple(words[start:end]), ()):
                    for index, tag in _positions(start, end, label):
                        result[index].append(tag)
            return result
        own, own_occurrences = self.own_values(words, spans), self._own_occurrences(words)
        for start, end in _ngrams(words, self.longest):
            value = tuple(words[start:end])
            if value in self.annotated:
                for label in self._types(value, own, own_occurrences):
                    for index, tag in _positions(start, end, label):
                        result[index].append(tag)
        return result

    def lookup(self) -> dict[tuple[str, ...], list[str]]:
        """value -> the types it fires for, with all training examples counted (what parsing uses)."""
        if self._lookup is None:
            self._lookup = {value: types for value in self.annotated if (types := self._types(value, None, None))}
        return self._lookup

    # persisted as the lookup only: parsing never needs the counts
    def as_dict(self) -> dict[str, Any]:
        return {"min_share": self.min_share,
                "values": [[list(value), types] for value, types in sorted(self.lookup().items())]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueLexicon:
        lexicon = cls(float(data.get("min_share", 0.5)))
        lexicon._lookup = {tuple(value): list(types) for value, types in data.get("values", [])}
        lexicon.longest = max((len(value) for value in lexicon._lookup), default=0)
        # a loaded lexicon answers from its lookup; mark it non-empty for tags()
        lexicon.annotated = defaultdict(Counter, {value: Counter(types) for value, types in lexicon._lookup.items()})
        return lexicon
