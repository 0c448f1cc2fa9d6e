"""WhitespaceTokenizer: Rasa's splitting rules, spans, intent splitting, token_pattern."""

from __future__ import annotations

import pytest

from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


def _tokenizer(**options):
    return component_class("WhitespaceTokenizer").create(options, language="de")


def _words(text: str, **options) -> list[str]:
    return [t.text for t in _tokenizer(**options).tokenize(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hallo, wie geht's?", ["Hallo", "wie", "geht", "s"]),
        ("Ich heiße Jürgen Groß und wohne in Köln!", ["Ich", "heiße", "Jürgen", "Groß", "und", "wohne", "in", "Köln"]),
        ("Wo ist JJD0001234?", ["Wo", "ist", "JJD0001234"]),
        ("Sendung DE-1234-5678 bitte", ["Sendung", "DE-1234-5678", "bitte"]),
        ("it costs 12.5 or 10'000.00 EUR", ["it", "costs", "12.5", "or", "10'000.00", "EUR"]),
        ("mail anna@example.com now", ["mail", "anna@example.com", "now"]),
        ("see https://example.com/a?b=1 ok", ["see", "https://example.com/a?b=1", "ok"]),
        ("hey... -5 degrees (really)", ["hey", "-5", "degrees", "really"]),
        ("I ❤️ you 😀", ["I", "you"]),
        (":)", [":)"]),
        ("", []),
    ],
)
def test_rasa_splitting_rules(text, expected):
    assert _words(text) == expected


def test_token_spans_point_into_the_text():
    text = "Grüße aus  München, bis bald!"
    for token in _tokenizer().tokenize(text):
        assert text[token.start : token.end] == token.text
    assert [t.start for t in _tokenizer().tokenize(text)] == [0, 6, 11, 20, 24]


def test_process_sets_text_tokens_only_at_parse_time():
    message = Message.from_text("Hallo Welt")
    _tokenizer().process([message])
    assert [t.text for t in message.tokens["text"]] == ["Hallo", "Welt"]
    assert "intent" not in message.tokens


def test_training_data_gets_intent_and_response_tokens():
    example = Message(data={"text": "wann habt ihr offen", "intent": "faq", "intent_response_key": "faq/ask_hours",
                            "response": "Wir haben 9-17 Uhr offen."})
    tokenizer = _tokenizer(intent_tokenization_flag=True)
    tokenizer.process_training_data(TrainingData([example]))
    assert [t.text for t in example.tokens["response"]][:3] == ["Wir", "haben", "9-17"]
    assert [t.text for t in example.tokens["intent"]] == ["faq"]
    assert [t.text for t in example.tokens["intent_response_key"]] == ["faq", "ask", "hours"]


def test_intent_split_symbol_only_with_flag():
    assert [t.text for t in _tokenizer().split_label("check_balance")] == ["check_balance"]
    split = _tokenizer(intent_tokenization_flag=True, intent_split_symbol="+").split_label("greet+ask")
    assert [(t.text, t.start) for t in split] == [("greet", 0), ("ask", 6)]


def test_token_pattern_resplits_tokens():
    message = Message.from_text("Paket JJD0001234")
    _tokenizer(token_pattern=r"[A-Za-zäöüß]+|\d+").process([message])
    tokens = message.tokens["text"]
    assert [(t.text, t.start, t.end) for t in tokens] == [("Paket", 0, 5), ("JJD", 6, 9), ("0001234", 9, 16)]


def test_invalid_token_pattern_and_unsupported_language():
    with pytest.raises(InvalidConfig, match="token_pattern"):
        _tokenizer(token_pattern="(")
    with pytest.raises(InvalidConfig, match="SpacyTokenizer"):
        component_class("WhitespaceTokenizer").create({}, language="zh")


def test_persist_and_load(tmp_path):
    tokenizer = _tokenizer(intent_tokenization_flag=True)
    tokenizer.persist(tmp_path)
    loaded = type(tokenizer).load(tokenizer.config, tmp_path)
    assert [t.text for t in loaded.tokenize("Hallo, Welt!")] == ["Hallo", "Welt"]
    assert loaded.config.intent_tokenization_flag is True
