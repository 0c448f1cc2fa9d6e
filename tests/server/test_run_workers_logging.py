"""`bot run --workers N` logs as one worker does: one start-up summary, one line per handled message,
every line whole and marked with its worker."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.server.logging import JsonFormatter, configure_logging, worker_number
from tests.bot_processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_two_workers_log_like_one(tiny_project: Path, tmp_path: Path, redis_url: str) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"lock_store:\n  type: redis\n  url: {redis_url}\n  key_prefix: workers{os.getpid()}\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--workers", "2", "--port", str(port), "--log-format", "json",
         "--endpoints", str(endpoints), "--project-dir", str(tiny_project)],
        cwd=tiny_project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "bot run --workers 2 did not become healthy"
            time.sleep(0.2)

        def send(n: int) -> int:
            return httpx.post(f"{base}/webhooks/rest/webhook", json={"sender": f"w{n}", "message": "hello"},
                              timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(send, range(40))) == {200}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
    lines = process.stderr.read().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one whole JSON object
    summaries = [r for r in records if r["message"].startswith("bot server listening")]
    assert len(summaries) == 1 and "with 2 workers" in summaries[0]["message"]
    handled = [r for r in records if r.get("event") == "message_handled"]
    assert len(handled) == 40
    assert {r["worker"] for r in handled} <= {1, 2} and all(isinstance(r["pid"], int) for r in handled)
    started = {r["worker"] for r in records if r["message"].startswith("Starting worker")}
    assert started == {1, 2}
    assert not [r for r in records if r["message"].startswith("model:")]  # said once, in the summary


def test_worker_lines_carry_their_number(monkeypatch, capfd) -> None:
    monkeypatch.setenv("SANIC_WORKER_NAME", "Sanic-Server-1-0")
    assert worker_number() == 2
    monkeypatch.delenv("SANIC_WORKER_NAME")
    assert worker_number() is None

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("text", logging.INFO, worker=2)
        logging.getLogger("bot.test").info("hello")
        configure_logging("json", logging.INFO, worker=2)
        logging.getLogger("bot.test").info("x" * 3000)
    finally:
        root.handlers[:], root.level = saved
    text, record = capfd.readouterr().err.splitlines()
    assert text.endswith("INFO [worker 2] bot.test: hello")
    assert json.loads(record)["worker"] == 2 and len(json.loads(record)["message"]) == 3000
    assert "worker" not in json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "single"})))
