"""The custom actions share one HTTP client per event loop instead of building one per call."""

from __future__ import annotations

import asyncio

from actions import service_client


async def test_calls_share_one_client_and_its_connection(parcel_service) -> None:
    client = service_client.shared_client()
    assert (await service_client.fetch_order("A-204518"))["status"] == "processing"
    assert await service_client.fetch_parcel("JJD000000000000000000") is None
    assert service_client.shared_client() is client and not client.is_closed
    # HTTP/1.1 keep-alive: the second call reused the first call's connection
    assert len(client._transport._pool.connections) == 1


def test_each_event_loop_gets_its_own_client(parcel_service) -> None:
    async def one_call() -> object:
        assert (await service_client.fetch_order("A-204518"))["status"] == "processing"
        return service_client.shared_client()

    first, second = asyncio.run(one_call()), asyncio.run(one_call())  # the first loop is closed by then
    assert first is not second
