"""UnexpecTEDIntentPolicy: accepted so Rasa's default config loads; it abstains from every prediction.

Rasa uses it to insert `action_unlikely_intent` when a user's intent is improbable in context.
That is an aid for reviewing conversations, not needed to hold one, so until it is implemented
here the policy trains nothing and votes zero for every action (the others decide).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from bot.core.policies.policy import Policy, PolicyConfig, PolicyPrediction, TrainingStories
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain

logger = logging.getLogger(__name__)


class UnexpecTEDIntentConfig(PolicyConfig):
    """The options Rasa's configs usually give it (`rasa init` writes max_history and epochs); they have
    no effect while the policy abstains, so they are declared to load without "not used" warnings."""

    max_history: Any = None
    epochs: Any = None
    tolerance: Any = None
    ignore_intent_list: Any = None
    random_seed: Any = None


class UnexpecTEDIntentPolicy(Policy):
    """Abstains; see the module docstring."""

    Config: ClassVar[type[PolicyConfig]] = UnexpecTEDIntentConfig
    default_priority = 2

    def train(self, stories: TrainingStories, domain: Domain) -> None:
        logger.warning("UnexpecTEDIntentPolicy is not implemented yet: it is kept in the ensemble but never "
                       "predicts (action_unlikely_intent is not used). Remove it from config.yml to silence this.")

    def predict(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        return self.prediction([0.0] * len(domain.action_names_or_texts))
