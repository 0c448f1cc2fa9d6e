"""`POST /model/train` (blueprint "training_api"): Rasa 3.6's training over HTTP, behind the token.

The body is Rasa's training payload (one YAML document with config, domain and data; or Rasa's
JSON with each part as YAML text). The answer is the model archive, named in the `filename`
header as Rasa does; the served model stays until a `PUT /model` names the new one. With
`callback_url` the answer is 204 at once and the archive (or the error) is POSTed there when
training ends. Trainings run one at a time, off the event loop; `/status` counts them.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, empty, raw

from bot.server.auth import check_token
from bot.server.errors import ApiError, bad_request, error_body, json_body
from bot.server.requests import validated
from bot.server.state import server_state
from bot.server.training_payload import TrainJsonBody, write_json_payload, write_yaml_payload
from bot.shared.errors import BotError

__all__ = ["TrainParameters", "active_training_jobs", "training_blueprint"]

logger = logging.getLogger(__name__)

DEFAULT_MODELS_DIRECTORY = Path("models")  # Rasa's: relative to where the server runs
CALLBACK_TIMEOUT = 60.0  # seconds the callback URL gets to take the archive


class TrainParameters(BaseModel):
    """Rasa's query parameters of `POST /model/train`."""

    save_to_default_model_directory: bool = Field(
        True, description="keep the archive in models/ (where the server runs); else it is only returned")
    force_training: bool = Field(False, description="retrain even when the inputs did not change")
    augmentation: int = Field(50, ge=0, description="Rasa's story augmentation factor; accepted, no effect here")
    num_threads: int | None = Field(None, ge=1, le=64, description="threads for training the networks")
    callback_url: str | None = Field(None, description="answer 204 now and POST the archive here when done")


@dataclass
class _TrainingJobs:
    active: int = 0
    one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)
    background: set[asyncio.Task[None]] = field(default_factory=set)  # held so they are not collected


def _jobs(app: Sanic) -> _TrainingJobs:
    jobs = getattr(app.ctx, "training_jobs", None)
    if jobs is None:
        jobs = app.ctx.training_jobs = _TrainingJobs()
    return jobs


def active_training_jobs(app: Sanic) -> int:
    """Trainings running or waiting for the one running (`/status`'s `num_active_training_jobs`)."""
    jobs = getattr(app.ctx, "training_jobs", None)
    return jobs.active if jobs is not None else 0


@dataclass
class _Payload:
    """The payload written out as a project, and how its files are named in errors."""

    directory: Path
    config: Path
    domain: Path
    data: Path
    names: dict[str, str]
    force: bool = False
    save_to_default: bool = True

    def location(self, where: str | None) -> str | None:
        for path, name in self.names.items():
            if where and where.startswith(path):
                return name + where[len(path):]
        return where


def _parameters(request: Request) -> TrainParameters:
    given = {name: request.args.get(name) for name in TrainParameters.model_fields if name in request.args}
    return validated(TrainParameters, given, where="query")


def _payload(request: Request) -> _Payload:
    """Writes the body out as config, domain and data files in a fresh directory (removed on a 400)."""
    if not request.body:
        raise bad_request("The request body is empty; send the training data as YAML (config, domain and "
                          "data in one document) or as Rasa's JSON payload.", "body")
    directory = Path(tempfile.mkdtemp(prefix="bot-train-api-"))
    try:
        # Rasa's JSON payload: by its content type, or by its first character when a client sends none
        if (request.content_type or "").startswith("application/json") or request.body.lstrip()[:1] == b"{":
            body = validated(TrainJsonBody, json_body(request))
            config, domain, data = write_json_payload(body, directory)
            names = {str(config): "body.config", str(domain): "body.domain",
                     **{str(data / f"{part}.yml"): f"body.{part}" for part in ("nlu", "stories", "rules", "responses")}}
            return _Payload(directory, config, domain, data, names, body.force, body.save_to_default_model_directory)
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("The request body is not UTF-8 text.", "body") from None
        config, domain, data = write_yaml_payload(text, directory)
        return _Payload(directory, config, domain, data,
                        {str(config): "body", str(domain): "body", str(data / "training.yml"): "body"})
    except BotError as error:
        shutil.rmtree(directory, ignore_errors=True)
        if isinstance(error, ApiError):
            raise
        raise _unusable(error, where=error.location) from None


