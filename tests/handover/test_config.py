"""handover.yml: the example file loads; every mistake names file, line and what to change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.shared.errors import BotError, InvalidYaml
from handover.config import (
    HandoverConfig,
    InvalidHandoverConfig,
    load_handover_config,
    load_handover_config_text,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_example_assistants_file() -> None:
    config = load_handover_config(REPO / "handover.yml")
    service = config.teams["service"]
    assert service.languages == ["de", "en"] and service.sla_policy == "live_chat"
    hours = service.hours  # handover/hours.py's BusinessHours
    assert hours.timezone == "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    assert hours.is_open(dt.datetime(2026, 12, 7, 8, 0, tzinfo=berlin))  # a Monday
    assert not hours.is_open(dt.datetime(2026, 12, 7, 18, 0, tzinfo=berlin))
    assert hours.is_open(dt.datetime(2026, 12, 5, 12, 59, tzinfo=berlin))  # Saturday morning
    assert not hours.is_open(dt.datetime(2026, 12, 6, 12, 0, tzinfo=berlin))  # Sunday
    # German public holidays of both years, e.g. Good Friday and Whit Monday, computed from Easter
    assert {dt.date(2026, 4, 3), dt.date(2026, 5, 25), dt.date(2027, 3, 26), dt.date(2027, 5, 17)} <= hours.holidays
    assert not hours.is_open(dt.datetime(2026, 4, 3, 10, 0, tzinfo=berlin))
    assert not hours.is_open(dt.datetime(2026, 12, 24, 12, 30, tzinfo=berlin))  # Christmas Eve until noon only
    assert service.business_hours["special_days"]["2026-12-24"] == ["08:00-12:00"]  # kept as written, dates as text
    assert config.teams["billing"].business_hours["weekly"]["fri"] == ["09:00-12:00", "13:00-15:00"]
    assert config.routing.default_team == "service" and config.routing.offer_timeout_seconds == 30
    placeholders = {name for reply in config.canned_replies for name in reply.placeholders}
    assert placeholders == {"tracking_number", "order_id"}
    assert {reply.language for reply in config.canned_replies} == {"de", "en"}


def test_no_file_means_defaults() -> None:
    config = load_handover_config(REPO / "does-not-exist.yml")
    assert config.teams == {} and config.canned_replies == []
    assert config.triggers.repeated_fallback.count == 2  # handover/triggers.py's defaults
    assert config.routing.offer_timeout_seconds == 30 and config.routing.default_capacity == 3
    assert config.routing.offline_grace_seconds == 120
    assert config.all_sla_policies["live_chat"].first_response_seconds == 20
    assert config.all_sla_policies["live_chat"].target_ratio == 0.8
    assert config.all_sla_policies["messaging"].first_response_seconds == 300
    assert config.all_sla_policies["messaging"].target_ratio == 0.9
    assert load_handover_config_text("", "handover.yml") == HandoverConfig(source="handover.yml")
    assert load_handover_config_text("version: 3.1\n", "handover.yml").version == "3.1"  # unquoted, as people write it


def test_short_forms_are_read_as_meant() -> None:
    config = load_handover_config_text(
        "teams:\n"
        "  desk:\n"
        "    languages: DE, en\n"
        "    business_hours:\n"
        "      timezone: America/New_York\n"
        "      weekly:\n"
        "        mon-fri: 09:00-17:00\n"
        "        sunday: closed\n"
        "      special_days:\n"
        "        2026-12-25: []\n"
        "sla_policies:\n"
        "  live_chat:\n"
        "    first_response_seconds: 60\n"
        "    next_response_seconds: 60\n"
        "    target_ratio: 0.8\n"
        "triggers:\n"
        "  repeated_fallback: {count: 3}\n"
        "  negative_sentiment: false\n", "handover.yml")
    team = config.teams["desk"]
    assert team.languages == ["de", "en"]
    assert team.hours.weekly[4] == [(dt.time(9), dt.time(17))] and team.hours.weekly[6] == []
    assert team.business_hours["special_days"] == {"2026-12-25": []}
    assert config.all_sla_policies["live_chat"].first_response_seconds == 60  # overrides the built-in
    assert config.all_sla_policies["messaging"].target_ratio == 0.9
    assert config.triggers.repeated_fallback.count == 3 and not config.triggers.negative_sentiment.enabled
    assert config.triggers.explicit_request.enabled  # handover/triggers.py's defaults for the rest


SLA = "sla_policies:\n  x:\n    first_response_seconds: 20\n    next_response_seconds: 20\n"
HOURS = "teams:\n  a:\n    business_hours:\n      timezone: Europe/Berlin\n"
BAD = [
    ("teams:\n  service:\n    bussiness_hours: {}\n", 3, "unknown key 'bussiness_hours'", "remove it"),
    ("teams:\n  a:\n    sla_policy: live_chatt\n", 3, "unknown SLA policy 'live_chatt'", "did you mean 'live_chat'"),
    ("teams:\n  a:\n    business_hours:\n      timezone: Europe/Berln\n", 4, "not a known IANA time zone", "Did you mean 'Europe/Berlin'"),
    (HOURS + "      weekly:\n        tue: []\n        mon: [\"8-18\"]\n", 7, "'8-18' is not a time range", None),
    (HOURS + "      weekly:\n        monn: [\"08:00-18:00\"]\n", 6, "'monn' is not a weekday", "mon-fri"),
    (HOURS + "      weekly:\n        mon: [\"18:00-08:00\"]\n", 6, "closes before it opens", "write two"),
    (HOURS + "      weekly:\n        mon: [\"08:00-25:00\"]\n", 6, "impossible time", None),
    (HOURS + "      special_days:\n        24.12.2026: []\n", 6, "'24.12.2026' is not a date", "YYYY-MM-DD"),
    ("teams:\n  a:\n    business_hours:\n      weekly: {}\n", 3, "timezone: is missing", "Europe/Berlin"),
    (HOURS + "      weekly:\n        mon: [\"08:00-12:00\", \"11:00-13:00\"]\n", 6, "overlap", "each time of the day once"),
    (HOURS + "      holidays:\n        - 24.12.2026\n", 6, "'24.12.2026' is not a date", "YYYY-MM-DD"),
    (HOURS + "      weekly:\n        mon-sun: closed\n", 5, "these hours never open", "weekly: {mon-fri:"),
    (HOURS + "      weekly: {}\n      holidays: [2026-12-25]\n", 5, "never open", "remove business_hours"),
    (HOURS + "      weekly:\n        mon-fri: []\n      special_days:\n        2020-12-24: [\"08:00-12:00\"]\n", 5,
     "special days with hours ended on 2020-12-24", "a special day to come"),
    ("teams:\n  a:\n    languages: [Deutsch]\n", 3, "not a language code", None),
    ("teams:\n  my team: {}\n", 1, "'my team' is not a valid name", None),
    ("sla_policies:\n  x:\n    target: 0.8\n", 3, "unknown key 'target'", None),
    (SLA + "    target_ratio: 80\n", 5, "less than or equal to 1", "value in range"),
    (SLA.replace("20", "0") + "    target_ratio: 0.8\n", 3, "greater than 0", "value in range"),
    ("sla_policies:\n  x:\n    first_response_seconds: 20\n", 2, "'target_ratio' is missing", "add 'target_ratio:"),
    ("triggers:\n  fallbacks: {}\n", 2, "unknown key 'fallbacks'", None),
    ("triggers:\n  repeated_fallback:\n    count: 0\n", 3, "greater than or equal to 1", None),
    ("triggers:\n  rules:\n    - name: vip\n", 3, "needs an intent or a slot", None),
    ("routing:\n  default_team: x\n", 2, "unknown team 'x'", "no team is defined"),
    ("routing:\n  offer_timeout_seconds: soon\n", 2, "valid number", "right kind"),
    ("canned_replies:\n  - shortcut: a\n    text: hi {order id}\n", 3, "not a slot placeholder", None),
    ("canned_replies:\n  - shortcut: a\n    text: \"{unclosed\"\n", 3, "literal brace", None),
    ("canned_replies:\n  - shortcut: a\n    text: x\n    team: billing\n", 4, "unknown team 'billing'", None),
    ("canned_replies:\n  - shortcut: a\n    text: x\n  - shortcut: /a\n    text: y\n", 4, "given twice",
     "another shortcut"),
    ("canned_replies:\n  - text: x\n", 2, "'shortcut' is missing", None),
    ("rooting: {}\n", 1, "unknown section 'rooting'", "did you mean 'routing'"),
    ("- teams\n", 1, "must be a mapping", None),
]


@pytest.mark.parametrize(("text", "line", "message", "hint"), BAD, ids=[case[2] for case in BAD])
def test_mistakes_name_file_line_and_fix(text: str, line: int, message: str, hint: str | None) -> None:
    with pytest.raises(InvalidHandoverConfig) as raised:
        load_handover_config_text(text, "handover.yml")
    error = raised.value
    assert error.location == f"handover.yml:{line}", str(error)
    assert message in error.message
    if hint:
        assert hint in (error.hint or ""), str(error)


def test_hours_that_open_only_on_special_days_load_until_the_last_one_has_passed() -> None:
    text = HOURS + "      weekly: {}\n      special_days:\n        2026-12-24: [\"08:00-12:00\"]\n"
    berlin = ZoneInfo("Europe/Berlin")
    config = load_handover_config_text(text, "handover.yml", now=dt.datetime(2026, 12, 24, 11, 0, tzinfo=berlin))
    assert config.teams["a"].hours.next_opening(dt.datetime(2026, 12, 20, tzinfo=berlin)) is not None
    with pytest.raises(InvalidHandoverConfig) as raised:
        load_handover_config_text(text, "handover.yml", now=dt.datetime(2026, 12, 24, 12, 0, tzinfo=berlin))
    assert raised.value.location == "handover.yml:5" and "never open" in raised.value.message


def test_hours_that_ran_out_while_running_give_no_deadline_instead_of_failing_the_escalation() -> None:
    # Loaded while its one special day was still to come; a process that runs on past it must still
    # escalate to the team (the conversation waits), not fail the customer's turn.
    from handover.plugin import HandoverSettings

    text = HOURS + "      weekly: {}\n      special_days:\n        2026-12-24: [\"08:00-12:00\"]\n"
    berlin = ZoneInfo("Europe/Berlin")
    config = load_handover_config_text(text, "handover.yml", now=dt.datetime(2026, 12, 1, tzinfo=berlin))
    settings = HandoverSettings.from_config(config)
    assert settings.sla("a", dt.datetime(2026, 12, 23, tzinfo=berlin).timestamp())["first_response_due"] > 0
    assert settings.sla("a", dt.datetime(2027, 1, 5, tzinfo=berlin).timestamp()) == {"policy": "live_chat"}


def test_the_cli_refuses_a_team_that_never_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "handover.yml").write_text(HOURS + "      weekly:\n        mon-sun: closed\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["teams", "list", "--handover", str(tmp_path / "handover.yml"),
                                      "--endpoints", str(tmp_path / "endpoints.yml")])
    assert result.exit_code != 0
    assert f"{tmp_path / 'handover.yml'}:5" in result.output and "never open" in result.output


def test_an_impossible_date_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "handover.yml"
    path.write_text(HOURS + "      holidays:\n        - 2026-12-24\n        - 2026-13-01\n", encoding="utf-8")
    with pytest.raises(InvalidYaml) as raised:
        load_handover_config(path)
    assert raised.value.location == f"{path}:7"
    assert "2026-13-01" in raised.value.message


def test_only_the_first_problem_is_shown_with_a_count_of_the_rest() -> None:
    with pytest.raises(InvalidHandoverConfig) as raised:
        load_handover_config_text("routing:\n  offer_timeout_seconds: -1\n  default_capacity: 0\n", "h.yml")
    assert "1 more problem" in raised.value.message


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 100), st.text(max_size=12),
                     st.sampled_from(["08:00-18:00", "Europe/Berlin", "de", "2026-12-24", "live_chat", "{x}"]))
_keys = st.sampled_from(["teams", "sla_policies", "routing", "triggers", "canned_replies", "service", "timezone",
                         "weekly", "mon", "holidays", "special_days", "target", "shortcut", "text", "languages",
                         "business_hours", "default_team", "x"])
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
                       max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=4))
def test_any_shape_of_yaml_is_either_read_or_explained(content: dict) -> None:
    import io

    from ruamel.yaml import YAML

    stream = io.StringIO()
    YAML().dump(content, stream)
    try:
        load_handover_config_text(stream.getvalue(), "handover.yml")
    except BotError as error:
        assert error.location and error.location.startswith("handover.yml")
