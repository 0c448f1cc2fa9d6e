"""`bot data export-customer`, `erase-customer` and `apply-retention` on the project's SQLite store."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app
from bot.shared.core.events import UserUttered
from bot.stores.sql_tracker_store import SQLTrackerStore


def _store(project: Path, conversations: dict[str, float]) -> None:
    """Stores one message per conversation, as if stored at the given times."""
    import sqlalchemy as sa

    from bot.stores.sql_tracker_store import conversations as rows

    async def write() -> None:
        store = SQLTrackerStore(f"sqlite:///{project / '.bot' / 'tracker.db'}")
        for sender, at in conversations.items():
            await store.append_events(sender, [{**UserUttered(f"I am {sender}").as_dict(), "timestamp": at}])
            await store.run_in_transaction(lambda conn, s=sender, t=at: conn.execute(
                sa.update(rows).where(rows.c.sender_id == s).values(last_event_at=t)))
        await store.close()

    asyncio.run(write())


def _ids(project: Path) -> list[str]:
    async def read() -> list[str]:
        store = SQLTrackerStore(f"sqlite:///{project / '.bot' / 'tracker.db'}")
        try:
            return sorted(await store.conversation_ids())
        finally:
            await store.close()

    return asyncio.run(read())


def test_export_then_erase_a_customer(tmp_path) -> None:
    _store(tmp_path, {"anna": time.time(), "bob": time.time()})
    common = ["--endpoints", str(tmp_path / "none.yml"), "--project-dir", str(tmp_path)]
    out = tmp_path / "anna.json"
    result = CliRunner().invoke(app, ["data", "export-customer", "anna", "--output", str(out), *common])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["customer_id"] == "anna" and data["conversations"][0]["events"][0]["text"] == "I am anna"

    result = CliRunner().invoke(app, ["data", "erase-customer", "anna", *common], input="n\n")
    assert result.exit_code == 1 and _ids(tmp_path) == ["anna", "bob"]  # asked, and refused
    result = CliRunner().invoke(app, ["data", "erase-customer", "anna", "--yes", *common])
    assert result.exit_code == 0 and "1 conversations, 1 events" in result.output
    assert _ids(tmp_path) == ["bob"]
    result = CliRunner().invoke(app, ["data", "export-customer", "anna", *common])
    assert result.exit_code == 1 and "nothing is stored about customer 'anna'" in result.output


def test_apply_retention_uses_endpoints_or_days(tmp_path) -> None:
    now = time.time()
    _store(tmp_path, {"old": now - 100 * 86400, "older": now - 200 * 86400, "new": now})
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: sql\n  dialect: sqlite\n  db: .bot/tracker.db\n"
                         "  retention_days: 150\n")
    common = ["--endpoints", str(endpoints), "--project-dir", str(tmp_path)]
    result = CliRunner().invoke(app, ["data", "apply-retention", *common])
    assert result.exit_code == 0 and "Erased 1 conversation(s)" in result.output
    assert _ids(tmp_path) == ["new", "old"]
    result = CliRunner().invoke(app, ["data", "apply-retention", "--days", "50", *common])
    assert result.exit_code == 0 and _ids(tmp_path) == ["new"]

    endpoints.write_text("tracker_store:\n  type: sql\n  dialect: sqlite\n  db: .bot/tracker.db\n")
    result = CliRunner().invoke(app, ["data", "apply-retention", *common])
    assert result.exit_code == 1 and "retention_days" in result.output
