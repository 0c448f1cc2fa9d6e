"""Fixtures for the server tests: one tiny model trained per session, apps with real stores."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TINY_PROJECT = Path(__file__).parent / "data" / "tiny"
TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny project with a trained model under models/."""
    from bot.model.training import train
    from bot.shared.project import Project

    root = tmp_path_factory.mktemp("tiny") / "project"
    shutil.copytree(TINY_PROJECT, root)
    train(Project.discover(root), root / "models")
    return root


@pytest.fixture
def make_agent(tiny_project: Path, tmp_path: Path) -> Callable[..., Any]:
    """Builds agents of the tiny model with an SQLite tracker store in tmp and in-memory locks.

    The project dir is an empty tmp folder, so no custom actions are imported into this process.
    """
    from bot.core.agent import Agent
    from bot.stores import InMemoryLockStore, create_tracker_store

    def build(**options: Any) -> Any:
        store = create_tracker_store({"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")})
        return Agent.load(tiny_project / "models", tracker_store=store, lock_store=InMemoryLockStore(),
                          project_dir=tmp_path, **options)

    return build


@pytest.fixture
def make_app(make_agent: Callable[..., Any]) -> Callable[..., Any]:
    """`make_app(auth_token=..., enable_api=..., cors=...)` -> a Sanic app over a fresh agent."""
    from bot.server import create_app

    def build(**options: Any) -> Any:
        return create_app(make_agent(), **options)

    return build


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """An app with the API behind the test token."""
    return make_app(auth_token=TOKEN)
