"""`bot test`: test stories (`bot test core`), NLU (`bot test nlu`), both (`bot test`), or two models
against each other (`bot test --compare A.tar.gz B.tar.gz`); Rasa-style reports in results/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bot.cli.output import print_labelled
from bot.cli.test_nlu import console, load_test_data, run_nlu_test, test_nlu

test_app = typer.Typer(help="Evaluate a trained model: test stories and NLU, with reports.")
test_app.command("nlu")(test_nlu)

_Stories = Annotated[list[Path], typer.Option(help="Test story files or folders.")]
_Model = Annotated[Path, typer.Option(help="A model archive or the folder of archives.")]
_Out = Annotated[Path, typer.Option(help="Where to write the reports.")]
_FailOnErrors = Annotated[bool, typer.Option("--fail-on-prediction-errors", help="Exit 1 when a story fails.")]


@test_app.callback(invoke_without_command=True)
def test(
    ctx: typer.Context,
    stories: _Stories = [Path("tests")],  # noqa: B006
    model: _Model = Path("models"),
    nlu: Annotated[list[Path], typer.Option("--nlu", help="NLU test data: files or folders.")] = [Path("data")],  # noqa: B006
    out: _Out = Path("results"),
    compare: Annotated[list[Path] | None, typer.Option(
        help="Two model archives to compare on the same test data (--compare A.tar.gz B.tar.gz).")] = None,
    fail_on_prediction_errors: _FailOnErrors = False,
) -> None:
    """Run the test stories and the NLU test (or, with --compare, say which of two models is better)."""
    if ctx.invoked_subcommand:
        return
    from bot.cli.main import _fail
    from bot.shared.errors import BotError

    try:
        if compare:
            _compare_models(compare, nlu, stories, out)
            return
        passed = run_story_test(stories, model, out)
        console.rule("NLU")
        run_nlu_test(model, load_test_data(nlu), out, True, nlu)
    except BotError as error:
        _fail(error)
        return
    if fail_on_prediction_errors and not passed:
        raise typer.Exit(1)


@test_app.command("core")
def test_core(
    stories: _Stories = [Path("tests")],  # noqa: B006
    model: _Model = Path("models"),
    out: _Out = Path("results"),
    fail_on_prediction_errors: _FailOnErrors = False,
) -> None:
    """Evaluate the dialogue model on test stories (user text + intent + actions, Rasa's format)."""
    from bot.cli.main import _fail
    from bot.shared.errors import BotError

    try:
        passed = run_story_test(stories, model, out)
    except BotError as error:
        _fail(error)
        return
    if fail_on_prediction_errors and not passed:
        raise typer.Exit(1)


def _story_report(stories: list[Path], model: Path) -> Any:
    from bot.core.agent import load_dialogue_model
    from bot.core.evaluation.story_evaluation import evaluate_stories
    from bot.shared.core.stories_yaml import read_story_files
    from bot.shared.core.story_graph import expand_stories
    from bot.shared.errors import BotError

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
    return loaded.path, asyncio.run(evaluate_stories(expand_stories(blocks), domain, loaded.nlu, policies))


def run_story_test(stories: list[Path], model: Path, out: Path) -> bool:
    """Tests the stories, writes story_report.json and failed_test_stories.yml; True when all passed."""
    from bot.core.evaluation.story_evaluation import write_story_reports
    from bot.model.evaluations import record_evaluation

    archive, report = _story_report(stories, model)
    written = write_story_reports(report, out)
    summary = report.summary()
    total = len(report.stories)
    record_evaluation(archive, "stories", {"passed": report.passed_stories, "total": total,
                                           "action_accuracy": summary["action_accuracy"]},
                      ", ".join(map(str, stories)))
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
    return report.passed_stories == total


def _compare_models(models: list[Path], nlu: list[Path], stories: list[Path], out: Path) -> None:
    """Both models on the same NLU test data (and test stories when both have dialogue): which is better."""
    from bot.model.archive import read_archive_metadata
    from bot.model.loading import load_model
    from bot.nlu.evaluation.comparison import compare_parsers
    from bot.shared.errors import BotError

    if len(models) != 2:
        raise BotError(f"--compare needs two model archives, got {len(models)}",
                       hint="bot test --compare models/A.tar.gz models/B.tar.gz")
    for path in models:
        if not path.is_file():
            raise BotError(f"--compare: '{path}' is not a model archive", hint="pass two .tar.gz files from models/")
    names = (models[0].name, models[1].name)
    if names[0] == names[1]:
        names = (str(models[0]), str(models[1]))
    data = load_test_data(nlu)
    loaded = [load_model(path) for path in models]
    comparison = compare_parsers([m.nlu.parse for m in loaded], names, data, out)
    table = Table(title=f"NLU on {len(data.intent_examples)} test messages")
    table.add_column("figure")
    for name in names:
        table.add_column(name, justify="right")
    for figure, (first, second) in comparison.overall.items():
        table.add_row(figure.replace("_", " "), f"{first:.3f}", f"{second:.3f}")
    console.print(table)
    changed = sorted(((label, b - a, s) for label, (a, b, s) in comparison.per_intent.items() if abs(b - a) >= 0.001),
                     key=lambda row: (-abs(row[1]), row[0]))
    if changed:
        intents = Table(title=f"intents whose F1 changed ({len(changed)}), {names[1]} minus {names[0]}")
        for column in ("intent", "F1 change", "support"):
            intents.add_column(column, justify="left" if column == "intent" else "right")
        for label, difference, support in changed[:20]:
            colour = "green" if difference > 0 else "red"
            intents.add_row(label, f"[{colour}]{difference:+.3f}[/{colour}]", str(support))
        console.print(intents)
    metadata = [read_archive_metadata(path) for path in models]
    if all(m is not None and "core" in m.parts for m in metadata) and any(p.exists() for p in stories):
        accuracies = [_story_report(stories, path)[1].passed_stories for path in models]
        console.print(f"Test stories passed: {names[0]} {accuracies[0]}, {names[1]} {accuracies[1]}", highlight=False)
    verdict = f"[bold]{comparison.better}[/bold] is better (higher intent macro F1)" if comparison.better \
        else "Neither model is better: the same intent macro F1 and accuracy"
    console.print(verdict, highlight=False)
    console.print(f"Details in {out}/model_comparison.json and {out}/model_comparison.png", highlight=False)
    typer.echo(comparison.better or "tie")
