"""`bot train --finetune` for the dialogue: TEDPolicy fine-tuned against a full retrain, after a small story change.

    python bench/ted_finetune.py                       # the example assistant in the repository root
    python bench/ted_finetune.py --project PATH --epoch-fraction 0.2

Copies the project's config, domain and data to a temporary folder, trains its policies, adds one
exchange ("thanks" -> the answer to thanks) to the first story that has one, then times in the same
process a fine-tune of the saved policies (`PolicyEnsemble.finetune`, what `bot train --finetune`
runs for a changed dialogue) and a full training on the changed stories. Prints wall and CPU time
and the load average: on a shared machine the CPU time is the figure to compare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.core.policies.ensemble import PolicyEnsemble  # noqa: E402
from bot.core.policies.policy import TrainingStories  # noqa: E402
from bot.model.training import training_story_files  # noqa: E402
from bot.shared.core.stories_yaml import read_story_files  # noqa: E402
from bot.shared.core.story_graph import expand_stories  # noqa: E402
from bot.shared.project import Project  # noqa: E402

EXCHANGE = "  - intent: thanks\n  - action: utter_youre_welcome\n"


def _stories(project: Project) -> tuple[TrainingStories, object]:
    domain = project.load_domain()
    blocks = read_story_files(training_story_files(project), project_root=project.root)
    trajectories = expand_stories(blocks, entity_slots=[slot.name for slot in domain.slots])
    return TrainingStories(blocks, trajectories), domain


def _timed(label: str, work: Callable[[], None]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    print(f"{label:<40} wall {time.perf_counter() - wall:6.1f} s   CPU {time.process_time() - cpu:6.1f} s   "
          f"load {' '.join(f'{value:.1f}' for value in os.getloadavg())}", flush=True)


def _add_exchange(project_dir: Path) -> None:
    for path in sorted((project_dir / "data").rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "stories:" in text and EXCHANGE in text:
            path.write_text(text.replace(EXCHANGE, EXCHANGE * 2, 1), encoding="utf-8")
            return
    raise SystemExit("no story with a thanks exchange to extend; pass another --project")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=REPO)
    parser.add_argument("--epoch-fraction", type=float, default=0.2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in ("config.yml", "domain.yml", "data"):
            source = args.project / name
            if source.is_dir():
                shutil.copytree(source, work / name)
            else:
                shutil.copy(source, work / name)
        config = Project.discover(work).load_config()
        stories, domain = _stories(Project.discover(work))
        first = PolicyEnsemble.from_config(config.policies)
        _timed("full training (warm-up, before the change)", lambda: first.train(stories, domain))
        first.persist(work / "policies")
        _add_exchange(work)
        stories, domain = _stories(Project.discover(work))
        tuned = PolicyEnsemble.from_config(config.policies)
        _timed(f"fine-tune, epoch fraction {args.epoch_fraction}",
               lambda: tuned.finetune(PolicyEnsemble.load(work / "policies"), stories, domain, args.epoch_fraction))
        full = PolicyEnsemble.from_config(config.policies)
        _timed("full retrain (after the change)", lambda: full.train(stories, domain))
        for policy in tuned.policies:
            if getattr(policy, "finetuned_epochs", None):
                print(f"{policy.name}: {policy.finetuned_epochs} of {policy.config.epochs} epochs fine-tuned")


if __name__ == "__main__":
    main()
