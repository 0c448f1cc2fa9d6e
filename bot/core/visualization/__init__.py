"""`bot visualize`: stories drawn as a graph (HTML with inline SVG, or PNG)."""

from bot.core.visualization.graph import StoryGraph, build_story_graph
from bot.core.visualization.render import render_html, render_png

__all__ = ["StoryGraph", "build_story_graph", "render_html", "render_png"]
