"""DucklingEntityExtractor against a tiny local Duckling look-alike, and against a closed port."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest

from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

DUCKLING_ANSWER = [
    {"body": "morgen", "start": 8, "end": 14, "dim": "time", "latent": False,
     "value": {"value": "2024-05-02T00:00:00.000+02:00", "grain": "day", "type": "value", "values": []}},
    {"body": "zwischen 2 und 4 Uhr", "start": 15, "end": 35, "dim": "time", "latent": False,
     "value": {"type": "interval", "from": {"value": "2024-05-02T14:00:00.000+02:00", "grain": "hour"},
               "to": {"value": "2024-05-02T17:00:00.000+02:00", "grain": "hour"}}},
    {"body": "50 Euro", "start": 40, "end": 47, "dim": "amount-of-money", "latent": False,
     "value": {"value": 50, "type": "value", "unit": "EUR"}},
]


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        _Handler.requests.append({"path": self.path, **form})
        body = json.dumps(DUCKLING_ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def _no_url_from_environment(monkeypatch):
    monkeypatch.delenv("RASA_DUCKLING_HTTP_URL", raising=False)


@pytest.fixture
def duckling_url():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


TEXT = "Termin: morgen zwischen 2 und 4 Uhr für 50 Euro"


def test_entities_in_rasa_shape(duckling_url):
    extractor = component_class("DucklingEntityExtractor").create(
        {"url": duckling_url, "dimensions": ["time", "amount-of-money"], "timezone": "Europe/Berlin"}, language="de")
    message = Message.from_text(TEXT, time=1714600000)
    extractor.process([message])
    entities = message.get("entities")
    assert entities[0] == {
        "start": 8, "end": 14, "text": "morgen", "value": "2024-05-02T00:00:00.000+02:00", "confidence": 1.0,
        "additional_info": DUCKLING_ANSWER[0]["value"], "entity": "time", "extractor": "DucklingEntityExtractor",
    }
    assert entities[1]["value"] == {"to": "2024-05-02T17:00:00.000+02:00", "from": "2024-05-02T14:00:00.000+02:00"}
    assert entities[2]["value"] == 50 and entities[2]["entity"] == "amount-of-money"
    request = _Handler.requests[0]
    assert request["path"] == "/parse" and request["text"] == TEXT and request["locale"] == "de_DE"
    assert request["tz"] == "Europe/Berlin" and json.loads(request["dims"]) == ["time", "amount-of-money"]
    assert request["reftime"] == "1714600000000"


def test_dimensions_filter_and_locale_option(duckling_url):
    extractor = component_class("DucklingEntityExtractor").create(
        {"url": duckling_url, "dimensions": ["amount-of-money"], "locale": "de_AT"})
    message = Message.from_text(TEXT)
    extractor.process([message])
    assert [e["entity"] for e in message.get("entities")] == ["amount-of-money"]
    assert _Handler.requests[0]["locale"] == "de_AT"


def test_unreachable_server_gives_no_entities_and_warns_once(closed_port_url, caplog):
    extractor = component_class("DucklingEntityExtractor").create({"url": closed_port_url, "timeout": 1})
    messages = [Message.from_text("morgen"), Message.from_text("übermorgen")]
    with caplog.at_level(logging.WARNING, logger="bot.nlu.extractors.duckling"):
        extractor.process(messages)
    assert all(m.get("entities") is None for m in messages)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and closed_port_url in warnings[0].getMessage()


def test_env_var_overrides_url_and_missing_url_is_config_error(duckling_url, monkeypatch):
    extractor = component_class("DucklingEntityExtractor").create({"url": "http://127.0.0.1:1"})
    monkeypatch.setenv("RASA_DUCKLING_HTTP_URL", duckling_url)
    message = Message.from_text(TEXT)
    extractor.process([message])
    assert len(message.get("entities")) == 3
    monkeypatch.delenv("RASA_DUCKLING_HTTP_URL")
    with pytest.raises(InvalidConfig, match="url"):
        component_class("DucklingEntityExtractor").create({}).train(TrainingData())


def test_persist_and_load(duckling_url, tmp_path):
    extractor = component_class("DucklingEntityExtractor").create({"url": duckling_url}, language="en")
    extractor.persist(tmp_path)
    loaded = type(extractor).load(extractor.config, tmp_path)
    loaded.process([Message.from_text("tomorrow")])
    assert _Handler.requests[0]["locale"] == "en_EN"
