"""`PUT /model`: another archive is served without a restart, under load, without losing a request or memory."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import TOKEN

AUTH = {"token": TOKEN}


@pytest.fixture(scope="module")
def second_model(tmp_path_factory) -> Path:
    """The tiny project with another greeting, trained into its own archive."""
    from bot.model.training import train
    from bot.shared.project import Project
    from tests.server.conftest import TINY_PROJECT

    root = tmp_path_factory.mktemp("tiny-b") / "project"
    shutil.copytree(TINY_PROJECT, root)
    domain = root / "domain.yml"
    domain.write_text(domain.read_text().replace("Hey! How are you?", "Hello again! How are you?"))
    return train(Project.discover(root), root / "models").model_path


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def _conversation(client: httpx.AsyncClient, sender: str, done: asyncio.Event) -> list[int]:
    """One customer sending messages until the swaps are over (and at least 5)."""
    statuses = []
    while not done.is_set() or len(statuses) < 5:
        response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hello"})
        statuses.append(response.status_code)
    return statuses


@pytest.mark.slow
def test_put_model_swaps_under_load_without_failed_requests_or_growth(tiny_project, second_model):
    """`bot run` as a process; 10 conversations keep talking while the model is swapped 6 times."""
    from tests.bot_processes import free_port
    from tests.server.test_run_subprocess import _command, _wait_until_healthy

    first_model = sorted((tiny_project / "models").glob("*.tar.gz"))[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([*_command(), "--model", str(first_model), "--port", str(port), "--project-dir",
                                str(tiny_project), "--auth-token", TOKEN], cwd=tiny_project, env=os.environ.copy(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_healthy(base, process, timeout=180)

        async def run() -> tuple[list[int], list[list[int]], list[float]]:
            rss: list[float] = []
            done = asyncio.Event()
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                async def swaps() -> list[int]:
                    statuses = []
                    for index in range(6):
                        archive = second_model if index % 2 == 0 else first_model
                        response = await client.put("/model", params=AUTH, json={"model_file": str(archive)})
                        statuses.append(response.status_code)
                        rss.append(_rss_mb(process.pid))
                    done.set()
                    return statuses

                results = await asyncio.gather(swaps(), *(_conversation(client, f"user-{n}", done)
                                                          for n in range(10)))
            return results[0], list(results[1:]), rss

        swap_statuses, conversations, rss = asyncio.run(run())
        print(f"{sum(map(len, conversations))} messages during 6 swaps; server RSS after each swap (MB): "
              + ", ".join(f"{value:.0f}" for value in rss))
        assert swap_statuses == [204] * 6
        failed = [status for statuses in conversations for status in statuses if status != 200]
        assert failed == [], f"{len(failed)} of {sum(map(len, conversations))} requests failed during the swaps"
        # RSS after the last swap against after the first (the model loaded once more in between each time)
        assert rss[-1] <= rss[0] * 1.10, f"RSS grew from {rss[0]:.0f} MB after the first swap to {rss[-1]:.0f} MB"

        # One more swap serves the second model; /status names it and conversations keep their history.
        assert httpx.put(f"{base}/model", params=AUTH, json={"model_file": str(second_model)},
                         timeout=60).status_code == 204
        status = httpx.get(f"{base}/status", params=AUTH, timeout=10).json()
        assert status["model_file"] == str(second_model)
        reply = httpx.post(f"{base}/webhooks/rest/webhook", json={"sender": "after", "message": "hello"}, timeout=30)
        assert reply.json()[0]["text"] == "Hello again! How are you?"
        tracker = httpx.get(f"{base}/conversations/user-3/tracker", params=AUTH, timeout=10).json()
        assert sum(1 for e in tracker["events"] if e["event"] == "user") == len(conversations[3])
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.mark.parametrize(("body", "status", "words"), [
    ({}, 400, "model_file"),
    ({"model_file": "nowhere.tar.gz"}, 400, "no model archive at 'nowhere.tar.gz'"),
    ({"model_file": 5}, 400, "model_file"),
    ({"model_server": {"url": "http://127.0.0.1:9/none.tar.gz"}}, 400, "Cannot fetch"),
])
async def test_put_model_names_bad_input(app, body, status, words):
    _, response = await app.asgi_client.put("/model", params=AUTH, json=body)
    assert response.status == status and words in response.json["error"], response.json
    _, unauthenticated = await app.asgi_client.put("/model", json={"model_file": "x"})
    assert unauthenticated.status == 401


async def test_put_model_refuses_an_nlu_only_archive(app, tmp_path):
    from bot.model.training import train
    from bot.shared.project import Project
    from tests.server.conftest import TINY_PROJECT

    nlu_only = train(Project.discover(TINY_PROJECT), tmp_path / "models", nlu_only=True).model_path
    _, response = await app.asgi_client.put("/model", params=AUTH, json={"model_file": str(nlu_only)})
    assert response.status == 409 and response.json["reason"] == "NoDialogueModel"
