"""Inline entity markup: the three Rasa spellings, errors with a fix, and round-trip properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.shared.errors import InvalidTrainingData
from bot.shared.nlu.readers import parse_entity_markup, to_markup


def test_short_form_gives_text_value_and_span() -> None:
    text, entities = parse_entity_markup("fly to [Berlin](city) now")
    assert text == "fly to Berlin now"
    assert entities == [{"start": 7, "end": 13, "value": "Berlin", "entity": "city"}]


def test_synonym_shorthand_sets_value() -> None:
    text, entities = parse_entity_markup("from [NYC](city:New York)")
    assert text == "from NYC"
    assert entities == [{"start": 5, "end": 8, "value": "New York", "entity": "city"}]


def test_json_form_with_role_group_and_value() -> None:
    markup = 'to [LA]{"entity": "city", "role": "to", "group": "1", "value": "Los Angeles"} please'
    text, entities = parse_entity_markup(markup)
    assert text == "to LA please"
    assert entities == [{"start": 3, "end": 5, "value": "Los Angeles", "entity": "city", "role": "to", "group": "1"}]


def test_several_entities_offsets_refer_to_plain_text() -> None:
    text, entities = parse_entity_markup("[a](x) b [cc]{\"entity\": \"y\"} d [eee](z:E)")
    assert text == "a b cc d eee"
    assert [(e["start"], e["end"], e["entity"], e["value"]) for e in entities] == [
        (0, 1, "x", "a"), (4, 6, "y", "cc"), (9, 12, "z", "E")]
    assert [text[e["start"]:e["end"]] for e in entities] == ["a", "cc", "eee"]


def test_brackets_without_annotation_stay_text() -> None:
    # real benchmark data has "transfer from [country]"
    assert parse_entity_markup("transfer from [country]?") == ("transfer from [country]?", [])
    assert parse_entity_markup("smile (really) {ok}") == ("smile (really) {ok}", [])


def test_inner_bracket_is_not_part_of_annotation() -> None:
    text, entities = parse_entity_markup("[a [b](c)")
    assert text == "[a b"
    assert entities == [{"start": 3, "end": 4, "value": "b", "entity": "c"}]


@pytest.mark.parametrize(
    ("markup", "message", "fix"),
    [
        ("go to [Berlin](city", "no closing ')'", "close the annotation"),
        ("go to Berlin](city)", "no opening '['", "put '['"),
        ('go to [Berlin]{"entity": "city"', "no closing '}'", "close the annotation"),
        ('go to [Berlin]{"entity": city}', "not valid JSON", "double quotes"),
        ('go to [Berlin]{"role": "to"}', 'no "entity" key', "add the entity name"),
        ('go to [Berlin]{"entity": "city", "group": 1}', '"group" must be a string', 'quote the value'),
        ("go to [](city)", "marks no text", "inside the brackets"),
        ("go to [Berlin]()", "no entity name", "name the entity"),
        ("go to [Berlin](city:)", "empty value", "canonical value"),
    ],
)
def test_bad_markup_names_location_and_fix(markup: str, message: str, fix: str) -> None:
    with pytest.raises(InvalidTrainingData) as caught:
        parse_entity_markup(markup, "data/nlu.yml:12")
    error = caught.value
    assert error.location == "data/nlu.yml:12"
    assert message in error.message
    assert fix in (error.hint or "")


def test_unknown_json_keys_warn_but_parse(caplog: pytest.LogCaptureFixture) -> None:
    text, entities = parse_entity_markup('[x]{"entity": "e", "confidence": "high"}', "f.yml:1")
    assert text == "x" and entities[0]["entity"] == "e"
    assert "confidence" in caplog.text


# ---- properties -------------------------------------------------------------------------------

_PLAIN = st.text(alphabet="abc XYZ äöü,.?!():{}\"'-019", max_size=12)
_SURFACE = st.text(alphabet="abcdefg ÄÖ0-9'.", min_size=1, max_size=10).filter(lambda s: s.strip() != "")
_NAME = st.from_regex(r"[a-z][a-z_0-9]{0,8}", fullmatch=True)
_VALUE = st.text(alphabet="abcd XYZ 09-.ß", min_size=1, max_size=10).filter(lambda s: s.strip() == s and s != "")


@st.composite
def _annotated(draw: st.DrawFn) -> tuple[str, list[dict]]:
    """Plain text with random non-overlapping entity spans (and the entity dicts for them)."""
    pieces = [draw(_PLAIN)]
    entities: list[dict] = []
    for _ in range(draw(st.integers(0, 4))):
        surface = draw(_SURFACE)
        start = len("".join(pieces))
        entity = {"start": start, "end": start + len(surface), "value": surface, "entity": draw(_NAME)}
        if draw(st.booleans()):
            entity["value"] = draw(_VALUE)
        if draw(st.booleans()):
            entity["role"] = draw(_NAME)
        if draw(st.booleans()):
            entity["group"] = draw(_NAME)
        entities.append(entity)
        pieces += [surface, draw(_PLAIN)]
    return "".join(pieces), entities


@settings(max_examples=300, deadline=None)
@given(_annotated())
def test_round_trip_through_markup(example: tuple[str, list[dict]]) -> None:
    text, entities = example
    assert parse_entity_markup(to_markup(text, entities)) == (text, entities)


@settings(max_examples=200, deadline=None)
@given(_PLAIN, _SURFACE, _NAME, _VALUE, _PLAIN)
def test_synonym_shorthand_round_trip(before: str, surface: str, name: str, value: str, after: str) -> None:
    text, entities = parse_entity_markup(f"{before}[{surface}]({name}:{value}){after}")
    assert text == before + surface + after
    assert entities == [{"start": len(before), "end": len(before) + len(surface), "value": value, "entity": name}]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab [](){}:"e,ntiy', max_size=40))
def test_arbitrary_text_parses_or_raises_a_user_error(markup: str) -> None:
    try:
        text, entities = parse_entity_markup(markup, "x.yml:1")
    except InvalidTrainingData as error:
        assert error.location == "x.yml:1" and error.hint
        return
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
    assert len(text) <= len(markup)
    if "[" not in text and "]" not in text:
        # whatever was read back writes out to markup that reads back the same
        assert parse_entity_markup(to_markup(text, entities)) == (text, entities)


def test_to_markup_prefers_the_short_form() -> None:
    entities = [{"start": 0, "end": 6, "value": "Berlin", "entity": "city"}]
    assert to_markup("Berlin rocks", entities) == "[Berlin](city) rocks"
    entities = [{"start": 0, "end": 3, "value": "BER", "entity": "city", "role": "from"}]
    markup = to_markup("Ber x", entities)
    assert json.loads(markup[5:markup.index("}") + 1]) == {"entity": "city", "role": "from", "value": "BER"}
