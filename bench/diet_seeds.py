"""DIET alone, several seeds and option variants, on features computed once: the spread of small data.

    python bench/diet_seeds.py --bot bench/smallbots/tisch-de --seeds 0,1,2
    python bench/diet_seeds.py --bot bench/smallbots/orders-en --variants '{"no transformer": {"number_of_transformer_layers": 0}}'
    python bench/diet_seeds.py --dataset hwu64 --shots 5 --draw 1 --config bench/configs/rasa-default.yml

The pipeline's components before DIETClassifier are trained once; then DIET is trained per seed
and variant (its options from the config, overridden by the variant's) and ranks the held-out
messages. Prints the classifier's accuracy (best intent) and the accuracy "in force" (a message
whose ranking FallbackClassifier's rule at 0.3 / 0.1 would reject counts as wrong), per seed and
as mean and standard deviation. ResponseSelector and FallbackClassifier are left out, so a
retrieval intent is scored by its base name ("faq"), as DIET predicts it.

With `--bot`, the user messages of the bot's test stories (`tests/*.yml`) are ranked too, and each
seed lists those wrong in force: on the small bots every failed story fails on one such message,
so this shows per seed in seconds what `vs_rasa.py stories` (`bot train` + `bot test`) shows for
the one seed of a bot's config.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fewshot import write_fewshot_split  # noqa: E402
from _nlu_eval import read_config, shared_dir, would_fall_back  # noqa: E402

from bot.nlu.pipeline import NLUPipeline  # noqa: E402
from bot.shared.nlu.message import Message  # noqa: E402
from bot.shared.nlu.readers import is_nlu_file, load_nlu_files, read_nlu_yaml  # noqa: E402
from bot.shared.yaml_io import read_yaml_file, to_plain  # noqa: E402

_LEFT_OUT = ("EntitySynonymMapper", "ResponseSelector", "FallbackClassifier")


def _data(args: argparse.Namespace, folder: Path) -> tuple[list[Path], Path, dict[str, Any]]:
    """(training files, test file, config) of a bot or a benchmark split."""
    if args.bot:
        files = sorted(p for p in (args.bot / "data").rglob("*") if is_nlu_file(p))
        return files, args.bot / "heldout_nlu.yml", read_config(args.config or args.bot / "config.yml")
    source = shared_dir() / "benchmarks" / args.dataset
    files = [write_fewshot_split(source / "train.yml", args.shots, args.draw, folder)] if args.shots \
        else [source / "train.yml"]
    return files, source / "test.yml", read_config(args.config)


def _story_messages(bot: Path) -> list[tuple[str, str]]:
    """(text, intent) of every user message of the bot's test stories (tests/*.yml)."""
    pairs = []
    for path in sorted((bot / "tests").glob("*.yml")):
        for story in to_plain(read_yaml_file(path)).get("stories") or []:
            for step in story.get("steps") or []:
                if "user" in step and "intent" in step:
                    pairs.append((str(step["user"]).strip(), str(step["intent"])))
    return pairs


def _story_misses(diet: Any, featurized: list[Message], pairs: list[tuple[str, str]]) -> list[str]:
    """The test-story messages DIET gets wrong in force (FallbackClassifier's rule at 0.3 / 0.1):
    what makes a story fail when every action is right."""
    messages = [Message(data=dict(m.data), tokens=m.tokens, features=m.features) for m in featurized]
    diet.process(messages)
    misses = []
    for message, (text, intent) in zip(messages, pairs, strict=True):
        ranking = (message.get("intent_ranking") or []) + [{"name": None, "confidence": 0.0}] * 2
        if ranking[0]["name"] != intent or would_fall_back((ranking[0]["confidence"], ranking[1]["confidence"]), 0.3, 0.1):
            misses.append(f"'{text}' {intent} -> {ranking[0]['name']} {ranking[0]['confidence']:.2f}"
                          f" ({ranking[1]['name']} {ranking[1]['confidence']:.2f})")
    return misses


def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="diet-seeds-"))
    try:
        files, test_file, config = _data(args, folder)
        training = load_nlu_files(files)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    steps = [s for s in config["pipeline"] if s["name"] not in _LEFT_OUT]
    at = next(i for i, s in enumerate(steps) if s["name"] == "DIETClassifier")
    language = config.get("language") or "en"
    before = NLUPipeline.from_config({"language": language, "pipeline": steps[:at]})
    before.train(training)
    test = read_nlu_yaml(test_file).training_examples
    featurized = [Message.from_text(m.text) for m in test]
    before.process(featurized)
    gold = [m.get("intent") for m in test]
    story_messages = _story_messages(args.bot) if args.bot else []
    story_featurized = [Message.from_text(text) for text, _ in story_messages]
    before.process(story_featurized)
    variants = json.loads(args.variants) if args.variants else {"as configured": {}}
    for name, options in variants.items():
        correct, in_force, story_misses = [], [], []
        for seed in [int(s) for s in args.seeds.split(",")]:
            step = {**copy.deepcopy(steps[at]), **options, "random_seed": seed}
            diet = NLUPipeline.from_config({"language": language, "pipeline": [step]}).components[0]
            diet.train(training)
            messages = [Message(data=dict(m.data), tokens=m.tokens, features=m.features) for m in featurized]
            diet.process(messages)
            rankings = [m.get("intent_ranking") or [] for m in messages]
            best = [r[0]["name"] if r else None for r in rankings]
            tops = [((r + [{"confidence": 0.0}] * 2)[0]["confidence"], (r + [{"confidence": 0.0}] * 2)[1]["confidence"])
                    for r in rankings]
            correct.append(float(np.mean([g == b for g, b in zip(gold, best, strict=True)])))
            in_force.append(float(np.mean([g == b and not would_fall_back(t, 0.3, 0.1)
                                           for g, b, t in zip(gold, best, tops, strict=True)])))
            if story_messages:
                story_misses.append(_story_misses(diet, story_featurized, story_messages))
        print(f"{name}: accuracy {np.mean(correct):.3f} +/- {np.std(correct):.3f} "
              f"[{' '.join(f'{a:.3f}' for a in correct)}], in force {np.mean(in_force):.3f} "
              f"[{' '.join(f'{a:.3f}' for a in in_force)}]", flush=True)
        for seed, misses in zip(args.seeds.split(","), story_misses, strict=False):
            print(f"  seed {seed}: test-story messages wrong in force {len(misses)}/{len(story_messages)}"
                  + "".join(f"; {m}" for m in misses), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--bot", type=Path, help="a Rasa project with heldout_nlu.yml (bench/smallbots/...)")
    data.add_argument("--dataset", choices=["banking77", "clinc150", "hwu64", "snips"])
    parser.add_argument("--shots", type=int, help="few-shot: examples per intent of train.yml")
    parser.add_argument("--draw", type=int, default=0)
    parser.add_argument("--config", type=Path, help="default: the bot's config.yml")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variants", help='JSON {"name": {DIET option: value}}; default: the config as it is')
    args = parser.parse_args(argv)
    if args.dataset and not args.config:
        parser.error("--dataset needs --config")
    run(args)


if __name__ == "__main__":
    main()
