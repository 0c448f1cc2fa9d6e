"""`bot interactive`: chat with the model, correct it step by step, keep the result as training data."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


class _TerminalPrompter:
    """Questions on the terminal; in a pipe, one line of stdin per question."""

    def ask(self, question: str) -> str | None:
        try:
            if sys.stdin.isatty():
                return input(question + " ")
            typer.echo(question)
            line = sys.stdin.readline()
            return None if line == "" else line.rstrip("\n")
        except (EOFError, KeyboardInterrupt):
            return None

    def say(self, text: str) -> None:
        typer.echo(text)


def interactive(
    model: Annotated[Path, typer.Option(help="A model archive or the folder of archives.")] = Path("models"),
    config: Annotated[Path, typer.Option(help="The project's config (its folder gets data/interactive/).")] = Path(
        "config.yml"),
) -> None:
    """Chat with the assistant; confirm or correct every intent, entity and next action. On /stop the
    conversation is saved as a story in data/interactive/stories.yml and new examples in data/interactive/nlu.yml."""
    from bot.cli.main import _fail
    from bot.shared.errors import BotError

    try:
        asyncio.run(_session(model, config))
    except BotError as error:
        _fail(error)


async def _session(model: Path, config: Path) -> None:
    from bot.core.agent import Agent
    from bot.core.interactive import InteractiveSession, save_session
    from bot.shared.project import Project
    from bot.stores.lock_store import InMemoryLockStore
    from bot.stores.memory_tracker_store import InMemoryTrackerStore

    project = Project.discover(config.parent, config=config)
    existing = project.load_nlu_data()
    # The session's conversation lives in memory: it is training material, not a customer's conversation.
    agent = Agent.load(model, project_dir=project.root, tracker_store=InMemoryTrackerStore(),
                       lock_store=InMemoryLockStore())
    session = InteractiveSession(agent.processor, _TerminalPrompter())
    try:
        await session.run()
        events = await agent.processor.tracker_store.get_events(session.sender_id, since_last_session_start=False)
    finally:
        await agent.close()
    saved = save_session(project.root, events, session.examples, existing)
    if saved.stories_file:
        console.print(f"Saved the conversation as a story in {saved.stories_file}", highlight=False)
    if saved.nlu_file:
        console.print(f"Saved {saved.new_examples} new NLU example(s) in {saved.nlu_file}", highlight=False)
    if not saved.stories_file and not saved.nlu_file:
        console.print("Nothing to save.")
    else:
        console.print("Retrain with 'bot train' to learn from them.")
