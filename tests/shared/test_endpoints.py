"""endpoints.yml: sections, env interpolation, defaults when absent, errors with file:line."""

from __future__ import annotations

import pytest

from bot.shared.endpoints import load_endpoints, load_endpoints_text
from bot.shared.errors import InvalidEndpoints


def test_sections_are_read_with_common_fields_and_kwargs():
    config = load_endpoints_text(
        "action_endpoint:\n  url: http://localhost:5055/webhook\n  token: secret\n  timeout: 10\n"
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: localhost\n  port: 5432\n"
        "handover:\n  type: redis\n  url: redis://localhost\n  headers:\n    X-A: b\n",
        source="endpoints.yml")
    action = config.action_endpoint
    assert action.url == "http://localhost:5055/webhook" and action.token == "secret"
    assert action.kwargs == {"timeout": 10} and action.get("timeout") == 10 and action.get("url") == action.url
    assert action.location == "endpoints.yml:1"
    store = config.tracker_store
    assert store.type == "SQL" and store.type_name == "sql"
    assert store.kwargs == {"dialect": "postgresql", "port": 5432}
    assert config.handover.headers == {"X-A": "b"}
    assert config.lock_store is None and config.event_broker is None and config.nlg is None


def test_missing_file_and_empty_sections_mean_embedded_defaults(tmp_path):
    assert load_endpoints(None).tracker_store is None
    missing = load_endpoints(tmp_path / "endpoints.yml")
    assert missing.model_dump(exclude={"source"}) == load_endpoints(None).model_dump(exclude={"source"})
    empty = tmp_path / "endpoints.yml"
    empty.write_text("# nothing configured\n")
    assert load_endpoints(empty).action_endpoint is None
    assert load_endpoints_text("tracker_store:\n").tracker_store is None


def test_env_interpolation(monkeypatch):
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    config = load_endpoints_text(
        "tracker_store:\n  type: sql\n  url: ${DB_HOST}\n  password: ${DB_PASSWORD}\n"
        "  db: ${DB_NAME:-rasa}\n  login: 'user-${DB_HOST}'\n")
    store = config.tracker_store
    assert store.url == "db.internal"
    assert store.kwargs == {"password": "s3cret", "db": "rasa", "login": "user-db.internal"}


def test_unset_env_var_names_file_and_line(monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(InvalidEndpoints) as caught:
        load_endpoints_text("lock_store:\n  type: redis\n  password: ${NOT_SET_ANYWHERE}\n", "endpoints.yml")
    assert caught.value.location == "endpoints.yml:3"
    assert "NOT_SET_ANYWHERE" in str(caught.value) and "export" in caught.value.hint


@pytest.mark.parametrize(("text", "line", "words"), [
    ("tracker_store: sql\n", 1, "must be a mapping"),
    ("action_endpoint:\n  - url: x\n", 1, "must be a mapping"),
    ("- tracker_store\n", 1, "must be a mapping"),
    ("tracker_stor:\n  type: sql\n", 1, "did you mean 'tracker_store'"),
    ("nlg:\n  url: http://x\n  headers: nope\n", 3, "'nlg.headers' must be a mapping"),
    ("nlg:\n  url: [a, b]\n", 2, "single value"),
])
def test_mistakes_name_file_line_and_fix(text, line, words):
    with pytest.raises(InvalidEndpoints) as caught:
        load_endpoints_text(text, source="endpoints.yml")
    assert caught.value.location == f"endpoints.yml:{line}"
    assert words in str(caught.value)
    assert caught.value.hint


def test_unknown_sections_are_kept_and_aliases_mapped(caplog):
    config = load_endpoints_text("version: '3.1'\nvector_store:\n  type: x\nmodels:\n  url: http://m\n")
    assert config.other == {"vector_store": {"type": "x"}}
    assert config.model.url == "http://m"
    assert "spelled 'model'" in caplog.text


def test_rasa_endpoint_fixtures(shared_dir):
    folder = shared_dir / "rasa-fixtures" / "test_endpoints"
    example = load_endpoints(folder / "example_endpoints.yml")
    assert example.tracker_store.type == "redis" and example.tracker_store.kwargs["use_ssl"] is True
    assert example.lock_store.kwargs["key_prefix"] == "lock"
    assert example.action_endpoint.cafile == "./some_test_file"
    assert example.nlg.url == "http://localhost:5055/nlg"
    assert example.other == {"empty": None}
    assert load_endpoints(folder / "model_endpoint.yml").model.kwargs == {"wait_time_between_pulls": 10}
    assert load_endpoints(folder / "endpoints_sql.yml").tracker_store.kwargs["db"] == "rasa"
    assert load_endpoints(folder / "custom_tracker_endpoints.yml").tracker_store.type.endswith("ExampleTrackerStore")
    brokers = sorted((folder / "event_brokers").glob("*.yml"))
    assert len(brokers) >= 9
    for path in brokers:
        assert load_endpoints(path).event_broker.type in ("kafka", "pika", "sql")


def test_every_rasa_bot_endpoints_file_loads(shared_dir):
    files = sorted((shared_dir / "rasa-bots").glob("*/endpoints.yml"))
    assert len(files) >= 10
    urls = {load_endpoints(path).action_endpoint.url for path in files
            if load_endpoints(path).action_endpoint is not None}
    assert urls == {"http://localhost:5055/webhook", "http://localhost:5056/webhook"}
