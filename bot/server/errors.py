"""JSON errors for every HTTP failure: `{"error", "detail", "reason", "status", "code"}`.

`error` is the human sentence and `detail` says where (`{"parameter": "message", "in": "body"}`)
or carries the framework error's hint. `reason`, `status: "failure"` and `code` are the keys
Rasa's HTTP API puts into its error bodies, so clients written against Rasa keep working.
Bad input is always a 4xx; only a bug in the server yields a 500, and its body names no internals.
"""

from __future__ import annotations

import json as jsonlib
import logging
from http import HTTPStatus
from typing import Any

from sanic import Request
from sanic.exceptions import RequestCancelled, SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse, json

from bot.server.outages import RETRY_AFTER_SECONDS, OutageLog, dependency_failure
from bot.shared.errors import BotError
from bot.shared.limits import MessageTooLong
from bot.stores.lock_store import LockError

logger = logging.getLogger(__name__)

__all__ = ["ApiError", "JsonErrorHandler", "bad_request", "error_body", "json_body", "response_for_exception",
           "unstorable"]


class ApiError(BotError):
    """An HTTP failure the client caused (or a store that is down): status, reason, message, detail."""

    def __init__(self, status: int, reason: str, message: str, detail: Any = None,
                 *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason
        self.detail = detail


def bad_request(message: str, parameter: str | None = None, where: str = "body") -> ApiError:
    """A 400 naming the offending request parameter (Rasa's `{"parameter", "in"}` detail)."""
    detail = {"parameter": parameter, "in": where} if parameter is not None else None
    return ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", message, detail)


def error_body(status: int, reason: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The stable error shape (ours plus Rasa's keys)."""
    return {"error": message, "detail": detail, "reason": reason, "status": "failure",
            "message": message, "code": int(status)}


def _status_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return "Error"


class JsonErrorHandler(ErrorHandler):
    """Renders every exception as JSON with the right status."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:  # noqa: D401
        return response_for_exception(exception, request)


def response_for_exception(exception: BaseException, request: Request | None = None) -> HTTPResponse:
    """The JSON response for an exception raised while handling `request`."""
    headers: dict[str, str] = {}
    if isinstance(exception, RequestCancelled):
        # The client went away mid-request (a long poll, a socket.io poll): nobody reads an answer.
        return json(error_body(499, "ClientClosedRequest", "The client closed the request."), status=499)
    if isinstance(exception, ApiError):
        status, reason, message = exception.status, exception.reason, exception.message
        detail = exception.detail if exception.detail is not None else exception.hint
        if status == HTTPStatus.UNAUTHORIZED:
            headers["WWW-Authenticate"] = 'Bearer realm="bot"'
    elif isinstance(exception, SanicException):
        # Routing, method, body size and malformed-request errors raised by Sanic itself.
        status = int(getattr(exception, "status_code", 500) or 500)
        headers.update({str(k): str(v) for k, v in (getattr(exception, "headers", None) or {}).items()})  # Allow
        reason = _status_reason(status)
        message = str(exception) or HTTPStatus(status).phrase
        detail = None
        if status >= 500:
            logger.error("server error on %s: %s", _where(request), exception)
            message = "An unexpected error occurred."
    elif isinstance(exception, LockError):
        # The conversation stayed busy too long: try again later.
        logger.warning("service unavailable on %s: %s", _where(request), exception)
        status, reason, message, detail = HTTPStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", exception.message, None
        headers["Retry-After"] = "1"
    elif (dependency := dependency_failure(exception)) is not None:
        # A store did not answer: the server's problem. Logged once per outage; the caller learns
        # which kind of store, never its address.
        _outage_log(request).failed(dependency, exception, _where(request))
        status, reason = HTTPStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable"
        message = f"The server cannot reach {dependency} right now; try again later."
        detail = {"dependency": dependency, "retry_after_seconds": RETRY_AFTER_SECONDS}
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif isinstance(exception, MessageTooLong):
        status, reason, message = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge", exception.message
        detail = {"parameter": "text", "in": "body", "limit": exception.limit, "unit": exception.unit,
                  "hint": exception.hint}
    elif isinstance(exception, BotError):
        # A framework error the request caused (unknown action, malformed event, ...).
        status, reason, message, detail = HTTPStatus.BAD_REQUEST, "BadRequest", exception.message, exception.hint
        if exception.location:
            detail = {"location": exception.location, "hint": exception.hint}
    else:
        logger.exception("unexpected error on %s", _where(request), exc_info=exception)
        status, reason, message, detail = (HTTPStatus.INTERNAL_SERVER_ERROR, "ServerError",
                                           "An unexpected error occurred.", None)
    return json(error_body(status, reason, message, detail), status=int(status), headers=headers)


_PROCESS_OUTAGES = OutageLog()  # for failures outside a request of an app made by create_app


def _outage_log(request: Request | None) -> OutageLog:
    state = getattr(getattr(getattr(request, "app", None), "ctx", None), "bot", None) if request is not None else None
    return getattr(state, "outages", None) or _PROCESS_OUTAGES


def _where(request: Request | None) -> str:
    return f"{request.method} {request.path}" if request is not None else "<no request>"


def json_body(request: Request) -> Any:
    """The request body decoded as JSON; a 400 naming the body when it is empty or not JSON."""
    if not request.body:
        raise bad_request("The request body is empty; it must be JSON.", "body")
    try:
        body = jsonlib.loads(request.body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise bad_request(f"The request body is not valid JSON: {error}.", "body") from None
    _check_strings(body, "")
    return body


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON does not have: stored, they came back as invalid JSON.
    raise ValueError(f"{name} is not a JSON number")


def unstorable(text: str) -> bool:
    """Whether `text` holds what no store keeps: NUL (PostgreSQL refuses it) or an unpaired surrogate."""
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def _check_strings(value: Any, path: str) -> None:
    """A 400 naming the first string (or key) in a decoded body that no store can keep."""
    if isinstance(value, str):
        if unstorable(value):
            raise bad_request(f"The field '{path or 'body'}' holds a NUL character or an unpaired UTF-16 "
                              "surrogate, which cannot be stored.", path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, path or "body")
            _check_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]" if path else f"body[{index}]")
