"""Custom actions written with rasa_sdk: in-process (embedded default) and over HTTP.

The HTTP tests talk to a real `python -m rasa_sdk` action server started once for the module.
"""

from __future__ import annotations

import copy
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.actions.action_executor import (
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    InvalidActions,
    NoCustomActions,
    build_action_call,
    create_action_executor,
)
from bot.core.actions.custom_action_client import HttpActionExecutor, _make_client
from bot.core.actions.in_process import InProcessActionExecutor
from bot.shared.endpoints import load_endpoints_text
from bot.shared.errors import MissingDependency

DATA = Path(__file__).resolve().parent / "data"
ACTIONS_FILE = DATA / "sample_actions" / "actions.py"

DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "intents": ["greet", "track_parcel", "thanks"],
    "entities": [],
    "slots": {
        "parcel_id": {"type": "text", "mappings": [{"type": "from_text"}]},
        "parcel_status": {"type": "text", "mappings": [{"type": "custom"}]},
        "requested_slot": {"type": "any", "mappings": []},
    },
    "responses": {"utter_anything_else": [{"text": "Anything else?"}]},
    "actions": ["action_check_parcel", {"action_sync_sender": {"send_domain": True}}],
    "forms": {"parcel_form": {"required_slots": ["parcel_id"]}},
    "e2e_actions": [],
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    "config": {"store_entities_as_slots": True},
}


def make_tracker(slots: dict[str, Any] | None = None, extra_events: list[dict[str, Any]] | None = None,
                 active_loop: dict[str, Any] | None = None, sender_id: str = "customer-7") -> dict[str, Any]:
    """A tracker in Rasa's JSON shape, after the user asked about a parcel."""
    parse_data = {"text": "where is my parcel", "intent": {"name": "track_parcel", "confidence": 0.98},
                  "entities": [], "intent_ranking": [{"name": "track_parcel", "confidence": 0.98}]}
    events = [
        {"event": "action", "timestamp": 1.0, "name": "action_session_start"},
        {"event": "session_started", "timestamp": 1.0},
        {"event": "action", "timestamp": 1.0, "name": "action_listen"},
        {"event": "user", "timestamp": 2.0, "text": "where is my parcel", "parse_data": parse_data,
         "input_channel": "rest"},
        *(extra_events or []),
    ]
    all_slots = {"parcel_id": None, "parcel_status": None, "requested_slot": None}
    all_slots.update(slots or {})
    return {
        "sender_id": sender_id, "slots": all_slots, "latest_message": parse_data, "latest_event_time": 2.0,
        "followup_action": None, "paused": False, "events": events, "latest_input_channel": "rest",
        "active_loop": active_loop or {}, "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }


def without_timestamps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in event.items() if key != "timestamp"} for event in events]


@pytest.fixture(scope="module")
def in_process() -> InProcessActionExecutor:
    saved_path = list(sys.path)
    executor = create_action_executor(None, actions_module="sample_actions", project_dir=DATA)
    sys.path[:] = saved_path  # the package stays imported; don't leave the test data on sys.path
    assert isinstance(executor, InProcessActionExecutor)
    return executor


@pytest.fixture
def restore_actions_modules():
    """Projects in tmp_path import a package named `actions`: put sys.modules and sys.path back."""
    saved_path = list(sys.path)
    saved = {name: module for name, module in sys.modules.items() if name == "actions" or name.startswith("actions.")}
    yield
    for name in [name for name in sys.modules if name == "actions" or name.startswith("actions.")]:
        del sys.modules[name]
    sys.modules.update(saved)
    sys.path[:] = saved_path


