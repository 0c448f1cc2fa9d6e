"""Side by side with Rasa 3.6: the same config and data through our pipeline and Rasa's, in one run.

    python bench/vs_rasa.py nlu --datasets snips,xsid-de,hwu64,banking77,clinc150 --config bench/configs/default.yml
    python bench/vs_rasa.py stories --bots form-01-actions,rasa-init-moodbot
    python bench/vs_rasa.py nlu --datasets banking77,clinc150,hwu64 --shots 5,10 --config bench/configs/rasa-default.yml
    python bench/vs_rasa.py nlu --bots bench/smallbots/tisch-de,bench/smallbots/orders-en
    python bench/vs_rasa.py stories --bots-dir bench/smallbots

Rasa runs from its own venv (bench/README.md, "Side by side with Rasa"); nothing of it is imported here.
`nlu`: each dataset through bench/nlu_accuracy.py twice (ours, then `--peer rasa`), one table.
`stories`: each bot of ../shared/rasa-bots trained and tested with `bot train` / `bot test` and with
`rasa train` / `rasa test core`, stories and actions that pass.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compat_suite  # noqa: E402
from _cpu import cpu_seconds  # noqa: E402
from _nlu_eval import REPO  # noqa: E402
from _rasa_peer import peer_environment, rasa_python, rasa_version  # noqa: E402

DEFAULT_DATASETS = "snips,xsid-de,hwu64,banking77,clinc150"
NLU_ACCURACY = Path(__file__).resolve().parent / "nlu_accuracy.py"
NLU_COLUMNS = [("intent_accuracy", "intent acc."), ("intent_macro_f1", "macro-F1"), ("entity_f1", "entity F1"),
               ("in_scope_accuracy", "in scope"), ("oos_recall", "OOS recall"), ("train_seconds", "train s"), ("train_cpu_seconds", "train CPU s"),
               ("parse_ms_p50", "parse p50 ms"), ("parse_ms_p99", "p99 ms"), ("peak_rss_mb", "peak MB")]


def _nlu_runs(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """(label, nlu_accuracy.py data arguments) of every run: datasets (each few-shot draw) and small bots."""
    runs = []
    datasets = args.datasets if args.datasets is not None else ("" if args.bots else DEFAULT_DATASETS)
    for dataset in filter(None, datasets.split(",")):
        config = ["--config", str(args.config)]
        if not args.shots:
            oos = ["--train-oos"] if dataset == "clinc150" and args.train_oos else []
            runs.append((dataset, ["--dataset", dataset, *config, *oos]))
            continue
        for shots in args.shots.split(","):
            for draw in args.draws.split(","):
                runs.append((f"{dataset} {shots}-shot draw {draw}",
                             ["--dataset", dataset, "--shots", shots, "--draw", draw, *config]))
    for bot in filter(None, (args.bots or "").split(",")):
        config = ["--config", str(args.bot_config)] if args.bot_config else []
        if not args.seeds:
            runs.append((Path(bot).name, ["--bot", bot, *config]))
        for seed in filter(None, (args.seeds or "").split(",")):
            runs.append((f"{Path(bot).name} seed {seed}", ["--bot", bot, "--seed", seed, *config]))
    return runs


def compare_nlu(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    systems = [None, "rasa"] if args.only is None else [None] if args.only == "ours" else ["rasa"]
    for label, data_argv in _nlu_runs(args):
        for peer in systems:
            argv = [*data_argv, "--thresholds", ""]
            if args.threads:
                argv += ["--threads", str(args.threads)]
            if args.epochs:
                argv += ["--epochs", str(args.epochs)]
            if args.max_test:
                argv += ["--max-test", str(args.max_test)]
            if peer:
                argv += ["--peer", peer] + (["--rasa-python", str(args.rasa_python)] if args.rasa_python else [])
            figures = _run_nlu_accuracy(argv)
            figures["who"] = "Rasa" if peer else "ours"
            figures["dataset"] = label
            rows.append(figures)
            print(json.dumps({k: figures.get(k) for k, _ in NLU_COLUMNS} | {"dataset": label, "who": figures["who"]}),
                  flush=True)
    return rows


def print_draw_summary(rows: list[dict[str, Any]]) -> None:
    """Few-shot draws and bot seeds: intent accuracy and train time per split and system, mean and spread."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        found = re.fullmatch(r"(.+) (?:draw|seed) \d+", row["dataset"])
        if found:
            groups.setdefault((found.group(1), row["who"]), []).append(row)
    if not groups:
        return
    print("\n| split | system | draws / seeds | intent acc. mean | std | min | max | train s mean "
          "| train CPU s mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (split, who), members in groups.items():
        accuracy = np.array([m["intent_accuracy"] for m in members])
        seconds = np.mean([m["train_seconds"] for m in members])
        cpu = [m["train_cpu_seconds"] for m in members if m.get("train_cpu_seconds") is not None]
        print(f"| {split} | {who} | {len(members)} | {accuracy.mean():.3f} | {accuracy.std():.3f} | "
              f"{accuracy.min():.3f} | {accuracy.max():.3f} | {seconds:.1f} | "
              f"{np.mean(cpu) if cpu else float('nan'):.1f} |")


def _run_nlu_accuracy(argv: list[str]) -> dict[str, Any]:
    """One bench/nlu_accuracy.py run in its own process, so each peak memory figure is that run's."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        subprocess.run([sys.executable, str(NLU_ACCURACY), *argv, "--out", str(out)], check=True)
        return json.loads(out.read_text())


def print_nlu_table(rows: list[dict[str, Any]]) -> None:
    print("\n| dataset | system | " + " | ".join(title for _, title in NLU_COLUMNS) + " |")
    print("|---|---|" + "---|" * len(NLU_COLUMNS))
    for row in rows:
        cells = []
        for key, _ in NLU_COLUMNS:
            value = row.get(key)
            cells.append("" if value is None else f"{value:.3f}" if isinstance(value, float) and value < 10
                         else f"{value:.1f}" if isinstance(value, float) else str(value))
        print(f"| {row['dataset']} | {row['who']} | " + " | ".join(cells) + " |")


def rasa_bot_results(bot_dir: Path, python: Path, threads: int | None) -> dict[str, Any]:
    """`rasa train` and `rasa test core` of one bot, in a copy, with Rasa's own CLI."""
    rasa = [str(python), "-m", "rasa"]
    result: dict[str, Any] = {"bot": bot_dir.name}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / bot_dir.name
        shutil.copytree(bot_dir, work)
        environment = peer_environment(threads)
        started, cpu_started = time.perf_counter(), cpu_seconds(children=True)
        train = subprocess.run(rasa + ["train"], cwd=work, capture_output=True, text=True, env=environment,
                               timeout=3600)
        override = compat_suite.OVERRIDES / f"{bot_dir.name}.yml"
        if train.returncode != 0 and override.exists():  # the same documented override as ours
            result["train_unchanged"] = _last_lines(train.stdout + train.stderr, 2)
            shutil.copy(override, work / "config.override.yml")
            started, cpu_started = time.perf_counter(), cpu_seconds(children=True)
            train = subprocess.run(rasa + ["train", "--config", "config.override.yml"], cwd=work,
                                   capture_output=True, text=True, env=environment, timeout=3600)
            result["override"] = f"bench/compat/{bot_dir.name}.yml"
        result["train_seconds"] = round(time.perf_counter() - started, 1)
        result["train_cpu_seconds"] = round(cpu_seconds(children=True) - cpu_started, 1)
        result["trains"] = train.returncode == 0
        if train.returncode != 0:
            result["error"] = _last_lines(train.stdout + train.stderr)
            return result
        tests = work / "tests"
        if not (tests.is_dir() and any(tests.glob("*.yml"))):
            return result
        test = subprocess.run(rasa + ["test", "core", "--stories", "tests", "--out", "results"], cwd=work,
                              capture_output=True, text=True, env=environment, timeout=3600)
        output = test.stdout + test.stderr
        # Rasa logs "Evaluation Results on CONVERSATION level: ... Correct: 6 / 7", then the ACTION level.
        for level, key in (("CONVERSATION", "stories"), ("ACTION", "actions")):
            found = re.search(rf"Evaluation Results on {level} level:.*?Correct:\s*(\d+)\s*/\s*(\d+)", output, re.S)
            if found:
                result[key] = f"{found.group(1)}/{found.group(2)}"
        if test.returncode != 0:
            result["test_error"] = _last_lines(test.stdout + test.stderr)
    return result


def _last_lines(text: str, count: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-count:])


