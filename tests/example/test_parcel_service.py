"""The local parcel/order service: seeding, lookups, errors, and starting it as `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.parcel_service import ParcelStore
from tests.bot_processes import free_port

REPO = Path(__file__).resolve().parents[2]


def test_parcel_and_order_lookups(parcel_service: str) -> None:
    parcel = httpx.get(f"{parcel_service}/parcels/JJD000390007812345").json()
    assert parcel["status"] == "in_transit" and parcel["events"][-1]["location"] == "Paketzentrum Börnicke"
    # ids are matched case-insensitively, as customers type them
    assert httpx.get(f"{parcel_service}/parcels/lx123456789de").json()["status"] == "customs"
    order = httpx.get(f"{parcel_service}/orders/A-123456").json()
    assert order["tracking_number"] == "JJD000390007812345"
    assert httpx.get(f"{parcel_service}/health").json() == {"status": "ok"}


def test_unknown_ids_and_paths_are_json_404s(parcel_service: str) -> None:
    missing = httpx.get(f"{parcel_service}/parcels/JJD999999999999999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "parcel not found", "detail": {"id": "JJD999999999999999"}}
    assert httpx.get(f"{parcel_service}/orders/A-000000").json()["error"] == "order not found"
    wrong = httpx.get(f"{parcel_service}/nothing/here/at/all")
    assert wrong.status_code == 404 and "endpoints" in wrong.json()["detail"]


def test_seeds_only_an_empty_database(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"parcels": [{"tracking_number": "jjd000000000000001", "status": "accepted"}],
                                "orders": []}))
    db = tmp_path / "db.sqlite3"
    store = ParcelStore(db, seed)
    assert store.get("parcels", "JJD000000000000001") == {"tracking_number": "jjd000000000000001",
                                                            "status": "accepted"}
    store.close()
    seed.write_text(json.dumps({"parcels": [{"tracking_number": "JJD000000000000002", "status": "x"}]}))
    reopened = ParcelStore(db, seed)  # existing data is kept; the changed seed is not loaded again
    assert reopened.get("parcels", "JJD000000000000002") is None
    assert reopened.get("parcels", "JJD000000000000001") is not None
    reopened.close()


def test_runs_as_a_module(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.parcel_service", "--port", str(port), "--db", str(tmp_path / "p.sqlite3")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/orders/A-204518", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "parcel service did not start within 10 s"
                time.sleep(0.05)
        assert response.json()["status"] == "processing"
        assert (tmp_path / "p.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_sample_dates_move_with_today_so_nothing_arrives_in_the_past(tmp_path: Path) -> None:
    from datetime import date

    store = ParcelStore(tmp_path / "p.sqlite3", today=date(2026, 12, 2))  # 547 days after the sample's day
    parcel = store.get("parcels", "JJD000390007812345")
    assert parcel["eta"] == {"from": "2026-12-03T10:00:00+02:00", "to": "2026-12-03T14:00:00+02:00"}
    assert parcel["events"][0]["time"] == "2026-12-01T09:12:00+02:00"  # the day before, as in the sample
    assert store.get("parcels", "JJD014600003816789")["pickup_until"] == "2026-12-09"
    assert store.get("orders", "A-123456")["eta"]["from"].startswith("2026-12-03T")
    store.close()
