"""`bot export` against a real RabbitMQ: filters as `rasa export`, events in order, clear errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app
from bot.shared.core.events import SlotSet
from bot.stores.sql_tracker_store import SQLTrackerStore


def _store_conversations(project: Path) -> None:
    async def write() -> None:
        store = SQLTrackerStore(f"sqlite:///{project / '.bot' / 'tracker.db'}")
        for sender in ("a", "b", "c"):
            await store.append_events(sender, [{**SlotSet("n", i).as_dict(), "timestamp": 1000.0 + i}
                                               for i in range(5)])
        await store.close()

    asyncio.run(write())


def _endpoints(project: Path, rabbit) -> Path:
    config = rabbit.endpoint()
    path = project / "endpoints.yml"
    path.write_text("event_broker:\n" + "".join(
        f"  {key}: {value if not isinstance(value, list) else '[' + ', '.join(value) + ']'}\n"
        for key, value in config.items()))
    return path


def test_export_sends_the_chosen_events_in_order(tmp_path, rabbit) -> None:
    _store_conversations(tmp_path)
    endpoints = _endpoints(tmp_path, rabbit)
    result = CliRunner().invoke(app, ["export", "--endpoints", str(endpoints), "--project-dir", str(tmp_path),
                                      "--minimum-timestamp", "1001", "--maximum-timestamp", "1004",
                                      "--conversation-ids", "a,c,nobody"])
    assert result.exit_code == 0, result.output
    assert "Exported 6 event(s) of 2 conversation(s)" in result.output
    assert "Not in the tracker store: nobody" in result.output
    received = asyncio.run(rabbit.collect(6))
    assert [(m["sender_id"], m["value"]) for m in received] == [("a", 1), ("a", 2), ("a", 3),
                                                               ("c", 1), ("c", 2), ("c", 3)]
    assert [m["_message_id"] for m in received[:3]] == ["a:2", "a:3", "a:4"]  # the live publisher's ids


def test_export_without_a_broker_or_matches_is_a_clear_error(tmp_path, rabbit) -> None:
    _store_conversations(tmp_path)
    (tmp_path / "none.yml").write_text("tracker_store:\n  type: sql\n")
    result = CliRunner().invoke(app, ["export", "--endpoints", str(tmp_path / "none.yml"),
                                      "--project-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no event_broker" in result.output
    endpoints = _endpoints(tmp_path, rabbit)
    result = CliRunner().invoke(app, ["export", "--endpoints", str(endpoints), "--project-dir", str(tmp_path),
                                      "--minimum-timestamp", "5000"])
    assert result.exit_code == 1 and "no stored events match" in result.output
    result = CliRunner().invoke(app, ["export", "--endpoints", str(endpoints), "--project-dir", str(tmp_path),
                                      "--minimum-timestamp", "5", "--maximum-timestamp", "4"])
    assert result.exit_code == 2 and "greater than" in " ".join(result.output.split())
