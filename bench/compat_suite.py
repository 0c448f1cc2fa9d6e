"""The compatibility suite: every Rasa bot in ../shared/rasa-bots trains unchanged and runs its tests.

    python bench/compat_suite.py [--bots form-01-actions,rasa-init-moodbot] [--out bench/results/compat.json]

Each bot is copied to a temporary folder and driven through the real CLI (`bot train`, `bot test`).
When its own config needs something this machine lacks (a spaCy model, a hub model), the error is
shown and the bot is trained again with the documented override in bench/compat/<bot>.yml.
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

from _cpu import cpu_seconds  # bench/, this script's folder

REPO = Path(__file__).resolve().parent.parent
BOTS = REPO.parent / "shared" / "rasa-bots"
OVERRIDES = Path(__file__).resolve().parent / "compat"
BOT_CLI = [sys.executable, "-m", "bot.cli.main"]


def run(args: list[str], cwd: Path, timeout: int = 1200) -> tuple[int, str, float]:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(BOT_CLI + args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - started


def evaluate(bot_dir: Path) -> dict:
    result: dict = {"bot": bot_dir.name}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / bot_dir.name
        shutil.copytree(bot_dir, work)
        cpu_started = cpu_seconds(children=True)
        code, output, seconds = run(["train"], work)
        result["train_unchanged"] = "ok" if code == 0 else _first_error(output)
        if code != 0 and (OVERRIDES / f"{bot_dir.name}.yml").exists():
            shutil.copy(OVERRIDES / f"{bot_dir.name}.yml", work / "config.override.yml")
            cpu_started = cpu_seconds(children=True)
            code, output, seconds = run(["train", "--config", "config.override.yml"], work)
            result["override"] = f"bench/compat/{bot_dir.name}.yml"
        result["trains"] = code == 0
        result["train_seconds"] = round(seconds, 1)
        result["train_cpu_seconds"] = round(cpu_seconds(children=True) - cpu_started, 1)
        if code != 0:
            result["error"] = _first_error(output)
            return result
        tests = work / "tests"
        if tests.is_dir() and any(tests.glob("*.yml")):
            code, output, _ = run(["test", "--stories", "tests", "--out", "results"], work)
            stories = re.search(r"Stories: (\d+)/(\d+)", output)
            actions = re.search(r"Actions: (\d+)/(\d+)", output)
            if stories and actions:
                result["stories"] = f"{stories.group(1)}/{stories.group(2)}"
                result["actions"] = f"{actions.group(1)}/{actions.group(2)}"
                failed = _failed_stories(work / "results" / "failed_test_stories.yml")
                if failed:
                    result["failed"] = failed
            else:
                result["test_error"] = _first_error(output)
    return result


def _failed_stories(path: Path) -> list[str]:
    """Each failed story of `bot test`'s failed_test_stories.yml with its wrong predictions, one line each:
    "story name: 'message' greet -> nlu_fallback; ..." (the file marks them `# predicted: X`)."""
    if not path.is_file():
        return []
    failed: list[str] = []
    message = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        story = re.match(r"- story: (.*?)\s+# ", line)
        if story:
            failed.append(story.group(1).strip("'\"") + ":")
        elif line.strip().startswith("- user:"):
            message = line.split("- user:", 1)[1].strip()
        elif "# predicted:" in line and failed:
            gold = line.split("#", 1)[0].strip().removeprefix("intent:").strip()
            predicted = line.split("# predicted:", 1)[1].strip()
            failed[-1] += f" {message} {gold} -> {predicted};" if gold else f" action: {predicted};"
    return failed


def _first_error(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("Error:"):
            index = output.index(line)
            return " ".join(output[index:index + 600].split())
    return " ".join(output.strip().splitlines()[-3:])[:600]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bots", help="comma-separated bot folder names (default: all)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    names = args.bots.split(",") if args.bots else sorted(p.name for p in BOTS.iterdir() if p.is_dir())
    results = []
    for name in names:
        result = evaluate(BOTS / name)
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    print()
    print(f"{'bot':36} {'trains':8} {'s':>6} {'stories':>8} {'actions':>8}  note")
    for r in results:
        note = "override: " + r["override"] if r.get("override") else r.get("error", r.get("test_error", ""))
        print(f"{r['bot']:36} {'yes' if r['trains'] else 'NO':8} {r['train_seconds']:>6} "
              f"{r.get('stories', '-'):>8} {r.get('actions', '-'):>8}  {note[:120]}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
