"""TrainingData -> Rasa 3.x NLU YAML that the readers (ours and Rasa's) read back to the same data."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from bot.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, METADATA
from bot.shared.nlu.message import Message
from bot.shared.nlu.readers.entity_markup import to_markup
from bot.shared.nlu.training_data import TrainingData


def example_markup(message: Message) -> str:
    """The example's text with its entities written inline ([Berlin](city))."""
    return to_markup(message.text, message.entities) if message.entities else message.text


def intent_label(message: Message) -> str:
    """The name an example is listed under: the retrieval key ("faq/ask_hours") or the intent."""
    return str(message.get(INTENT_RESPONSE_KEY) or message.get(INTENT) or "")


def grouped_by_intent(data: TrainingData) -> dict[str, list[Message]]:
    """Examples grouped by the name they are listed under, in first-seen order."""
    groups: dict[str, list[Message]] = defaultdict(list)
    for message in data.training_examples:
        if message.text and intent_label(message):
            groups[intent_label(message)].append(message)
    return dict(groups)


def synonyms_by_value(data: TrainingData) -> dict[str, list[str]]:
    """canonical value -> the surface forms mapped to it (a value mapped to itself is left out)."""
    values: dict[str, list[str]] = defaultdict(list)
    for surface, canonical in data.entity_synonyms.items():
        if surface != canonical:
            values[canonical].append(surface)
    return dict(values)


def to_nlu_yaml(data: TrainingData, version: str = "3.1") -> str:
    """The whole training data (examples, synonyms, regexes, lookup tables, responses) as one YAML file."""
    from ruamel.yaml import YAML

    lines = [f'version: "{version}"', "nlu:"]
    for name, messages in grouped_by_intent(data).items():
        lines.append(f"- intent: {_scalar(name)}")
        if any(m.get(METADATA) for m in messages):
            lines.append("  examples:")
            for message in messages:
                lines.append(f"  - text: {_scalar(example_markup(message))}")
                if message.get(METADATA):
                    lines.append("    metadata:")
                    lines.extend("      " + line for line in _dump(message.get(METADATA)).splitlines())
        else:
            lines.append("  examples: |")
            lines.extend(f"    - {example_markup(message)}" for message in messages)
    for canonical, surfaces in synonyms_by_value(data).items():
        lines += [f"- synonym: {_scalar(canonical)}", "  examples: |", *(f"    - {s}" for s in surfaces)]
    patterns: dict[str, list[str]] = defaultdict(list)
    for regex in data.regex_features:
        patterns[str(regex["name"])].append(str(regex["pattern"]))
    for name, values in patterns.items():
        lines += [f"- regex: {_scalar(name)}", "  examples: |", *(f"    - {p}" for p in values)]
    for table in data.lookup_tables:
        elements = table.get("elements") or []
        lines += [f"- lookup: {_scalar(table['name'])}", "  examples: |", *(f"    - {e}" for e in elements)]
    text = "\n".join(lines) + "\n"
    if data.responses:
        yaml = YAML()
        yaml.default_flow_style = False
        buffer = io.StringIO()
        yaml.dump({"responses": data.responses}, buffer)
        text += buffer.getvalue()
    return text


def _scalar(value: Any) -> str:
    """A one-line YAML scalar, quoted only when plain YAML would read it differently."""
    import json

    text = str(value)
    plain_safe = (text and text == text.strip() and text[0] not in "-?:,[]{}#&*!|>'\"%@`"
                  and ": " not in text and " #" not in text and text.lower() not in
                  ("yes", "no", "true", "false", "null", "on", "off", "~") and not _is_number(text))
    return text if plain_safe else json.dumps(text, ensure_ascii=False)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _dump(value: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(value, buffer)
    return buffer.getvalue()
