"""Policy tests share `policy_helpers` and `story_eval` from this folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from policy_helpers import make_domain  # noqa: E402

from bot.shared.core.domain import Domain  # noqa: E402


@pytest.fixture
def domain() -> Domain:
    return make_domain()
