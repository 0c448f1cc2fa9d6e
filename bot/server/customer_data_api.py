"""GDPR routes (blueprint "customer_data"): export and erase everything stored about a customer.

Admins only: the server's --auth-token, or a JWT with the admin role. Without either configured
the routes refuse every request (403), so an open development server cannot erase anyone.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.server.auth import authenticate
from bot.server.errors import ApiError
from bot.server.requests import conversation_id as decoded_id
from bot.server.state import server_state
from bot.stores.customer_data import CustomerData

__all__ = ["customer_data_blueprint"]


def customer_data_blueprint() -> Blueprint:
    """A fresh "customer_data" blueprint (Sanic binds a blueprint to one app)."""
    blueprint = Blueprint("customer_data")

    @blueprint.on_request
    async def require_admin(request: Request) -> None:
        settings = server_state(request.app).settings
        if not settings.auth_token and settings.jwt is None:
            raise ApiError(HTTPStatus.FORBIDDEN, "NotAuthorized", "Customer data routes need authentication.",
                           hint="start the server with --auth-token or --jwt-secret")
        authenticate(request, settings.auth_token, settings.jwt)  # no conversation: a user's JWT is refused

    @blueprint.get("/customers/<customer_id:path>/data")
    async def export(request: Request, customer_id: str) -> HTTPResponse:
        """Everything stored about the customer (events, handover records), as JSON."""
        customer_id = decoded_id(customer_id)
        data = await _tools(request).export(customer_id, actor=_actor(request))
        if data is None:
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", "Nothing is stored about this customer.",
                           {"parameter": "customer_id", "in": "path"})
        return json(data)

    @blueprint.delete("/customers/<customer_id:path>/data")
    async def erase(request: Request, customer_id: str) -> HTTPResponse:
        """Erases everything stored about the customer; says how much went."""
        customer_id = decoded_id(customer_id)
        processor = server_state(request.app).require_agent().processor
        erasure = await _tools(request).erase(customer_id, actor=_actor(request))
        processor.forget(customer_id)
        return json({"erased": erasure.as_dict()})

    return blueprint


def _tools(request: Request) -> CustomerData:
    processor = server_state(request.app).require_agent().processor
    return CustomerData(processor.tracker_store, processor.lock_store)


def _actor(request: Request) -> str:
    address: Any = request.remote_addr or request.ip
    return f"api:{address}"
