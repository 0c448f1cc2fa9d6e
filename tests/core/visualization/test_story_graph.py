"""Stories merged into one graph and drawn as HTML and PNG."""

from __future__ import annotations

from pathlib import Path

from bot.core.visualization import build_story_graph, render_html, render_png
from bot.shared.core.stories_yaml import read_story_text
from bot.shared.core.story_graph import expand_stories

STORIES = """version: "3.1"
stories:
- story: happy
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
- story: sad
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_unhappy
  - action: utter_cheer_up
- story: track
  steps:
  - intent: track_parcel
    entities:
    - tracking_number: JJD1
  - slot_was_set:
    - tracking_number: JJD1
  - action: action_track <script>
"""


def _graph():
    return build_story_graph(expand_stories(read_story_text(STORIES, "stories.yml")))


def test_the_same_beginnings_are_merged():
    graph = _graph()
    assert graph.stories == 3
    first = [child.label for child in graph.root.children]
    assert first == ["greet", "track_parcel{tracking_number}"]  # both greet stories share their first two steps
    utter_greet = graph.root.children[0].children[0]
    assert utter_greet.label == "utter_greet" and sorted(c.label for c in utter_greet.children) == \
        ["mood_great", "mood_unhappy"]
    assert sum(1 for node in graph.nodes() if node.label == "END") == 3
    assert [c.label for c in graph.root.children[1].children] == ["slot tracking_number"]


def test_layout_keeps_siblings_apart_and_parents_over_children():
    graph = _graph()
    for node in graph.nodes():
        xs = [child.x for child in node.children]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
        if node.children:
            assert min(xs) <= node.x <= max(xs)


def test_html_is_self_contained_and_escaped(tmp_path: Path):
    page = render_html(_graph(), "Stories")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<script" not in page
    assert "action_track &lt;script&gt;" in page
    assert render_png(_graph(), tmp_path / "graph.png", "Stories").read_bytes()[:4] == b"\x89PNG"
