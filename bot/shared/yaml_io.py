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
        line, column, problem, hint = _explain(error, text)
        shown = _show_line(text, line, column)
        raise InvalidYaml(f"{problem}{shown}", location=location(source, line + 1 if line is not None else None),
                          hint=hint) from None
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


_GENERIC_HINT = "check the indentation (spaces only), quotes and the ':' after each key on that line"


def _explain(error: MarkedYAMLError, text: str) -> tuple[int | None, int, str, str]:
    """(0-based line, column, problem, hint) in a designer's words, at the line where the mistake is:
    the parser often notices it a line or more later (an unclosed quote, a key without ':')."""
    problem = str(error.problem or "")
    context = str(error.context or "")
    at, opened = error.problem_mark, error.context_mark
    lines = text.splitlines()
    if "duplicate key" in problem or "duplicate key" in str(error):
        key = str(error).split("found duplicate key", 1)[-1].split("with value")[0].strip().strip('"')
        first = f" (first on line {opened.line + 1})" if opened is not None and opened.line != at.line else ""
        return (at.line if at else None, at.column if at else 0, f"the key '{key}' appears twice in one mapping{first}",
                "remove one of them or merge what they hold")
    if "while scanning a simple key" in context and opened is not None:
        return (opened.line, opened.column, "this line has no ':' after its key",
                "write 'key:' (with the colon), or make the line part of the list or text above it")
    if "quoted scalar" in context and opened is not None:
        return (opened.line, opened.column, "a quote opened here is never closed",
                "close the quote on the same line, or quote the whole text with the other kind of quote")
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        mark = opened or at
        return (mark.line, mark.column, f"a '{bracket}' opened here is not closed where YAML expects it",
                f"a text that starts with '{bracket}' must be quoted: \"{bracket}...\"")
    if "\\t" in problem or "\t" in problem:
        return (at.line, at.column, "a tab character in the indentation", "indent with spaces only")
    if "mapping values are not allowed" in problem:
        previous = _previous_content_line(lines, at.line)
        if previous is not None and ":" not in lines[previous] and not lines[previous].strip().startswith("-"):
            return (previous, len(lines[previous].rstrip()), "this line has no ':' after its key",
                    "write 'key:' (with the colon) at the end of the name")
        return (at.line, at.column, "a ': ' inside a text", "quote the whole text: text: \"Hello: there\"")
    if "expected <block end>" in problem and "<scalar>" in problem and at is not None:
        return (at.line, at.column, "the text goes on after its closing quote",
                "quote texts that contain an apostrophe with double quotes: text: \"it's me\"")
    if "expected <block end>" in problem or "expected <block mapping start>" in problem:
        return (at.line, at.column, "this line is indented differently from the lines it belongs to",
                "indent it like its neighbours (the same number of spaces as the other keys or list items)")
    mark = at or opened
    return (mark.line if mark else None, mark.column if mark else 0,
            f"invalid YAML: {problem or context or 'cannot be read'}", _GENERIC_HINT)


def _previous_content_line(lines: list[str], index: int) -> int | None:
    for previous in range(min(index, len(lines)) - 1, -1, -1):
        if lines[previous].strip() and not lines[previous].strip().startswith("#"):
            return previous
    return None


def _show_line(text: str, line: int | None, column: int) -> str:
    """The offending line with a caret under the column, indented under the message."""
    lines = text.splitlines()
    if line is None or not 0 <= line < len(lines):
        return ""
    content = lines[line].replace("\t", " ")
    number = f"{line + 1} | "
    caret = " " * (len(number) + min(column, len(content))) + "^"
    return f"\n    {number}{content}\n    {caret}"


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
