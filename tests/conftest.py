"""Shared fixtures: paths to the repo, the shared compatibility data and a temp project."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo_dir() -> Path:
    return REPO


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.fail(f"{SHARED} is missing: the compatibility data must sit beside the checkout")
    return SHARED
