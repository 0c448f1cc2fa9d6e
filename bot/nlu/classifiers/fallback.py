"""FallbackClassifier: replaces an unsure intent prediction with `nlu_fallback`.

When the top intent's confidence is below `threshold`, or the top two intents of
`intent_ranking` are closer than `ambiguity_threshold`, the intent becomes
{"name": "nlu_fallback", "confidence": threshold} and is also put first in
`intent_ranking` (the original ranking stays below it), as in Rasa. A message that has
no intent at all (no classifier ran or none matched) falls back too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from bot.nlu.component import Component, ComponentConfig
from bot.shared.nlu.constants import INTENT, INTENT_RANKING, NLU_FALLBACK_INTENT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


class FallbackConfig(ComponentConfig):
    """Rasa's FallbackClassifier options."""

    threshold: float = Field(0.3, ge=0.0, le=1.0)
    ambiguity_threshold: float = Field(0.1, ge=0.0, le=1.0)


class FallbackClassifier(Component):
    """Predicts `nlu_fallback` for low-confidence or ambiguous intent predictions."""

    Config: ClassVar[type[ComponentConfig]] = FallbackConfig
    config: FallbackConfig

    def should_fall_back(self, message: Message) -> bool:
        intent = message.get(INTENT)
        if not isinstance(intent, dict) or intent.get("name") is None:
            return True
        if float(intent.get("confidence") or 0.0) < self.config.threshold:
            return True
        ranking: list[dict[str, Any]] = message.get(INTENT_RANKING) or []
        if len(ranking) >= 2:
            gap = float(ranking[0].get("confidence", 1.0)) - float(ranking[1].get("confidence", 1.0))
            return gap < self.config.ambiguity_threshold
        return False

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            if not self.should_fall_back(message):
                continue
            message.set(INTENT, {"name": NLU_FALLBACK_INTENT, "confidence": self.config.threshold})
            ranking = list(message.get(INTENT_RANKING) or [])
            ranking.insert(0, {"name": NLU_FALLBACK_INTENT, "confidence": self.config.threshold})
            message.set(INTENT_RANKING, ranking)

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their labels."""
