"""The English starter project, made and trained once per session by `bot init` (as a user makes it).

Training it is most of what several CLI tests cost; each test works on its own copy (`starter_copy`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def trained_starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`bot init assistant --language en` (which trains it); tests must not change it: copy it first."""
    root = tmp_path_factory.mktemp("starter-en")
    created = subprocess.run([sys.executable, "-m", "bot.cli.main", "init", "assistant", "--language", "en"],
                             cwd=root, capture_output=True, text=True, timeout=900, env=os.environ.copy())
    assert created.returncode == 0, created.stdout + created.stderr
    return root / "assistant"


@pytest.fixture
def starter_copy(trained_starter: Path, tmp_path: Path) -> Path:
    """The trained English starter in this test's own folder (tmp_path/assistant)."""
    return Path(shutil.copytree(trained_starter, tmp_path / "assistant"))
