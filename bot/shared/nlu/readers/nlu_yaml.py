"""Reading Rasa 3.x NLU YAML files (the `nlu:` and `responses:` keys) into TrainingData."""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.shared.errors import InvalidTrainingData, location
from bot.shared.nlu.constants import ENTITIES, INTENT, INTENT_RESPONSE_KEY, METADATA, RESPONSE, TEXT
from bot.shared.nlu.readers._nlu_items import ReadContext, read_nlu_item
from bot.shared.nlu.training_data import TrainingData
from bot.shared.yaml_io import line_of, read_yaml, read_yaml_file, to_plain

logger = logging.getLogger(__name__)

KEY_NLU = "nlu"
KEY_RESPONSES = "responses"
KEY_VERSION = "version"
YAML_SUFFIXES = (".yml", ".yaml")
# Keys Rasa allows beside `nlu` in a training data file; anything else close to `nlu`/`responses`
# is probably a typo worth a warning.
_OTHER_KNOWN_KEYS = {"stories", "rules", "version", "intents", "entities", "slots", "forms", "actions",
                     "session_config", "e2e_actions", "config", "test"}
_TOP_LEVEL_NLU = re.compile(r"^(?:nlu|responses|\"nlu\"|\"responses\"|'nlu'|'responses')\s*:", re.MULTILINE)


def read_nlu_yaml(path: str | Path) -> TrainingData:
    """Reads one NLU YAML file; raises InvalidYaml / InvalidTrainingData with file:line."""
    path = Path(path)
    content = read_yaml_file(path)
    data = _read_content(content, str(path), path.parent)
    fill_response_phrases(data)
    return data


def read_nlu_text(text: str, source: str | Path | None = None) -> TrainingData:
    """Reads NLU YAML from a string; `source` names it in errors and locations (default "<text>")."""
    name = str(source) if source is not None else "<text>"
    content = read_yaml(text, source=name)
    base_dir = Path(source).parent if source is not None else None
    data = _read_content(content, name, base_dir)
    fill_response_phrases(data)
    return data


def load_nlu_files(paths: Iterable[str | Path]) -> TrainingData:
    """Reads and merges several NLU files; exact duplicate examples are kept once (as Rasa does)."""
    parts = [_read_nlu_file(Path(path)) for path in paths]
    merged = TrainingData().merge(*parts) if parts else TrainingData()
    merged.training_examples = _without_duplicates(merged.training_examples)
    fill_response_phrases(merged)
    return merged


def _read_nlu_file(path: Path) -> TrainingData:
    """YAML, or Rasa's JSON format (which Rasa 3 still trains on) by the file's suffix."""
    if path.suffix.lower() == ".json":
        from bot.shared.nlu.readers.other_formats import read_rasa_json

        return read_rasa_json(path)
    return read_nlu_yaml(path)


