"""`bot data validate`: what is referenced but not defined (and the reverse), conflicting stories,
and examples that belong to two intents — each with file:line."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, RULE_SNIPPET_ACTION
from bot.shared.core.story_steps import StoryBlock
from bot.shared.nlu.training_data import TrainingData

_QUOTED_NAME = re.compile(r"""["']((?:utter|action)_[A-Za-z0-9_/]+)["']""")


@dataclass
class Issue:
    """One finding; errors make `bot data validate` exit non-zero."""

    severity: str  # "error" | "warning"
    message: str
    location: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def _step_events(block: StoryBlock) -> list[tuple[dict[str, Any], str | None]]:
    """Every event of a block (inside `or` too) with its location."""
    found = []
    locations = block.step_locations or [None] * len(block.steps)
    for step, where in zip(block.steps, locations, strict=False):
        if "or" in step:
            for alternative in step["or"]:
                found.extend((event, where or block.location) for event in alternative)
        elif "event" in step:
            found.append((step, where or block.location))
    found.extend((event, block.location) for event in block.condition)
    return found


def validate_domain_and_stories(domain: Domain, blocks: list[StoryBlock],
                                used_in_code: set[str] | frozenset[str] = frozenset()) -> list[Issue]:
    """Names used but not defined (errors) and defined but not used (warnings); `used_in_code` are
    response and action names the project's custom actions mention (see `names_in_action_code`)."""
    issues: list[Issue] = []
    known_actions = set(domain.action_names_or_texts) | set(DEFAULT_ACTION_NAMES)
    known_intents = set(domain.intents)
    known_slots = {slot.name for slot in domain.slots}
    used_actions: set[str] = set(used_in_code)
    used_intents: set[str] = set()
    for block in blocks:
        for event, where in _step_events(block):
            kind = event.get("event")
            if kind == "user":
                intent = (event.get("parse_data", {}).get("intent") or {}).get("name")
                if intent:
                    used_intents.add(intent.split("/")[0])
                if intent and intent not in known_intents:
                    issues.append(Issue("error", f"intent '{intent}' is used in {block.kind} '{block.name}' "
                                        "but not listed under 'intents:' in the domain", where))
                for entity in event.get("parse_data", {}).get("entities", []):
                    if entity.get("entity") not in domain.entities:
                        issues.append(Issue("error", f"entity '{entity.get('entity')}' is used in {block.kind} "
                                            f"'{block.name}' but not listed under 'entities:'", where))
            elif kind == "action" and event.get("name"):
                name = event["name"]
                used_actions.add(name)
                if name not in known_actions and name != RULE_SNIPPET_ACTION:
                    what = "response" if name.startswith("utter_") else "action"
                    where_to = "'responses:'" if what == "response" else "'actions:'"
                    issues.append(Issue("error", f"{what} '{name}' is used in {block.kind} '{block.name}' "
                                        f"but not defined under {where_to} in the domain", where))
            elif kind == "slot" and event.get("name") not in known_slots:
                issues.append(Issue("error", f"slot '{event.get('name')}' is set in {block.kind} '{block.name}' "
                                    "but not defined under 'slots:'", where))
            elif kind == "active_loop" and event.get("name") and event["name"] not in domain.form_names \
                    and event["name"] not in known_actions:
                issues.append(Issue("error", f"active_loop '{event['name']}' in {block.kind} '{block.name}' is "
                                    "not a form of the domain", where))
    for response in domain.responses:
        if response.startswith("utter_ask_") or "/" in response or response in used_actions:
            continue
        if response.split("/")[0] not in used_actions:
            issues.append(Issue("warning", f"response '{response}' is not used in any story or rule",
                                _domain_location(domain, "responses", response)))
    for action in domain.user_actions:
        if not action.startswith("utter_") and action not in used_actions and not action.startswith("validate_"):
            issues.append(Issue("warning", f"action '{action}' is not used in any story or rule",
                                _domain_location(domain, "actions", action)))
    triggered = {name for name, props in domain.intent_properties.items() if props.get("triggers")}
    for intent in domain.intents:
        if intent in used_intents or intent in triggered or intent in DEFAULT_INTENTS:
            continue
        issues.append(Issue("warning", f"intent '{intent}' is not used in any story or rule, so the assistant "
                            "has learnt no answer to it", _domain_location(domain, "intents", intent)))
    return issues


def names_in_action_code(project_root: Path) -> set[str]:
    """Quoted names in the project's `actions/` Python code: a response a custom action sends
    (`dispatcher.utter_message(response="utter_x")`) or an action it triggers counts as used."""
    folder = project_root / "actions"
    names: set[str] = set()
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
        names.update(_QUOTED_NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def validate_nlu(domain: Domain, data: TrainingData) -> list[Issue]:
    issues: list[Issue] = []
    by_text: dict[str, list[Any]] = defaultdict(list)
    for message in data.intent_examples:
        by_text[message.text.strip().lower()].append(message)
    for messages in by_text.values():
        labels = {m.get("intent_response_key") or m.get("intent") for m in messages}
        if len(labels) > 1:
            places = ", ".join(f"'{m.get('intent_response_key') or m.get('intent')}' ({m.location})"
                               for m in messages)
            issues.append(Issue("warning", f"the example '{messages[0].text}' belongs to several intents: {places}",
                                messages[0].location))
    issues += _entity_issues(domain, data)
    domain_intents = set(domain.intents)
    for intent in sorted(data.intents - domain_intents):
        first = next(m for m in data.intent_examples if m.get("intent") == intent)
        issues.append(Issue("warning", f"intent '{intent}' has NLU examples but is not listed under 'intents:' "
                            "in the domain", first.location))
    for intent in sorted(domain_intents - data.intents - set(DEFAULT_INTENTS)):
        issues.append(Issue("warning", f"intent '{intent}' is in the domain but has no NLU examples",
                            _domain_location(domain, "intents", intent)))
    return issues


def _entity_issues(domain: Domain, data: TrainingData) -> list[Issue]:
    """Entities annotated but not in the domain, and annotations that were meant but became plain text."""
    from bot.shared.nlu.readers.entity_markup import unbalanced_markup

    issues: list[Issue] = []
    reported: set[str] = set()
    for message in data.intent_examples:
        for entity in message.get("entities") or []:
            name = entity.get("entity")
            if name and name not in domain.entities and name not in reported:
                reported.add(name)
                issues.append(Issue("warning", f"entity '{name}' is annotated in examples but not listed under "
                                    "'entities:' in the domain, so no slot or story can use it", message.location))
        broken = unbalanced_markup(message.text)
        if broken:
            issues.append(Issue("error", f"'{broken}' in the example '{message.text}' looks like an entity "
                                "annotation with a missing bracket; it is trained as plain text",
                                message.location))
    return issues


def validate_config(config: Any) -> list[Issue]:
    """Components and policies config.yml names that do not exist (or are Rasa's and not here)."""
    from bot.core.policies.registry import policy_class
    from bot.nlu.registry import component_class
    from bot.shared.errors import InvalidConfig

    issues = []
    for kind, steps, locations, lookup in (
            ("pipeline", config.pipeline, config.pipeline_locations, component_class),
            ("policies", config.policies, config.policy_locations, policy_class)):
        if kind in config.auto_filled:
            continue
        for index, step in enumerate(steps):
            try:
                lookup(str(step["name"]))
            except InvalidConfig as error:
                where = locations[index] if index < len(locations) else config.source
                issues.append(Issue("error", error.message + (f" ({error.hint})" if error.hint else ""), where))
    return issues


def validate_story_conflicts(domain: Domain, blocks: list[StoryBlock], max_history: int = 5) -> list[Issue]:
    """Stories that reach the same state (last `max_history` turns) but continue with different actions."""
    from bot.core.states import state_key, states_and_actions
    from bot.core.training_events import story_events
    from bot.shared.core.story_graph import expand_stories

    seen: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for trajectory in expand_stories([b for b in blocks if b.kind == "story"]):
        states, actions, _ = states_and_actions(story_events(trajectory, domain), domain)
        for index, action in enumerate(actions):
            window = states[max(0, index + 1 - max_history):index + 1]
            key = "|".join(state_key(s) for s in window)
            seen[key][action].add((trajectory.name, trajectory.location))
    issues = []
    for by_action in seen.values():
        if len(by_action) < 2:
            continue
        parts = [f"'{action}' in " + ", ".join(f"'{name}' ({where})" for name, where in sorted(stories))
                 for action, stories in sorted(by_action.items())]
        first_location = sorted(next(iter(by_action.values())))[0][1]
        issues.append(Issue("error", "story conflict: the same conversation continues with " + "; ".join(parts),
                            first_location))
    return issues


def validate_rules(domain: Domain, blocks: list[StoryBlock], policies: list[dict[str, Any]] | None) -> list[Issue]:
    """Contradicting and incomplete rules, found as `bot train` finds them: by training the configured
    RulePolicy (alone, in seconds) on the training stories and rules."""
    from bot.core.policies.ensemble import DEFAULT_POLICIES
    from bot.core.policies.policy import TrainingStories
    from bot.core.policies.rule_policy import RulePolicy
    from bot.shared.core.story_graph import expand_stories
    from bot.shared.errors import InvalidConfig, InvalidTrainingData

    options = next((dict(p) for p in policies or DEFAULT_POLICIES
                    if isinstance(p, dict) and p.get("name") == "RulePolicy"), None)
    training = [block for block in blocks if not block.is_test]
    if options is None or not any(block.is_rule for block in training):
        return []
    try:
        RulePolicy.create(options).train(TrainingStories(training, expand_stories(training)), domain)
    except (InvalidTrainingData, InvalidConfig) as error:
        return [Issue("error", error.message + (f" ({error.hint})" if error.hint else ""), error.location)]
    return []


def _domain_location(domain: Domain, section: str, name: str) -> str | None:
    return getattr(domain, "locations", {}).get((section, name))
