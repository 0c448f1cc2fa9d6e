"""Every Rasa domain fixture and every compatibility bot: valid ones load, broken ones say where and why."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bot.shared.core.domain import load_domain
from bot.shared.errors import BotError, InvalidDomain, InvalidYaml

SHARED = Path(__file__).resolve().parents[4].parent / "shared"
FIXTURES = SHARED / "rasa-fixtures" / "test_domains"
BOTS = sorted((SHARED / "rasa-bots").glob("*/domain.yml"))

# fixture -> (error class, text the message must contain, line it must point at)
INVALID = {
    "custom_slot_domain.yml": (InvalidDomain, "cannot be imported as a Slot class", 9),
    "duplicate_actions.yml": (InvalidDomain, "duplicate action 'utter_default'", 35),
    "duplicate_entities.yml": (InvalidDomain, "duplicate entity 'name'", 20),
    "duplicate_intents.yml": (InvalidDomain, "duplicate intent 'default'", 5),
    "duplicate_responses.yml": (InvalidYaml, "appears twice in one mapping", 22),
    "empty_response_format.yml": (InvalidDomain, "response 'utter_greet' has no variations", 16),
    "form.yml": (InvalidDomain, "slot 'cuisine' has no 'mappings'", 12),
    "invalid_format.yml": (InvalidYaml, "this line has no ':' after its key", 12),  # 'entities' without ':'
    "missing_text_for_templates.yml": (InvalidDomain, "plain str ('hey there!')", 7),
    "people_form.yml": (InvalidDomain, "slot 'person_name' has no 'mappings'", 7),
    "query_form.yml": (InvalidDomain, "slot 'username' has no 'mappings'", 6),
    "wrong_custom_response_format.yml": (InvalidDomain, "unknown key(s) ['super']", 16),
    "wrong_response_format.yml": (InvalidDomain, "plain str ('hey there!')", 16),
    # Rasa loads this one, but its form asks for a slot that exists nowhere: we refuse it.
    "test_domain_from_multiple_files": (InvalidDomain, "requires slot 'propose_simulation'", 29),
}
VALID = sorted(p.name for p in FIXTURES.iterdir() if p.name not in INVALID)


def test_fixture_lists_are_complete() -> None:
    assert len(VALID) + len(INVALID) == len(list(FIXTURES.iterdir()))
    assert len(BOTS) == 15


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_loads(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        domain = load_domain(FIXTURES / name)
    assert domain.action_names_or_texts[0] == "action_listen"
    assert "session_start" in domain.intents


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_fixture_names_file_line_and_fix(name: str) -> None:
    error_class, text, line = INVALID[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error_class) as caught:
            load_domain(FIXTURES / name)
    error: BotError = caught.value
    assert text in error.message
    assert error.location is not None and error.location.endswith(f":{line}")
    assert error.hint


@pytest.mark.parametrize("path", BOTS, ids=[p.parent.name for p in BOTS])
def test_every_bot_domain_loads_without_warnings(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        domain = load_domain(path)
    assert domain.responses
    # as_dict must round-trip: it is what Domain.merge and the action server rely on
    again = type(domain).from_dict(domain.as_dict())
    assert again.action_names_or_texts == domain.action_names_or_texts
    assert again.fingerprint() == domain.fingerprint()
