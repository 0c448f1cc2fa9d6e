"""Reads Rasa 3.x stories, rules and test stories (YAML) into `StoryBlock`s.

Where Rasa only warns and silently skips a malformed block or step, we stop with an
`InvalidTrainingData` naming file:line and the fix: a skipped story changes what the bot learns
without the designer noticing.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.shared.core.story_steps import ANY_VALUE, StepDict, StoryBlock
from bot.shared.errors import InvalidTrainingData, location
from bot.shared.yaml_io import line_of, read_yaml, read_yaml_file, to_plain

__all__ = ["is_story_file", "is_test_story_file", "read_story_files", "read_story_file",
           "read_story_text"]

logger = logging.getLogger(__name__)

_YAML_SUFFIXES = (".yml", ".yaml")
_INTENT_PREFIX = "/"
_STORY_KEYS = {"story", "steps", "metadata"}
_RULE_KEYS = {"rule", "steps", "metadata", "condition", "conversation_start", "wait_for_user_input"}
# Keys a single step may have, by the key that decides its kind.
_STEP_KEYS = {
    "user": {"intent", "user", "entities", "metadata"},
    "action": {"action", "metadata"},
    "bot": {"bot", "metadata"},
    "slot_was_set": {"slot_was_set", "metadata"},
    "active_loop": {"active_loop", "metadata"},
    "checkpoint": {"checkpoint", "slot_was_set"},
    "or": {"or"},
    "metadata": {"metadata"},
}
_PLURAL = {"story": "stories", "rule": "rules"}
_KNOWN_STEP_KEYS = sorted({key for keys in _STEP_KEYS.values() for key in keys})


def is_story_file(path: str | Path) -> bool:
    """True for a YAML file with a top-level `stories:` or `rules:` key (as Rasa decides)."""
    path = Path(path)
    if path.suffix.lower() not in _YAML_SUFFIXES or not path.is_file():
        return False
    content = read_yaml_file(path)
    return isinstance(content, dict) and ("stories" in content or "rules" in content)


def is_test_story_file(path: str | Path, project_root: str | Path | None = None) -> bool:
    """True for a story file named `test_*` or kept under a `tests/` folder of the project.

    Folders above `project_root` (default: the working directory) do not count, so a project
    that itself sits in some ".../tests/..." directory is not all tests.
    """
    path = Path(path)
    return _looks_like_test_file(path, project_root) and is_story_file(path)


def read_story_files(paths: Iterable[str | Path], project_root: str | Path | None = None, *,
                      test_files_only: bool = False) -> list[StoryBlock]:
    """Reads every story/rule file among `paths` (directories are searched recursively).

    `test_files_only`: in directories, only files named `test_*` count, as `rasa test` reads
    tests/ (so fixtures or notes beside them are left alone); files named explicitly always count.
    """
    blocks: list[StoryBlock] = []
    for path in _story_file_paths(paths, test_files_only):
        blocks.extend(read_story_file(path, project_root))
    return blocks


def read_story_file(path: str | Path, project_root: str | Path | None = None) -> list[StoryBlock]:
    """Reads the stories and rules of one YAML file (`project_root` as for is_test_story_file)."""
    path = Path(path)
    content = read_yaml_file(path)
    return _read_content(content, str(path), is_test=_looks_like_test_file(path, project_root))


def read_story_text(text: str, source: str = "<string>", is_test: bool = False) -> list[StoryBlock]:
    """Reads stories and rules from YAML text; `source` names it in errors."""
    return _read_content(read_yaml(text, source), source, is_test)


def _story_file_paths(paths: Iterable[str | Path], test_files_only: bool = False) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.suffix.lower() in _YAML_SUFFIXES
                                and (not test_files_only or p.name.startswith("test_")))
            found.extend(p for p in candidates if is_story_file(p))
        elif path.exists():
            found.append(path)
        else:
            raise InvalidTrainingData(f"story file not found: {path}", hint="check the path")
    return found


def _looks_like_test_file(path: Path, project_root: str | Path | None) -> bool:
    if path.name.startswith("test_"):
        return True
    folder = path.resolve().parent
    root = Path(project_root or Path.cwd()).resolve()
    if folder.is_relative_to(root):
        folder = folder.relative_to(root)
    return "tests" in folder.parts


def _read_content(content: Any, source: str, is_test: bool) -> list[StoryBlock]:
    if content is None:
        return []
    if not isinstance(content, dict):
        raise InvalidTrainingData("a stories file must be a mapping with 'stories:' and/or 'rules:'",
                                  location=location(source, line_of(content)),
                                  hint="start the file with 'version: \"3.1\"' and 'stories:'")
    version = content.get("version")
    if version is not None and not isinstance(version, str):
        logger.warning("%s: 'version' should be a quoted string such as \"3.1\"",
                       location(source, line_of(content, "version")))
    reader = _BlockReader(source, is_test)
    blocks: list[StoryBlock] = []
    for key, kind in (("stories", "story"), ("rules", "rule")):
        items = content.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise InvalidTrainingData(f"'{key}' must be a list of {kind} blocks",
                                      location=location(source, line_of(content, key)),
                                      hint=f"write '{key}:' followed by '- {kind}: name' items")
        for index, item in enumerate(items):
            other_kind = "rule" if kind == "story" else "story"
            if isinstance(item, dict) and kind not in item and other_kind in item:
                # Rasa skips such a block with a warning; we do the same so its projects load unchanged,
                # but name the place so the block is not lost unnoticed.
                logger.warning("%s: a '%s:' entry sits under '%s:' and is skipped; move it under '%s:'",
                               location(source, line_of(item) or line_of(items, index)), other_kind, key,
                               _PLURAL[other_kind])
                continue
            blocks.append(reader.read_block(item, kind, line_of(items, index)))
    return blocks


def _did_you_mean(key: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(str(key), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else f"use one of: {', '.join(sorted(choices))}"


class _BlockReader:
    """Turns one story/rule mapping into a StoryBlock, raising with file:line on mistakes."""

    def __init__(self, source: str, is_test: bool) -> None:
        self.source = source
        self.is_test = is_test

    def _error(self, message: str, line: int | None, hint: str) -> InvalidTrainingData:
        return InvalidTrainingData(message, location=location(self.source, line), hint=hint)

    def read_block(self, item: Any, kind: str, line: int | None) -> StoryBlock:
        if not isinstance(item, dict):
            raise self._error(f"each entry under '{_PLURAL[kind]}' must be a mapping", line,
                              f"write '- {kind}: a name' with 'steps:' below it")
        line = line_of(item) or line
        other_kind = "rule" if kind == "story" else "story"
        if kind not in item:
            if other_kind in item:
                raise self._error(f"a '{other_kind}:' entry sits under '{_PLURAL[kind]}:'", line,
                                  f"move it under '{_PLURAL[other_kind]}:' or rename the key to '{kind}'")
            raise self._error(f"this {kind} has no '{kind}:' name", line, f"add '{kind}: a name'")
        allowed = _STORY_KEYS if kind == "story" else _RULE_KEYS
        for key in item:
            if key not in allowed:
                extra = " (only rules have it)" if key in _RULE_KEYS else ""
                raise self._error(f"unknown key '{key}' in {kind} '{item.get(kind)}'{extra}",
                                  line_of(item, key), _did_you_mean(key, allowed))
        name = item.get(kind)
        if not isinstance(name, str) or not name.strip():
            raise self._error(f"the {kind} has an empty name", line_of(item, kind),
                              f"give it a name: '{kind}: what this {kind} is about'")
        steps = item.get("steps")
        if not isinstance(steps, list) or not steps:
            raise self._error(f"{kind} '{name}' has no steps", line_of(item, "steps") or line,
                              "add 'steps:' with a list such as '- intent: greet' and '- action: utter_greet'")
        block = StoryBlock(name=str(name), kind=kind, location=location(self.source, line) or self.source,
                           steps=[], is_test=self.is_test,
                           metadata=to_plain(item.get("metadata")) or {})
        for index, step in enumerate(steps):
            step_line = line_of(steps, index)
            block.steps.extend(self._read_step(step, step_line, block))
            block.step_locations.extend([location(self.source, step_line) or self.source]
                                        * (len(block.steps) - len(block.step_locations)))
        if kind == "rule":
            self._read_rule_options(item, block)
        return block

    def _read_rule_options(self, item: dict, block: StoryBlock) -> None:
        for key, default in (("conversation_start", False), ("wait_for_user_input", True)):
            value = item.get(key, default)
            if not isinstance(value, bool):
                raise self._error(f"'{key}' must be true or false", line_of(item, key),
                                  f"write '{key}: {str(not default).lower()}' or remove it")
            setattr(block, key, value)
        condition = item.get("condition")
        if condition is None:
            return
        if not isinstance(condition, list):
            raise self._error("a rule's 'condition' must be a list", line_of(item, "condition"),
                              "write '- active_loop: form_name' or '- slot_was_set: [...]' items")
        for index, step in enumerate(condition):
            step_line = line_of(condition, index)
            kind = self._step_kind(step, step_line, block)
            if kind not in ("slot_was_set", "active_loop"):
                raise self._error(f"a rule condition can only hold 'slot_was_set' or 'active_loop', "
                                  f"not '{kind}'", step_line,
                                  "move this step from 'condition:' into 'steps:'")
            block.condition.extend(self._read_step(step, step_line, block))

    def _step_kind(self, step: Any, line: int | None, block: StoryBlock) -> str:
        if not isinstance(step, dict) or not step:
            shown = step if isinstance(step, str) else type(step).__name__
            raise self._error(f"unexpected step '{shown}' in {block.kind} '{block.name}'", line,
                              "each step is a mapping such as '- action: utter_greet' or '- intent: greet'")
        keys = set(step)
        for kind in ("user", "checkpoint", "or", "action", "bot", "slot_was_set", "active_loop", "metadata"):
            triggers = {"intent", "user"} if kind == "user" else {kind}
            if keys & triggers:
                extra = sorted(keys - _STEP_KEYS[kind], key=str)
                if extra and extra[0] not in _KNOWN_STEP_KEYS:
                    raise self._error(f"unknown key '{extra[0]}' in a '{kind}' step", line_of(step, extra[0]) or line,
                                      _did_you_mean(extra[0], _STEP_KEYS[kind]))
                if extra:
                    raise self._error(f"a step mixes '{sorted(keys & triggers)[0]}' with '{extra[0]}'",
                                      line_of(step, extra[0]) or line, "split it into two steps, one per key")
                return kind
        unknown = next(iter(step))
        raise self._error(f"unknown step key '{unknown}' in {block.kind} '{block.name}'",
                          line_of(step, unknown) or line,
                          _did_you_mean(unknown, ["intent", "user", "action", "bot", "slot_was_set",
                                                  "active_loop", "checkpoint", "or"]))

    def _read_step(self, step: Any, line: int | None, block: StoryBlock) -> list[StepDict]:
        kind = self._step_kind(step, line, block)
        metadata = to_plain(step.get("metadata")) if "metadata" in step else None
        if kind == "metadata":
            return []  # Rasa ignores a step that only carries metadata
        if kind == "user":
            events = [self._user_event(step, line)]
        elif kind == "action":
            events = [self._action_event(step, line)]
        elif kind == "bot":
            text = step["bot"]
            if not isinstance(text, str) or not text.strip():
                raise self._error("'bot:' needs the bot's text", line, "write '- bot: the bot's words'")
            events = [{"event": "action", "name": None, "action_text": text.strip()}]
        elif kind == "slot_was_set":
            events = self._slot_events(step["slot_was_set"], line_of(step, "slot_was_set") or line)
        elif kind == "active_loop":
            name = step["active_loop"]
            if name is not None and not isinstance(name, str):
                raise self._error("'active_loop' must be a form name or null", line,
                                  "write '- active_loop: my_form' or '- active_loop: null'")
            events = [{"event": "active_loop", "name": name}]
        elif kind == "checkpoint":
            return [self._checkpoint(step, line, block)]
        else:
            return [self._or_step(step, line, block)]
        if metadata:
            for event in events:
                event["metadata"] = metadata
        return events

    def _action_event(self, step: dict, line: int | None) -> StepDict:
        name = step["action"]
        if not isinstance(name, str) or not name.strip():
            raise self._error("'action:' needs an action name", line, "write '- action: utter_greet'")
        return {"event": "action", "name": name.strip()}

    def _user_event(self, step: dict, line: int | None) -> StepDict:
        intent = step.get("intent")
        if "intent" in step:
            if not isinstance(intent, str) or not intent.strip():
                raise self._error("'intent:' is empty", line_of(step, "intent") or line,
                                  "write the intent name, e.g. '- intent: greet'")
            intent = intent.strip()
            if intent.startswith(_INTENT_PREFIX):
                logger.warning("%s: intent '%s' starts with '/', which stories do not need; using '%s'",
                               location(self.source, line), intent, intent[1:])
                intent = intent[1:]
        text: str | None = None
        if "user" in step:
            raw = step["user"]
            if not isinstance(raw, str) or not raw.strip():
                raise self._error("'user:' is empty", line_of(step, "user") or line,
                                  "write what the user says, or use 'intent:' alone")
            text, entities, intent = self._parse_user_text(raw.strip(), intent, line)
        else:
            entities = self._entities(step.get("entities"), line_of(step, "entities") or line)
        if "entities" in step and "user" in step:
            # Rasa ignores the list too; warn so the designer annotates inline instead.
            logger.warning("%s: 'entities:' is ignored next to 'user:' text; annotate inline: [Berlin](city)",
                           location(self.source, line_of(step, "entities") or line))
        parse_data = {"intent": {"name": intent, "confidence": 1.0}, "entities": entities, "text": text}
        return {"event": "user", "text": text, "parse_data": parse_data}

    def _parse_user_text(self, raw: str, intent: str | None,
                         line: int | None) -> tuple[str, list[dict], str | None]:
        if raw.startswith(_INTENT_PREFIX):
            # "/greet{"name": "x"}" sends an intent directly, as in Rasa's shell and test stories.
            name, _, payload = raw[1:].partition("{")
            entities = []
            if payload:
                try:
                    values = json.loads("{" + payload)
                except json.JSONDecodeError:
                    raise self._error(f"cannot read the entities of '{raw}'", line,
                                      'write them as JSON: /intent{"entity": "value"}') from None
                entities = [{"entity": key, "value": value} for key, value in values.items()]
            return raw, entities, intent or name.strip()
        from bot.shared.nlu.readers.entity_markup import parse_entity_markup  # written beside NLU readers

        plain, entities = parse_entity_markup(raw, location=location(self.source, line))
        return plain, list(entities), intent

    def _entities(self, raw: Any, line: int | None) -> list[dict]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self._error("'entities' must be a list", line,
                              "write '- city: Berlin' items (or '- city' when the value does not matter)")
        entities = []
        for index, item in enumerate(raw):
            item_line = line_of(raw, index) or line
            if isinstance(item, str):
                entities.append({"entity": item, "value": ""})
            elif isinstance(item, dict) and item:
                # As Rasa 3.6 reads it: 'role' and 'group' are keys of their own, the one other key
                # names the entity and holds its value (so '- entity: city' is an entity named "entity").
                names = [key for key in item if key not in ("role", "group")]
                if len(names) != 1:
                    hint = "write one entity per item, e.g. '- city: Berlin' with optional role/group"
                    if {"entity", "value"} <= set(names):
                        hint = (f"Rasa reads 'entity:' and 'value:' as two entities named so; write "
                                f"'- {item['entity']}: {item['value']}' instead")
                    raise self._error("an entity item needs exactly one 'name: value' pair", item_line, hint)
                entity = {"entity": str(names[0]), "value": to_plain(item[names[0]])}
                entity.update({key: to_plain(item[key]) for key in ("role", "group") if key in item})
                entities.append(entity)
            else:
                raise self._error(f"cannot read entity '{item}'", item_line,
                                  "write '- city: Berlin' or '- city'")
        return entities

    def _slot_events(self, raw: Any, line: int | None) -> list[StepDict]:
        if not isinstance(raw, list):
            raise self._error("'slot_was_set' must be a list", line,
                              "write '- slot_was_set:' followed by '- slot_name: value' items")
        events = []
        for index, item in enumerate(raw):
            item_line = line_of(raw, index) or line
            if isinstance(item, str) and item.strip():
                events.append({"event": "slot", "name": item.strip(), "value": None, ANY_VALUE: True})
            elif isinstance(item, dict) and item:
                for name, value in item.items():
                    events.append({"event": "slot", "name": str(name), "value": to_plain(value)})
            else:
                raise self._error(f"cannot read slot '{item}' in 'slot_was_set'", item_line,
                                  "write '- slot_name: value', or '- slot_name' for any value")
        return events

    def _checkpoint(self, step: dict, line: int | None, block: StoryBlock) -> StepDict:
        if block.is_rule:
            raise self._error(f"rule '{block.name}' uses a checkpoint; rules cannot", line,
                              "remove the checkpoint, or turn the rule into a story")
        name = step["checkpoint"]
        if not isinstance(name, str) or not name.strip():
            raise self._error("'checkpoint:' needs a name", line, "write '- checkpoint: my_checkpoint'")
        conditions: dict[str, Any] = {}
        slots = step.get("slot_was_set") or []
        slots_line = line_of(step, "slot_was_set") or line
        if not isinstance(slots, list) or not all(isinstance(slot, dict) for slot in slots):
            raise self._error(f"checkpoint '{name}' has malformed slot conditions", slots_line,
                              "write 'slot_was_set:' with '- slot_name: value' items")
        for slot in slots:
            conditions.update({str(key): to_plain(value) for key, value in slot.items()})
        if conditions and block.steps and any("checkpoint" not in s for s in block.steps):
            logger.warning("%s: slot conditions only apply to checkpoints at the start of a story; "
                           "these are ignored", location(self.source, line))
        return {"checkpoint": name.strip(), "conditions": conditions}

    def _or_step(self, step: dict, line: int | None, block: StoryBlock) -> StepDict:
        options = step["or"]
        if not isinstance(options, list) or not options:
            raise self._error("'or' must be a list of alternatives", line,
                              "write '- or:' followed by '- intent: x' items")
        alternatives = []
        for index, option in enumerate(options):
            option_line = line_of(options, index) or line
            kind = self._step_kind(option, option_line, block)
            if kind not in ("user", "slot_was_set"):
                raise self._error(f"'or' can only hold user steps or 'slot_was_set', not '{kind}'",
                                  option_line, "move this step out of the 'or' list")
            alternatives.append(self._read_step(option, option_line, block))
        return {"or": alternatives}
