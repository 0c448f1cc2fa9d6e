"""Starter projects `bot init` copies: a small assistant in English or German that trains and passes
its own test stories (the structure of Rasa's `rasa init` project)."""

from pathlib import Path

LANGUAGES = ("en", "de")


def template_dir(language: str) -> Path:
    """The folder holding the starter project of `language`."""
    return Path(__file__).resolve().parent / language
