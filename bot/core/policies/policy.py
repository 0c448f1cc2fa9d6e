"""Base class of dialogue policies and the prediction they return."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import Event
from bot.shared.core.story_graph import Trajectory
from bot.shared.core.story_steps import StoryBlock
from bot.shared.options import validate_options

logger = logging.getLogger(__name__)


class PolicyConfig(BaseModel):
    """Options under a `- name: SomePolicy` entry; unknown ones are kept and logged (Rasa configs carry many)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    priority: int | None = None


@dataclass
class PolicyPrediction:
    """A policy's vote: one probability per action in `domain.action_names_or_texts`.

    `events` are applied before the predicted action runs (e.g. a rule deactivating a loop);
    `is_no_user_prediction` marks rule predictions that need no user input (conversation start),
    which win over others as in Rasa.
    """

    probabilities: list[float]
    policy_name: str
    policy_priority: int = 0
    events: list[Event] = field(default_factory=list)
    optional_events: list[Event] = field(default_factory=list)
    is_end_to_end_prediction: bool = False
    is_no_user_prediction: bool = False
    diagnostic_data: dict[str, Any] = field(default_factory=dict)
    action_metadata: dict[str, Any] | None = None
    # True when a rule predicted a turn that no story contains; the processor copies it onto the
    # ActionExecuted event so that ML policies skip the turn, as in Rasa.
    hide_rule_turn: bool = False

    @property
    def max_confidence(self) -> float:
        return max(self.probabilities) if self.probabilities else 0.0

    @property
    def max_confidence_index(self) -> int:
        return max(range(len(self.probabilities)), key=self.probabilities.__getitem__) if self.probabilities else -1


@dataclass
class TrainingStories:
    """What policies learn from: the raw blocks (rules keep their conditions) and unfolded trajectories."""

    blocks: list[StoryBlock]
    trajectories: list[Trajectory]

    @property
    def story_trajectories(self) -> list[Trajectory]:
        return [t for t in self.trajectories if t.kind == "story"]

    @property
    def rule_trajectories(self) -> list[Trajectory]:
        return [t for t in self.trajectories if t.kind == "rule"]


class Policy:
    """A dialogue policy: trained on stories/rules, predicts the next action for a tracker."""

    name: ClassVar[str] = ""
    default_priority: ClassVar[int] = 1
    Config: ClassVar[type[PolicyConfig]] = PolicyConfig
    # Plain predictions carry no events and are never end-to-end or no-user ones, so the ensemble
    # may skip such a policy once a policy of higher priority is certain (it could not win).
    makes_plain_predictions: ClassVar[bool] = True

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config

    @property
    def priority(self) -> int:
        return self.config.priority if self.config.priority is not None else self.default_priority

    @classmethod
    def create(cls, options: dict[str, Any], *, index: int | None = None) -> Policy:
        where = f"policy {index + 1} ({cls.name})" if index is not None else cls.name
        config = validate_options(cls.Config, options, where, "fix the option under 'policies:' in config.yml")
        return cls(config)

    def train(self, stories: TrainingStories, domain: Domain) -> None:
        """Learns from stories and rules."""

    def predict(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        raise NotImplementedError

    def prediction(self, probabilities: list[float], **kwargs: Any) -> PolicyPrediction:
        return PolicyPrediction(probabilities, self.name, self.priority, **kwargs)

    def persist(self, directory: Path) -> None:
        with open(directory / "policy.pkl", "wb") as file:
            pickle.dump({k: v for k, v in self.__dict__.items() if k != "config"}, file)

    @classmethod
    def load(cls, config: PolicyConfig, directory: Path) -> Policy:
        policy = cls(config)
        state = directory / "policy.pkl"
        if state.exists():
            with open(state, "rb") as file:
                policy.__dict__.update(pickle.load(file))
        return policy


def confidence_scores_for(action_name: str, value: float, domain: Domain) -> list[float]:
    """A probability vector with `value` at `action_name` and 0 elsewhere."""
    scores = [0.0] * len(domain.action_names_or_texts)
    index = domain.index_for_action(action_name)
    if index is not None:
        scores[index] = value
    return scores
