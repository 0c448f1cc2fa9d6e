"""Calls a rasa_sdk action server over HTTP (Rasa's action server protocol).

`action_endpoint:` in endpoints.yml configures it, with Rasa's keys (`url`, `token`,
`token_name`, `headers`, `params`, `basic_auth: {username, password}`, `cafile`,
`enable_selective_domain`) and two of ours: `timeout` (seconds per call, default 30) and
`retries` (connection attempts after the first, default 2). Setting the environment variable
COMPRESS_ACTION_SERVER_REQUEST=true deflates request bodies, as Rasa does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import zlib
from typing import Any

import httpx

from bot.core.actions.action_executor import (
    START_SERVER_HINT,
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    build_action_call,
    check_result,
)
from bot.shared.endpoints import EndpointConfig
from bot.shared.errors import InvalidEndpoints

__all__ = ["HttpActionExecutor", "DEFAULT_TIMEOUT", "DEFAULT_RETRIES"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 2
_CONNECT_TIMEOUT = 10.0
_BACKOFF = 0.2  # seconds before the first retry; doubled for each further one
_COMPRESS_ENV = "COMPRESS_ACTION_SERVER_REQUEST"
_DOMAIN_MISSING = 449  # rasa_sdk: "I have no domain cached; send it again with the domain"


class HttpActionExecutor:
    """Runs custom actions by posting Rasa's action call to a rasa_sdk action server."""

    def __init__(self, endpoint: EndpointConfig, *, backoff: float = _BACKOFF) -> None:
        if not endpoint.url:
            raise InvalidEndpoints("'action_endpoint' has no 'url'", location=endpoint.location,
                                   hint="write 'url: http://localhost:5055/webhook' under 'action_endpoint:'")
        self.endpoint = endpoint
        self.url: str = endpoint.url
        self.timeout = _number_option(endpoint, "timeout", DEFAULT_TIMEOUT)
        self.retries = int(_number_option(endpoint, "retries", DEFAULT_RETRIES))
        self.selective_domain = _truthy(endpoint.get("enable_selective_domain", False))
        self._backoff = backoff
        self._client: httpx.AsyncClient | None = None

    # -- the ActionExecutor interface --------------------------------------------------------------

    def knows(self, action_name: str) -> None:
        """An action server's actions are only known by asking it: see `list_actions`."""
        return None

    async def run(self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any] | None) -> ActionResult:
        """Posts the action call and turns the server's answer (or its failure) into ours."""
        include_domain = not self.selective_domain or action_name in _actions_needing_domain(domain)
        response = await self._post(action_name, build_action_call(action_name, tracker, domain,
                                                                   include_domain=include_domain))
        if response.status_code == _DOMAIN_MISSING and not include_domain:
            response = await self._post(action_name, build_action_call(action_name, tracker, domain))
        return self._read_answer(action_name, response)

    async def close(self) -> None:
        """Closes the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def list_actions(self) -> list[str]:
        """The action names the server has registered (rasa_sdk's GET /actions)."""
        base = self.url.rstrip("/")
        url = base[: -len("/webhook")] + "/actions" if base.endswith("/webhook") else base + "/actions"
        try:
            response = await self._get_client().get(url)
            response.raise_for_status()
            return [str(item["name"]) for item in response.json()]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            raise ActionFailed("*", f"could not list the actions of the action server at {url} ({error})",
                               hint=START_SERVER_HINT) from error

    # -- HTTP ------------------------------------------------------------------------------------

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = _make_client(self.endpoint, self.timeout)
        return self._client

    async def _post(self, action_name: str, call: dict[str, Any]) -> httpx.Response:
        try:
            body = json.dumps(call).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise ActionFailed(action_name, f"the tracker or domain cannot be serialised to JSON ({error})") from error
        headers = {"Content-Type": "application/json"}
        if _truthy(os.environ.get(_COMPRESS_ENV, "")):
            body = zlib.compress(body)
            headers["Content-Encoding"] = "deflate"
        client = self._get_client()
        attempt = 0
        while True:
            try:
                return await client.post(self.url, content=body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                # Only connection failures are retried: the action surely did not run, whereas
                # repeating a call that timed out could run its side effects twice.
                if attempt < self.retries:
                    delay = self._backoff * (2**attempt)
                    attempt += 1
                    logger.info("Action server at %s unreachable (%s); retry %d in %.1f s",
                                self.url, error, attempt, delay)
                    await asyncio.sleep(delay)
                    continue
                logger.error("Custom action '%s': cannot connect to the action server at %s: %s",
                             action_name, self.url, error)
                raise ActionFailed(action_name, f"cannot connect to the action server at {self.url} "
                                                f"({type(error).__name__}: {error})",
                                   location=self.endpoint.location, hint=START_SERVER_HINT) from error
            except httpx.TimeoutException as error:
                raise ActionFailed(action_name, f"the action server at {self.url} did not answer within "
                                                f"{self.timeout:g} s",
                                   location=self.endpoint.location,
                                   hint="make the action faster, or raise 'timeout:' under 'action_endpoint:' "
                                        "in endpoints.yml") from error
            except httpx.HTTPError as error:
                raise ActionFailed(action_name, f"the request to the action server at {self.url} failed "
                                                f"({type(error).__name__}: {error})",
                                   location=self.endpoint.location, hint=START_SERVER_HINT) from error

    def _read_answer(self, action_name: str, response: httpx.Response) -> ActionResult:
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = response.json()
            except ValueError:
                raise ActionFailed(action_name, f"the action server at {self.url} answered with something "
                                                "that is not JSON",
                                   hint="check that the URL points at a rasa_sdk action server") from None
            return check_result(action_name, data, f"the action server at {self.url}")
        error_body = _json_object(response)
        detail = str(error_body.get("error")) if error_body and error_body.get("error") else response.text[:300]
        if status == 400 and error_body and "action_name" in error_body:
            raise ActionRejected(str(error_body.get("action_name") or action_name), error_body.get("error"))
        if status == 404 and error_body and "action_name" in error_body:
            raise ActionNotFound(action_name, f"the action server at {self.url}",
                                 hint=f"define a rasa_sdk Action whose name() returns '{action_name}' in the "
                                      "action server's actions package and restart it")
        # rasa_sdk's catch-all handler answers an unknown path with 500 "Requested URL ... not found"
        if status == 404 or detail.startswith("Requested URL"):
            hint = ("check 'url:' under 'action_endpoint:' in endpoints.yml; a rasa_sdk server takes "
                    "actions at /webhook, e.g. http://localhost:5055/webhook")
        elif status in (401, 403):
            hint = "check 'token', 'headers' and 'basic_auth' under 'action_endpoint:' in endpoints.yml"
        elif status >= 500:
            hint = "the action raised an exception: its traceback is in the action server's log"
        else:
            hint = "see the action server's log"
        logger.error("Custom action '%s': action server at %s answered %d: %s", action_name, self.url, status, detail)
        raise ActionFailed(action_name, f"the action server at {self.url} answered {status}: {detail}",
                           location=self.endpoint.location, hint=hint)


def _make_client(endpoint: EndpointConfig, timeout: float) -> httpx.AsyncClient:
    """An httpx client with the endpoint's token, headers, params, basic auth and CA file."""
    params = {str(key): str(value) for key, value in endpoint.params.items()}
    if endpoint.token:
        params[endpoint.token_name or "token"] = endpoint.token  # Rasa sends the token as a query parameter
    auth = None
    if endpoint.basic_auth:
        username, password = endpoint.basic_auth.get("username"), endpoint.basic_auth.get("password")
        if username is None or password is None:
            raise InvalidEndpoints("'action_endpoint.basic_auth' needs 'username' and 'password'",
                                   location=endpoint.location,
                                   hint="write 'basic_auth:' with 'username: ...' and 'password: ...' below it")
        auth = httpx.BasicAuth(str(username), str(password))
    verify: ssl.SSLContext | bool = True
    if endpoint.cafile:
        try:
            verify = ssl.create_default_context(cafile=endpoint.cafile)
        except (OSError, ssl.SSLError) as error:
            raise InvalidEndpoints(f"cannot read the CA file '{endpoint.cafile}' ({error})",
                                   location=endpoint.location,
                                   hint="point 'cafile:' at a PEM certificate file that exists") from error
    return httpx.AsyncClient(
        params=params,
        headers={str(key): str(value) for key, value in endpoint.headers.items()},
        auth=auth,
        verify=verify,
        timeout=httpx.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT)),
    )


def _number_option(endpoint: EndpointConfig, key: str, default: float) -> float:
    value = endpoint.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number < 0:
        raise InvalidEndpoints(f"'action_endpoint.{key}' must be a number of at least 0, not {value!r}",
                               location=endpoint.location, hint=f"write e.g. '{key}: {default:g}'")
    return number


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _actions_needing_domain(domain: dict[str, Any] | None) -> set[str]:
    """Actions listed in domain.yml with `send_domain: true` (selective domain, as in Rasa 3.x)."""
    names: set[str] = set()
    for item in (domain or {}).get("actions") or []:
        if isinstance(item, dict):
            for name, options in item.items():
                if isinstance(options, dict) and options.get("send_domain") is True:
                    names.add(str(name))
    return names


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
