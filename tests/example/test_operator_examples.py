"""The request/reply examples in docs/operator.md, sent to the example assistant: the replies the docs show
are the ones it gives, so the docs cannot drift from the bot again."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

OPERATOR_DOC = Path(__file__).resolve().parents[2] / "docs" / "operator.md"
_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)
_DATA = re.compile(r"-d '(\{.*?\})'", re.S)
_ROUTE = re.compile(r"localhost:5005(/[^' \\]+)")
TOKEN = "s3cret"  # the token the operator docs start the server with


def documented_examples() -> list[tuple[str, dict[str, Any], Any]]:
    """(route with query, request body, the JSON block that follows) for each `curl -d` example with a reply."""
    blocks = _BLOCK.findall(OPERATOR_DOC.read_text(encoding="utf-8"))
    examples = []
    for (kind, body), following in zip(blocks, blocks[1:], strict=False):
        data, route = _DATA.search(body), _ROUTE.search(body)
        if kind == "bash" and data and route and following[0] == "json":
            examples.append((route.group(1), json.loads(data.group(1)), json.loads(following[1])))
    return examples


def test_the_operator_docs_show_replies_for_the_webhook_and_trigger_intent() -> None:
    routes = [route.split("?")[0] for route, _, _ in documented_examples()]
    assert "/webhooks/rest/webhook" in routes and "/conversations/ben/trigger_intent" in routes


@pytest.mark.parametrize(("route", "body", "shown"), documented_examples(),
                         ids=lambda value: value.split("?")[0] if isinstance(value, str) else "")
async def test_documented_example_gets_the_documented_reply(agent: Any, route: str, body: dict[str, Any],
                                                            shown: Any) -> None:
    from bot.server import create_app

    app = create_app(agent, auth_token=TOKEN)
    _, response = await app.asgi_client.post(route, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200, response.text
    # the webhook answers with the messages; the conversation routes with {"tracker", "messages"}
    replies = response.json if isinstance(response.json, list) else response.json["messages"]
    assert replies == (shown if isinstance(shown, list) else shown["messages"])
