"""Choosing a response variation (conditions, channels, randomness) and filling {slots}."""

from __future__ import annotations

import random
from pathlib import Path

from bot.shared.core.domain import Domain, load_domain

FIXTURES = Path(__file__).resolve().parents[4].parent / "shared" / "rasa-fixtures" / "test_domains"


def test_conditional_variations_win_when_they_match() -> None:
    domain = load_domain(FIXTURES / "conditional_response_variations.yml")
    assert domain.response_for("utter_withdraw", {"can_withdraw": False})["text"].startswith("You are not allowed")
    approved = domain.response_for("utter_withdraw", {"can_withdraw": True, "account_type": "primary"})
    assert approved == {"text": "Withdrawal has been approved."}
    assert domain.response_for("utter_withdraw", {"account_type": "secondary"})["text"].startswith("Withdrawal was")
    # no condition holds and there is no unconditional variation
    assert domain.response_for("utter_withdraw", {}) is None
    # conditional + channel: only the variation for that channel
    assert domain.response_for("utter_check_balance", {"account_type": "primary"}, channel="app")["text"] \
        == "Welcome to your app account overview."
    assert domain.response_for("utter_check_balance", {"account_type": "primary"}, channel="slack") is None


def test_channel_variations_before_default_ones() -> None:
    domain = load_domain(FIXTURES / "default_with_slots.yml")
    for seed in range(5):
        rng = random.Random(seed)
        assert domain.response_for("utter_channel", {}, channel="slack", rng=rng)["channel"] == "slack"
        assert domain.response_for("utter_channel", {}, channel="web", rng=rng)["text"] == "this is a default channel"


def test_random_choice_is_seedable_and_covers_all() -> None:
    domain = load_domain(FIXTURES / "default_with_slots.yml")
    seen = {domain.response_for("utter_goodbye", rng=random.Random(seed))["text"] for seed in range(30)}
    assert seen == {"goodbye 😢", "bye bye 😢"}
    first = [domain.response_for("utter_goodbye", rng=random.Random(7))["text"] for _ in range(3)]
    assert len(set(first)) == 1


def test_slot_interpolation_like_rasa() -> None:
    domain = Domain.from_dict({
        "slots": {"name": {"type": "text", "mappings": [{"type": "from_text"}]}},
        "responses": {
            "utter_greet": [{"text": "hey there {name}!", "buttons": [{"title": "I am {name}",
                                                                        "payload": "/inform{{\"name\": \"x\"}}"}]}],
            "utter_unknown": [{"text": "value {nope} here", "custom": {"who": "{name}"}}],
        },
    })
    filled = domain.response_for("utter_greet", {"name": "Ada"})
    assert filled["text"] == "hey there Ada!"
    assert filled["buttons"][0]["title"] == "I am Ada"
    # an empty slot prints as None; a placeholder naming no slot leaves the text unfilled
    assert domain.response_for("utter_greet", {})["text"] == "hey there None!"
    unknown = domain.response_for("utter_unknown", {"name": "Ada"})
    assert unknown["text"] == "value {nope} here"
    assert unknown["custom"] == {"who": "Ada"}
    assert domain.response_for("utter_missing") is None


def test_response_variation_keeps_metadata_and_id() -> None:
    domain = Domain.from_dict({"responses": {"utter_x": [
        {"text": "hi", "id": "v1", "metadata": {"rephrase": True}, "image": "http://i/{s}.png"}]},
        "slots": {"s": {"type": "text", "mappings": [{"type": "custom"}]}}})
    assert domain.response_for("utter_x", {"s": "cat"}) == {
        "text": "hi", "id": "v1", "metadata": {"rephrase": True}, "image": "http://i/cat.png"}
