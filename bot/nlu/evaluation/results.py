"""Parsing a test set: one record a message with what it should be and what the model said."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_RANKING,
    INTENT_RESPONSE_KEY,
    METADATA,
    NLU_FALLBACK_INTENT,
    RESPONSE_SELECTOR,
)
from bot.shared.nlu.message import Message

# A parse function: text -> Rasa's parse JSON (at least intent.name and entities).
Parser = Callable[[str], dict[str, Any]]


@dataclass
class ExampleResult:
    """One test message: the labels it carries and the model's parse of its text."""

    text: str
    gold_intent: str
    predicted_intent: str
    confidence: float
    gold_entities: list[dict[str, Any]] = field(default_factory=list)
    predicted_entities: list[dict[str, Any]] = field(default_factory=list)
    # Retrieval intents ("faq/ask_hours"): the gold key and the one ResponseSelector chose (None without one).
    gold_response_key: str | None = None
    predicted_response_key: str | None = None
    response_confidence: float = 0.0
    # The best intent other than nlu_fallback: what the classifier said before the fallback.
    predicted_without_fallback: str = ""
    # Confidences of the two best non-fallback intents (0 when missing), what FallbackClassifier compares.
    top_confidences: tuple[float, float] = (0.0, 0.0)
    language: str | None = None
    seconds: float = 0.0
    location: str | None = None

    @property
    def intent_correct(self) -> bool:
        return self.gold_intent == self.predicted_intent

    def as_error(self) -> dict[str, Any]:
        """Rasa's shape of an entry in intent_errors.json."""
        return {"text": self.text, "intent": self.gold_intent,
                "intent_prediction": {"name": self.predicted_intent, "confidence": self.confidence}}


def parse_examples(parse: Parser, messages: Iterable[Message]) -> list[ExampleResult]:
    """Parses each message alone (as a live message would be), timing every call."""
    results = []
    for message in messages:
        started = time.perf_counter()
        parsed = parse(message.text)
        # A parser in another process may time its own parse, so the pipe to it is not counted.
        seconds = parsed.pop("_parse_seconds", None) or time.perf_counter() - started
        results.append(example_result(message, parsed, seconds))
    return results


def example_result(message: Message, parsed: dict[str, Any], seconds: float = 0.0) -> ExampleResult:
    """Pairs a labelled message with a parse of its text."""
    intent = parsed.get(INTENT) or {}
    name = str(intent.get("name") or "")
    ranking = [entry for entry in parsed.get(INTENT_RANKING) or [] if entry.get("name") != NLU_FALLBACK_INTENT]
    without_fallback = str(ranking[0].get("name")) if name == NLU_FALLBACK_INTENT and ranking else name
    confidences = [float(entry.get("confidence") or 0.0) for entry in ranking]
    if not confidences and name != NLU_FALLBACK_INTENT:  # a classifier without a ranking
        confidences = [float(intent.get("confidence") or 0.0)]
    confidences += [0.0, 0.0]
    gold_key = message.get(INTENT_RESPONSE_KEY)
    predicted_key, response_confidence = _selected_response(parsed, str(message.get(INTENT) or ""))
    metadata = message.get(METADATA)
    return ExampleResult(
        text=message.text, gold_intent=str(message.get(INTENT) or ""), predicted_intent=name,
        confidence=float(intent.get("confidence") or 0.0),
        gold_entities=list(message.entities), predicted_entities=list(parsed.get(ENTITIES) or []),
        gold_response_key=str(gold_key) if gold_key else None, predicted_response_key=predicted_key,
        response_confidence=response_confidence, predicted_without_fallback=without_fallback,
        top_confidences=(confidences[0], confidences[1]),
        language=str(metadata["language"]) if isinstance(metadata, dict) and "language" in metadata else None,
        seconds=seconds, location=message.location,
    )


def _selected_response(parsed: dict[str, Any], gold_intent: str) -> tuple[str | None, float]:
    """The retrieval key ResponseSelector chose for the message's own retrieval intent (or its default)."""
    selectors = parsed.get(RESPONSE_SELECTOR) or {}
    entry = selectors.get(gold_intent) or selectors.get("default") or {}
    response = entry.get("response") or {}
    key = response.get("intent_response_key")
    return (str(key) if key else None), float(response.get("confidence") or 0.0)
