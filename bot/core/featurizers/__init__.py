"""Featurization of dialogue states for the ML policies (TED)."""

from bot.core.featurizers.state_featurizer import (
    StateFeaturizer,
    StateHistory,
    StateHistoryCache,
    Vocabulary,
    prediction_states,
    rule_only_names,
    training_windows,
    uses_text,
    window,
)

__all__ = [
    "StateFeaturizer",
    "StateHistory",
    "StateHistoryCache",
    "Vocabulary",
    "prediction_states",
    "rule_only_names",
    "training_windows",
    "uses_text",
    "window",
]
