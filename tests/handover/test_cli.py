"""`bot agents`, `bot teams` and `bot handover status` through typer's CliRunner on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli.main import app
from bot.stores.sql_tracker_store import SQLTrackerStore
from handover import tables
from handover.agents import AgentDirectory

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A project folder with the example handover.yml and an endpoints.yml naming an SQLite file."""
    shutil.copy(REPO / "handover.yml", tmp_path / "handover.yml")
    (tmp_path / "endpoints.yml").write_text("tracker_store:\n  type: sql\n  dialect: sqlite\n  db: data/tracker.db\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def bot(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)


def in_store(project: Path, work):
    """Runs `work(store)` against the project's database, as another process would see it."""
    async def run():
        store = SQLTrackerStore(f"sqlite:///{project / 'data' / 'tracker.db'}")
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def test_create_reads_the_password_from_stdin_and_it_works_for_login(project: Path) -> None:
    result = bot("agents", "create", "Anna", "--role", "supervisor", "--team", "service", "--skills", "parcels,orders",
                 "--languages", "de,en", "--display-name", "Anna K.", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created supervisor 'anna'" in result.output
    assert PASSWORD not in result.output
    agent = in_store(project, lambda store: AgentDirectory(store).authenticate("anna", PASSWORD))
    assert agent.role == "supervisor" and agent.teams == ("service",) and agent.skills == ("parcels", "orders")
    assert agent.capacity == 3 and agent.display_name == "Anna K."  # capacity: handover.yml's default


def test_create_on_a_terminal_asks_twice(project: Path, monkeypatch) -> None:
    monkeypatch.setattr("handover.cli._is_terminal", lambda: True)
    mismatch = bot("agents", "create", "bob", stdin=f"{PASSWORD}\n{PASSWORD}x\n")
    assert mismatch.exit_code != 0  # the confirmation differed and no second try came
    result = bot("agents", "create", "bob", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert in_store(project, lambda store: AgentDirectory(store).authenticate("bob", PASSWORD)) is not None


def test_the_password_is_never_an_option(project: Path) -> None:
    result = bot("agents", "create", "bob", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output


def test_errors_are_one_message_without_a_traceback(project: Path) -> None:
    cases = [
        (("agents", "create", "bob"), "short\n", "at least 8"),
        (("agents", "create", "bob"), "", "no password on standard input"),
        (("agents", "create", "bob", "--team", "servce"), PASSWORD + "\n", "did you mean 'service'"),
        (("agents", "create", "bob", "--role", "boss"), PASSWORD + "\n", "unknown role 'boss'"),
        (("agents", "set", "nobody", "--capacity", "2"), None, "no agent named 'nobody'"),
        (("agents", "set", "nobody"), None, "nothing to change"),
        (("agents", "disable", "nobody"), None, "no agent named 'nobody'"),
        (("agents", "token", "nobody"), None, "no agent named 'nobody'"),
    ]
    for args, stdin, message in cases:
        result = bot(*args, stdin=stdin)
        assert result.exit_code == 1, (args, result.output)
        assert "Error:" in result.output and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert bot("agents", "create", "bob", stdin=PASSWORD + "\n").exit_code == 0
    again = bot("agents", "create", "BOB", stdin=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output


def test_a_broken_handover_file_is_reported_with_its_line(project: Path) -> None:
    (project / "handover.yml").write_text("teams:\n  service:\n    sla_policy: gold\n")
    result = bot("teams", "list")
    assert result.exit_code == 1
    assert "handover.yml:3" in result.output and "unknown SLA policy 'gold'" in result.output


def test_list_set_disable_enable(project: Path) -> None:
    bot("agents", "create", "anna", "--team", "service", "--languages", "de", stdin=PASSWORD + "\n")
    bot("agents", "create", "carl", "--team", "billing", "--capacity", "5", stdin=PASSWORD + "\n")
    result = bot("agents", "set", "anna", "--team", "service,billing", "--skills", "refunds", "--capacity", "2",
                 "--role", "admin")
    assert result.exit_code == 0, result.output
    listing = bot("agents", "list")
    assert listing.exit_code == 0
    anna = next(line for line in listing.output.splitlines() if "anna" in line)
    assert "admin" in anna and "service, billing" in anna and "refunds" in anna and "0/2" in anna
    assert "0/5" in next(line for line in listing.output.splitlines() if "carl" in line)
    assert bot("agents", "disable", "carl").exit_code == 0
    assert "disabled" in next(line for line in bot("agents", "list").output.splitlines() if "carl" in line)
    assert in_store(project, lambda store: AgentDirectory(store).authenticate("carl", PASSWORD)) is None
    assert bot("agents", "enable", "carl").exit_code == 0
    assert in_store(project, lambda store: AgentDirectory(store).authenticate("carl", PASSWORD)) is not None
    assert bot("agents", "password", "carl", stdin="a brand new password\n").exit_code == 0
    assert in_store(project, lambda store: AgentDirectory(store).authenticate("carl", "a brand new password"))


def test_token_is_printed_once_and_works_until_revoked(project: Path) -> None:
    bot("agents", "create", "helpdesk", "--no-password")
    result = CliRunner().invoke(app, ["agents", "token", "helpdesk", "--label", "zendesk"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert token.startswith("hov_") and "\n" not in token  # stdout holds only the token, for scripts
    agent = in_store(project, lambda store: AgentDirectory(store).agent_for_token(token))
    assert agent.username == "helpdesk"
    listed = bot("agents", "tokens", "helpdesk").output
    assert "zendesk" in listed and "active" in listed and token not in listed
    assert "Revoked 1 token" in bot("agents", "revoke", "helpdesk").output
    assert "revoked" in bot("agents", "tokens", "helpdesk").output
    assert in_store(project, lambda store: AgentDirectory(store).agent_for_token(token)) is None


def test_teams_list_shows_the_files_teams_and_their_agents(project: Path) -> None:
    bot("agents", "create", "anna", "--team", "service", stdin=PASSWORD + "\n")
    in_store(project, lambda store: AgentDirectory(store).set_status("anna", "online"))
    result = bot("teams", "list")
    assert result.exit_code == 0, result.output
    service = next(line for line in result.output.splitlines() if line.startswith("│ service"))
    assert "Kundenservice" in service and "Europe/Berlin" in service and "live_chat" in service and "1/1" in service
    assert "open (Europe/Berlin)" in service or "closed until " in service
    assert any(line.startswith("│ billing") and "0/0" in line for line in result.output.splitlines())
    (project / "handover.yml").unlink()
    assert "No teams" in bot("teams", "list").output  # the file's teams go when the file goes


def test_handover_status_counts_queues_and_loads(project: Path) -> None:
    bot("agents", "create", "anna", "--team", "service", stdin=PASSWORD + "\n")
    now = time.time()

    async def conversations(store):
        def insert(conn):
            rows = [("c1", "queued", "service", None, now - 125), ("c2", "queued", "service", None, now - 30),
                    ("c3", "offered", "service", "anna", now - 10), ("c4", "assigned", "service", "anna", now - 600),
                    ("c5", "assigned", "billing", "anna", now - 900), ("c6", "resolved", "billing", None, now - 999),
                    ("c7", "bot", None, None, None)]
            for sender_id, state, team, agent, queued_at in rows:
                conn.execute(sa.insert(tables.conversations).values(
                    sender_id=sender_id, state=state, version=1, team=team, agent=agent, priority=0,
                    queued_at=queued_at, packet=json.dumps({}), updated_at=now))

        await store.run_in_transaction(insert)
        await AgentDirectory(store).set_status("anna", "online")

    in_store(project, conversations)
    result = bot("handover", "status")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    service = next(line for line in lines if line.startswith("│ service"))
    assert [cell.strip() for cell in service.strip("│").split("│")][:4] == ["service", "2", "1", "1"]
    assert "2m 0" in service  # the longest wait: 125 s (a slow machine adds a second or two)
    billing = next(line for line in lines if line.startswith("│ billing"))
    assert [cell.strip() for cell in billing.strip("│").split("│")] == ["billing", "0", "0", "1", "-"]
    anna = next(line for line in lines if line.startswith("│ anna"))
    assert "online" in anna and "2/3" in anna


def test_status_on_an_empty_project(project: Path) -> None:
    result = bot("handover", "status")
    assert result.exit_code == 0
    assert "nobody waits" in result.output and "Agents: none" in result.output


def test_export_writes_api_edits_back_into_handover_yml(project: Path) -> None:
    from handover import config_edits
    from handover.config import load_handover_config

    assert bot("teams", "list").exit_code == 0  # the file is in the database now

    async def edit(store):
        def work(conn):
            config_edits.set_team_hours(conn, "service", {"timezone": "Europe/Vienna", "weekly": {"mon": ["09:00-10:00"]}})
            config_edits.add_canned_reply(conn, "wait", "Einen Moment bitte.", "de", None)
        await store.run_in_transaction(work, write=True)

    in_store(project, edit)
    before = (project / "handover.yml").read_text()
    result = bot("handover", "export", "--output", "handover.yml")
    assert result.exit_code == 0, result.output
    assert "Wrote 2 teams" in result.output
    written = (project / "handover.yml").read_text()
    assert "routing:" in written and written != before  # the other sections stay
    config = load_handover_config(project / "handover.yml")
    assert config.teams["service"].business_hours["timezone"] == "Europe/Vienna"
    assert any(reply.shortcut == "wait" for reply in config.canned_replies)
    assert bot("handover", "export").output.startswith(written[:20])  # to standard output without --output
