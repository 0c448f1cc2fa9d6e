"""Drawing a StoryGraph: a self-contained HTML page (inline SVG, no scripts) or a PNG (matplotlib)."""

from __future__ import annotations

import html
from pathlib import Path

from bot.core.visualization.graph import StoryGraph

# fill colour per node kind, shared by both renderers
COLOURS = {"start": "#d9d9d9", "end": "#d9d9d9", "intent": "#cfe2ff", "action": "#d1e7dd",
           "slot": "#fff3cd", "form": "#f8d7da"}
_SLOT_PX, _LEVEL_PX, _BOX_HEIGHT = 170, 64, 30


def _box_width(label: str) -> float:
    return min(_SLOT_PX * 2.6, 7.2 * len(label) + 16)


def render_html(graph: StoryGraph, title: str) -> str:
    """An HTML page with the graph as SVG; hovering a node lists the stories through it."""
    width = graph.width * _SLOT_PX + 40
    height = graph.depth * _LEVEL_PX + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
             'font-family="sans-serif" font-size="12">']
    for parent, child in graph.edges():
        x1, y1 = _centre(parent.x, parent.y)
        x2, y2 = _centre(child.x, child.y)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1 + _BOX_HEIGHT / 2}" x2="{x2:.1f}" y2="{y2 - _BOX_HEIGHT / 2}" '
                     'stroke="#888" marker-end="url(#arrow)"/>')
    for node in graph.nodes():
        x, y = _centre(node.x, node.y)
        box = _box_width(node.label)
        stories = html.escape("\n".join(sorted(set(node.stories))[:30]))
        parts.append(f'<g><title>{stories}</title><rect x="{x - box / 2:.1f}" y="{y - _BOX_HEIGHT / 2}" '
                     f'width="{box:.1f}" height="{_BOX_HEIGHT}" rx="8" fill="{COLOURS[node.kind]}" stroke="#555"/>'
                     f'<text x="{x:.1f}" y="{y + 4}" text-anchor="middle">{html.escape(node.label)}</text></g>')
    parts.insert(1, '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
                    'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>')
    parts.append("</svg>")
    legend = " ".join(f'<span style="background:{colour};padding:2px 8px;border:1px solid #555;'
                      f'border-radius:6px">{kind}</span>' for kind, colour in COLOURS.items() if kind != "end")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body style=\"font-family:sans-serif\"><h1>{html.escape(title)}</h1>"
            f"<p>{graph.stories} stories; the same beginnings are merged. {legend}</p>"
            f"<p>Hover over a step to see the stories that pass through it.</p>\n{''.join(parts)}\n</body></html>\n")


def _centre(x: float, y: int) -> tuple[float, float]:
    return 20 + x * _SLOT_PX, 20 + _BOX_HEIGHT / 2 + y * _LEVEL_PX


def render_png(graph: StoryGraph, path: Path, title: str) -> Path:
    """The same drawing as a PNG (large graphs give large images; the HTML scrolls better)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    dpi = 100
    width, height = graph.width * _SLOT_PX + 40, graph.depth * _LEVEL_PX + 80
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)  # top to bottom, as the SVG
    axes.axis("off")
    axes.text(20, 30, title, fontsize=14, weight="bold")
    offset = 40
    for parent, child in graph.edges():
        x1, y1 = _centre(parent.x, parent.y)
        x2, y2 = _centre(child.x, child.y)
        axes.annotate("", xy=(x2, y2 - _BOX_HEIGHT / 2 + offset), xytext=(x1, y1 + _BOX_HEIGHT / 2 + offset),
                      arrowprops={"arrowstyle": "->", "color": "#888"})
    for node in graph.nodes():
        x, y = _centre(node.x, node.y)
        box = _box_width(node.label)
        axes.add_patch(FancyBboxPatch((x - box / 2, y - _BOX_HEIGHT / 2 + offset), box, _BOX_HEIGHT,
                                      boxstyle="round,pad=0,rounding_size=8", facecolor=COLOURS[node.kind],
                                      edgecolor="#555"))
        axes.text(x, y + offset, node.label, ha="center", va="center", fontsize=8.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
