"""Readers for NLU training data (Rasa 3.x YAML) and inline entity markup."""

from bot.shared.nlu.readers.entity_markup import parse_entity_markup, to_markup
from bot.shared.nlu.readers.nlu_yaml import (
    fill_response_phrases,
    find_nlu_files,
    is_nlu_file,
    load_nlu_files,
    read_nlu_text,
    read_nlu_yaml,
)

__all__ = [
    "fill_response_phrases",
    "find_nlu_files",
    "is_nlu_file",
    "load_nlu_files",
    "parse_entity_markup",
    "read_nlu_text",
    "read_nlu_yaml",
    "to_markup",
]
