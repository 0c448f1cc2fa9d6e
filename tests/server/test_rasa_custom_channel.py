"""A custom channel written for Rasa (subclass of `rasa.core.channels.channel.InputChannel`), named by
its class path in credentials.yml, loads from the project folder and serves messages unchanged."""

from __future__ import annotations

import logging
import sys

import pytest

from bot.channels.credentials import InvalidCredentials, parse_credentials
from bot.shared.yaml_io import read_yaml

# As Rasa 3.6's "Custom Connectors" page writes a channel; nothing here knows this framework.
RASA_CHANNEL = '''
import inspect
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage


class MyIO(InputChannel):
    """A shop's own widget: JSON in, the bot's replies out, behind a shared token."""

    def __init__(self, token: Text) -> None:
        self.token = token

    @classmethod
    def name(cls) -> Text:
        return "myio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(credentials["token"])

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {"page": request.json.get("page")}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        custom_webhook = Blueprint("custom_webhook_{}".format(type(self).__name__), inspect.getmodule(self).__name__)

        @custom_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @custom_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if request.headers.get("X-Token") != self.token:
                return response.json({"error": "bad token"}, status=401)
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(request.json.get("text"), collector, request.json.get("sender"),
                                             input_channel=self.name(), metadata=self.get_metadata(request)))
            return response.json(collector.messages)

        return custom_webhook
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "shop_channels").mkdir()
    (tmp_path / "shop_channels" / "__init__.py").write_text("")
    (tmp_path / "shop_channels" / "myio.py").write_text(RASA_CHANNEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] == "shop_channels"]:
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


def _credentials(text: str):
    return parse_credentials(read_yaml(text, "credentials.yml"), "credentials.yml")


async def test_a_rasa_custom_channel_answers_with_the_bots_replies(project, make_app) -> None:
    credentials = _credentials("rest:\nshop_channels.myio.MyIO:\n  token: abc\n")
    app = make_app(auth_token="t", credentials=credentials)
    _, response = await app.asgi_client.get("/webhooks/myio/")
    assert response.json == {"status": "ok"}
    _, response = await app.asgi_client.post("/webhooks/myio/webhook", json={"sender": "ann", "text": "hello",
                                                                               "page": "/cart"},
                                              headers={"X-Token": "abc"})
    assert response.status == 200
    # The replies went through the channel's output channel (Rasa's send_response dispatch).
    assert response.json == [{"recipient_id": "ann", "text": "Hey! How are you?",
                              "buttons": [{"title": "great", "payload": "/mood_great"}]}]
    _, response = await app.asgi_client.get("/conversations/ann/tracker", params={"token": "t"})
    user = [event for event in response.json["events"] if event["event"] == "user"]
    assert user[0]["input_channel"] == "myio" and user[0]["metadata"] == {"page": "/cart"}
    _, response = await app.asgi_client.post("/webhooks/myio/webhook", json={"sender": "ann", "text": "hi"},
                                              headers={"X-Token": "wrong"})
    assert response.status == 401


def test_channel_keys_resolve_through_the_registry(project, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        credentials = _credentials("rest:\nslack:\n  slack_token: x\nshop_channels.myio.MyIO:\n  token: abc\n")
    assert sorted(credentials.sections) == ["rest", "shop_channels.myio.MyIO"]
    assert credentials.custom["shop_channels.myio.MyIO"].__name__ == "MyIO"
    assert "channel 'slack' is skipped: this version does not serve it yet" in caplog.text
    with pytest.raises(InvalidCredentials, match="cannot import the custom channel 'shop_channels.nope.X'") as error:
        _credentials("rest:\nshop_channels.nope.X:\n")
    assert error.value.location == "credentials.yml:2"
    (project / "shop_channels" / "plain.py").write_text("class NotAChannel:\n    pass\n")
    with pytest.raises(InvalidCredentials, match="is not a channel of this framework"):
        _credentials("shop_channels.plain.NotAChannel:\n")
