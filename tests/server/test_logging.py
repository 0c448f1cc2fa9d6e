"""Structured logs: the JSON formatter and the one-line-per-message record."""

from __future__ import annotations

import json
import logging

from bot.server.logging import MESSAGE_LOGGER, JsonFormatter, hash_sender


def test_json_formatter_writes_one_object_with_extras() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.latency_ms = 12.5
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "hello you" and data["level"] == "warning" and data["latency_ms"] == 12.5
    assert "\n" not in line


async def test_one_log_line_per_handled_message(make_app, caplog) -> None:
    app = make_app(log_messages=True)
    with caplog.at_level(logging.INFO, logger=MESSAGE_LOGGER):
        await app.asgi_client.post("/webhooks/rest/webhook", json={"sender": "+4915112345", "message": "hello"})
    records = [r for r in caplog.records if r.name == MESSAGE_LOGGER]
    assert len(records) == 1
    data = json.loads(JsonFormatter().format(records[0]))
    assert data["event"] == "message_handled" and data["channel"] == "rest" and data["status"] == 200
    assert data["sender"] == hash_sender("+4915112345") and "+4915112345" not in json.dumps(data)
    assert data["intent"] == "greet" and data["confidence"] == 1.0
    assert data["actions"][-2:] == ["utter_greet", "action_listen"]
    assert data["latency_ms"] >= 0


async def test_no_message_lines_unless_asked(make_app, caplog) -> None:
    app = make_app()
    with caplog.at_level(logging.INFO, logger=MESSAGE_LOGGER):
        await app.asgi_client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hello"})
    assert not [r for r in caplog.records if r.name == MESSAGE_LOGGER]
