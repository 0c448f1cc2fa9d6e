"""Rasa 3.6 as the peer the benchmarks measure against, run from its own virtual environment.

Rasa is never a dependency of the project: it lives in a separate venv (Python 3.10), by default
../rasa-venv beside the checkout (bench/README.md, "Side by side with Rasa", says how to make it),
or wherever RASA_PYTHON / --rasa-python points. The benchmark talks to bench/rasa_worker.py running
in that Python over a pipe.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _nlu_eval import REPO, Trained

DEFAULT_RASA_PYTHON = REPO.parent / "rasa-venv" / "bin" / "python"
WORKER = Path(__file__).resolve().parent / "rasa_worker.py"
INSTALL_HINT = ("make it with: PYENV_VERSION=3.10.13 python -m venv ../rasa-venv && "
                "../rasa-venv/bin/pip install rasa==3.6.21")


def rasa_python(given: Path | None = None) -> Path:
    """The Python of Rasa's venv: --rasa-python, else $RASA_PYTHON, else ../rasa-venv/bin/python."""
    path = given or Path(os.environ.get("RASA_PYTHON") or DEFAULT_RASA_PYTHON)
    if not path.is_file():
        raise SystemExit(f"no Rasa Python at {path}: {INSTALL_HINT}")
    return path


def peer_environment(threads: int | None) -> dict[str, str]:
    """Rasa's environment: no telemetry; TensorFlow limited to `threads` when given."""
    environment = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    if threads:
        environment["TF_INTRA_OP_PARALLELISM_THREADS"] = str(threads)
        environment["TF_INTER_OP_PARALLELISM_THREADS"] = "1"
    return environment


def train_rasa(config: dict[str, Any], train_files: list[Path], language: str | None, python: Path,
               threads: int | None = None) -> Trained:
    """Trains Rasa's NLU on the same config and files and returns a parse function served by it.

    Rasa runs in a fresh folder each time, so its training cache (.rasa/cache) never carries over.
    """
    work = Path(tempfile.mkdtemp(prefix="rasa-peer-"))
    data = work / "data"
    data.mkdir()
    for index, path in enumerate(train_files):
        shutil.copy(path, data / f"{index}_{path.name}")
    # Through JSON: the YAML reader's values carry their source lines, which PyYAML cannot write.
    peer_config = json.loads(json.dumps({**config, "language": language or config.get("language")}))
    (work / "config.yml").write_text(yaml.safe_dump(peer_config, sort_keys=False, allow_unicode=True))
    log_path = work / "rasa.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(python), str(WORKER), "--config", "config.yml", "--data", "data", "--out", "models"],
        cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1,
        env=peer_environment(threads),
    )
    assert process.stdin and process.stdout

    def fail(what: str) -> SystemExit:
        process.kill()
        log.close()
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
        return SystemExit(f"Rasa {what}; the end of its log ({log_path}):\n{tail}")

    first = process.stdout.readline()
    if not first:
        raise fail("stopped before its model was trained")
    timings = json.loads(first)

    def parse(text: str) -> dict[str, Any]:
        process.stdin.write(json.dumps(text) + "\n")
        answer = process.stdout.readline()
        if not answer:
            raise fail(f"stopped while parsing {text!r}")
        return json.loads(answer)

    def finish() -> dict[str, Any]:
        process.stdin.write("\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        if not answer:
            print(f"Rasa ended without its memory figure; see {log_path}", file=sys.stderr)
        last = json.loads(answer or "{}")
        try:
            # TensorFlow can take minutes to tear down on a busy machine; the figures are read already
            process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        if answer:  # keep the folder and its log otherwise
            shutil.rmtree(work, ignore_errors=True)
        return {"peak_rss_mb": last.get("peak_rss_mb")}

    extra = {"train_cpu_seconds": timings["train_cpu_seconds"]} if "train_cpu_seconds" in timings else {}
    return Trained(parse, timings["train_seconds"], timings["load_seconds"], extra, finish=finish)


def rasa_version(python: Path) -> str:
    # The installed distribution's metadata: importing rasa would load TensorFlow (seconds) for a string.
    result = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('rasa'))"],
                            capture_output=True, text=True, env=peer_environment(None), timeout=120)
    return result.stdout.strip() or "unknown"
