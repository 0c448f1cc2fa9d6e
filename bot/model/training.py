"""`bot train`: reads a project, trains what changed, writes one archive."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bot
from bot.model.archive import (
    MODEL_FORMAT,
    ModelMetadata,
    archive_name,
    latest_archive,
    read_archive_metadata,
    unpack_model,
    write_archive,
)
from bot.model.finetuning import FINETUNE_KEY, check_compatible, finetune_base, finetune_record
from bot.nlu.pipeline import NLUPipeline, ProgressCallback
from bot.shared.errors import BotError, InvalidTrainingData
from bot.shared.project import Project

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """Where the model is and whether training was skipped because nothing changed."""

    model_path: Path
    reused: bool
    trained_parts: list[str]
    seconds: float


def _hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def nlu_fingerprint(project: Project) -> str:
    config = project.load_config()
    return _hash({"version": bot.__version__, "format": MODEL_FORMAT, "language": config.language,
                  "pipeline": config.pipeline, "data": project.load_nlu_data().fingerprint()})


def core_fingerprint(project: Project) -> str:
    config = project.load_config()
    # keyed by the path inside the project: the same project trained from another folder (a copy, or
    # each `POST /model/train` in its own temporary folder) is the same model
    stories = {_project_relative(project, p): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in training_story_files(project)}
    return _hash({"version": bot.__version__, "format": MODEL_FORMAT, "policies": config.policies,
                  "domain": project.load_domain().fingerprint(), "stories": stories})


def _project_relative(project: Project, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def training_story_files(project: Project) -> list[Path]:
    from bot.shared.core.stories_yaml import is_test_story_file

    return [p for p in project.story_files if not is_test_story_file(p, project_root=project.root)]


def train(
    project: Project,
    output_dir: str | Path = "models",
    *,
    nlu_only: bool = False,
    force: bool = False,
    fixed_name: str | None = None,
    progress: ProgressCallback | None = None,
    finetune: str | Path | None = None,
    epoch_fraction: float = 1.0,
) -> TrainResult:
    """Trains the project's model; returns the newest archive unchanged when its inputs did not change.

    With `finetune` (an archive, or "" for the newest in `output_dir`) the networks continue from that
    model for `epochs` × `epoch_fraction` instead of starting afresh (see `bot.model.finetuning`).
    """
    started = time.perf_counter()
    output_dir = Path(output_dir)
    config = project.load_config()
    has_nlu = bool(project.load_nlu_data().intent_examples)
    train_core = not nlu_only and project.domain_path is not None
    if not has_nlu and not train_core:
        raise BotError("no NLU training examples found",
                       location=", ".join(str(p) for p in project.data_paths),
                       hint="add intents with examples under data/ (Rasa NLU YAML with an 'nlu:' key)")
    if not has_nlu:
        logger.warning("no NLU examples: the model will understand only '/intent' messages")
    fingerprint: dict[str, str] = {}
    if has_nlu:
        fingerprint["nlu"] = nlu_fingerprint(project)
    if train_core:
        fingerprint["core"] = core_fingerprint(project)

    if train_core:
        check_dialogue_data(project)

    record = finetune_record(project, nlu=has_nlu, core=train_core)
    if finetune is not None:
        if not 0 < epoch_fraction <= 1:
            raise BotError(f"--epoch-fraction must be above 0 and at most 1, not {epoch_fraction}",
                           hint="e.g. --epoch-fraction 0.2 trains a fifth of the configured epochs")
        previous, base_meta = finetune_base(finetune, output_dir)
        check_compatible(previous, base_meta, record)
        previous_meta: ModelMetadata | None = base_meta
    else:
        previous = latest_archive(output_dir)
        previous_meta = read_archive_metadata(previous) if previous else None
    if previous and previous_meta and not force and previous_meta.fingerprint == fingerprint:
        logger.info("nothing changed since %s", previous)
        return TrainResult(previous, True, [], time.perf_counter() - started)

    staging = Path(tempfile.mkdtemp(prefix="bot-train-"))
    trained: list[str] = []
    train_seconds: dict[str, float] = {}
    try:
        # Dialogue first: its checks (contradicting rules) take seconds and stop a training that
        # would otherwise spend its NLU epochs before failing.
        for part in sorted(fingerprint, key=lambda name: name != "core"):
            reusable = (not force and previous is not None and previous_meta is not None
                        and previous_meta.fingerprint.get(part) == fingerprint[part] and part in previous_meta.parts)
            if reusable:
                shutil.copytree(unpack_model(previous) / part, staging / part)
                continue
            part_started = time.perf_counter()
            if part == "nlu":
                pipeline = NLUPipeline.from_config(config)
                if finetune is not None and previous is not None and previous_meta and "nlu" in previous_meta.parts:
                    base = NLUPipeline.load(unpack_model(previous) / "nlu")
                    pipeline.finetune(base, project.load_nlu_data(), epoch_fraction, progress=progress)
                else:
                    pipeline.train(project.load_nlu_data(), progress=progress)
                pipeline.persist(staging / "nlu")
            else:
                base_core = None
                if finetune is not None and previous is not None and previous_meta and "core" in previous_meta.parts:
                    base_core = unpack_model(previous) / "core"
                _train_core(project, staging / "core", progress, base_core, epoch_fraction)
            train_seconds[part] = time.perf_counter() - part_started
            trained.append(part)
        extra: dict[str, object] = {FINETUNE_KEY: record}
        if finetune is not None and previous is not None:
            extra.update(finetuned_from=previous.name, epoch_fraction=epoch_fraction)
        metadata = ModelMetadata(fingerprint=fingerprint, parts=list(fingerprint), language=config.language,
                                 train_seconds=train_seconds, extra=extra)
        path = write_archive(staging, metadata, output_dir / archive_name(fixed_name,
                                                                           nlu_only="core" not in fingerprint))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return TrainResult(path, False, trained, time.perf_counter() - started)


def check_dialogue_data(project: Project) -> None:
    """Refuses, before anything is trained, stories and rules that use names the domain does not define
    (what `bot data validate` reports as errors): such a model would answer "Sorry, I didn't get that"."""
    from bot.shared.core.stories_yaml import read_story_files
    from bot.shared.validation import validate_domain_and_stories

    blocks = read_story_files(training_story_files(project), project_root=project.root)
    errors = [issue for issue in validate_domain_and_stories(project.load_domain(), blocks)
              if issue.severity == "error"]
    if errors:
        listed = "\n".join(f"- {issue}" for issue in errors)
        raise InvalidTrainingData(f"the stories and rules use {len(errors)} name(s) the domain does not define; "
                                  f"no model was written:\n{listed}", location=errors[0].location,
                                  hint="define each name in domain.yml, or correct its spelling in the story "
                                       "or rule (`bot data validate` lists them too)")


def _train_core(project: Project, directory: Path, progress: ProgressCallback | None,
                finetune_from: Path | None = None, epoch_fraction: float = 1.0) -> None:
    """Trains the dialogue policies into `directory`; with `finetune_from` (a previous model's core
    folder) the policies with a network continue from its weights for `epochs` × `epoch_fraction`."""
    from bot.core.agent import DOMAIN_FILE
    from bot.core.policies.ensemble import PolicyEnsemble
    from bot.core.policies.policy import TrainingStories
    from bot.shared.core.stories_yaml import read_story_files
    from bot.shared.core.story_graph import expand_stories

    domain = project.load_domain()
    blocks = read_story_files(training_story_files(project), project_root=project.root)
    trajectories = expand_stories(blocks, entity_slots=[s.name for s in domain.slots])
    config = project.load_config()
    ensemble = PolicyEnsemble.from_config(config.policies, config.policy_locations)
    if progress:
        progress("dialogue policies", 0, 1)
    stories = TrainingStories(blocks, trajectories)
    if finetune_from is not None:
        ensemble.finetune(PolicyEnsemble.load(finetune_from / "policies"), stories, domain, epoch_fraction)
    else:
        ensemble.train(stories, domain)
    directory.mkdir(parents=True, exist_ok=True)
    ensemble.persist(directory / "policies")
    (directory / DOMAIN_FILE).write_text(json.dumps(domain.as_dict(), default=str))
