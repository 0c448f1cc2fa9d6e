"""Reading YAML with line numbers, so that every error can name file and line."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.shared.errors import BotError, InvalidYaml, location

_ENV_PATTERN = re.compile(r"\$\{([^}:]+)(?::-([^}]*))?\}")
_DATE_PATTERN = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def read_yaml_file(path: str | Path) -> Any:
    """Loads a YAML file keeping line information (ruamel's CommentedMap/CommentedSeq).

    Raises InvalidYaml with file:line when the YAML itself is broken.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidYaml(f"file not found: {path}", hint="check the path") from None
    except UnicodeDecodeError as error:
        raise InvalidYaml(f"not UTF-8 text ({error.reason})", location=str(path),
                          hint="save the file as UTF-8") from None
    return read_yaml(text, source=path)


def read_yaml(text: str, source: str | Path | None = None) -> Any:
    """Parses YAML text; `source` names the file in errors."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "invalid YAML"
        if "duplicate key" in str(error):
            problem = "duplicate key " + str(error).split("found duplicate key", 1)[-1].split("\n")[0].strip()
        raise InvalidYaml(f"invalid YAML: {problem}", location=location(source, line),
                          hint="fix the YAML syntax at that line (indentation, quotes, a missing ':')") from None
    except YAMLError as error:
        raise InvalidYaml(f"invalid YAML: {error}", location=location(source)) from None
    except ValueError as error:
        # ruamel builds dates itself and lets datetime's error through without a mark ("month must
        # be in 1..12" for 2026-13-01); find the line of the first impossible date for it.
        line = _line_of_bad_date(text)
        raise InvalidYaml(f"invalid date{f' {line[1]}' if line else ''}: {error}",
                          location=location(source, line[0] if line else None),
                          hint="write dates as YYYY-MM-DD with a real month and day, or quote the value") from None


def _line_of_bad_date(text: str) -> tuple[int, str] | None:
    """1-based line and text of the first YYYY-MM-DD in `text` that is not a real date."""
    import datetime

    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE_PATTERN.finditer(line.split("#", 1)[0]):
            try:
                datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                return number, match.group(0)
    return None


def line_of(node: Any, key: Any = None) -> int | None:
    """1-based line of a mapping key (or of the node itself) when ruamel recorded it."""
    try:
        if key is not None and isinstance(node, CommentedMap):
            return node.lc.key(key)[0] + 1
        if key is not None and isinstance(node, CommentedSeq):
            return node.lc.item(key)[0] + 1
        return node.lc.line + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def to_plain(node: Any) -> Any:
    """Converts ruamel containers into plain dicts/lists/strings (for storage and hashing)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, float, bool)) else k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def interpolate_env(value: Any, source: str | Path | None = None, line: int | None = None) -> Any:
    """Replaces ${VAR} (and ${VAR:-default}) in strings, recursively, as Rasa does in endpoints.yml."""
    if isinstance(value, dict):
        return {k: interpolate_env(v, source, line_of(value, k) or line) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate_env(v, source, line) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise BotError(f"environment variable '{name}' is not set", location=location(source, line),
                       hint=f"export {name}=... before starting, or write ${{{name}:-default}}")

    return _ENV_PATTERN.sub(substitute, value)
