"""`bot test` for dialogue: replays test stories, comparing predicted intents and actions with the story's.

As in Rasa, the story's own events are the ground truth the conversation continues with after a
wrong prediction, so one mistake is counted once and the rest of the story is still checked.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.messages import parse_intent_message
from bot.core.tracker import DialogueStateTracker
from bot.core.training_events import story_events
from bot.shared.core.domain import Domain
from bot.shared.core.events import ActionExecuted, ActionExecutionRejected, Event, UserUttered
from bot.shared.core.story_graph import Trajectory


@dataclass
class ActionCheck:
    gold: str
    predicted: str
    policy: str | None
    confidence: float


@dataclass
class IntentCheck:
    text: str
    gold: str | None
    predicted: str | None
    confidence: float


@dataclass
class StoryResult:
    """One test story: each action and intent as the story has it and as the model predicted it."""

    name: str
    location: str
    actions: list[ActionCheck] = field(default_factory=list)
    intents: list[IntentCheck] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (all(a.gold == a.predicted for a in self.actions)
                and all(i.gold is None or i.gold == i.predicted for i in self.intents))


@dataclass
class StoryTestReport:
    stories: list[StoryResult]

    @property
    def passed_stories(self) -> int:
        return sum(1 for s in self.stories if s.passed)

    @property
    def action_checks(self) -> list[ActionCheck]:
        return [a for s in self.stories for a in s.actions]

    @property
    def correct_actions(self) -> int:
        return sum(1 for a in self.action_checks if a.gold == a.predicted)

    @property
    def intent_checks(self) -> list[IntentCheck]:
        return [i for s in self.stories for i in s.intents if i.gold is not None]

    def summary(self) -> dict[str, Any]:
        from sklearn.metrics import accuracy_score, classification_report, f1_score

        gold = [a.gold for a in self.action_checks]
        predicted = [a.predicted for a in self.action_checks]
        story_count = len(self.stories)
        result: dict[str, Any] = {
            "conversation_accuracy": {
                "accuracy": self.passed_stories / story_count if story_count else 0.0,
                "correct": self.passed_stories, "with_warnings": 0, "total": story_count},
            "action_accuracy": accuracy_score(gold, predicted) if gold else 0.0,
            "action_f1": f1_score(gold, predicted, average="weighted", zero_division=0) if gold else 0.0,
            "correct_actions": self.correct_actions, "total_actions": len(gold),
        }
        if gold:
            result["actions"] = classification_report(gold, predicted, output_dict=True, zero_division=0)
        intents = self.intent_checks
        if intents:
            result["intent_accuracy"] = sum(i.gold == i.predicted for i in intents) / len(intents)
        return result


async def evaluate_stories(trajectories: list[Trajectory], domain: Domain, nlu: Any, policies: Any
                           ) -> StoryTestReport:
    """Replays each test story through NLU (for user text) and the policies."""
    results = []
    for trajectory in trajectories:
        results.append(await _evaluate_story(trajectory, domain, nlu, policies))
    return StoryTestReport(results)


async def _evaluate_story(trajectory: Trajectory, domain: Domain, nlu: Any, policies: Any) -> StoryResult:
    result = StoryResult(trajectory.name, trajectory.location)
    tracker = DialogueStateTracker(f"test-{trajectory.name}", domain.slots)
    loop = asyncio.get_running_loop()
    for event in story_events(trajectory, domain, add_final_listen=False):
        if isinstance(event, ActionExecuted):
            predicted_name, prediction = policies.predict(tracker, domain)
            gold = event.action_name or event.action_text or ""
            form = tracker.active_loop_name
            if predicted_name != gold and form and predicted_name == form:
                # as in Rasa: the story leaves the form here, so the form would have rejected; ask again
                tracker.update(ActionExecutionRejected(form))
                predicted_name, prediction = policies.predict(tracker, domain)
            result.actions.append(ActionCheck(gold, predicted_name, prediction.policy_name,
                                              prediction.max_confidence))
            tracker.update(ActionExecuted(event.action_name, policy=prediction.policy_name,
                                          confidence=prediction.max_confidence, action_text=event.action_text))
            result.events.append(event)
            continue
        if isinstance(event, UserUttered) and event.text and nlu is not None:
            # '/intent{...}' bypasses NLU, as it does live and in Rasa's test
            parsed = parse_intent_message(event.text) or await loop.run_in_executor(None, nlu.parse, event.text)
            predicted = (parsed.get("intent") or {})
            result.intents.append(IntentCheck(event.text, event.intent_name, predicted.get("name"),
                                              float(predicted.get("confidence") or 0.0)))
            if not event.intent_name:  # an end-to-end story without intent: continue with what NLU found
                event = UserUttered(event.text, parsed)
        tracker.update(event)
        result.events.append(event)
    return result


def write_story_reports(report: StoryTestReport, out_dir: Path) -> list[Path]:
    """Writes story_report.json and failed_test_stories.yml (wrong predictions as comments), as Rasa."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    summary_path = out_dir / "story_report.json"
    summary_path.write_text(json.dumps(report.summary(), indent=2))
    written.append(summary_path)
    failed = [s for s in report.stories if not s.passed]
    failed_path = out_dir / "failed_test_stories.yml"
    failed_path.write_text(_failed_stories_yaml(failed) if failed
                           else "# None of the test stories failed - all good!\n")
    written.append(failed_path)
    return written


def _failed_stories_yaml(stories: list[StoryResult]) -> str:
    lines = ['version: "3.1"', "stories:"]
    for story in stories:
        lines.append(f"- story: {_quote(story.name)}  # {story.location}")
        lines.append("  steps:")
        actions = iter(story.actions)
        intents = iter(story.intents)
        for event in story.events:
            if isinstance(event, UserUttered):
                check = next(intents) if event.text and story.intents else None
                if event.text:
                    lines.append(f"  - user: {_quote(event.text)}")
                    if event.intent_name:
                        note = (f"  # predicted: {check.predicted}" if check and check.gold
                                and check.predicted != check.gold else "")
                        lines.append(f"    intent: {event.intent_name}{note}")
                else:
                    lines.append(f"  - intent: {event.intent_name}")
            elif isinstance(event, ActionExecuted):
                check = next(actions)
                if event.action_name == "action_listen":
                    if check.predicted != check.gold:
                        lines.append(f"  # predicted: {check.predicted} instead of waiting for the user")
                    continue
                note = f"  # predicted: {check.predicted}" if check.predicted != check.gold else ""
                lines.append(f"  - action: {event.action_name or event.action_text}{note}")
            else:
                as_dict = event.as_dict()
                if as_dict["event"] == "slot":
                    lines.append(f"  - slot_was_set:\n    - {as_dict['name']}: {json.dumps(as_dict['value'])}")
                elif as_dict["event"] == "active_loop":
                    lines.append(f"  - active_loop: {as_dict['name'] if as_dict['name'] else 'null'}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)

