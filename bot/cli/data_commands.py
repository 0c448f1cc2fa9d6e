"""`bot data validate`: checks a project's data against its domain before training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Check and convert training data.", no_args_is_help=True)


def _max_history(config) -> int:
    for policy in config.policies or []:
        if policy.get("max_history"):
            return int(policy["max_history"])
    return 5


@data_app.command("validate")
def validate(
    config: Annotated[Path, typer.Option(help="Config file.")] = Path("config.yml"),
    domain: Annotated[Path | None, typer.Option(help="Domain file or directory.")] = None,
    data: Annotated[list[Path] | None, typer.Option(help="Training data files or folders.")] = None,
    fail_on_warnings: Annotated[bool, typer.Option("--fail-on-warnings", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Report intents, entities, actions, responses and slots used but not defined (and the reverse),
    conflicting stories, and examples that belong to two intents — each with file:line."""
    from bot.cli.main import _fail
    from bot.cli.output import make_console, print_labelled
    from bot.shared.core.stories_yaml import read_story_files
    from bot.shared.errors import BotError
    from bot.shared.project import Project
    from bot.shared.validation import (
        names_in_action_code,
        validate_config,
        validate_domain_and_stories,
        validate_nlu,
        validate_rules,
        validate_story_conflicts,
    )

    console = make_console()
    try:
        project = Project.discover(config.parent, config=config, domain=domain, data=data)
        dom = project.load_domain()
        blocks = read_story_files(project.story_files, project_root=project.root)
        project_config = project.load_config()
        issues = (validate_config(project_config)
                  + validate_domain_and_stories(dom, blocks, names_in_action_code(project.root))
                  + validate_nlu(dom, project.load_nlu_data())
                  + validate_story_conflicts(dom, blocks, _max_history(project_config)))
        if not any(issue.severity == "error" for issue in issues):  # rules are trained only on known names
            issues += validate_rules(dom, blocks, project_config.policies)
    except BotError as error:
        _fail(error)
        return
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    for issue in errors:
        print_labelled(console, "error", "bold red", str(issue))
    for issue in warnings:
        print_labelled(console, "warning", "yellow", str(issue))
    console.print(f"{len(errors)} error(s), {len(warnings)} warning(s).")
    if errors or (fail_on_warnings and warnings):
        raise typer.Exit(1)
