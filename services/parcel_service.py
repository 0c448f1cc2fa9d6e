"""A local stand-in for the carrier and shop APIs the example assistant's actions call.

    python -m services.parcel_service --port 5056 [--host 127.0.0.1] [--db .bot/parcel_service.sqlite3]

    GET /parcels/{tracking_number}  -> the parcel as JSON (status, events, eta), 404 if unknown
    GET /orders/{order_id}          -> the shop order as JSON (status, items, tracking_number, eta)
    GET /health                     -> {"status": "ok"}

Data lives in a SQLite file, seeded from services/data/seed.json the first time the file is
created. The sample's dates are written around its `reference_date` and served moved by as many days
as today is after it (today: the date of BOT_NOW when set, as for the actions), so a parcel "in transit"
is always expected in the days ahead, never in the past. Errors are JSON in the project's shape {"error": "...", "detail": ...}. Only the
standard library is used, so it starts in a blink in tests and demos.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sqlite3
import threading
from datetime import date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

SEED_FILE = Path(__file__).resolve().parent / "data" / "seed.json"
DEFAULT_DB = Path(".bot") / "parcel_service.sqlite3"
DEFAULT_PORT = 5056
_TABLES = {"parcels": "tracking_number", "orders": "order_id"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?=$|T)")


class ParcelStore:
    """Parcels and orders as JSON documents in SQLite, keyed by their upper-case id."""

    def __init__(self, db_path: str | Path, seed_path: str | Path = SEED_FILE, today: date | None = None) -> None:
        self.db_path = str(db_path)
        reference = json.loads(Path(seed_path).read_text(encoding="utf-8")).get("reference_date")
        self.shift = timedelta(days=((today or _today()) - date.fromisoformat(reference)).days) if reference \
            else timedelta(0)
        if self.db_path != ":memory:":
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the handler threads; sqlite3 serialises access with the lock.
        self._connection = sqlite3.connect(self.db_path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._connection:
            for table, key in _TABLES.items():
                self._connection.execute(f"CREATE TABLE IF NOT EXISTS {table} ({key} TEXT PRIMARY KEY, data TEXT)")
        if self._is_empty():
            self.seed(seed_path)

    def _is_empty(self) -> bool:
        with self._lock:
            return all(self._connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] == 0 for t in _TABLES)

    def seed(self, seed_path: str | Path) -> None:
        """Loads the sample parcels and orders (replacing records with the same id)."""
        content = json.loads(Path(seed_path).read_text(encoding="utf-8"))
        with self._lock, self._connection:
            for table, key in _TABLES.items():
                for record in content.get(table, []):
                    self._connection.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)",
                                             (str(record[key]).upper(), json.dumps(record, ensure_ascii=False)))
        logger.info("seeded %s from %s", self.db_path, seed_path)

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """The record of `table` with id `key` (case and surrounding blanks ignored), or None."""
        with self._lock:
            row = self._connection.execute(f"SELECT data FROM {table} WHERE {_TABLES[table]} = ?",
                                           (key.strip().upper(),)).fetchone()
        return _shift_dates(json.loads(row[0]), self.shift) if row else None

    def close(self) -> None:
        self._connection.close()


def _today() -> date:
    """The date of BOT_NOW (the demos' and tests' fixed clock) when set, else today's."""
    fixed = os.environ.get("BOT_NOW")
    return datetime.fromisoformat(fixed).date() if fixed else date.today()


def _shift_dates(value: Any, shift: timedelta) -> Any:
    """`value` with every ISO date or timestamp string moved by `shift` (the time of day kept)."""
    if isinstance(value, dict):
        return {key: _shift_dates(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift_dates(item, shift) for item in value]
    if isinstance(value, str) and shift and _ISO_DATE.match(value):
        day = date.fromisoformat(value[:10]) + shift
        return day.isoformat() + value[10:]
    return value


def _handler_for(store: ParcelStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ParcelService/1.0"
        # Keep-alive, as a carrier's API offers: the actions' shared client reuses its connection.
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without TCP_NODELAY, Nagle + delayed ACK add 40 ms.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = [unquote(p) for p in urlsplit(self.path).path.split("/") if p]
            if parts == ["health"]:
                self._send(HTTPStatus.OK, {"status": "ok"})
            elif len(parts) == 2 and parts[0] in _TABLES:
                record = store.get(parts[0], parts[1])
                if record is None:
                    kind = "parcel" if parts[0] == "parcels" else "order"
                    self._send(HTTPStatus.NOT_FOUND, {"error": f"{kind} not found", "detail": {"id": parts[1]}})
                else:
                    self._send(HTTPStatus.OK, record)
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": "no such endpoint", "detail": {
                    "path": self.path, "endpoints": ["/parcels/{tracking_number}", "/orders/{order_id}", "/health"]}})

        def _send(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
            logger.debug("%s - %s", self.address_string(), format % args)

    return Handler


def create_server(host: str = "127.0.0.1", port: int = DEFAULT_PORT, db_path: str | Path = DEFAULT_DB,
                  seed_path: str | Path = SEED_FILE, today: date | None = None) -> ThreadingHTTPServer:
    """A ready server (port 0 picks a free one: read `server.server_address`); call serve_forever().
    `today` fixes the day the sample's dates are moved to (default: BOT_NOW's date or today)."""
    store = ParcelStore(db_path, seed_path, today)
    server = ThreadingHTTPServer((host, port), _handler_for(store))
    server.daemon_threads = True
    server.store = store  # type: ignore[attr-defined]  # closed by whoever shuts the server down
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.parcel_service", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--db", default=str(DEFAULT_DB), help="SQLite file (created and seeded if missing)")
    parser.add_argument("--seed", default=str(SEED_FILE), help="JSON with 'parcels' and 'orders' lists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = create_server(args.host, args.port, args.db, args.seed)
    host, port = server.server_address[:2]
    print(f"parcel service on http://{host}:{port} (data: {args.db})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.store.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