def _unusable(error: BotError, where: str | None) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", f"The training data cannot be used: {error.message}",
                    {"parameter": "body", "in": "body", "location": where}, hint=error.hint)


@contextmanager
def _torch_threads(count: int | None) -> Iterator[None]:
    """DIET reads BOT_TORCH_THREADS when it trains; trainings run one at a time, so setting it is safe."""
    if count is None:
        yield
        return
    previous = os.environ.get("BOT_TORCH_THREADS")
    os.environ["BOT_TORCH_THREADS"] = str(count)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("BOT_TORCH_THREADS", None)
        else:
            os.environ["BOT_TORCH_THREADS"] = previous


def _train(payload: _Payload, output: Path, force: bool, threads: int | None) -> Path:
    from bot.model.training import train
    from bot.shared.project import Project

    with _torch_threads(threads):
        project = Project.discover(payload.directory, config=payload.config, domain=payload.domain,
                                   data=[payload.data])
        return train(project, output, force=force).model_path


async def _trained_archive(app: Sanic, payload: _Payload, parameters: TrainParameters) -> tuple[str, bytes]:
    """Trains (after any training already running) and returns the archive's name and bytes."""
    save = parameters.save_to_default_model_directory and payload.save_to_default
    output = DEFAULT_MODELS_DIRECTORY if save else payload.directory / "models"
    force = parameters.force_training or payload.force
    jobs = _jobs(app)
    jobs.active += 1
    try:
        async with jobs.one_at_a_time:
            work = partial(_train, payload, output, force, parameters.num_threads)
            archive = await asyncio.get_running_loop().run_in_executor(None, work)
        return archive.name, archive.read_bytes()
    except ApiError:
        raise
    except BotError as error:
        raise _unusable(error, payload.location(error.location)) from None
    except Exception as error:  # a bug, not the client's data: Rasa's 500 "TrainingError"
        logger.exception("training over HTTP failed")
        raise ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "TrainingError",
                       f"An unexpected error occurred during training. Error: {error}") from None
    finally:
        jobs.active -= 1
        shutil.rmtree(payload.directory, ignore_errors=True)


def _archive_headers(name: str) -> dict[str, str]:
    return {"filename": name, "Content-Disposition": f'attachment; filename="{name}"'}


def _archive_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


async def _train_and_call_back(app: Sanic, payload: _Payload, parameters: TrainParameters, url: str) -> None:
    """Rasa's asynchronous training: the archive, or the error as JSON, is POSTed to `url`."""
    import httpx

    try:
        name, content = await _trained_archive(app, payload, parameters)
        request: dict[str, Any] = {"content": content,
                                   "headers": {"Content-Type": _archive_type(name), **_archive_headers(name)}}
    except ApiError as error:
        request = {"json": error_body(error.status, error.reason, error.message, error.detail)}
    try:
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as client:
            response = await client.post(url, **request)
        if response.status_code >= 400:
            logger.error("the training callback %s answered %s", url, response.status_code)
    except httpx.HTTPError as error:
        logger.error("cannot deliver the trained model to the callback %s: %s", url, error)


def training_blueprint() -> Blueprint:
    """A fresh "training_api" blueprint."""
    blueprint = Blueprint("training_api")

    @blueprint.on_request
    async def authenticate(request: Request) -> None:
        check_token(request, server_state(request.app).settings.auth_token)

    @blueprint.post("/model/train")
    async def train_model(request: Request) -> HTTPResponse:
        """Trains a model from the payload; answers with the archive (or 204 with `callback_url`)."""
        parameters = _parameters(request)
        url = parameters.callback_url
        if url is not None and not url.startswith(("http://", "https://")):
            raise bad_request(f"callback_url must be an http(s) URL, not '{url}'.", "callback_url", "query")
        payload = _payload(request)
        if url is not None:
            # a task of the running loop: Sanic's add_task defers tasks of a server not started by app.run
            background = _jobs(request.app).background
            task = asyncio.get_running_loop().create_task(_train_and_call_back(request.app, payload, parameters, url))
            background.add(task)
            task.add_done_callback(background.discard)
            return empty(status=HTTPStatus.NO_CONTENT)
        name, content = await _trained_archive(request.app, payload, parameters)
        return raw(content, content_type=_archive_type(name), headers=_archive_headers(name))

    return blueprint
