"""`bot interactive` driven through its prompts in a terminal (pexpect), on a freshly made, trained starter project."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from bot.shared.core.stories_yaml import read_story_file
from bot.shared.nlu.readers import read_nlu_yaml

pytestmark = pytest.mark.slow


def test_interactive_writes_the_corrected_story_and_new_examples(starter_copy: Path):
    project = starter_copy  # `bot init` and trained
    child = pexpect.spawn(sys.executable, ["-m", "bot.cli.main", "interactive"], cwd=str(project),
                          env=os.environ.copy(), encoding="utf-8", timeout=300)
    try:
        def step(expected: str, answer: str) -> None:
            child.expect_exact(expected)
            child.sendline(answer)

        step("Your input ->", "hello")
        step("Is the intent 'greet' correct?", "")
        step("wants to run 'utter_greet'", "y")
        child.expect_exact("Hey! How are you?")
        step("wants to run 'action_listen'", "")
        step("Your input ->", "meh, rather gloomy today")
        child.expect_exact("Is the intent")
        child.sendline("n")  # whatever the model said, this is the designer's correction
        step("Which intent?", "mood_unhappy")
        step("wants to run 'utter_cheer_up'", "")
        step("wants to run 'utter_did_that_help'", "")
        step("wants to run 'action_listen'", "")
        step("Your input ->", "yes")
        step("Is the intent 'affirm' correct?", "")
        step("wants to run", "n")  # the story says utter_happy; the designer wants a goodbye here
        step("Which action?", "utter_goodbye")
        child.expect_exact("Bye")
        step("wants to run 'action_listen'", "")
        step("Your input ->", "/stop")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before

    blocks = read_story_file(project / "data" / "interactive" / "stories.yml")
    assert len(blocks) == 1
    steps = [s["parse_data"]["intent"]["name"] if s["event"] == "user" else s["name"] for s in blocks[0].steps]
    assert steps == ["greet", "utter_greet", "mood_unhappy", "utter_cheer_up", "utter_did_that_help", "affirm",
                     "utter_goodbye"]
    examples = read_nlu_yaml(project / "data" / "interactive" / "nlu.yml").training_examples
    # "hello" and "yes" are in data/nlu.yml already: only the new message is added
    assert [(m.text, m.get("intent")) for m in examples] == [("meh, rather gloomy today", "mood_unhappy")]
    # the next `bot train` reads both files as part of the project's data
    from bot.shared.project import Project

    loaded = Project.discover(project)
    assert project / "data" / "interactive" / "stories.yml" in loaded.story_files
    assert "meh, rather gloomy today" in {m.text for m in loaded.load_nlu_data().training_examples}
