"""Escalation triggers over tracker events: each one, its switch, its window, and the config's errors."""

from __future__ import annotations

import pytest

from handover.triggers import (
    InvalidTriggerConfig,
    TriggerConfig,
    escalation_reason,
    explicit_request,
    low_confidence,
    negative_sentiment,
    repeated_fallback,
)


def user(text: str, intent: str = "greet", language: str | None = None) -> dict:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    if language:
        parse["language"] = {"name": language, "confidence": 0.99}
    return {"event": "user", "timestamp": 1.0, "text": text, "parse_data": parse}


def action(name: str, confidence: float | None = 1.0, policy: str | None = "RulePolicy") -> dict:
    return {"event": "action", "timestamp": 1.0, "name": name, "policy": policy, "confidence": confidence}


def slot(name: str, value: object) -> dict:
    return {"event": "slot", "timestamp": 1.0, "name": name, "value": value}


LISTEN = action("action_listen")
FALLBACK = [user("blorp", "nlu_fallback"), action("action_default_fallback"), LISTEN]
DEFAULT = TriggerConfig()


def test_explicit_request() -> None:
    events = [user("hi"), action("utter_greet"), LISTEN, user("Ich möchte mit einem Menschen sprechen", "human_handoff")]
    assert escalation_reason(events) == "asked_for_human"
    assert explicit_request(events[:3], DEFAULT.explicit_request) is None
    custom = TriggerConfig.from_dict({"explicit_request": {"intents": ["agent_please"]}})
    assert escalation_reason(events, custom) is None
    assert escalation_reason(events, TriggerConfig.from_dict({"explicit_request": False})) is None


def test_two_fallbacks_in_a_row() -> None:
    assert repeated_fallback(FALLBACK, DEFAULT.repeated_fallback) is None
    assert escalation_reason(FALLBACK + FALLBACK) == "repeated_fallback"
    # Evaluated right after NLU, before the bot's action: the fallback intent counts already.
    assert escalation_reason(FALLBACK + [user("blorp again", "nlu_fallback")]) == "repeated_fallback"
    # An understood message between them resets the count.
    assert escalation_reason(FALLBACK + [user("hi"), action("utter_greet"), LISTEN] + FALLBACK) is None
    # A fallback action without the fallback intent (e.g. a policy fallback) counts too.
    policy_fallback = [user("hmm", "inform"), action("action_default_fallback"), LISTEN]
    assert escalation_reason(policy_fallback + policy_fallback) == "repeated_fallback"
    three = TriggerConfig.from_dict({"repeated_fallback": {"count": 3}})
    assert escalation_reason(FALLBACK + FALLBACK, three) is None
    assert escalation_reason(FALLBACK * 3, three) == "repeated_fallback"


def test_the_window_starts_after_a_handback_or_a_new_session() -> None:
    handed_over = [*FALLBACK, {"event": "handover", "timestamp": 2.0, "reason": "asked_for_human"},
                   {"event": "handover_accepted", "timestamp": 3.0, "agent": "anna"}]
    # While a person owns the conversation, nothing escalates again.
    assert escalation_reason(handed_over + FALLBACK + FALLBACK) is None
    back = handed_over + [{"event": "handback", "timestamp": 4.0, "reason": "done", "agent": "anna"}]
    assert escalation_reason(back + FALLBACK) is None  # the fallback before the handover does not count
    assert escalation_reason(back + FALLBACK + FALLBACK) == "repeated_fallback"
    session = [*FALLBACK, {"event": "session_started", "timestamp": 5.0}, action("action_listen"), *FALLBACK]
    assert escalation_reason(session) is None


def test_low_confidence_is_off_by_default() -> None:
    events = [user("maybe"), action("utter_something", confidence=0.2, policy="TEDPolicy"), action("action_listen", 0.1)]
    assert escalation_reason(events) is None
    on = TriggerConfig.from_dict({"low_confidence": {"enabled": True, "threshold": 0.3}})
    assert escalation_reason(events, on) == "low_confidence"
    sure = [user("maybe"), action("utter_something", confidence=0.8, policy="TEDPolicy"), action("action_listen", 0.1)]
    assert low_confidence(sure, on.low_confidence) is None
    forced = [user("x"), action("action_session_start", None, None)]
    assert low_confidence(forced, on.low_confidence) is None


