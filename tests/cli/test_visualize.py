"""`bot visualize` on the example assistant's stories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=os.environ.copy())


def test_visualize_writes_html_and_png(tmp_path):
    stories = str(REPO / "data")
    html = bot("visualize", "--stories", stories, "--out", str(tmp_path / "graph.html"), cwd=tmp_path)
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "graph.html").read_text()
    assert "<svg" in page and "track_parcel{tracking_number}" in page and "utter_greet" in page
    png = bot("visualize", "--stories", stories, "--out", str(tmp_path / "graph.png"), cwd=tmp_path)
    assert png.returncode == 0 and (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"


def test_visualize_names_what_is_wrong(tmp_path):
    missing = bot("visualize", "--stories", "nowhere", cwd=tmp_path)
    assert missing.returncode == 1 and "'nowhere' does not exist" in missing.stderr
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text('version: "3.1"\nnlu: []\n')
    empty = bot("visualize", cwd=tmp_path)
    assert empty.returncode == 1 and "no stories" in empty.stderr
    wrong = bot("visualize", "--stories", str(REPO / "data"), "--out", "graph.pdf", cwd=tmp_path)
    assert wrong.returncode == 1 and ".html or .png" in wrong.stderr
