"""When the bot hands a conversation to a person, read from the tracker's events and a config.

    config = TriggerConfig.from_dict(yaml_section)          # defaults when the section is absent
    reason = escalation_reason(tracker_event_dicts, config)  # "asked_for_human", "rule:vip", ... or None

Each trigger looks only at what happened since the conversation last came back from a person (or
since the session started), so a fallback before a handback does not count twice, and returns the
reason the `handover` event carries, or None. Every trigger can be switched off (`enabled: false`,
or just `false`). Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.shared.core.domain.constants import (
    ACTION_DEFAULT_FALLBACK,
    ACTION_LISTEN,
    ACTION_SESSION_START,
    ACTION_TWO_STAGE_FALLBACK,
    INTENT_NLU_FALLBACK,
)
from bot.shared.errors import BotError
from handover.ownership import HANDOVER_EVENT_NAMES, ownership_from_events
from handover.sentiment import DEFAULT_THRESHOLD, LANGUAGES, is_angry

__all__ = [
    "BusinessRule", "ExplicitRequestTrigger", "InvalidTriggerConfig", "LowConfidenceTrigger",
    "NegativeSentimentTrigger", "RepeatedFallbackTrigger", "TriggerConfig", "business_rule", "escalation_reason",
    "explicit_request", "low_confidence", "negative_sentiment", "repeated_fallback",
]

Events = Sequence[Mapping[str, Any]]
# A new stretch of conversation starts after these: what came before is not held against it again.
_WINDOW_STARTS = HANDOVER_EVENT_NAMES | {"restart", "session_started"}


class InvalidTriggerConfig(BotError):
    """A handover trigger setting that cannot be used as written."""


class _Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True


class ExplicitRequestTrigger(_Trigger):
    """The customer asks for a person: their message's intent is one of `intents`."""

    intents: list[str] = Field(default_factory=lambda: ["human_handoff"])


class RepeatedFallbackTrigger(_Trigger):
    """The bot did not understand `count` messages in a row (a fallback intent or action each time)."""

    count: int = Field(default=2, ge=1)
    intents: list[str] = Field(default_factory=lambda: [INTENT_NLU_FALLBACK])
    actions: list[str] = Field(default_factory=lambda: [ACTION_DEFAULT_FALLBACK, ACTION_TWO_STAGE_FALLBACK])


class LowConfidenceTrigger(_Trigger):
    """A policy chose the bot's reply with a confidence below `threshold` (off by default)."""

    enabled: bool = False
    threshold: float = Field(default=0.3, gt=0, lt=1)
    ignore_actions: list[str] = Field(default_factory=lambda: [ACTION_LISTEN, ACTION_SESSION_START])


class NegativeSentimentTrigger(_Trigger):
    """The customer's message scores as angry (`handover.sentiment`, German and English)."""

    threshold: float = Field(default=DEFAULT_THRESHOLD, lt=0)
    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES))

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, languages: list[str]) -> list[str]:
        unknown = [language for language in languages if language not in LANGUAGES]
        if unknown:
            raise ValueError(f"no sentiment lexicon for {unknown}; known: {list(LANGUAGES)}")
        return languages


class BusinessRule(BaseModel):
    """Always to a person: when the message has `intent`, and/or when `slot` was set to `value`.

    Without `value` any value but an empty one matches. With both `intent` and `slot` both must hold.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    intent: str | None = None
    slot: str | None = None
    value: Any = None

    @model_validator(mode="after")
    def _needs_a_condition(self) -> BusinessRule:
        if self.intent is None and self.slot is None:
            raise ValueError(f"rule '{self.name}' needs an intent or a slot to match")
        return self


class TriggerConfig(BaseModel):
    """All built-in escalation triggers; the defaults are what a project gets without configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    explicit_request: ExplicitRequestTrigger = ExplicitRequestTrigger()
    repeated_fallback: RepeatedFallbackTrigger = RepeatedFallbackTrigger()
    low_confidence: LowConfidenceTrigger = LowConfidenceTrigger()
    negative_sentiment: NegativeSentimentTrigger = NegativeSentimentTrigger()
    rules: list[BusinessRule] = Field(default_factory=list)

    @field_validator("explicit_request", "repeated_fallback", "low_confidence", "negative_sentiment",
                     mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        # `negative_sentiment: false` is short for `{enabled: false}`.
        return {"enabled": value} if isinstance(value, bool) else value

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, where: str | None = None) -> TriggerConfig:
        """Reads the YAML section (None: the defaults), naming the setting and value that are wrong."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidTriggerConfig(f"handover triggers: expected a mapping, not {data!r}.", location=where)
        try:
            return cls(**data)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "(triggers)"
            raise InvalidTriggerConfig(
                f"handover triggers: {field}: {first['msg']} (got {first.get('input')!r}).", location=where,
                hint="Known triggers: explicit_request, repeated_fallback, low_confidence, negative_sentiment, "
                     "rules; each takes enabled: true|false.",
            ) from None


# -- reading the events -------------------------------------------------------------------------------


def _window(events: Events) -> list[Mapping[str, Any]]:
    """The events since the conversation last changed hands, restarted or started a session."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") in _WINDOW_STARTS:
            start = index + 1
    return list(events[start:])