@pytest.mark.parametrize(("text", "language", "angry"), [
    ("Das ist eine absolute Frechheit, ich warte seit drei Wochen!", "de", True),
    ("Ihr seid völlig unfähig.", None, True),
    ("This is ridiculous, worst service ever!!", "en", True),
    ("Where is my parcel JJD000390007812345?", "en", False),
    ("Mein Paket ist beschädigt angekommen, was nun?", "de", False),
    ("Not bad at all, thanks!", "en", False),
])
def test_negative_sentiment(text: str, language: str | None, angry: bool) -> None:
    events = [user(text, "inform", language)]
    assert (escalation_reason(events) == "negative_sentiment") is angry
    assert negative_sentiment(events, TriggerConfig.from_dict({"negative_sentiment": False}).negative_sentiment) is None


def test_sentiment_only_in_configured_languages() -> None:
    events = [user("Ihr seid völlig unfähig.", "inform", "de")]
    english_only = TriggerConfig.from_dict({"negative_sentiment": {"languages": ["en"]}})
    assert escalation_reason(events, english_only) is None
    assert escalation_reason([user("Ihr seid völlig unfähig.", "inform", "fr")]) is None


def test_business_rules() -> None:
    config = TriggerConfig.from_dict({"rules": [
        {"name": "legal", "intent": "complaint_legal"},
        {"name": "vip", "slot": "customer_tier", "value": "VIP"},
        {"name": "any_claim", "slot": "claim_id"},
        {"name": "vip_refund", "intent": "refund", "slot": "customer_tier", "value": "vip"},
    ]})
    # A rule comes before anger: the legal team, not the general queue.
    assert escalation_reason([user("Ich schalte meinen Anwalt ein", "complaint_legal")], config) == "rule:legal"
    assert escalation_reason([user("I want to sue", "complaint_legal")], config) == "rule:legal"
    assert escalation_reason([user("hi"), slot("customer_tier", "vip")], config) == "rule:vip"
    assert escalation_reason([user("hi"), slot("customer_tier", "basic")], config) is None
    assert escalation_reason([user("hi"), slot("claim_id", "")], config) is None
    assert escalation_reason([user("hi"), slot("claim_id", "C-17")], config) == "rule:any_claim"
    # A slot set before the last handback does not send the customer back again.
    handed = [user("hi"), slot("customer_tier", "vip"), {"event": "handover", "timestamp": 1, "reason": "rule:vip"},
              {"event": "handback", "timestamp": 2, "reason": "done"}, user("thanks")]
    assert escalation_reason(handed, config) is None


def test_asking_comes_first() -> None:
    events = FALLBACK + [user("Ihr seid unfähig, ich will einen Menschen!!", "human_handoff", "de")]
    assert escalation_reason(events) == "asked_for_human"


@pytest.mark.parametrize(("data", "words"), [
    ({"repeated_fallback": {"count": 0}}, ["repeated_fallback.count", "0"]),
    ({"low_confidence": {"threshold": 2}}, ["low_confidence.threshold"]),
    ({"negative_sentiment": {"languages": ["fr"]}}, ["negative_sentiment.languages", "fr"]),
    ({"rules": [{"name": "x"}]}, ["rules.0", "intent or a slot"]),
    ({"sentiment": True}, ["sentiment", "Known triggers"]),
    ({"explicit_request": {"intent": ["x"]}}, ["explicit_request.intent"]),
])
def test_bad_config_names_the_setting(data: dict, words: list[str]) -> None:
    with pytest.raises(InvalidTriggerConfig) as caught:
        TriggerConfig.from_dict(data, where="endpoints.yml")
    assert str(caught.value).startswith("endpoints.yml: handover triggers:")
    for word in words:
        assert word in str(caught.value)


def test_defaults() -> None:
    assert TriggerConfig.from_dict(None) == DEFAULT
    assert DEFAULT.explicit_request.intents == ["human_handoff"] and DEFAULT.repeated_fallback.count == 2
    assert not DEFAULT.low_confidence.enabled and DEFAULT.negative_sentiment.enabled
