"""`bot test nlu`: evaluate NLU on test data, by cross-validation, or compare configs; Rasa's reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.output import make_console

console = make_console()  # reports go to stdout; progress bars to stderr
if not console.is_terminal:  # piped into a file or CI log: room for the tables' columns
    console.width = 120
_progress_console = Console(stderr=True)


def test_nlu(
    nlu: Annotated[list[Path], typer.Option("--nlu", help="NLU test data: files or folders.")] = [Path("data")],  # noqa: B006
    model: Annotated[Path, typer.Option(help="A model archive or the folder of archives.")] = Path("models"),
    config: Annotated[list[Path], typer.Option(
        help="Config file; two or more compare configs (--config a.yml b.yml).")] = [Path("config.yml")],  # noqa: B006
    cross_validation: Annotated[bool, typer.Option("--cross-validation",
                                                   help="Train and test on folds of the data.")] = False,
    folds: Annotated[int, typer.Option(help="Folds for --cross-validation.")] = 5,
    runs: Annotated[int, typer.Option(help="Runs when comparing configs.")] = 3,
    percentages: Annotated[list[int], typer.Option(
        help="Shares of training data left out when comparing configs (--percentages 0 25 50 75).",
    )] = [0, 25, 50, 75],  # noqa: B006
    seed: Annotated[int, typer.Option(help="Random seed of the splits.")] = 42,
    out: Annotated[Path, typer.Option(help="Where to write the reports.")] = Path("results"),
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Skip the PNG plots.")] = False,
) -> None:
    """Evaluate NLU: intent, entity and response selection reports, errors, confusion matrix, histogram."""
    from bot.cli.main import _fail
    from bot.shared.errors import BotError

    try:
        data = load_test_data(nlu)
        if len(config) > 1:
            _compare_configs(config, data, runs, percentages, seed, out)
        elif cross_validation:
            _cross_validate(config[0], data, folds, seed, out, not no_plot)
        else:
            run_nlu_test(model, data, out, not no_plot, nlu)
    except BotError as error:
        _fail(error)


def load_test_data(paths: list[Path]) -> Any:
    """NLU examples from files or folders (domain files are skipped); an error names what is missing."""
    from bot.shared.errors import BotError
    from bot.shared.nlu.readers import find_nlu_files, load_nlu_files

    for path in paths:
        if not path.exists():
            raise BotError(f"NLU test data '{path}' does not exist", hint="pass --nlu FILE_OR_FOLDER")
    data = load_nlu_files(find_nlu_files(paths))
    if not data.intent_examples:
        raise BotError(f"no NLU examples in {', '.join(map(str, paths))}",
                       hint="pass --nlu with a YAML file that has an 'nlu:' key with intent examples")
    return data


def run_nlu_test(model: Path, data: Any, out: Path, plots: bool, sources: list[Path]) -> dict[str, Any]:
    """Parses the test data with a trained model, writes the reports and prints the summary."""
    from bot.model.loading import load_model
    from bot.nlu.evaluation import entity_extractors, parse_examples, write_reports

    loaded = load_model(model)
    if any(Path(s).resolve() == Path("data").resolve() for s in sources):
        console.print("[yellow]note[/yellow] testing on the training data (data/): scores are optimistic; "
                      "pass --nlu with held-out data (bot data split nlu) or use --cross-validation")
    examples = data.intent_examples
    from bot.cli.progress import progress_bar

    with progress_bar(_progress_console, "parsing test messages") as report:
        def parse(text: str, seen: list[int] = [0]) -> dict[str, Any]:  # noqa: B006
            seen[0] += 1
            report("parsing test messages", seen[0], len(examples))
            return loaded.nlu.parse(text)

        results = parse_examples(parse, examples)
        report("writing reports", len(examples), len(examples))
        written = write_reports(results, out, entity_extractors(loaded.nlu.pipeline_config, results), plots)
    from bot.model.evaluations import record_evaluation

    record_evaluation(loaded.path, "nlu", written.summary, ", ".join(map(str, sources)))
    print_summary(written.summary, f"NLU test of {loaded.path.name} on {len(results)} messages")
    print_worst_intents(written.intent_report)
    print_confused_pairs(results)
    console.print(f"Reports in {out}/: " + ", ".join(p.name for p in written.files), highlight=False)
    return written.summary


def _cross_validate(config_path: Path, data: Any, folds: int, seed: int, out: Path, plots: bool) -> None:
    from bot.cli.progress import progress_bar
    from bot.nlu.evaluation import entity_extractors, write_reports
    from bot.nlu.evaluation.cross_validation import cross_validate, fold_spread

    config = read_config(config_path)
    extractors = entity_extractors(config.get("pipeline") or [])
    with progress_bar(_progress_console, f"{folds}-fold cross-validation") as report:
        outcome = cross_validate(config, data, folds, seed, extractors, report)
        written = write_reports(outcome.results, out, entity_extractors(config.get("pipeline") or [],
                                                                        outcome.results), plots)
    if outcome.rare_labels:
        console.print(f"note: {len(outcome.rare_labels)} label(s) have fewer than {folds} examples and are "
                      f"missing from some test folds: {', '.join(outcome.rare_labels[:10])}", highlight=False)
    print_summary(written.summary, f"{folds}-fold cross-validation of {config_path} ({len(outcome.results)} "
                  "test messages over all folds)")
    table = Table(title="spread over folds (mean ± std)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    figures = [("intent accuracy", ("intent", "accuracy")), ("intent macro F1", ("intent", "macro_f1"))]
    figures += [(f"{name} entity span F1", ("entities", name, "span_f1")) for name in written.summary.get("entities", {})]
    for label, path in figures:
        spread = fold_spread(outcome.folds, path)
        if spread:
            table.add_row(label, f"{spread[0]:.3f} ± {spread[1]:.3f}")
    console.print(table)
    print_worst_intents(written.intent_report)
    print_confused_pairs(outcome.results)
    console.print(f"Reports in {out}/: " + ", ".join(p.name for p in written.files), highlight=False)


def _compare_configs(configs: list[Path], data: Any, runs: int, percentages: list[int], seed: int,
                     out: Path) -> None:
    from bot.cli.progress import progress_bar
    from bot.nlu.evaluation.comparison import METRIC, compare_configs
    from bot.shared.errors import BotError

    names = [path.stem for path in configs]
    if len(set(names)) != len(names):
        names = [str(path) for path in configs]
    if len(set(names)) != len(names):
        raise BotError("the same config is named twice", hint="pass each config file once")
    loaded = {name: read_config(path) for name, path in zip(names, configs, strict=True)}
    with progress_bar(_progress_console, "comparing configs") as report:
        result = compare_configs(loaded, data, out, runs, percentages, seed, report)
    table = Table(title=f"{METRIC} on the same test split, mean over {runs} run(s)")
    table.add_column("config")
    for percentage, examples in zip(result["percentages"], result["examples"], strict=True):
        table.add_column(f"{percentage}% left out\n({examples} examples)", justify="right")
    for name, curve in result["curves"].items():
        table.add_row(name, *(f"{m:.3f} ± {s:.3f}" for m, s in zip(curve["mean"], curve["std"], strict=True)))
    console.print(table)
    console.print(f"Results in {out}/: results.json, num_intent_examples.json, nlu_model_comparison_graph.png",
                  highlight=False)


def read_config(path: Path) -> dict[str, Any]:
    """A config file as the plain dict the pipeline is built from, checked and with Rasa's defaults
    filled in as `bot train` does."""
    from bot.shared.config import load_config

    config = load_config(path)
    return {"language": config.language, "pipeline": config.pipeline}


def print_summary(summary: dict[str, Any], title: str) -> None:
    """The headline figures as one table."""
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    intent = summary.get("intent") or {}
    for key, label in (("accuracy", "intent accuracy"), ("macro_f1", "intent macro F1"),
                       ("weighted_f1", "intent weighted F1")):
        if key in intent:
            table.add_row(label, f"{intent[key]:.3f}")
    if "errors" in intent:
        table.add_row("intent errors", str(intent["errors"]))
    for name, scores in (summary.get("entities") or {}).items():
        table.add_row(f"{name} entity F1 (tokens)", _number(scores.get("token_f1")))
        table.add_row(f"{name} entity F1 (exact spans)", _number(scores.get("span_f1")))
    response = summary.get("response_selection")
    if response:
        table.add_row("response selection accuracy", f"{response['accuracy']:.3f}")
    latency = summary.get("latency") or {}
    if "parse_ms_p50" in latency:
        table.add_row("parse time p50 / p99", f"{latency['parse_ms_p50']:.1f} / {latency['parse_ms_p99']:.1f} ms")
    console.print(table)


def print_worst_intents(report: dict[str, Any], limit: int = 10) -> None:
    """The intents with the lowest F1 (and what they were mistaken for), worst first."""
    rows = [(label, scores) for label, scores in report.items()
            if isinstance(scores, dict) and "confused_with" in scores and scores.get("support")
            and scores["f1-score"] < 1.0]
    if not rows:
        return
    rows.sort(key=lambda row: (row[1]["f1-score"], row[0]))
    table = Table(title=f"intents with the lowest F1 ({min(limit, len(rows))} of {len(rows)} below 1.0)")
    for column in ("intent", "F1", "precision", "recall", "support", "confused with"):
        table.add_column(column, justify="left" if column in ("intent", "confused with") else "right")
    for label, scores in rows[:limit]:
        confused = ", ".join(f"{name} ({count})" for name, count in scores["confused_with"].items())
        table.add_row(label, f"{scores['f1-score']:.3f}", f"{scores['precision']:.3f}", f"{scores['recall']:.3f}",
                      str(int(scores["support"])), confused)
    console.print(table)


def print_confused_pairs(results: Any, limit: int = 10) -> None:
    """The intent pairs mixed up most, each with a mistaken message: where to add examples."""
    from bot.nlu.evaluation.confusions import confused_pairs

    pairs = confused_pairs(results)
    if not pairs:
        return
    table = Table(title=f"intent pairs confused most ({min(limit, len(pairs))} of {len(pairs)}): add examples "
                        "that tell each pair apart")
    for column in ("intents", "mistakes", "each way", "for example (intent -> taken for, confidence)"):
        table.add_column(column, justify="right" if column in ("mistakes", "each way") else "left")
    for pair in pairs[:limit]:
        counts = f"{len(pair.first_as_second)} / {len(pair.second_as_first)}"
        examples = "\n".join(
            f"\"{_shorten(r.text)}\" ({r.gold_intent} -> {pair.second if r.gold_intent == pair.first else pair.first}, "
            f"{r.confidence:.2f}{', fell back' if r.predicted_intent == 'nlu_fallback' else ''})"
            for r in pair.examples())
        table.add_row(f"{pair.first} / {pair.second}", str(pair.count), counts, examples)
    console.print(table)


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
