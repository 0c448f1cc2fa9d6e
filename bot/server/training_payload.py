"""The training payload of `POST /model/train`, written out as a project: config, domain and data files.

Rasa's payload is one YAML document holding the config (`language`, `pipeline`, `policies`), the
domain (`intents`, `responses`, ...) and the data (`nlu`, `stories`, `rules`). It is split by its
top-level keys into three files; each keeps the other parts' lines blank, so an error in any of them
points at the body's own line numbers. Rasa's older JSON payload (each part as a YAML string) is
accepted too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.server.errors import bad_request

__all__ = ["TrainJsonBody", "write_json_payload", "write_yaml_payload"]

CONFIG_KEYS = frozenset({"language", "pipeline", "policies", "recipe", "assistant_id"})
DATA_KEYS = frozenset({"nlu", "stories", "rules"})
_TOP_LEVEL_KEY = re.compile(r"""^(["']?)([A-Za-z_][\w-]*)\1\s*:""")


class TrainJsonBody(BaseModel):
    """Rasa's JSON training payload: each part as YAML text (or already as an object)."""

    model_config = ConfigDict(extra="allow")
    config: str | dict[str, Any] = Field(description="config.yml: language, pipeline, policies")
    domain: str | dict[str, Any] | None = None
    nlu: str | dict[str, Any] | None = None
    stories: str | dict[str, Any] | None = None
    rules: str | dict[str, Any] | None = None
    responses: str | dict[str, Any] | None = None
    force: bool = False
    save_to_default_model_directory: bool = True


def _parse_mapping(text: str) -> dict[str, Any]:
    """The body as a YAML mapping; `InvalidYaml` ("body:3") for a syntax error."""
    from bot.shared.yaml_io import read_yaml

    content = read_yaml(text, source="body")
    if not isinstance(content, dict):
        raise bad_request("The request body must be a YAML mapping with the config (language, pipeline, "
                          "policies), the domain (intents, responses, ...) and the data (nlu, stories, rules).",
                          "body")
    return content


def write_yaml_payload(text: str, directory: Path) -> tuple[Path, Path, Path]:
    """Splits Rasa's one-document payload into config.yml, domain.yml and data/training.yml under `directory`."""
    content = _parse_mapping(text)
    if not CONFIG_KEYS & set(content):
        raise bad_request("The training payload has no config: add 'language', 'pipeline' and 'policies' "
                          "(as in config.yml) to the YAML.", "body")
    parts: dict[str, list[str]] = {"config": [], "domain": [], "data": []}
    section = "domain"
    for line in text.splitlines():
        match = _TOP_LEVEL_KEY.match(line)
        if match:
            key = match.group(2)
            section = ("all" if key == "version" else "config" if key in CONFIG_KEYS
                       else "data" if key in DATA_KEYS else "domain")
        for name, lines in parts.items():
            lines.append(line if section in (name, "all") else "")
    config, domain, data = directory / "config.yml", directory / "domain.yml", directory / "data" / "training.yml"
    data.parent.mkdir(parents=True, exist_ok=True)
    for path, name in ((config, "config"), (domain, "domain"), (data, "data")):
        path.write_text("\n".join(parts[name]) + "\n", encoding="utf-8")
    return config, domain, data.parent


def write_json_payload(body: TrainJsonBody, directory: Path) -> tuple[Path, Path, Path]:
    """Writes each part of Rasa's JSON payload to its own file under `directory`."""
    from ruamel.yaml import YAML

    def write(path: Path, part: str | dict[str, Any] | None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(part, dict):
            with path.open("w", encoding="utf-8") as file:
                YAML(typ="safe", pure=True).dump(part, file)
        else:
            path.write_text(part or "", encoding="utf-8")

    config, domain, data = directory / "config.yml", directory / "domain.yml", directory / "data"
    write(config, body.config)
    write(domain, body.domain if body.domain is not None else "version: \"3.1\"\n")
    for name in ("nlu", "stories", "rules", "responses"):
        part = getattr(body, name)
        if part is not None:
            write(data / f"{name}.yml", part)
    data.mkdir(parents=True, exist_ok=True)
    return config, domain, data
