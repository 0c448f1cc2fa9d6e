"""Stratified splits of NLU training data that keep synonyms, regexes, lookup tables and responses."""

from __future__ import annotations

import copy
import random
from collections import defaultdict

from bot.shared.errors import BotError
from bot.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


def stratification_label(message: Message) -> str:
    """What a split balances on: the retrieval key ("faq/ask_hours") for retrieval examples, else the intent."""
    return str(message.get(INTENT_RESPONSE_KEY) or message.get(INTENT) or "")


def with_examples(data: TrainingData, examples: list[Message]) -> TrainingData:
    """The same synonyms, regexes, lookups and responses, with other examples."""
    return TrainingData(list(examples), dict(data.entity_synonyms), list(data.regex_features),
                        list(data.lookup_tables), dict(data.responses), list(data.sources))


def fresh_copy(message: Message) -> Message:
    """A message that carries only its labels, so nothing a pipeline added to another copy leaks in."""
    return Message(data=copy.deepcopy(message.data), location=message.location)


def train_test_split(data: TrainingData, train_fraction: float = 0.8, seed: int = 42
                     ) -> tuple[TrainingData, TrainingData]:
    """Splits the examples of each label (intent or retrieval key) by `train_fraction`.

    A label with one example keeps it for training; a label with two or more puts at least one
    example on each side, so every intent of the test part was seen in training. Examples without an
    intent (entity-only lines, rare) go to training. Both parts keep every synonym, regex, lookup table
    and response, so the entity definitions stay valid in each.
    """
    if not 0.0 < train_fraction < 1.0:
        raise BotError(f"training fraction {train_fraction} is not between 0 and 1",
                       hint="pass a fraction like 0.8 (80% training, 20% test)")
    by_label: dict[str, list[Message]] = defaultdict(list)
    unlabelled = []
    for message in data.training_examples:
        label = stratification_label(message)
        (by_label[label] if label and message.text else unlabelled).append(message)
    generator = random.Random(seed)
    train: list[Message] = list(unlabelled)
    test: list[Message] = []
    for label in sorted(by_label):
        examples = list(by_label[label])
        generator.shuffle(examples)
        if len(examples) < 2:
            train.extend(examples)
            continue
        keep = min(max(round(len(examples) * train_fraction), 1), len(examples) - 1)
        train.extend(examples[:keep])
        test.extend(examples[keep:])
    order = {id(message): index for index, message in enumerate(data.training_examples)}
    train.sort(key=lambda m: order[id(m)])  # the file order of the original, for readable output
    test.sort(key=lambda m: order[id(m)])
    return with_examples(data, train), with_examples(data, test)
