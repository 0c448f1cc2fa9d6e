"""Evaluates test stories against a policy ensemble the way Rasa's story evaluation does.

Each test story is replayed: before each of its actions the ensemble predicts; a predicted
active form that is not the story's action is treated as rejected and the ensemble asked again;
then the story's own events are applied as ground truth (prediction events are not).
"""

from __future__ import annotations

from pathlib import Path

from bot.core.policies.ensemble import PolicyEnsemble
from bot.core.policies.policy import TrainingStories
from bot.core.tracker import DialogueStateTracker
from bot.core.training_events import story_events
from bot.shared.core.domain import Domain, load_domain
from bot.shared.core.events import ActionExecuted, ActionExecutionRejected
from bot.shared.core.stories_yaml import read_story_files
from bot.shared.core.story_graph import expand_stories


def train_bot(bot_dir: Path, policies: list[dict]) -> tuple[PolicyEnsemble, Domain]:
    domain = load_domain(bot_dir / "domain.yml")
    blocks = read_story_files([bot_dir / "data"], project_root=bot_dir)
    trajectories = expand_stories(blocks, entity_slots=[s.name for s in domain.slots])
    ensemble = PolicyEnsemble.from_config(policies)
    ensemble.train(TrainingStories(blocks, trajectories), domain)
    return ensemble, domain


def evaluate_test_stories(ensemble: PolicyEnsemble, domain: Domain, test_file: Path
                          ) -> list[tuple[str, list[str], list[str]]]:
    """(story name, expected actions, predicted actions) for every test story."""
    results = []
    blocks = read_story_files([test_file], project_root=test_file.parent.parent)
    for trajectory in expand_stories(blocks):
        tracker = DialogueStateTracker(trajectory.name, domain.slots)
        expected, predicted = [], []
        events = story_events(trajectory, domain)
        for event in events:
            if isinstance(event, ActionExecuted):
                gold = event.action_name or event.action_text
                action, prediction = ensemble.predict(tracker, domain)
                loop = tracker.active_loop_name
                if action != gold and loop and action == loop:
                    tracker.update(ActionExecutionRejected(loop))
                    action, prediction = ensemble.predict(tracker, domain)
                expected.append(gold)
                predicted.append(action)
                # like `rasa test`: the story's action is applied, without hiding rule turns
                tracker.update(ActionExecuted(gold, policy=prediction.policy_name))
            else:
                tracker.update(event)
        results.append((trajectory.name, expected, predicted))
    return results
