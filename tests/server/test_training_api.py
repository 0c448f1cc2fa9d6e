"""POST /model/train: Rasa 3.6's training over HTTP (YAML or JSON payload, query parameters, callback)."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.handover.conftest import serving
from tests.server.conftest import TINY_PROJECT, TOKEN

AUTH = {"token": TOKEN}


def _payload() -> str:
    """The tiny project as Rasa's one-document training payload."""
    parts = [TINY_PROJECT / "config.yml", TINY_PROJECT / "domain.yml", *sorted((TINY_PROJECT / "data").glob("*.yml"))]
    lines = ['version: "3.1"']
    for part in parts:
        lines += [line for line in part.read_text().splitlines() if not line.startswith("version:")]
    return "\n".join(lines) + "\n"


def _metadata(archive: bytes) -> dict:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = tar.extractfile("metadata.json")
        assert member is not None
        return json.loads(member.read())


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """The server runs in tmp_path, so models/ (Rasa's default model directory) is tmp_path/models."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def test_yaml_payload_gives_the_archive_saved_in_models_and_servable(app, in_tmp) -> None:
    _, response = await app.asgi_client.post("/model/train", params=AUTH, content=_payload(),
                                             headers={"Content-Type": "application/x-yaml"})
    assert response.status == 200, response.text
    name = response.headers["filename"]
    assert name.endswith(".tar.gz") and name in response.headers["content-disposition"]
    assert sorted(_metadata(response.body)["parts"]) == ["core", "nlu"]
    saved = in_tmp / "models" / name
    assert saved.read_bytes() == response.body
    # nothing changed: the same archive again, unless training is forced
    _, again = await app.asgi_client.post("/model/train", params=AUTH, content=_payload())
    assert again.status == 200 and again.headers["filename"] == name
    _, forced = await app.asgi_client.post("/model/train", params={**AUTH, "force_training": "true"},
                                           content=_payload())
    assert forced.status == 200 and forced.headers["filename"] != name
    # the served model stays until PUT /model names the new one
    _, swapped = await app.asgi_client.put("/model", params=AUTH, json={"model_file": str(saved)})
    assert swapped.status == 204, swapped.text
    _, status = await app.asgi_client.get("/status", params=AUTH)
    assert status.json["model_file"] == str(saved) and status.json["num_active_training_jobs"] == 0


@pytest.mark.parametrize("content_type", ["application/json", None])
async def test_json_payload_and_not_saving_to_models(app, in_tmp, content_type) -> None:
    sources = {name: (TINY_PROJECT / f"{name}.yml").read_text() for name in ("config", "domain")}
    body = {**sources, "nlu": (TINY_PROJECT / "data" / "nlu.yml").read_text(),
            "stories": (TINY_PROJECT / "data" / "stories.yml").read_text()}
    _, response = await app.asgi_client.post(
        "/model/train", params={**AUTH, "save_to_default_model_directory": "false", "num_threads": "1"},
        content=json.dumps(body), headers={"Content-Type": content_type} if content_type else {})
    assert response.status == 200, response.text
    assert sorted(_metadata(response.body)["parts"]) == ["core", "nlu"]
    assert not (in_tmp / "models").exists()


@pytest.mark.parametrize(("params", "body", "words", "where"), [
    ({}, "", "empty", "body"),
    ({}, "language: en\npipeline: [\n", "invalid YAML", "body:"),
    ({}, "intents: [greet]\nnlu: []\n", "no config", None),
    ({}, _payload().replace("- action: utter_happy", "- action: utter_missing"), "utter_missing", "body:"),
    ({"num_threads": "0"}, _payload(), "'num_threads'", None),
    ({"force_training": "maybe"}, _payload(), "'force_training'", None),
    ({"callback_url": "ftp://example.org/x"}, _payload(), "callback_url", None),
])
async def test_bad_input_is_a_400_naming_it_and_writes_no_model(app, in_tmp, params, body, words, where) -> None:
    _, response = await app.asgi_client.post("/model/train", params={**AUTH, **params}, content=body)
    assert response.status == 400, response.text
    assert words in response.json["error"], response.json
    if where is not None:
        assert str(response.json["detail"].get("location") or "body").startswith(where), response.json
    assert not list(in_tmp.glob("models/*.tar.gz"))
    _, unauthenticated = await app.asgi_client.post("/model/train", content=_payload())
    assert unauthenticated.status == 401


class _Callbacks(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def callback_url():
    _Callbacks.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Callbacks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/trained"
    server.shutdown()
    server.server_close()


async def _wait_for_callbacks(count: int, timeout: float = 240.0) -> list[tuple[dict[str, str], bytes]]:
    deadline = time.monotonic() + timeout
    while len(_Callbacks.received) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert len(_Callbacks.received) >= count, "no callback arrived"
    return _Callbacks.received


async def test_callback_url_gets_the_archive_or_the_error(make_app, in_tmp, callback_url) -> None:
    app = make_app(auth_token=TOKEN)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        started = await client.post("/model/train", params={**AUTH, "callback_url": callback_url},
                                    content=_payload())
        assert started.status_code == 204, started.text
        headers, archive = (await _wait_for_callbacks(1))[0]
        assert headers["filename"].endswith(".tar.gz") and (in_tmp / "models" / headers["filename"]).exists()
        assert sorted(_metadata(archive)["parts"]) == ["core", "nlu"]
        broken = _payload().replace("- intent: goodbye\n      - action", "- intent: farewell\n      - action")
        started = await client.post("/model/train", params={**AUTH, "callback_url": callback_url}, content=broken)
        assert started.status_code == 204, started.text
        headers, error = (await _wait_for_callbacks(2))[1]
        assert headers["content-type"].startswith("application/json")
        assert json.loads(error)["code"] == 400 and "farewell" in json.loads(error)["error"]
        status = await client.get("/status", params=AUTH)
        assert status.json()["num_active_training_jobs"] == 0
