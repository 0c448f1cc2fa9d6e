"""Stories as one graph: every story a path from START, identical beginnings merged (as Rasa's
visualisation merges the same turns), laid out as a tree top to bottom."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.shared.core.story_graph import Trajectory

# Label width in characters that one horizontal slot of the layout holds (with a gap to the next box).
SLOT_CHARACTERS = 18


@dataclass
class Node:
    """One step shared by every story that reaches it the same way."""

    label: str
    kind: str  # "start", "intent", "action", "slot", "form", "end"
    children: list[Node] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    x: float = 0.0
    y: int = 0

    def child(self, label: str, kind: str) -> Node:
        for node in self.children:
            if node.label == label and node.kind == kind:
                return node
        node = Node(label, kind)
        self.children.append(node)
        return node


@dataclass
class StoryGraph:
    """The merged tree and its layout: `width` slots wide, `depth` levels deep."""

    root: Node
    stories: int
    width: float = 0.0
    depth: int = 0

    def nodes(self) -> list[Node]:
        found, stack = [], [self.root]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found

    def edges(self) -> list[tuple[Node, Node]]:
        return [(node, child) for node in self.nodes() for child in node.children]


def step_label(event: dict[str, Any]) -> tuple[str, str] | None:
    """(label, kind) of one story event; None for what a reader does not need to see (action_listen)."""
    kind = event.get("event")
    if kind == "user":
        parse = event.get("parse_data") or {}
        name = (parse.get("intent") or {}).get("name") or event.get("text") or "?"
        entities = [e.get("entity") for e in parse.get("entities") or [] if e.get("entity")]
        return (f"{name}{{{', '.join(entities)}}}" if entities else str(name)), "intent"
    if kind == "action":
        name = event.get("name") or event.get("action_text") or "?"
        return (None if name == "action_listen" else (str(name), "action"))  # type: ignore[return-value]
    if kind == "slot":
        # requested_slot is a form's bookkeeping; the form's own steps already show it
        return None if event.get("name") == "requested_slot" else (f"slot {event.get('name')}", "slot")
    if kind == "active_loop":
        return (f"form {event['name']}" if event.get("name") else "form done"), "form"
    return None


def build_story_graph(trajectories: Iterable[Trajectory]) -> StoryGraph:
    """Merges the trajectories into one tree (START -> steps -> END) and lays it out."""
    root = Node("START", "start")
    count = 0
    for trajectory in trajectories:
        count += 1
        node = root
        node.stories.append(trajectory.name)
        for event in trajectory.events:
            step = step_label(event)
            if step is None:
                continue
            node = node.child(*step)
            node.stories.append(trajectory.name)
        node.child("END", "end").stories.append(trajectory.name)
    graph = StoryGraph(root, count)
    graph.width = _place(root, 0, 0.0)
    graph.depth = max(node.y for node in graph.nodes()) + 1
    return graph


def _place(node: Node, depth: int, left: float) -> float:
    """Places leaves side by side and each parent above the middle of its children; returns the right edge."""
    node.y = depth
    span = max(1.0, len(node.label) / SLOT_CHARACTERS)
    if not node.children:
        node.x = left + span / 2
        return left + span
    right = left
    for child in node.children:
        right = _place(child, depth + 1, right)
    node.x = (node.children[0].x + node.children[-1].x) / 2
    return max(right, left + span)
