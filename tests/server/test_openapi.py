"""GET /openapi.json: a well-formed OpenAPI 3 document listing exactly the app's routes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.server.openapi import openapi_document

_METHODS = {"get", "post", "put", "delete", "patch"}


def _app_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route but the CORS preflights."""
    routes = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", route.path)
        for method in route.methods - {"OPTIONS", "HEAD"}:
            routes.add((method.lower(), path.rstrip("/") or "/"))
    return routes


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path.rstrip("/") or "/") for path, ops in document["paths"].items() for method in ops}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


@pytest.mark.parametrize("options", [{"auth_token": "t"}, {"enable_api": True}, {}])
async def test_document_lists_every_route(make_app, options) -> None:
    app = make_app(**options)
    _, response = await app.asgi_client.get("/openapi.json")
    assert response.status == 200
    document = json.loads(response.text)
    assert _documented(document) == _app_routes(app)


def test_document_is_well_formed() -> None:
    document = openapi_document(api_enabled=True, token=True)
    json.dumps(document)  # serialisable as it is served
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]
    for path, operations in document["paths"].items():
        assert path.startswith("/")
        declared = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            assert method in _METHODS
            # a success response: 200, or 204 where Rasa answers with no body (PUT /model)
            assert operation["responses"] and {"200", "204"} & set(operation["responses"])
            in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert in_path == declared, (path, method)
            if path.startswith(("/conversations", "/model", "/status", "/domain")):
                assert operation["security"], path
    for ref in _refs(document):
        section, kind, name = ref.removeprefix("#/").split("/")
        assert name in document[section][kind], ref


def test_open_paths_carry_no_security() -> None:
    document = openapi_document(api_enabled=True, token=True)
    for path in ("/", "/version", "/health", "/webhooks/rest/webhook"):
        assert all("security" not in op for op in document["paths"][path].values())