def _trains(result: dict[str, Any]) -> str:
    """'yes', 'yes (override)', 'no', or '' for a system that was not run (--only)."""
    if not result:
        return ""
    return ("yes" if result.get("trains") else "no") + (" (override)" if result.get("override") else "")


def _seconds(result: dict[str, Any]) -> str:
    return f"{result['train_seconds']} / {result.get('train_cpu_seconds', '')}" if "train_seconds" in result else ""


def compare_stories(args: argparse.Namespace) -> list[dict[str, Any]]:
    python = rasa_python(args.rasa_python)
    names = args.bots.split(",") if args.bots else sorted(p.name for p in args.bots_dir.iterdir() if p.is_dir())
    rows = []
    for name in names:
        bot_dir = args.bots_dir / name
        ours = compat_suite.evaluate(bot_dir) if args.only != "rasa" else {}
        peer = rasa_bot_results(bot_dir, python, args.threads) if args.only != "ours" else {}
        row = {"bot": name, "ours": ours, "rasa": peer}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| bot | ours: trains | ours: stories | ours: actions | ours: train s / CPU s "
          "| Rasa: trains | Rasa: stories | Rasa: actions | Rasa: train s / CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        ours, peer = row["ours"], row["rasa"]
        print(f"| {row['bot']} | {_trains(ours)} | {ours.get('stories', '')} | {ours.get('actions', '')} | "
              f"{_seconds(ours)} | {_trains(peer)} | {peer.get('stories', '')} | "
              f"{peer.get('actions', '')} | {_seconds(peer)} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rasa-python", type=Path, help="Python of Rasa's venv (default: ../rasa-venv/bin/python)")
    parser.add_argument("--threads", type=int, help="threads for both systems (default: each its own)")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    commands = parser.add_subparsers(dest="command", required=True)
    nlu = commands.add_parser("nlu", help="NLU benchmarks, same config")
    nlu.add_argument("--datasets", help=f"comma-separated (default: {DEFAULT_DATASETS}, none with --bots)")
    nlu.add_argument("--config", type=Path, default=REPO / "bench" / "configs" / "default.yml")
    nlu.add_argument("--shots", help="few-shot: examples per intent, comma-separated (e.g. 5,10)")
    nlu.add_argument("--draws", default="0,1,2", help="seeded draws of each --shots split (default 0,1,2)")
    nlu.add_argument("--bots", help="comma-separated Rasa project folders (e.g. bench/smallbots/tisch-de): "
                     "each trains on its data/ and is tested on its heldout_nlu.yml, with its own config.yml")
    nlu.add_argument("--bot-config", type=Path, help="a config for the --bots instead of their own")
    nlu.add_argument("--seeds", help="--bots: train each with these DIET/ResponseSelector random_seeds (e.g. 0,1,2)")
    nlu.add_argument("--only", choices=["ours", "rasa"], help="run one system only")
    nlu.add_argument("--epochs", type=int)
    nlu.add_argument("--max-test", type=int)
    nlu.add_argument("--train-oos", action="store_true")
    stories = commands.add_parser("stories", help="the Rasa bots' own test stories")
    stories.add_argument("--bots", help="comma-separated names in the bots folder (default: all)")
    stories.add_argument("--bots-dir", type=Path, default=compat_suite.BOTS,
                         help="folder of the bots (default: ../shared/rasa-bots; bench/smallbots for ours)")
    stories.add_argument("--only", choices=["ours", "rasa"], help="run one system only")
    args = parser.parse_args(argv)

    if args.threads:  # `bot train` in compat_suite inherits it
        os.environ["BOT_TORCH_THREADS"] = str(args.threads)
    python = rasa_python(args.rasa_python)
    print(f"peer: Rasa {rasa_version(python)} ({python})", flush=True)
    if args.command == "nlu":
        rows = compare_nlu(args)
        print_nlu_table(rows)
        print_draw_summary(rows)
    else:
        rows = compare_stories(args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
