"""Options that take several values, as Rasa writes them (`--config a.yml b.yml`).

click gives an option one value per occurrence, so `--config a.yml b.yml` is rewritten to
`--config a.yml --config b.yml` before parsing, for the options and commands listed here.
"""

from __future__ import annotations

import re

_NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d*)?")

# command (first word) -> options that take every following word up to the next option
MULTI_VALUE_OPTIONS = {"test": ("--config", "--percentages", "--compare")}


# command -> options whose value may be left out (Rasa's `nargs="?"`), and the value they then get
OPTIONAL_VALUE_OPTIONS = {"train": {"--finetune": ""}}  # "": the newest model in --out


def spread_multi_values(argv: list[str]) -> list[str]:
    """`["test", "nlu", "--config", "a", "b"]` -> `["test", "nlu", "--config", "a", "--config", "b"]`;
    also `["train", "--finetune"]` -> `["train", "--finetune", ""]` (an option without its optional value)."""
    argv = _fill_optional_values(argv)
    command = next((word for word in argv if not word.startswith("-")), None)
    options = MULTI_VALUE_OPTIONS.get(command or "", ())
    spread: list[str] = []
    current: str | None = None
    for word in argv:
        if word.startswith("-") and not _NEGATIVE_NUMBER.fullmatch(word):
            current = word if word in options else None
            spread.append(word)
        elif current is not None and spread[-1] != current:
            spread.extend([current, word])
        else:
            spread.append(word)
    return spread


def _fill_optional_values(argv: list[str]) -> list[str]:
    command = next((word for word in argv if not word.startswith("-")), None)
    optional = OPTIONAL_VALUE_OPTIONS.get(command or "", {})
    filled: list[str] = []
    for index, word in enumerate(argv):
        filled.append(word)
        if word in optional:
            following = argv[index + 1] if index + 1 < len(argv) else None
            if following is None or (following.startswith("-") and not _NEGATIVE_NUMBER.fullmatch(following)):
                filled.append(optional[word])
    return filled