def write_project(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


ACTION_TEMPLATE = '''
from rasa_sdk import Action


class {cls}(Action):
    def name(self):
        return "{name}"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="{text}")
        return []
'''


# -- in-process -----------------------------------------------------------------------------------


def test_in_process_discovers_actions_and_form_validators(in_process: InProcessActionExecutor) -> None:
    assert in_process.action_names == ["action_broken", "action_check_parcel", "action_refuse", "action_slow",
                                       "action_sync_sender", "validate_parcel_form"]
    assert in_process.knows("validate_parcel_form") is True
    assert in_process.knows("action_nobody_wrote") is False


async def test_in_process_action_sends_text_buttons_response_and_sets_slots(in_process) -> None:
    result = await in_process.run("action_check_parcel", make_tracker({"parcel_id": "0123456789"}), DOMAIN)

    first, second = result.responses
    assert first["text"] == "Parcel 0123456789 is on its way."
    assert first["buttons"] == [{"title": "Thanks", "payload": "/thanks"}]
    assert second["response"] == "utter_anything_else" and second["template"] == "utter_anything_else"
    assert second["parcel"] == "0123456789"  # extra kwargs of utter_message are kept
    assert without_timestamps(result.events) == [
        {"event": "slot", "name": "parcel_status", "value": "in_transit"},
        {"event": "slot", "name": "domain_intents", "value": 3},  # the action saw the domain
    ]
    assert all(isinstance(event["timestamp"], float) for event in result.events)  # rasa_sdk sends None


async def test_in_process_sync_action_runs_and_sees_the_sender(in_process) -> None:
    result = await in_process.run("action_sync_sender", make_tracker(sender_id="abc"), DOMAIN)
    assert [message["text"] for message in result.responses] == ["hello abc"]
    assert result.events == []


async def test_in_process_form_validation_rejects_and_accepts(in_process) -> None:
    loop = {"name": "parcel_form"}
    bad = make_tracker({"parcel_id": "12", "requested_slot": "parcel_id"}, active_loop=loop,
                       extra_events=[{"event": "slot", "timestamp": 3.0, "name": "parcel_id", "value": "12"}])
    before = copy.deepcopy(bad)
    result = await in_process.run("validate_parcel_form", bad, DOMAIN)
    assert [message["text"] for message in result.responses] == ["A parcel number has ten digits."]
    # rasa_sdk leaves requested_slot to Rasa's form unless required_slots() is overridden
    assert without_timestamps(result.events) == [{"event": "slot", "name": "parcel_id", "value": None}]
    assert bad == before  # rasa_sdk's Tracker.add_slots must not reach the engine's tracker

    good = make_tracker({"parcel_id": "0123456789", "requested_slot": "parcel_id"}, active_loop=loop,
                        extra_events=[{"event": "slot", "timestamp": 3.0, "name": "parcel_id",
                                       "value": "0123456789"}])
    result = await in_process.run("validate_parcel_form", good, DOMAIN)
    assert result.responses == []
    assert without_timestamps(result.events) == [{"event": "slot", "name": "parcel_id", "value": "0123456789"}]


async def test_in_process_exception_becomes_action_failed_with_the_users_line(in_process, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.core.actions.in_process"):
        with pytest.raises(ActionFailed) as caught:
            await in_process.run("action_broken", make_tracker(), DOMAIN)
    error = caught.value
    assert error.action_name == "action_broken"
    assert "ValueError: the parcel API is down" in error.reason
    line = next(number for number, text in enumerate(ACTIONS_FILE.read_text().splitlines(), 1)
                if "the parcel API is down" in text)
    assert error.location == f"{ACTIONS_FILE}:{line}"
    assert "Traceback" in caplog.text and "the parcel API is down" in caplog.text
    # the executor keeps working after a failure
    assert (await in_process.run("action_sync_sender", make_tracker(), DOMAIN)).responses


async def test_in_process_unknown_action_names_the_package_and_a_close_match(in_process) -> None:
    with pytest.raises(ActionNotFound) as caught:
        await in_process.run("action_check_parcels", make_tracker(), DOMAIN)
    text = str(caught.value)
    assert "'action_check_parcels'" in text and "sample_actions" in text
    assert "did you mean 'action_check_parcel'" in text


async def test_in_process_rejection_becomes_action_rejected(in_process) -> None:
    with pytest.raises(ActionRejected) as caught:
        await in_process.run("action_refuse", make_tracker(), DOMAIN)
    assert caught.value.action_name == "action_refuse"
    assert caught.value.reason == "no parcel number in the message"


async def test_in_process_without_domain_reuses_the_last_one(in_process) -> None:
    await in_process.run("action_check_parcel", make_tracker(), DOMAIN)
    result = await in_process.run("action_check_parcel", make_tracker(), None)
    assert result.events[1]["value"] == 3


def test_build_action_call_has_rasas_shape() -> None:
    import rasa_sdk

    tracker = make_tracker()
    call = build_action_call("action_x", tracker, DOMAIN)
    assert call == {"next_action": "action_x", "sender_id": "customer-7", "tracker": tracker, "domain": DOMAIN,
                    "version": rasa_sdk.__version__}
    assert "domain" not in build_action_call("action_x", tracker, DOMAIN, include_domain=False)


# -- choosing the executor ------------------------------------------------------------------------


def test_factory_picks_http_when_the_endpoint_has_a_url() -> None:
    endpoints = load_endpoints_text("action_endpoint:\n  url: http://localhost:5055/webhook\n  timeout: 7\n")
    executor = create_action_executor(endpoints.action_endpoint, project_dir=DATA)
    assert isinstance(executor, HttpActionExecutor)
    assert executor.timeout == 7 and executor.retries == 2 and executor.knows("anything") is None
    assert isinstance(create_action_executor({"url": "http://h:1/webhook"}), HttpActionExecutor)


async def test_factory_without_actions_package_knows_no_actions(tmp_path, restore_actions_modules) -> None:
    # The framework's own example `actions` package is importable everywhere; it must not be used.
    executor = create_action_executor(None, project_dir=tmp_path)
    assert isinstance(executor, NoCustomActions) and executor.knows("action_hello") is False
    with pytest.raises(ActionNotFound) as caught:
        await executor.run("action_hello", make_tracker(), DOMAIN)
    assert str(tmp_path) in str(caught.value) and "actions/__init__.py" in str(caught.value)
    assert isinstance(create_action_executor(None, actions_module=None), NoCustomActions)


def test_factory_reads_actions_module_from_the_endpoint(restore_actions_modules) -> None:
    executor = create_action_executor({"actions_module": "sample_actions"}, actions_module="actions", project_dir=DATA)
    assert isinstance(executor, InProcessActionExecutor) and executor.knows("action_check_parcel")


async def test_two_projects_with_an_actions_package_do_not_mix(tmp_path, restore_actions_modules) -> None:
    first = write_project(tmp_path / "first", {
        "actions/__init__.py": "",
        "actions/actions.py": ACTION_TEMPLATE.format(cls="ActionHello", name="action_hello", text="first"),
        "actions/greetings.py": ACTION_TEMPLATE.format(cls="ActionHello", name="action_only_first", text="x"),
    })
    second = write_project(tmp_path / "second", {
        "actions/__init__.py": "",
        "actions/greetings.py": ACTION_TEMPLATE.format(cls="ActionHello", name="action_hello", text="second"),
        "actions/more/__init__.py": ACTION_TEMPLATE.format(cls="ActionBye", name="action_bye", text="bye"),
    })
    executor_1 = create_action_executor(None, project_dir=first)
    executor_2 = create_action_executor(None, project_dir=second)
    assert executor_1.action_names == ["action_hello", "action_only_first"]  # not sample_actions' classes
    # subpackages are searched; the first project's classes (still alive) are not taken
    assert executor_2.action_names == ["action_bye", "action_hello"]
    assert (await executor_1.run("action_hello", make_tracker(), DOMAIN)).responses[0]["text"] == "first"
    assert (await executor_2.run("action_hello", make_tracker(), DOMAIN)).responses[0]["text"] == "second"


def test_actions_package_with_a_syntax_error_names_file_and_line(tmp_path, restore_actions_modules) -> None:
    write_project(tmp_path, {"actions/__init__.py": "", "actions/actions.py": "x = 1\ndef broken(:\n"})
    with pytest.raises(InvalidActions) as caught:
        create_action_executor(None, project_dir=tmp_path)
    assert caught.value.location == f"{tmp_path / 'actions' / 'actions.py'}:2"


def test_actions_package_importing_a_missing_library(tmp_path, restore_actions_modules) -> None:
    write_project(tmp_path, {"actions/__init__.py": "", "actions/actions.py": "\nimport parcel_api_xyz\n"})
    with pytest.raises(MissingDependency) as caught:  # rasa_sdk would sys.exit(1) here
        create_action_executor(None, project_dir=tmp_path)
    assert "'parcel_api_xyz'" in caught.value.message
    assert caught.value.location == f"{tmp_path / 'actions' / 'actions.py'}:2"


# -- over HTTP, against a real rasa_sdk action server ----------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> str:
    port = free_port()
    log_path = tmp_path_factory.mktemp("action_server") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(DATA), "SANIC_HOST": "127.0.0.1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "sample_actions",
                                    "--port", str(port)], cwd=DATA, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the action server exited:\n{log_path.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the action server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def http(action_server):
    executor = create_action_executor({"url": action_server, "timeout": 10})
    yield executor
    await executor.close()


async def test_http_runs_the_action_like_in_process(http, in_process) -> None:
    tracker = make_tracker({"parcel_id": "0123456789"})
    remote = await http.run("action_check_parcel", tracker, DOMAIN)
    local = await in_process.run("action_check_parcel", tracker, DOMAIN)
    assert remote.responses == local.responses
    assert without_timestamps(remote.events) == without_timestamps(local.events)
    assert remote.responses[0]["buttons"] == [{"title": "Thanks", "payload": "/thanks"}]


async def test_http_form_validation(http) -> None:
    tracker = make_tracker({"parcel_id": "12", "requested_slot": "parcel_id"}, active_loop={"name": "parcel_form"},
                           extra_events=[{"event": "slot", "timestamp": 3.0, "name": "parcel_id", "value": "12"}])
    result = await http.run("validate_parcel_form", tracker, DOMAIN)
    assert [message["text"] for message in result.responses] == ["A parcel number has ten digits."]
    assert result.events[0]["name"] == "parcel_id" and result.events[0]["value"] is None


async def test_http_unknown_action_is_action_not_found(http, action_server) -> None:
    with pytest.raises(ActionNotFound) as caught:
        await http.run("action_nobody_wrote", make_tracker(), DOMAIN)
    assert action_server in str(caught.value) and "'action_nobody_wrote'" in str(caught.value)


async def test_http_rejection_is_action_rejected(http) -> None:
    with pytest.raises(ActionRejected) as caught:
        await http.run("action_refuse", make_tracker(), DOMAIN)
    assert caught.value.reason == "no parcel number in the message"


async def test_http_exception_in_the_action_is_action_failed(http) -> None:
    with pytest.raises(ActionFailed) as caught:
        await http.run("action_broken", make_tracker(), DOMAIN)
    assert "500" in caught.value.reason and "the parcel API is down" in caught.value.reason
    assert "action server's log" in str(caught.value)


async def test_http_selective_domain_resends_the_domain_when_asked(action_server) -> None:
    executor = create_action_executor({"url": action_server, "enable_selective_domain": True})
    try:
        # action_check_parcel does not ask for the domain: the server answers 449 and we resend it
        result = await executor.run("action_check_parcel", make_tracker(), DOMAIN)
        assert result.events[1]["value"] == 3
    finally:
        await executor.close()


async def test_http_timeout_is_action_failed(action_server) -> None:
    executor = create_action_executor({"url": action_server, "timeout": 0.2})
    try:
        with pytest.raises(ActionFailed) as caught:
            await executor.run("action_slow", make_tracker({"delay": 1.0}), DOMAIN)
        assert "did not answer within 0.2 s" in str(caught.value) and "timeout:" in str(caught.value)
    finally:
        await executor.close()


async def test_http_lists_the_servers_actions(http) -> None:
    assert "validate_parcel_form" in await http.list_actions()


async def test_http_wrong_path_points_at_webhook(action_server) -> None:
    executor = create_action_executor({"url": action_server.replace("/webhook", "/hook")})
    try:
        with pytest.raises(ActionFailed) as caught:
            await executor.run("action_check_parcel", make_tracker(), DOMAIN)
        # rasa_sdk answers an unknown path with 500 "Requested URL /hook not found"
        assert "/hook not found" in caught.value.reason
        assert "takes actions at /webhook" in caught.value.hint
    finally:
        await executor.close()


async def test_http_server_down_retries_then_fails_with_what_to_do() -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"
    endpoint = load_endpoints_text(f"action_endpoint:\n  url: {url}\n", "endpoints.yml").action_endpoint
    executor = HttpActionExecutor(endpoint, backoff=0.01)
    attempts = 0
    original = httpx.AsyncClient.post

    async def counting_post(self, *args, **kwargs):
        nonlocal attempts
        attempts += 1
        return await original(self, *args, **kwargs)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(httpx.AsyncClient, "post", counting_post)
            with pytest.raises(ActionFailed) as caught:
                await executor.run("action_check_parcel", make_tracker(), DOMAIN)
    finally:
        await executor.close()
    assert attempts == 3  # the first try and two retries
    text = str(caught.value)
    assert url in text and "python -m rasa_sdk --actions actions" in text
    assert caught.value.location == "endpoints.yml:1"


def test_http_client_sends_token_headers_and_basic_auth() -> None:
    endpoint = load_endpoints_text(
        "action_endpoint:\n  url: http://h/webhook\n  token: s3cret\n  headers:\n    X-Team: parcels\n"
        "  basic_auth:\n    username: bot\n    password: pw\n").action_endpoint
    client = _make_client(endpoint, 5.0)
    request = client.build_request("POST", endpoint.url)
    assert request.url.params["token"] == "s3cret" and request.headers["X-Team"] == "parcels"
    request = next(client.auth.auth_flow(request))
    assert request.headers["Authorization"].startswith("Basic ")


def test_http_rejects_a_bad_timeout() -> None:
    from bot.shared.errors import InvalidEndpoints

    endpoint = load_endpoints_text("action_endpoint:\n  url: http://h/webhook\n  timeout: soon\n", "e.yml")
    with pytest.raises(InvalidEndpoints) as caught:
        create_action_executor(endpoint.action_endpoint)
    assert caught.value.location == "e.yml:1" and "timeout" in caught.value.message
