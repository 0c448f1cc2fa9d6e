"""DucklingEntityExtractor: dates, amounts, numbers... from a Duckling server over HTTP.

Sends each message to ``POST {url}/parse`` (form fields text, locale, tz, dims, reftime)
and turns Duckling's matches into entities::

    {"entity": "time", "start": 10, "end": 18, "text": "tomorrow", "value": "2024-05-02T00:00:00.000+02:00",
     "confidence": 1.0, "additional_info": {...Duckling's value...}, "extractor": "DucklingEntityExtractor"}

Interval values become {"from": ..., "to": ...}. The environment variable
RASA_DUCKLING_HTTP_URL overrides `url`, as in Rasa.

Degrades like Rasa: when the server cannot be reached, times out or answers with an
error, the message gets no Duckling entities and a warning is logged (once until the
server answers again, so a down server does not flood the log); parsing goes on.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx

from bot.nlu.component import Component, ComponentConfig
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.constants import ENTITIES, EXTRACTOR, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

URL_ENV_VAR = "RASA_DUCKLING_HTTP_URL"
EXTRACTOR_NAME = "DucklingEntityExtractor"


class DucklingConfig(ComponentConfig):
    """Rasa's DucklingEntityExtractor options."""

    url: str | None = None
    dimensions: list[str] | None = None  # None: keep every dimension Duckling finds
    locale: str | None = None  # default: "<language>_<LANGUAGE>", e.g. "de_DE"
    timezone: str | None = None
    timeout: float = 3.0


def duckling_to_entities(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Duckling's JSON matches as Rasa entities (without the extractor name)."""
    entities = []
    for match in matches:
        raw_value = match.get("value") or {}
        if raw_value.get("type") == "interval":
            value: Any = {
                "to": (raw_value.get("to") or {}).get("value"),
                "from": (raw_value.get("from") or {}).get("value"),
            }
        else:
            value = raw_value.get("value")
        entities.append({
            "start": match["start"],
            "end": match["end"],
            "text": match.get("body", match.get("text")),
            "value": value,
            "confidence": 1.0,
            "additional_info": raw_value,
            "entity": match["dim"],
        })
    return entities


class DucklingEntityExtractor(Component):
    """Entity extraction by a Duckling HTTP server (nothing to train)."""

    Config: ClassVar[type[ComponentConfig]] = DucklingConfig
    config: DucklingConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self._client: httpx.Client | None = None
        self._warned_unreachable = False

    @property
    def url(self) -> str:
        url = os.environ.get(URL_ENV_VAR) or self.config.url
        if not url:
            raise InvalidConfig(
                "DucklingEntityExtractor has no `url`",
                hint=f"set `url: http://localhost:8000` under DucklingEntityExtractor in config.yml "
                f"(or the environment variable {URL_ENV_VAR})",
            )
        return url.rstrip("/")

    @property
    def locale(self) -> str:
        if self.config.locale:
            return self.config.locale
        language = (self.language or "en").split("-")[0].split("_")[0]
        return f"{language}_{language.upper()}"

    def train(self, training_data: TrainingData) -> None:
        _ = self.url  # a missing url is a config error: report it at train time, not per message

    def _payload(self, text: str, reference_time_ms: int) -> dict[str, str]:
        payload = {"text": text, "locale": self.locale, "reftime": str(reference_time_ms)}
        if self.config.timezone:
            payload["tz"] = self.config.timezone
        if self.config.dimensions:
            payload["dims"] = json.dumps(self.config.dimensions)
        return payload

    @staticmethod
    def _reference_time_ms(message: Message) -> int:
        stamp = message.get("time")  # seconds since the epoch, when the channel gave one
        try:
            return int(float(stamp) * 1000) if stamp is not None else int(time.time() * 1000)
        except (TypeError, ValueError):
            return int(time.time() * 1000)

    def _request(self, text: str, reference_time_ms: int) -> list[dict[str, Any]]:
        if self._client is None:
            self._client = httpx.Client(timeout=self.config.timeout)
        try:
            response = self._client.post(
                f"{self.url}/parse",
                data=self._payload(text, reference_time_ms),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
            )
            response.raise_for_status()
            matches = response.json()
        except (httpx.HTTPError, ValueError) as error:
            if not self._warned_unreachable:
                logger.warning(
                    "DucklingEntityExtractor: no answer from the Duckling server at %s (%s); messages get no "
                    "Duckling entities until it answers. Start Duckling (e.g. docker run -p 8000:8000 "
                    "rasa/duckling) or fix `url` in config.yml.", self.url, error,
                )
                self._warned_unreachable = True
            else:
                logger.debug("Duckling still unreachable: %s", error)
            return []
        self._warned_unreachable = False
        return matches if isinstance(matches, list) else []

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            entities = duckling_to_entities(self._request(text, self._reference_time_ms(message)))
            if self.config.dimensions:
                entities = [e for e in entities if e["entity"] in self.config.dimensions]
            for entity in entities:
                entity[EXTRACTOR] = EXTRACTOR_NAME
            if entities:
                message.set(ENTITIES, list(message.get(ENTITIES) or []) + entities)

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their annotations; Duckling is only asked at parse time."""

    def persist(self, directory: Path) -> None:
        (directory / "duckling.json").write_text(json.dumps({"language": self.language}), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> DucklingEntityExtractor:
        component = cls(config)
        state_file = directory / "duckling.json"
        if state_file.exists():
            component.language = json.loads(state_file.read_text(encoding="utf-8")).get("language")
        return component
