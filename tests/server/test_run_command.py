"""`bot run` option handling and start-up errors (in-process, through typer's runner)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.run import RunSettings, build_app, register


@pytest.fixture
def cli():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands, so "run" is addressed by name as in `bot run`
    yield app
    root.handlers[:], root.level = handlers, level  # `bot run` reconfigures logging


def test_missing_model_is_a_clean_error(cli, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--model", str(tmp_path / "nothing"), "--endpoints",
                                      str(tmp_path / "endpoints.yml"), "--project-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output


def test_several_workers_need_a_shared_lock_store(cli, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--workers", "2", "--endpoints", str(tmp_path / "endpoints.yml")])
    assert result.exit_code == 1
    assert "lock store" in result.output and "redis" in result.output


def test_log_format_is_checked(cli) -> None:
    result = CliRunner().invoke(cli, ["run", "--log-format", "xml"])
    assert result.exit_code != 0 and "--log-format" in result.output


async def test_build_app_loads_the_agent_at_start(tiny_project: Path, tmp_path: Path) -> None:
    """With workers the agent is built inside each worker, in before_server_start."""
    settings = RunSettings(model=str(tiny_project / "models"), endpoints=None, project_dir=str(tmp_path),
                           enable_api=True)
    app = build_app(settings)
    assert app.ctx.bot.agent is None
    _, response = await app.asgi_client.post("/model/parse", json={"text": "hello"})
    assert response.status == 200 and response.json["intent"]["name"] == "greet"


def test_response_timeout_is_rasas_hour_and_can_be_set(tiny_project: Path, tmp_path: Path) -> None:
    """Sanic's 60 s default would cut a message waiting out a dead process's 60 s lock with a bare 503."""
    settings = RunSettings(model=str(tiny_project / "models"), endpoints=None, project_dir=str(tmp_path))
    assert build_app(settings).config.RESPONSE_TIMEOUT == 3600
    shorter = RunSettings(model=str(tiny_project / "models"), endpoints=None, project_dir=str(tmp_path),
                          response_timeout=90)
    assert build_app(shorter).config.RESPONSE_TIMEOUT == 90


def test_response_timeout_is_checked(cli) -> None:
    result = CliRunner().invoke(cli, ["run", "--response-timeout", "0"])
    assert result.exit_code != 0 and "--response-timeout" in result.output
