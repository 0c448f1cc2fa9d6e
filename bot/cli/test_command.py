"""`bot test`: runs the project's test stories against a trained model and writes Rasa-style reports."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer


def test(
    stories: Annotated[list[Path], typer.Option(help="Test story files or folders.")] = [Path("tests")],  # noqa: B006
    model: Annotated[Path, typer.Option(help="A model archive or the folder of archives.")] = Path("models"),
    out: Annotated[Path, typer.Option(help="Where to write the reports.")] = Path("results"),
    fail_on_prediction_errors: Annotated[bool, typer.Option("--fail-on-prediction-errors",
                                                            help="Exit 1 when a story fails.")] = False,
) -> None:
    """Evaluate the dialogue model on test stories (user text + intent + actions, Rasa's format)."""
    from bot.cli.main import _fail
    from bot.cli.output import make_console, print_labelled
    from bot.core.agent import load_dialogue_model
    from bot.core.evaluation.story_evaluation import evaluate_stories, write_story_reports
    from bot.shared.core.stories_yaml import read_story_files
    from bot.shared.core.story_graph import expand_stories
    from bot.shared.errors import BotError

    console = make_console()
    try:
        loaded, domain, policies = load_dialogue_model(model)
        console.print(f"Model: {loaded.path}")
        paths = [p for p in stories if p.exists()]
        if not paths:
            raise BotError(f"no test stories at {', '.join(map(str, stories))}",
                           hint="write test stories under tests/ in files named test_*.yml, or pass --stories PATH")
        blocks = read_story_files(paths, test_files_only=True)
        if not blocks:
            raise BotError(f"no test stories in {', '.join(map(str, paths))}",
                           hint="name test story files test_*.yml, or pass --stories FILE")
        trajectories = expand_stories(blocks)
        report = asyncio.run(evaluate_stories(trajectories, domain, loaded.nlu, policies))
    except BotError as error:
        _fail(error)
        return
    written = write_story_reports(report, out)
    summary = report.summary()
    total = len(report.stories)
    console.print(f"Stories: {report.passed_stories}/{total} correct "
                  f"({summary['conversation_accuracy']['accuracy']:.1%})")
    console.print(f"Actions: {summary['correct_actions']}/{summary['total_actions']} correct "
                  f"(accuracy {summary['action_accuracy']:.1%}, weighted F1 {summary['action_f1']:.3f})")
    if "intent_accuracy" in summary:
        console.print(f"Intents in test stories: {summary['intent_accuracy']:.1%} correct")
    for story in report.stories:
        if not story.passed:
            wrong = next((a for a in story.actions if a.gold != a.predicted), None)
            detail = f": expected '{wrong.gold}', predicted '{wrong.predicted}' ({wrong.policy})" if wrong else \
                ": an intent was predicted wrongly"
            print_labelled(console, "failed", "red", f"{story.location} '{story.name}'{detail}")
    console.print("Reports: " + ", ".join(str(p) for p in written))
    if fail_on_prediction_errors and report.passed_stories < total:
        raise typer.Exit(1)
