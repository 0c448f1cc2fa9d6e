"""Unfolds stories into linear event sequences: resolves `or` steps and joins checkpoints.

Rasa's semantics: a story (part) ending with checkpoint X continues into every story (part)
that starts with X and whose checkpoint slot conditions hold; stories without a start checkpoint
start at STORY_START. A path that ends at a checkpoint nothing starts with is dropped (with a
warning), as in Rasa. Checkpoint cycles are cut by visiting each story part at most `max_visits`
times per path, and the total is capped at `max_trajectories`.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.shared.core.story_steps import ANY_VALUE, STORY_START, Checkpoint, StepDict, StoryBlock

__all__ = ["Trajectory", "expand_stories", "expand_or_steps"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_TRAJECTORIES = 10_000
_ANY = object()  # slot state of a slot set to "any value"


@dataclass
class Trajectory:
    """One linear conversation: events in order, and the stories/rule it was built from."""

    events: list[StepDict]
    blocks: list[StoryBlock]
    condition: list[StepDict] = field(default_factory=list)  # a rule's conditions; empty for stories

    @property
    def kind(self) -> str:
        return self.blocks[0].kind

    @property
    def name(self) -> str:
        return " > ".join(block.name for block in self.blocks)

    @property
    def location(self) -> str:
        return self.blocks[0].location


@dataclass
class _Part:
    """A run of steps between checkpoints, with its `or` alternatives already unfolded."""

    block: StoryBlock
    starts: list[Checkpoint]
    variants: list[list[StepDict]]
    ends: list[str]


def expand_or_steps(steps: list[StepDict], limit: int = DEFAULT_MAX_TRAJECTORIES) -> list[list[StepDict]]:
    """All event sequences a list of events and `or` steps stands for (at most `limit`)."""
    choices = [step["or"] if "or" in step else [[step]] for step in steps if "checkpoint" not in step]
    variants = []
    for combination in itertools.islice(itertools.product(*choices), limit + 1):
        variants.append([event for alternative in combination for event in alternative])
    if len(variants) > limit:
        logger.warning("'or' steps allow more than %d combinations; only the first %d are used", limit, limit)
        variants = variants[:limit]
    return variants


def expand_stories(blocks: Iterable[StoryBlock], *, max_trajectories: int = DEFAULT_MAX_TRAJECTORIES,
                   max_visits: int = 1, entity_slots: Collection[str] = ()) -> list[Trajectory]:
    """Linear event sequences for all stories and rules (rules never have checkpoints).

    Checkpoint slot conditions are checked against the slot events of the path so far, plus
    entities named in `entity_slots` (slots the domain fills from a same-named entity).
    """
    parts = [part for block in blocks for part in _split(block, max_trajectories)]
    by_start: dict[str, list[_Part]] = defaultdict(list)
    for part in parts:
        for checkpoint in part.starts:
            by_start[checkpoint.name].append(part)
    walker = _Walker(by_start, max_trajectories, max_visits, frozenset(entity_slots))
    for part in by_start.get(STORY_START, []):
        if len(walker.results) >= max_trajectories:
            break
        walker.walk(part, [], [], {}, defaultdict(int))
    unused = sorted(walker.dangling)
    if unused:
        logger.warning("story paths ending at checkpoints no story starts with were dropped: %s",
                       ", ".join(unused))
    never_reached = {p.block.name for p in parts if all(c.name not in walker.reached for c in p.starts)}
    if never_reached:
        logger.warning("stories that start at a checkpoint no story reaches: %s",
                       ", ".join(sorted(never_reached)))
    return walker.results


def _split(block: StoryBlock, limit: int) -> Iterator[_Part]:
    """Cuts a block at its checkpoints; leading ones are starts, the others end one part and
    start the next."""
    starts: list[Checkpoint] = []
    run: list[StepDict] = []
    ends: list[str] = []
    index = 0
    steps = block.steps
    while index < len(steps) and "checkpoint" in steps[index]:
        starts.append(Checkpoint(steps[index]["checkpoint"], dict(steps[index].get("conditions") or {})))
        index += 1
    starts = starts or [Checkpoint(STORY_START)]
    for step in steps[index:]:
        if "checkpoint" in step:
            ends.append(step["checkpoint"])
            continue
        if ends:  # a checkpoint in the middle: close this part, the rest starts there
            yield _Part(block, starts, expand_or_steps(run, limit), ends)
            starts, run, ends = [Checkpoint(name) for name in ends], [], []
        run.append(step)
    yield _Part(block, starts, expand_or_steps(run, limit), ends)


class _Walker:
    """Depth-first walk over parts joined by checkpoints, collecting finished paths."""

    def __init__(self, by_start: dict[str, list[_Part]], limit: int, max_visits: int,
                 entity_slots: frozenset[str]) -> None:
        self.entity_slots = entity_slots
        self.by_start = by_start
        self.limit = limit
        self.max_visits = max_visits
        self.results: list[Trajectory] = []
        self.seen: set[str] = set()
        self.dangling: set[str] = set()
        self.reached: set[str] = {STORY_START}

    def walk(self, part: _Part, events: list[StepDict], path: list[StoryBlock],
             slots: dict[str, Any], visits: dict[int, int]) -> None:
        visits[id(part)] += 1
        blocks = path if path and path[-1] is part.block else [*path, part.block]
        for variant in part.variants:
            if len(self.results) >= self.limit:
                break
            full = events + variant
            state = _apply_slots(slots, variant, self.entity_slots)
            if not part.ends:
                self._emit(full, blocks)
                continue
            for name in part.ends:
                self.reached.add(name)
                following = self.by_start.get(name)
                if not following:
                    self.dangling.add(name)
                    continue
                for nxt in following:
                    if visits[id(nxt)] < self.max_visits and _conditions_hold(nxt, name, state):
                        self.walk(nxt, full, blocks, state, visits)
        visits[id(part)] -= 1

    def _emit(self, events: list[StepDict], blocks: list[StoryBlock]) -> None:
        condition = list(blocks[0].condition) if blocks[0].is_rule else []
        # A rule's condition is part of it: rules with the same steps for different forms are different rules.
        key = json.dumps([condition, events], sort_keys=True, default=str)
        if key in self.seen:
            return
        self.seen.add(key)
        self.results.append(Trajectory(events=[dict(e) for e in events], blocks=list(blocks),
                                       condition=condition))
        if len(self.results) == self.limit:
            logger.warning("stories unfold into more than %d conversations; the rest are skipped "
                           "(simplify 'or' steps or checkpoint loops)", self.limit)


def _apply_slots(slots: dict[str, Any], events: list[StepDict], entity_slots: frozenset[str]) -> dict[str, Any]:
    state = dict(slots)
    for event in events:
        if event.get("event") == "user" and entity_slots:
            for entity in event["parse_data"].get("entities") or []:
                if entity.get("entity") in entity_slots:
                    state[entity["entity"]] = entity.get("value")
        if event.get("event") == "slot":
            state[event["name"]] = _ANY if event.get(ANY_VALUE) else event.get("value")
    return state


def _conditions_hold(part: _Part, checkpoint_name: str, slots: dict[str, Any]) -> bool:
    for checkpoint in part.starts:
        if checkpoint.name != checkpoint_name:
            continue
        if all(_slot_matches(slots.get(slot), wanted) for slot, wanted in checkpoint.conditions.items()):
            return True
    return False


def _slot_matches(current: Any, wanted: Any) -> bool:
    if current is _ANY:
        return wanted is not None
    return current == wanted
