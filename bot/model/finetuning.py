"""`bot train --finetune`: which model to continue from, and what must not have changed since it.

Fine-tuning continues the networks of a previous model on changed examples. Their input and output
layers are sized by the config, the labels (intents, entity types) and, for the dialogue, the
domain, so those must be the same; only the examples, stories, responses' texts and `epochs` may
differ. Each archive records them (metadata `extra["finetune"]`) for this check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.model.archive import ModelMetadata, latest_archive, read_archive_metadata
from bot.shared.errors import BotError, InvalidModel, ModelNotFound
from bot.shared.project import Project

__all__ = ["FINETUNE_KEY", "check_compatible", "finetune_base", "finetune_record"]

FINETUNE_KEY = "finetune"


def _without_epochs(steps: Any) -> list[dict[str, Any]]:
    return [{key: value for key, value in dict(step).items() if key != "epochs"} for step in steps or []]


def finetune_record(project: Project, *, nlu: bool, core: bool) -> dict[str, Any]:
    """What a later `--finetune` compares: configs without `epochs`, and every label the networks know."""
    config = project.load_config()
    record: dict[str, Any] = {"language": config.language}
    if nlu:
        data = project.load_nlu_data()
        record.update(pipeline=_without_epochs(config.pipeline), intents=sorted(data.intents),
                      entities=sorted(data.entities))
    if core:
        domain = project.load_domain()
        record.update(policies=_without_epochs(config.policies), domain_intents=sorted(domain.intents),
                      domain_entities=sorted(domain.entities), slots=sorted(slot.name for slot in domain.slots),
                      actions=sorted(domain.action_names_or_texts))
    return record


def finetune_base(finetune: str | Path, output_dir: Path) -> tuple[Path, ModelMetadata]:
    """The archive to continue from: the one named, or ("") the newest in `output_dir`."""
    if finetune == "":
        archive = latest_archive(output_dir, full_only=True) or latest_archive(output_dir)
    else:
        archive = Path(finetune)
    if archive is None or not archive.is_file():
        where = f"in '{output_dir}'" if finetune == "" else f"at '{finetune}'"
        raise ModelNotFound(f"no model to fine-tune {where}",
                            hint="train one first with 'bot train', or pass its archive: --finetune models/X.tar.gz")
    metadata = read_archive_metadata(archive)
    if metadata is None:
        raise InvalidModel(f"'{archive}' is not a model archive", hint="pass an archive written by 'bot train'")
    return archive, metadata


def check_compatible(archive: Path, metadata: ModelMetadata, record: dict[str, Any]) -> None:
    """Raises naming every change that makes `archive` impossible to continue from."""
    old = metadata.extra.get(FINETUNE_KEY)
    if not isinstance(old, dict):
        raise BotError(f"'{archive}' cannot be fine-tuned: it does not record its labels and config "
                       "(it was trained by an older version)", hint="train once without --finetune")
    changes: list[str] = []
    for key, new_value in record.items():
        if key not in old:
            changes.append(f"the model has no '{key.replace('_', ' ')}' part to continue from")
        elif key in ("pipeline", "policies"):
            changes += _config_changes(key, old[key], new_value)
        elif isinstance(new_value, list):
            added, removed = sorted(set(new_value) - set(old[key])), sorted(set(old[key]) - set(new_value))
            label = key.replace("_", " ")
            changes += [f"new {label}: {', '.join(added)}"] if added else []
            changes += [f"{label} no longer there: {', '.join(removed)}"] if removed else []
        elif old[key] != new_value:
            changes.append(f"{key} changed from {old[key]!r} to {new_value!r}")
    if changes:
        listed = "\n".join(f"- {change}" for change in changes)
        raise BotError(f"cannot fine-tune '{archive}': more than the training examples changed:\n{listed}",
                       hint="train without --finetune (a full training), or undo these changes")


def _config_changes(section: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    names = [step.get("name") for step in new]
    if [step.get("name") for step in old] != names:
        return [f"the {section} changed from {[s.get('name') for s in old]} to {names}"]
    changes = []
    for number, (before, after) in enumerate(zip(old, new, strict=True), start=1):
        for option in sorted(set(before) | set(after)):
            if before.get(option) != after.get(option):
                changes.append(f"{section} step {number} ({after.get('name')}): '{option}' changed from "
                               f"{before.get(option)!r} to {after.get(option)!r} (only 'epochs' may change)")
    return changes
