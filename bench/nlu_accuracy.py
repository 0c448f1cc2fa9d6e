"""Intent/entity accuracy, train time, parse latency and memory of an NLU pipeline on a public benchmark.

    python bench/nlu_accuracy.py --dataset banking77 --config bench/configs/default.yml
    python bench/nlu_accuracy.py --dataset clinc150 --baseline tfidf-svm --out bench/results/clinc_svm.json
    python bench/nlu_accuracy.py --dataset snips --config bench/configs/default.yml --peer rasa
    python bench/nlu_accuracy.py --dataset hwu64 --shots 5 --draw 1 --config bench/configs/rasa-default.yml
    python bench/nlu_accuracy.py --bot bench/smallbots/tisch-de          # a small bot, its own config

Data comes from ../shared/benchmarks/<dataset>/ (train.yml, test.yml; CLINC150 also oos_test.yml);
`--shots K --draw D` trains on K examples per intent of train.yml (draw D, see bench/_fewshot.py);
`--bot DIR` trains on a Rasa project's NLU files in DIR/data and tests on DIR/heldout_nlu.yml.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fewshot import write_fewshot_split  # noqa: E402
from _nlu_eval import (  # noqa: E402
    OUT_OF_SCOPE,
    REPO,
    LanguageModelCache,
    Predictions,
    entity_error_kinds,
    entity_metrics,
    fallback_config,
    intent_metrics,
    latency_metrics,
    peak_rss_mb,
    predict,
    print_figures,
    read_config,
    shared_dir,
    threshold_table,
    train_pipeline,
    train_tfidf_svm,
)
from _rasa_peer import rasa_python, rasa_version, train_rasa  # noqa: E402

from bot.shared.nlu.constants import NLU_FALLBACK_INTENT  # noqa: E402
from bot.shared.nlu.readers import is_nlu_file, load_nlu_files, read_nlu_yaml  # noqa: E402

DATASETS = {
    # name: (language, has entities)
    "banking77": ("en", False),
    "clinc150": ("en", False),
    "hwu64": ("en", False),
    "snips": ("en", True),
    "xsid-de": ("de", True),
}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--dataset", choices=sorted(DATASETS))
    data.add_argument("--bot", type=Path, help="a Rasa project folder: its data/ NLU files, its heldout_nlu.yml "
                      "as the test set, its config.yml unless --config is given")
    parser.add_argument("--shots", type=int, help="few-shot: train on this many examples per intent of train.yml")
    parser.add_argument("--draw", type=int, default=0, help="which seeded draw of --shots examples (default 0)")
    parser.add_argument("--seed", type=int, help="random_seed of DIETClassifier and ResponseSelector (both systems)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, help="pipeline config (e.g. bench/configs/default.yml)")
    source.add_argument("--baseline", choices=["tfidf-svm"], help="a scikit-learn baseline instead")
    parser.add_argument("--peer", choices=["rasa"],
                        help="train and parse with Rasa 3.6 from its own venv instead (same config and data)")
    parser.add_argument("--rasa-python", type=Path,
                        help="Python of Rasa's venv (default: $RASA_PYTHON, else ../rasa-venv/bin/python)")
    parser.add_argument("--threads", type=int,
                        help="threads for training and parsing (BOT_TORCH_THREADS; TensorFlow's for --peer rasa); "
                        "default: each system's own (ours 1, Rasa all cores)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--epochs", type=int, help="override DIET/ResponseSelector epochs (quick runs)")
    parser.add_argument("--max-train", type=int, help="train on the first N examples only (smoke tests)")
    parser.add_argument("--max-test", type=int, help="evaluate the first N test examples only")
    parser.add_argument("--train-oos", action="store_true",
                        help="CLINC150: add oos_train.yml, so out_of_scope is a trained intent")
    parser.add_argument("--hwu-regex", action="store_true",
                        help="HWU64: add the DIET paper's regex features (diet_regex_features.yml)")
    parser.add_argument("--thresholds", default="0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9",
                        help="FallbackClassifier thresholds to recompute the figures for from the same "
                        "model's confidences (comma-separated; '' for none)")
    parser.add_argument("--lm-cache", choices=["off", "train", "all"], default="off",
                        help="memoise LanguageModelFeaturizer outputs under bench/.cache/lm/: 'train' for "
                        "training batches only; 'all' also for parsed messages (parse latency then leaves "
                        "the language model out)")
    args = parser.parse_args(argv)
    if args.bot and not args.config:
        args.config = args.bot / "config.yml"
    if not (args.config or args.baseline):
        parser.error("one of --config or --baseline is needed")
    if args.shots and args.bot:
        parser.error("--shots draws from a benchmark's train.yml; a bot trains on all its data")
    return args


def _subsample(messages: list[Any], limit: int | None) -> list[Any]:
    """Every k-th message so that a small sample still covers all intents."""
    if not limit or limit >= len(messages):
        return messages
    step = len(messages) / limit
    return [messages[int(i * step)] for i in range(limit)]


def _bot_data(bot: Path, config: Path | None) -> tuple[str | None, list[Path], Path]:
    """(language, training NLU files, test file) of a small Rasa project."""
    test_file = bot / "heldout_nlu.yml"
    train_files = sorted(p for p in (bot / "data").rglob("*") if is_nlu_file(p))
    if not train_files or not test_file.is_file():
        raise SystemExit(f"{bot}: needs NLU files in data/ and the test messages in heldout_nlu.yml")
    language = (read_config(config).get("language") if config else None) or "en"
    return str(language), train_files, test_file


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.bot:
        language, train_files, test_file = _bot_data(args.bot, args.config)
        name, has_entities = args.bot.name, True
        folder = args.bot
    else:
        language, has_entities = DATASETS[args.dataset]
        name = args.dataset
        folder = shared_dir() / "benchmarks" / args.dataset
        if not folder.is_dir():
            raise SystemExit(f"{folder} is missing: the benchmark data must sit in ../shared beside the checkout")
        train_files, test_file = [folder / "train.yml"], folder / "test.yml"
        if args.shots:
            split_dir = Path(tempfile.mkdtemp(prefix="fewshot-"))
            atexit.register(shutil.rmtree, split_dir, ignore_errors=True)
            train_files = [write_fewshot_split(folder / "train.yml", args.shots, args.draw, split_dir)]
            name = f"{args.dataset} {args.shots}-shot draw {args.draw}"
    if args.train_oos and args.dataset == "clinc150":
        train_files.append(folder / "oos_train.yml")
    if args.hwu_regex and args.dataset == "hwu64":
        train_files.append(folder / "diet_regex_features.yml")

    if args.peer and (args.baseline or args.max_train or args.lm_cache != "off"):
        raise SystemExit("--peer needs --config and takes no --baseline, --max-train or --lm-cache")
    if args.threads:
        os.environ["BOT_TORCH_THREADS"] = str(args.threads)
    cache = None
    if args.lm_cache != "off" and not args.baseline:
        cache = LanguageModelCache(parse_too=args.lm_cache == "all")
        cache.install()

    started = time.perf_counter()
    train_data = load_nlu_files(train_files)
    # The reader drops exact duplicates within a file, as Rasa does, so test counts can be a
    # little below the published ones (xsid-de: 445 distinct of 500).
    test_messages = _subsample(read_nlu_yaml(test_file).training_examples, args.max_test)
    train_data.training_examples = _subsample(train_data.training_examples, args.max_train)
    read_seconds = time.perf_counter() - started
    print(f"{name}: {len(train_data.training_examples)} training / {len(test_messages)} test examples, "
          f"{len(train_data.intents)} intents (read in {read_seconds:.1f}s)", flush=True)

    config = None if args.baseline else read_config(args.config, args.epochs)
    train_cpu: float | None = None
    if config is not None and args.seed is not None:
        for step in config.get("pipeline") or []:
            if step.get("name") in ("DIETClassifier", "ResponseSelector"):
                step["random_seed"] = args.seed
        name += f" seed {args.seed}"
    if args.baseline:
        trained = train_tfidf_svm(train_data)
        system = f"baseline {args.baseline}"
    elif args.peer == "rasa":
        python = rasa_python(args.rasa_python)
        system = f"Rasa {rasa_version(python)} {args.config}"
        print(f"training {system} in {python.parent.parent}", flush=True)
        trained = train_rasa(config, train_files, language, python, args.threads)
    else:
        cpu_started = time.process_time()
        trained = train_pipeline(config, train_data, language)
        train_cpu = time.process_time() - cpu_started
        system = str(args.config)
    print(f"trained {system} in {trained.train_seconds:.1f}s; parsing {len(test_messages)} messages one by one",
          flush=True)

    cpu_started = time.process_time()
    predictions = predict(trained.parse, test_messages)
    parse_cpu_ms = 1000 * (time.process_time() - cpu_started) / max(1, len(test_messages))
    figures: dict[str, Any] = {
        "dataset": name,
        "system": system,
        "train_examples": len(train_data.training_examples),
        "test_examples": len(test_messages),
        **intent_metrics(predictions.gold_intents, predictions.predicted_intents),
    }
    if has_entities and not args.baseline:  # the baseline extracts no entities
        figures.update(entity_metrics(predictions.gold_entities, predictions.predicted_entities))
        figures["entity_errors_by_type"] = entity_error_kinds(predictions.gold_entities,
                                                              predictions.predicted_entities)
    fallbacks = sum(p == NLU_FALLBACK_INTENT for p in predictions.predicted_intents)
    if fallbacks:
        figures["fallback_rate"] = fallbacks / len(predictions.predicted_intents)
        without = intent_metrics(predictions.gold_intents, predictions.predicted_without_fallback)
        figures["intent_accuracy_ignoring_fallback"] = without["intent_accuracy"]
    oos_predictions = None
    if args.dataset == "clinc150" and not args.shots:
        oos_figures, oos_predictions = _out_of_scope_figures(
            trained.parse, folder, predictions.gold_intents, predictions.predicted_intents, args.max_test)
        figures.update(oos_figures)
    fallback = None if config is None else fallback_config(config)
    thresholds = [float(value) for value in args.thresholds.split(",") if value.strip()]
    if fallback and thresholds:
        figures["threshold_table"] = threshold_table(predictions, oos_predictions, thresholds, fallback[1])
    peer_figures = trained.finish() if trained.finish else {}
    if cache is not None:
        figures["lm_cache"] = {"mode": args.lm_cache, "hits": cache.hits, "misses": cache.misses}
    figures.update({
        "train_seconds": trained.train_seconds,
        "load_seconds": trained.load_seconds,
        **latency_metrics(predictions.latencies),
        # CPU time of this process: what the figures above would be on an idle machine (torch on one thread)
        **({"train_cpu_seconds": round(train_cpu, 1)} if train_cpu is not None else {}),
        "parse_cpu_ms_mean": round(parse_cpu_ms, 3),
        "load_average": " ".join(f"{value:.1f}" for value in os.getloadavg()),
        # The peer's own peak (None when it did not report one), never this process's.
        "peak_rss_mb": peer_figures.get("peak_rss_mb") if trained.finish else peak_rss_mb(),
        "threads": args.threads or ("TensorFlow default" if args.peer else os.environ.get("BOT_TORCH_THREADS", "1")),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {_cpu_count()} CPUs",
        **trained.extra,
    })
    return figures


def _out_of_scope_figures(parse: Any, folder: Path, gold: list[str], predicted: list[str],
                          limit: int | None) -> tuple[dict[str, Any], Predictions]:
    """In-scope accuracy (fallback counts as wrong) and recall of out-of-scope messages.

    An out-of-scope message is detected when the pipeline answers nlu_fallback (FallbackClassifier)
    or the trained out_of_scope intent (with --train-oos).
    """
    oos_messages = _subsample(read_nlu_yaml(folder / "oos_test.yml").training_examples, limit)
    oos = predict(parse, oos_messages)
    detected = sum(p in (NLU_FALLBACK_INTENT, OUT_OF_SCOPE) for p in oos.predicted_intents)
    in_scope_correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return {
        "in_scope_accuracy": in_scope_correct / len(gold) if gold else float("nan"),
        "oos_examples": len(oos_messages),
        "oos_recall": detected / len(oos_messages) if oos_messages else float("nan"),
    }, oos


def _print_threshold_table(table: list[dict[str, float]]) -> None:
    """The fallback figures at other thresholds (same model, same ambiguity threshold)."""
    print("\n  FallbackClassifier threshold (same model's confidences, same ambiguity_threshold):")
    has_oos = "oos_recall" in table[0]
    print("  threshold  in-scope acc.  fallback rate" + ("  oos recall" if has_oos else ""))
    for row in table:
        line = f"  {row['threshold']:9.2f}  {row['in_scope_accuracy']:13.4f}  {row['fallback_rate']:13.4f}"
        print(line + (f"  {row['oos_recall']:10.4f}" if has_oos else ""))


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    figures = run(args)
    table = figures.pop("threshold_table", None)
    print_figures(f"{figures['dataset']} — {figures['system']}", figures)
    if table:
        _print_threshold_table(table)
        figures["threshold_table"] = table
    if args.out:
        out = args.out if args.out.is_absolute() else Path.cwd() / args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, default=str))
        print(f"\nwrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


if __name__ == "__main__":
    main()
