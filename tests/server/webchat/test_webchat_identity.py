"""Who the customer is: HMAC and JWT customer ids with expiry, and an anonymous chat merged after login."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
import websockets

from bot.channels.customer_identity import (
    ExpiredCustomerId,
    customer_expiring_signature,
    verify_customer_claim,
)
from bot.channels.signing import customer_conversation_id, customer_signature
from bot.shared.errors import ChannelAuthError

from .conftest import CUSTOMER_SECRET

NOW = 1_800_000_000


def _jwt(sub: Any = "kunde-7", exp: float | None = NOW + 600, secret: str = CUSTOMER_SECRET,
         algorithm: str = "HS256", **claims: Any) -> str:
    payload = {"sub": sub, **claims}
    if exp is not None:
        payload["exp"] = exp
    return jwt.encode(payload, secret, algorithm=algorithm)


def test_hmac_ids_with_and_without_expiry() -> None:
    signed = {"id": "kunde-7", "signature": customer_signature(CUSTOMER_SECRET, "kunde-7")}
    assert verify_customer_claim(CUSTOMER_SECRET, signed, now=NOW) == "kunde-7"
    dated = {"id": "kunde-7", "expires": NOW + 60,
             "signature": customer_expiring_signature(CUSTOMER_SECRET, "kunde-7", NOW + 60)}
    assert verify_customer_claim(CUSTOMER_SECRET, dated, now=NOW) == "kunde-7"
    with pytest.raises(ExpiredCustomerId, match="expired"):
        verify_customer_claim(CUSTOMER_SECRET, dated, now=NOW + 61)
    # The expiry is signed: moving it later breaks the signature (a refusal, not "expired").
    with pytest.raises(ChannelAuthError, match="signature is wrong") as refused:
        verify_customer_claim(CUSTOMER_SECRET, {**dated, "expires": NOW + 6000}, now=NOW + 61)
    assert not isinstance(refused.value, ExpiredCustomerId)
    with pytest.raises(ChannelAuthError, match="Unix time"):
        verify_customer_claim(CUSTOMER_SECRET, {**dated, "expires": "tomorrow"}, now=NOW)


def test_jwt_ids_need_sub_and_exp_the_shared_secret_and_the_configured_algorithm() -> None:
    assert verify_customer_claim(CUSTOMER_SECRET, {"token": _jwt()}, now=NOW) == "kunde-7"
    assert verify_customer_claim(CUSTOMER_SECRET, {"token": _jwt(algorithm="HS512")}, jwt_method="HS512",
                                 now=NOW) == "kunde-7"
    # Within the leeway for clocks that differ a little; past it, expired.
    assert verify_customer_claim(CUSTOMER_SECRET, {"token": _jwt(exp=NOW - 10)}, now=NOW) == "kunde-7"
    with pytest.raises(ExpiredCustomerId, match="token has expired"):
        verify_customer_claim(CUSTOMER_SECRET, {"token": _jwt(exp=NOW - 120)}, now=NOW)
    refusals = {
        "wrong secret": _jwt(secret="another-shop"),
        "no exp": _jwt(exp=None),
        "no sub": jwt.encode({"exp": NOW + 600}, CUSTOMER_SECRET, algorithm="HS256"),
        "other algorithm": _jwt(algorithm="HS384"),
        "unsigned": jwt.encode({"sub": "kunde-7", "exp": NOW + 600}, None, algorithm="none"),
        "not a jwt": "kunde-7",
    }
    for why, token in refusals.items():
        with pytest.raises(ChannelAuthError) as refused:
            verify_customer_claim(CUSTOMER_SECRET, {"token": token}, now=NOW)
        assert not isinstance(refused.value, ExpiredCustomerId), why
    with pytest.raises(ChannelAuthError, match="'sub'"):
        verify_customer_claim(CUSTOMER_SECRET, {"token": _jwt(sub="x" * 500)}, now=NOW)
    with pytest.raises(ChannelAuthError, match="does not accept"):
        verify_customer_claim(None, {"token": _jwt()}, now=NOW)


async def _post_session(server: Any, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        return await client.post("/webchat/session", json=body)


async def _session(server: Any, **body: Any) -> dict[str, Any]:
    response = await _post_session(server, **body)
    assert response.status_code == 200, response.text
    return response.json()


async def _chat(server: Any, token: str, *texts: str) -> None:
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={token}&after=0") as ws:
        for number, text in enumerate(texts):
            await ws.send(json.dumps({"type": "message", "id": f"m-{number}-{time.time_ns()}", "text": text}))
            while json.loads(await ws.recv())["type"] != "ack":
                pass


def _texts(session: dict[str, Any]) -> list[str]:
    return [m.get("text") or " ".join(p.get("text", "") for p in m.get("parts", [])) for m in session["messages"]
            if m["from"] != "system"]


async def test_an_anonymous_chat_continues_in_the_customers_conversation_once(start_server) -> None:
    server = await start_server()
    # Earlier, on the laptop: the customer's own conversation.
    customer = {"token": _jwt(exp=time.time() + 600)}
    own = await _session(server, customer=customer)
    await _chat(server, own["token"], "hello")
    # Now, on the phone, anonymously; then they log in to the shop.
    anonymous = await _session(server)
    await _chat(server, anonymous["token"], "hello", "/mood_great")
    merged = await _session(server, customer=customer, token=anonymous["token"])
    assert merged["conversation_id"] == customer_conversation_id("kunde-7") and merged["customer"] is True
    assert merged["merged"] == {"from": anonymous["conversation_id"], "copied": merged["merged"]["copied"],
                                "deferred": False} and merged["merged"]["copied"] > 0
    assert _texts(merged) == ["hello", "Hey! How are you?", "hello", "Hey! How are you?", "/mood_great",
                              "Great, carry on!"]
    # A second tab logging in with the same anonymous token copies nothing again.
    again = await _session(server, customer=customer, token=anonymous["token"])
    assert again["merged"]["copied"] == 0 and _texts(again) == _texts(merged)
    # The dialogue goes on from the merged state, and what the anonymous chat says later follows once.
    await _chat(server, anonymous["token"], "hello")
    later = await _session(server, customer=customer, token=anonymous["token"])
    record = await _session(server, token=anonymous["token"])  # the anonymous chat stays, for the record
    added = _texts(later)[len(_texts(merged)):]
    assert _texts(later)[:len(_texts(merged))] == _texts(merged)
    assert added[0] == "hello" and _texts(record) == [*_texts(merged)[2:], *added]


async def test_only_anonymous_chats_merge_and_forged_or_expired_ids_merge_nothing(start_server) -> None:
    server = await start_server()
    anna = {"id": "anna", "signature": customer_signature(CUSTOMER_SECRET, "anna")}
    annas = await _session(server, customer=anna)
    await _chat(server, annas["token"], "hello")
    # Another customer on the same browser, carrying Anna's session token: never merged into theirs.
    bert = {"id": "bert", "signature": customer_signature(CUSTOMER_SECRET, "bert")}
    berts = await _session(server, customer=bert, token=annas["token"])
    assert "merged" not in berts and berts["messages"] == []

    anonymous = await _session(server)
    await _chat(server, anonymous["token"], "hello")
    forged = await _post_session(server, customer={"id": "bert", "signature": "0" * 64}, token=anonymous["token"])
    assert forged.status_code == 403 and forged.json()["reason"] == "Forbidden"
    expired = await _post_session(server, customer={"token": _jwt(sub="bert", exp=time.time() - 3600)},
                                  token=anonymous["token"])
    assert expired.status_code == 401 and expired.json()["reason"] == "CustomerIdExpired"
    assert "expired" in expired.json()["error"]
    assert (await _session(server, customer=bert))["messages"] == []  # nothing merged by the refusals


async def test_an_anonymous_chat_with_a_person_is_merged_after_the_person_is_done(start_server) -> None:
    from bot.shared.core.events import HandedBack, HandoverRequested

    server = await start_server()
    anonymous = await _session(server)
    await _chat(server, anonymous["token"], "hello")
    await server.processor.append_events(anonymous["conversation_id"], [HandoverRequested(reason="asked_for_human")])
    customer = {"id": "carla", "signature": customer_signature(CUSTOMER_SECRET, "carla")}
    waiting = await _session(server, customer=customer, token=anonymous["token"])
    assert waiting["conversation_id"] == anonymous["conversation_id"] and waiting["customer"] is False
    assert waiting["merged"]["deferred"] is True
    await server.processor.append_events(anonymous["conversation_id"], [HandedBack(reason="done")])
    merged = await _session(server, customer=customer, token=anonymous["token"])
    assert merged["conversation_id"] == customer_conversation_id("carla") and merged["merged"]["deferred"] is False
    assert _texts(merged)[:2] == ["hello", "Hey! How are you?"]
    assert [m.get("notice") for m in merged["messages"] if m["from"] == "system"] == ["handover", "handback"]
