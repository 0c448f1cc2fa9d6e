"""Units of the web chat: credentials.yml, signing, rendering, rate limits, invitation hours, frames."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.credentials import InvalidCredentials, WebchatSettings, load_credentials, parse_credentials
from bot.channels.invitations import active_rules, inside_hours
from bot.channels.rendering import message_parts
from bot.channels.signing import SessionTokens, customer_signature, verify_customer
from bot.channels.webchat import FrameError, RateLimiter, WebchatChannel, wire_messages
from bot.shared.errors import ChannelAuthError
from bot.shared.yaml_io import read_yaml


def _credentials(text: str):
    return parse_credentials(read_yaml(text, "credentials.yml"), "credentials.yml")


def test_rasa_credentials_load_with_channels_not_served_here_skipped(monkeypatch) -> None:
    monkeypatch.setenv("SHOP_SECRET", "s3")
    credentials = _credentials("rest:\nfacebook:\n  verify: x\nsocketio:\n  user_message_evt: u\n"
                               "webchat:\n  customer_secret: ${SHOP_SECRET}\n  allowed_origins: https://a.test\n")
    assert sorted(credentials.sections) == ["rest", "socketio", "webchat"]
    assert credentials.socketio.user_message_evt == "u" and credentials.socketio.bot_message_evt == "bot_uttered"
    assert credentials.webchat.customer_secret == "s3" and credentials.webchat.allowed_origins == ["https://a.test"]


@pytest.mark.parametrize(("text", "where", "words"), [
    ("rest:\nwebchta:\n", "credentials.yml:2", "did you mean 'webchat'"),
    ("webchat:\n  allowed_origin: [x]\n", "credentials.yml:2", "allowed_origin"),
    ("webchat:\n  rate_limit_per_minute: 0\n", "credentials.yml:2", "rate_limit_per_minute"),
    ("webchat:\n  invitations:\n    - name: a\n      message: hi\n", "credentials.yml:2", "idle_seconds"),
    ("webchat:\n  invitations:\n    - name: a\n      signal: s\n      hours: {timezone: Mars/Base}\n",
     "credentials.yml:2", "unknown time zone"),
    ("- rest\n", "credentials.yml", "map channel names"),
    ("socketio: yes\n", "credentials.yml:1", "options below it"),
])
def test_bad_credentials_name_file_line_and_fix(text: str, where: str, words: str) -> None:
    with pytest.raises(InvalidCredentials) as error:
        _credentials(text)
    assert error.value.location.startswith(where) and words in str(error.value)


def test_a_missing_credentials_file_is_an_error_only_when_asked_for(tmp_path) -> None:
    assert load_credentials(tmp_path / "credentials.yml").sections == {}
    with pytest.raises(InvalidCredentials, match="not found"):
        load_credentials(tmp_path / "credentials.yml", required=True)


def test_the_example_projects_credentials_enable_rest_socketio_and_the_web_chat() -> None:
    from pathlib import Path

    credentials = load_credentials(Path(__file__).parents[2] / "credentials.yml", required=True)
    assert sorted(credentials.sections) == ["rest", "socketio", "webchat"]
    assert credentials.socketio.session_persistence is True and credentials.webchat.invitations


def test_session_tokens_resume_only_what_they_were_issued_for() -> None:
    tokens = SessionTokens("secret", ttl=3600)
    token = tokens.issue("webchat-abc", now=1000)
    assert tokens.verify(token, now=2000) == "webchat-abc"
    version, conversation, issued, signature = token.split(".")
    for forged in (f"{version}.webchat-abd.{issued}.{signature}", f"{version}.{conversation}.999.{signature}",
                   SessionTokens("other").issue("webchat-abc", now=1000), "v1.x", None, 42):
        with pytest.raises(ChannelAuthError):
            tokens.verify(forged, now=2000)
    with pytest.raises(ChannelAuthError, match="expired"):
        tokens.verify(token, now=1000 + 3601)


def test_customer_signatures_are_hmac_sha256_hex() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"cust-1", hashlib.sha256).hexdigest()
    assert customer_signature("k", "cust-1") == expected
    assert verify_customer("k", "cust-1", expected.upper()) == "cust-1"
    for secret, customer, signature in (("k", "cust-2", expected), (None, "cust-1", expected),
                                        ("k", "", expected), ("k", "cust-1", None), ("k", 5, expected)):
        with pytest.raises(ChannelAuthError):
            verify_customer(secret, customer, signature)


def test_rendering_keeps_rasas_order_and_drops_unsafe_urls() -> None:
    parts = message_parts({
        "text": "Pick one", "buttons": [{"title": "A", "payload": "/a"}, {"title": "Site", "url": "https://x.test"},
                                        {"title": "Bad", "url": "javascript:alert(1)"}, {"payload": "/no-title"}],
        "image": "https://x.test/i.png", "attachment": "https://x.test/i.png", "custom": {"k": 1},
        "elements": [{"title": "Card", "image_url": "data:text/html,x", "buttons": []}]})
    assert [p["type"] for p in parts] == ["buttons", "custom", "image", "carousel"]
    assert parts[0]["buttons"] == [{"title": "A", "payload": "/a"}, {"title": "Site", "url": "https://x.test"},
                                   {"title": "Bad", "payload": "Bad"}]
    assert parts[3]["elements"] == [{"title": "Card", "buttons": []}]
    assert message_parts({"text": "hi", "quick_replies": [{"title": "yes", "payload": "/affirm"}]}) == [
        {"type": "quick_replies", "text": "hi", "buttons": [{"title": "yes", "payload": "/affirm"}]}]
    assert message_parts({"attachment": {"type": "file", "payload": {"url": "https://x.test/a.pdf"}}}) == [
        {"type": "file", "url": "https://x.test/a.pdf", "name": "a.pdf"}]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["text", "buttons", "quick_replies", "image", "attachment", "elements",
                                        "custom", "metadata"]),
                       st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                                        max_size=3),
                                    max_leaves=10)))
def test_rendering_any_message_gives_parts_or_nothing(message: dict) -> None:
    for part in message_parts(message):
        assert part["type"] in {"text", "buttons", "quick_replies", "image", "file", "carousel", "custom"}
        for key in ("url", "image_url"):
            assert key not in part or part[key].startswith(("http://", "https://"))


def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert sum(limiter.allow("a") for _ in range(100)) == 15  # a burst of a quarter of a minute's budget
    assert limiter.allow("b")  # per key
    now[0] += 2.0
    assert sum(limiter.allow("a") for _ in range(10)) == 2


async def test_invitations_follow_business_hours_and_the_gate() -> None:
    credentials = _credentials(
        "webchat:\n  invitations:\n    - name: office\n      signal: cart_full\n"
        "      hours: {timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], from: '09:00', to: '18:00'}\n"
        "    - name: always\n      idle_seconds: 30\n")
    channel = WebchatChannel(credentials.webchat)
    monday_10_berlin = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    sunday = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    assert inside_hours(credentials.webchat.invitations[0].hours, monday_10_berlin)
    assert [r["name"] for r in await active_rules(channel, monday_10_berlin)] == ["office", "always"]
    assert [r["name"] for r in await active_rules(channel, sunday)] == ["always"]

    async def only_office(rule) -> bool:  # the human side answers per rule (its team, its queue)
        return rule.name == "office"

    channel.invitation_gate = only_office
    assert [r["name"] for r in await active_rules(channel, monday_10_berlin)] == ["office"]

    async def broken(rule) -> bool:
        raise RuntimeError("database down")

    channel.invitation_gate = broken
    assert await active_rules(channel, monday_10_berlin) == []


def test_frames_are_validated_field_by_field() -> None:
    channel = WebchatChannel(WebchatSettings(max_message_chars=10))
    assert channel.parse_frame({"type": "message", "id": "c1", "text": "hi"})["text"] == "hi"
    bad = [({"type": "message", "id": "c 1", "text": "hi"}, "id"), ({"type": "message", "id": "c1", "text": ""}, "text"),
           ({"type": "message", "id": "c1", "text": "x" * 11}, "text"), ({"type": "receipt", "status": "seen",
                                                                           "watermark": 1}, "status"),
           ({"type": "receipt", "status": "read", "watermark": True}, "watermark"),
           ({"type": "invitation", "rule": "nope", "action": "shown"}, "rule"), ({"type": "dance"}, "type"),
           ({"type": "message", "id": "c1", "text": "hi", "title": 3}, "title")]
    for frame, field in bad:
        with pytest.raises(FrameError) as error:
            channel.parse_frame(frame)
        assert error.value.field == field
    with pytest.raises(FrameError):
        channel.parse_frame([1, 2])


def test_wire_messages_show_customer_bot_agent_and_handover_notices() -> None:
    events = [{"event": "action", "name": "action_listen"},
              {"event": "user", "text": "/mood_great", "message_id": "c9", "metadata": {"display_text": "great"}},
              {"event": "bot", "text": "Hi", "data": {"buttons": [{"title": "Yes", "payload": "/y"}]}},
              {"event": "handover", "reason": "asked_for_human"},
              {"event": "bot", "text": "Maria here", "metadata": {"agent": {"id": "a", "name": "Maria"}}},
              {"event": "handback"}, {"event": "receipt", "status": "read", "watermark": 3},
              {"event": "bot", "text": "stale bot turn", "metadata": {"delivered": False}}]
    shown = wire_messages(events, 10)
    assert [(m["seq"], m["from"]) for m in shown] == [(11, "customer"), (12, "bot"), (13, "system"), (14, "agent"),
                                                      (15, "system")]
    assert shown[0]["text"] == "great" and shown[0]["id"] == "c9" and shown[3]["agent"]["name"] == "Maria"


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["allowed_origins", "session_secret", "customer_secret", "invitations", "name", "page",
                         "idle_seconds", "signal", "message", "hours", "rate_limit_per_minute", "x"]),
        children, max_size=4),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["rest", "socketio", "webchat", "facebook", "webchta", "custom.Channel"]),
                       yaml_values, max_size=4) | yaml_values)
def test_any_credentials_document_loads_or_names_its_problem(document) -> None:
    try:
        credentials = parse_credentials(document, "credentials.yml")
    except InvalidCredentials as error:
        assert error.message and error.location and error.location.startswith("credentials.yml")
        return
    assert set(credentials.sections) <= {"rest", "socketio", "webchat"}