def find_nlu_files(paths: Iterable[str | Path]) -> list[Path]:
    """The NLU files among `paths` (folders searched recursively, domain.yml skipped), in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found.extend(p for p in candidates if p.name not in ("domain.yml", "domain.yaml") and is_nlu_file(p))
    return found


def is_nlu_file(path: str | Path) -> bool:
    """True for a YAML file with a top-level `nlu:` or `responses:` key, or a Rasa JSON NLU file.

    Note that a domain file has `responses:` too; callers exclude the domain first (as Rasa does).
    A file that cannot be read as text is not an NLU file; broken YAML is reported when it is read.
    """
    path = Path(path)
    json_file = path.suffix.lower() == ".json"
    if (path.suffix.lower() not in YAML_SUFFIXES and not json_file) or not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if json_file:  # broken JSON with the key is reported when it is read
        return '"rasa_nlu_data"' in text
    # Block-style YAML (what everyone writes) shows top-level keys at column 0, so a line scan
    # answers without parsing large files twice. Flow style falls back to a real parse.
    if _TOP_LEVEL_NLU.search(text):
        return True
    if text.lstrip().startswith("{"):
        try:
            content = read_yaml(text, source=path)
        except Exception:  # broken YAML is reported by whoever reads the file for real
            return False
        return isinstance(content, dict) and (KEY_NLU in content or KEY_RESPONSES in content)
    return False


def _read_content(content: Any, source: str, base_dir: Path | None) -> TrainingData:
    context = ReadContext(source=source, base_dir=base_dir)
    context.data.sources.append(source)
    if content is None:
        return context.data
    if not isinstance(content, dict):
        raise InvalidTrainingData("an NLU file must be a mapping with an 'nlu:' key at the top",
                                  location=location(source, line_of(content)),
                                  hint="start the file with 'version: \"3.1\"' and 'nlu:'")
    _check_version(content, source)
    _warn_about_typos(content, source)
    nlu = content.get(KEY_NLU)
    if nlu is not None:
        if not isinstance(nlu, list):
            raise InvalidTrainingData("'nlu:' must hold a list of '- intent:' / '- synonym:' / ... entries",
                                      location=location(source, line_of(content, KEY_NLU)),
                                      hint="indent the entries under 'nlu:' and start each with '- '")
        for index, item in enumerate(nlu):
            read_nlu_item(item, index, nlu, context)
    if content.get(KEY_RESPONSES) is not None:
        context.data.responses.update(_read_responses(content, source))
    context.data.training_examples = _without_duplicates(context.data.training_examples)
    return context.data


def _check_version(content: dict, source: str) -> None:
    """Rasa reads format versions 2.0 to 3.x; others get a warning (the content is still read)."""
    if KEY_VERSION not in content:
        return
    version = content[KEY_VERSION]
    where = location(source, line_of(content, KEY_VERSION))
    if not isinstance(version, str):
        logger.warning("%s: 'version' should be a quoted string like \"3.1\", found %r", where, version)
        version = str(version)
    match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", version)
    if match is None or int(match.group(1)) not in (2, 3):
        logger.warning("%s: training data format version '%s' is not one this reader knows (2.0 to 3.x); "
                       "reading it as 3.x", where, version)


def _warn_about_typos(content: dict, source: str) -> None:
    for key in content:
        if key in (KEY_NLU, KEY_RESPONSES) or key in _OTHER_KNOWN_KEYS:
            continue
        close = difflib.get_close_matches(str(key), [KEY_NLU, KEY_RESPONSES], n=1, cutoff=0.6)
        if close:
            logger.warning("%s: top-level key '%s' is ignored; did you mean '%s'?",
                           location(source, line_of(content, key)), key, close[0])


def _read_responses(content: dict, source: str) -> dict[str, list[dict[str, Any]]]:
    """Retrieval responses in an NLU file: `utter_faq/ask_hours: [ {text: ...}, ... ]`."""
    section = content[KEY_RESPONSES]
    if not isinstance(section, dict):
        raise InvalidTrainingData("'responses:' must map response names to lists of variations",
                                  location=location(source, line_of(content, KEY_RESPONSES)),
                                  hint="write 'utter_faq/ask_hours:' followed by '- text: ...' lines")
    responses: dict[str, list[dict[str, Any]]] = {}
    for name, variations in section.items():
        where = location(source, line_of(section, name))
        if not isinstance(variations, list) or not variations:
            raise InvalidTrainingData(f"response '{name}' must be a non-empty list of variations",
                                      location=where, hint=f"write '{name}:' followed by '- text: ...'")
        for variation in variations:
            if not isinstance(variation, dict):
                raise InvalidTrainingData(f"a variation of response '{name}' is not a mapping: {to_plain(variation)!r}",
                                          location=location(source, line_of(variation) or line_of(section, name)),
                                          hint="write each variation as '- text: ...' (or image, buttons, custom)")
        responses[str(name)] = to_plain(variations)
    return responses


def fill_response_phrases(data: TrainingData) -> None:
    """Sets message.data["response"] of retrieval examples to the first text of their response.

    Looks under "utter_<intent_response_key>" (Rasa 3) and falls back to the bare key (older
    files); with no text variation the response name itself is the label, as in Rasa.
    """
    for message in data.training_examples:
        key = message.get(INTENT_RESPONSE_KEY)
        if not key or message.get(RESPONSE):
            continue
        name = f"utter_{key}" if f"utter_{key}" in data.responses else key
        variations = data.responses.get(name)
        if not variations:
            continue
        text = next((v[TEXT] for v in variations if isinstance(v, dict) and v.get(TEXT)), None)
        message.set(RESPONSE, str(text).strip() if text is not None else name)


def _without_duplicates(messages: list[Any]) -> list[Any]:
    """Drops exact repeats (same text, intent, entities and metadata), keeping the first, as Rasa does.

    One warning lists them all: large data sets repeat hundreds of examples.
    """
    seen: dict[tuple, str | None] = {}
    unique = []
    repeats: list[str] = []
    for message in messages:
        key = (message.get(TEXT), message.get(INTENT), message.get(INTENT_RESPONSE_KEY),
               json.dumps([message.get(ENTITIES) or [], message.get(METADATA)], sort_keys=True, default=str))
        if key in seen:
            repeats.append(f"{message.location} '{message.get(TEXT)}' (first at {seen[key]})")
            continue
        seen[key] = message.location
        unique.append(message)
    if repeats:
        shown = "; ".join(repeats[:_SHOWN_DUPLICATES])
        more = f"; and {len(repeats) - _SHOWN_DUPLICATES} more" if len(repeats) > _SHOWN_DUPLICATES else ""
        logger.warning("%d duplicate example(s) of the same intent are used once: %s%s", len(repeats), shown, more)
    return unique


_SHOWN_DUPLICATES = 5
