"""bench/diet_seeds.py reads the intents of a bot's test-story messages (the stories' proxy)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from diet_seeds import _story_messages  # noqa: E402


def test_story_messages_are_the_user_steps_with_their_intents() -> None:
    pairs = _story_messages(BENCH / "smallbots" / "citas-es")
    assert ("mechas", "inform") in pairs
    assert ("adiós, gracias", "goodbye") in pairs
    assert pairs[0] == ("hola buenas", "greet")
    assert len(pairs) == 15  # six stories, every user step once
