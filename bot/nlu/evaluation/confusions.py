"""Which intents a model mixes up, as pairs, most mixed-up first, each with the messages that show it.

With 5-20 examples an intent most errors are two intents whose examples look alike; a designer fixes
them by adding examples that tell the two apart, so a pair (both directions together) is the unit to
show, with a mistaken message to start from. A message the FallbackClassifier rejected counts for the
intent the classifier chose before the fallback: that choice is what the examples have to correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.evaluation.results import ExampleResult

__all__ = ["ConfusedPair", "confused_pairs"]

FALLBACK_INTENT = "nlu_fallback"


@dataclass
class ConfusedPair:
    """Two intents and the test messages of one taken for the other."""

    first: str  # the intent mistaken more often (for `second`)
    second: str
    first_as_second: list[ExampleResult] = field(default_factory=list)
    second_as_first: list[ExampleResult] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.first_as_second) + len(self.second_as_first)

    def examples(self) -> list[ExampleResult]:
        """One mistaken message per direction, the most confident mistake first (the clearest sign)."""
        picked = [max(side, key=lambda r: r.confidence) for side in (self.first_as_second, self.second_as_first)
                  if side]
        return sorted(picked, key=lambda r: -r.confidence)

    def as_dict(self) -> dict[str, Any]:
        return {
            "intents": [self.first, self.second],
            "count": self.count,
            f"{self.first} -> {self.second}": len(self.first_as_second),
            f"{self.second} -> {self.first}": len(self.second_as_first),
            "examples": [{"text": r.text, "intent": r.gold_intent, "predicted": _chosen(r),
                          "confidence": round(r.confidence, 4), "fell_back": r.predicted_intent == FALLBACK_INTENT,
                          **({"location": r.location} if r.location else {})}
                         for r in self.examples()],
        }


def _chosen(result: ExampleResult) -> str:
    """The intent the classifier chose, looking through a fallback."""
    if result.predicted_intent == FALLBACK_INTENT and result.predicted_without_fallback:
        return result.predicted_without_fallback
    return result.predicted_intent


def confused_pairs(results: Sequence[ExampleResult]) -> list[ConfusedPair]:
    """Every pair of intents with at least one message of one taken for the other, most mistakes first
    (ties by name). A fallback whose underlying choice was right is not a confusion."""
    pairs: dict[tuple[str, str], ConfusedPair] = {}
    for result in results:
        gold, chosen = result.gold_intent, _chosen(result)
        if not gold or not chosen or chosen in (gold, FALLBACK_INTENT):
            continue
        key = (min(gold, chosen), max(gold, chosen))
        pair = pairs.setdefault(key, ConfusedPair(*key))
        (pair.first_as_second if gold == pair.first else pair.second_as_first).append(result)
    ordered = []
    for pair in pairs.values():
        if len(pair.second_as_first) > len(pair.first_as_second):
            pair = ConfusedPair(pair.second, pair.first, pair.second_as_first, pair.first_as_second)
        ordered.append(pair)
    return sorted(ordered, key=lambda p: (-p.count, p.first, p.second))
