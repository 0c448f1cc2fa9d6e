"""`PUT /model` (blueprint "model_api"): serve another trained model without a restart, in Rasa's shape.

The body names a model archive on the server's disk (`{"model_file": "models/x.tar.gz"}`) or one to
download (`{"model_server": {"url": "https://.../x.tar.gz"}}`). Behind the API token like the rest.
"""

from __future__ import annotations

import tempfile
from http import HTTPStatus
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty

from bot.model.archive import read_archive_metadata
from bot.server.auth import check_token
from bot.server.errors import ApiError, bad_request, json_body
from bot.server.model_swap import replace_model
from bot.server.state import server_state

__all__ = ["ModelServer", "ReplaceModel", "model_blueprint"]

DOWNLOAD_TIMEOUT = 120.0  # seconds for fetching an archive from a model server


class ModelServer(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str


class ReplaceModel(BaseModel):
    """Rasa's `PUT /model` body: a local archive or a model server to fetch one from."""

    model_config = ConfigDict(extra="allow")  # Rasa clients also send remote_storage; it is not supported
    model_file: str | None = None
    model_server: ModelServer | None = None


def _body(request: Request) -> ReplaceModel:
    try:
        body = ReplaceModel.model_validate(json_body(request))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise bad_request(f"{field}: {first.get('msg')}", field) from None
    if not body.model_file and body.model_server is None:
        raise bad_request("Give 'model_file' (a model archive on the server) or 'model_server' ({\"url\": ...}).",
                          "model_file")
    return body


async def _download(url: str) -> Path:
    import httpx

    target = Path(tempfile.mkdtemp(prefix="bot-model-")) / "downloaded.tar.gz"
    try:
        async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as client:
            async with client.stream("GET", url) as response:
                if response.status_code != HTTPStatus.OK:
                    raise bad_request(f"The model server answered {response.status_code} for {url}.",
                                      "model_server.url")
                with target.open("wb") as file:
                    async for chunk in response.aiter_bytes():
                        file.write(chunk)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise bad_request(f"Cannot fetch the model from {url!r}: {error}", "model_server.url") from None
    return target


def model_blueprint() -> Blueprint:
    """A fresh "model_api" blueprint."""
    blueprint = Blueprint("model_api")

    @blueprint.on_request
    async def authenticate(request: Request) -> None:
        check_token(request, server_state(request.app).settings.auth_token)

    @blueprint.put("/model")
    async def put_model(request: Request) -> HTTPResponse:
        """Loads the archive, warms it up and serves it from the next request on (204)."""
        body = _body(request)
        archive = await _download(body.model_server.url) if body.model_server else Path(body.model_file or "")
        if not archive.is_file():
            raise bad_request(f"There is no model archive at '{archive}' on the server.", "model_file")
        metadata = read_archive_metadata(archive)
        if metadata is None:
            raise bad_request(f"'{archive}' is not a model archive (no metadata.json inside).", "model_file")
        if "core" not in metadata.parts:
            raise ApiError(HTTPStatus.CONFLICT, "NoDialogueModel",
                           f"'{archive}' has only an NLU part; the server needs a dialogue model too.",
                           {"parameter": "model_file", "in": "body"}, hint="train it with 'bot train' (not --nlu)")
        await replace_model(request.app, archive)
        return empty(status=HTTPStatus.NO_CONTENT)

    return blueprint