def _turns(window: list[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """User turns: each user message with the events that followed it, oldest first."""
    turns: list[list[Mapping[str, Any]]] = []
    for event in window:
        if event.get("event") == "user":
            turns.append([event])
        elif turns:
            turns[-1].append(event)
    return turns


def _intent(user_event: Mapping[str, Any]) -> str | None:
    intent = (user_event.get("parse_data") or {}).get("intent") or {}
    return intent.get("name") if isinstance(intent, Mapping) else None


def _language(user_event: Mapping[str, Any]) -> str | None:
    """The language the NLU detected ({"name": "de", ...}), or one given in the message's metadata."""
    detected = (user_event.get("parse_data") or {}).get("language")
    if isinstance(detected, Mapping):
        detected = detected.get("name")
    if not detected:
        detected = (user_event.get("metadata") or {}).get("language")
    return str(detected).split("-")[0].lower() if detected else None


def _last_turn(events: Events) -> list[Mapping[str, Any]] | None:
    turns = _turns(_window(events))
    return turns[-1] if turns else None


# -- the triggers ---------------------------------------------------------------------------------------


def explicit_request(events: Events, config: ExplicitRequestTrigger) -> str | None:
    """"asked_for_human" when the latest message's intent asks for a person."""
    turn = _last_turn(events)
    if not config.enabled or turn is None:
        return None
    return "asked_for_human" if _intent(turn[0]) in config.intents else None


def repeated_fallback(events: Events, config: RepeatedFallbackTrigger) -> str | None:
    """"repeated_fallback" when the last `count` messages in a row ended in a fallback."""
    if not config.enabled:
        return None
    in_a_row = 0
    for turn in reversed(_turns(_window(events))):
        failed = _intent(turn[0]) in config.intents or any(
            event.get("event") == "action" and event.get("name") in config.actions for event in turn[1:])
        if not failed:
            break
        in_a_row += 1
    return "repeated_fallback" if in_a_row >= config.count else None


def low_confidence(events: Events, config: LowConfidenceTrigger) -> str | None:
    """"low_confidence" when a policy predicted an action of the latest turn below the threshold."""
    turn = _last_turn(events)
    if not config.enabled or turn is None:
        return None
    confidences = [
        float(event["confidence"]) for event in turn[1:]
        if event.get("event") == "action" and event.get("name") not in config.ignore_actions
        and event.get("policy") and isinstance(event.get("confidence"), (int, float))
    ]
    return "low_confidence" if confidences and min(confidences) < config.threshold else None


def negative_sentiment(events: Events, config: NegativeSentimentTrigger) -> str | None:
    """"negative_sentiment" when the latest message reads as angry in a configured language."""
    turn = _last_turn(events)
    if not config.enabled or turn is None or not turn[0].get("text"):
        return None
    language = _language(turn[0])
    if language is not None and language not in config.languages:
        return None
    return "negative_sentiment" if is_angry(str(turn[0]["text"]), language, config.threshold) else None


def business_rule(events: Events, rules: Sequence[BusinessRule]) -> str | None:
    """"rule:<name>" for the first rule whose intent the latest message has / whose slot was just set."""
    window = _window(events)
    turns = _turns(window)
    latest_intent = _intent(turns[-1][0]) if turns else None
    for rule in rules:
        if rule.intent is not None and rule.intent != latest_intent:
            continue
        if rule.slot is not None and not _slot_matches(window, rule):
            continue
        return f"rule:{rule.name}"
    return None


def _slot_matches(window: list[Mapping[str, Any]], rule: BusinessRule) -> bool:
    """Whether the slot's latest value set in this stretch matches (text compared without case)."""
    values = [event.get("value") for event in window if event.get("event") == "slot" and event.get("name") == rule.slot]
    if not values:
        return False
    value = values[-1]
    if rule.value is None:
        return value not in (None, "", [], {})
    if isinstance(value, str) and isinstance(rule.value, str):
        return value.casefold() == rule.value.casefold()
    return bool(value == rule.value)


def escalation_reason(events: Events, config: TriggerConfig | None = None) -> str | None:
    """The first trigger that fires, in order: asked, business rule, anger, repeated fallback, low confidence.

    None while a person owns the conversation already (the bot does not escalate twice).
    """
    config = config or TriggerConfig()
    if ownership_from_events([dict(event) for event in events], strict=False).is_human:
        return None
    return (
        explicit_request(events, config.explicit_request)
        or business_rule(events, config.rules)
        or negative_sentiment(events, config.negative_sentiment)
        or repeated_fallback(events, config.repeated_fallback)
        or low_confidence(events, config.low_confidence)
    )
