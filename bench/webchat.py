"""Web chat figures: the widget's size over the wire, its time to interactive on a blank page, and the
message round trip over the WebSocket at 1 and 100 concurrent browser-less clients.

    python bench/webchat.py                 # tiny test model (trained into a temp folder)
    python bench/webchat.py --model models  # the example assistant's model
    python bench/webchat.py --clients 1,100 --turns 20 --think 1,0 --out bench/results/webchat.json

Round trip: from a client sending `{"type": "message"}` to the frame with the bot's answer (the
stored customer message and the reply arrive together), p50/p99 over all messages of a level.
Each level runs the same conversations over the REST channel too: that is the bot's own
processing plus one HTTP hop, so the difference is what the web chat adds. `bot run` runs as a
subprocess with the embedded stores (SQLite, in-process locks). With `--think 0` clients send
back to back, and the latency at 100 clients is queueing at the capacity of one process.
Time to interactive needs Debian's chromium (`/usr/bin/chromium`); it is skipped without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_setup import Model, Server, StoreSetup, resolve_model  # noqa: E402

CREDENTIALS = """rest:
webchat:
  allowed_origins: ["*"]
  session_secret: bench-secret
  rate_limit_per_minute: 100000
"""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class WebchatServer(Server):
    """`bot run` with a credentials.yml that enables the web chat."""

    def __init__(self, model: Model, setup: StoreSetup, log: Path, credentials: Path) -> None:
        super().__init__(model, setup, log)
        self.credentials = credentials

    def command(self) -> list[str]:
        return [*super().command(), "--credentials", str(self.credentials)]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def widget_size(base: str) -> dict[str, int]:
    """Bytes of the script as served plain and with gzip (what a browser downloads)."""
    plain = httpx.get(f"{base}/webchat/widget.js", headers={"Accept-Encoding": "identity"}).content
    with httpx.stream("GET", f"{base}/webchat/widget.js", headers={"Accept-Encoding": "gzip"}) as response:
        wire = b"".join(response.iter_raw())
        encoding = response.headers.get("content-encoding")
    return {"widget_bytes": len(plain), "widget_gzip_bytes": len(wire) if encoding == "gzip" else -1}


async def time_to_interactive(base: str, repeats: int) -> dict[str, float] | None:
    """ms from navigation start until the chat bubble can be clicked, on a page holding only the snippet."""
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} missing: time to interactive skipped (apt-get install -y chromium)", file=sys.stderr)
        return None
    from playwright.async_api import async_playwright

    page_html = f'<!doctype html><html><body><script src="{base}/webchat/widget.js" defer></script></body></html>'

    async def handle(reader: Any, writer: Any) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            body = page_html.encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()

    page_server = await asyncio.start_server(handle, "127.0.0.1", 0)
    page_url = f"http://127.0.0.1:{page_server.sockets[0].getsockname()[1]}/"
    timings: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            context = await browser.new_context()  # a cold cache each time
            page = await context.new_page()
            await page.goto(page_url)
            await page.get_by_role("button", name="Open chat").wait_for(state="visible", timeout=30_000)
            timings.append(await page.evaluate("performance.now()"))
            await context.close()
        await browser.close()
    page_server.close()
    return {"tti_ms_p50": statistics.median(timings), "tti_ms_max": max(timings)}


async def _pause(think: float, rng: random.Random) -> None:
    if think > 0:  # a customer reading and typing: the think time ±50 %
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def _client(base: str, ws_base: str, model: Model, turns: int, think: float, latencies: list[float],
                  counts: dict[str, int], rng: random.Random) -> None:
    import websockets

    done = 0
    await _pause(think, rng)  # conversations start spread over the first pause
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while done < turns:
            token = (await http.post("/webchat/session", json={})).json()["token"]
            async with websockets.connect(f"{ws_base}/webchat/ws?token={token}", max_size=2**20) as ws:
                for index, text in enumerate(model.messages):
                    if done >= turns:
                        break
                    await _pause(think, rng) if index else None
                    message_id = f"b{done}-{index}"
                    started = time.perf_counter()
                    await ws.send(json.dumps({"type": "message", "id": message_id, "text": text}))
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
                        if frame["type"] == "messages" and any(m.get("id") == message_id for m in frame["messages"]):
                            break
                    latencies.append(time.perf_counter() - started)
                    answered = any(m["from"] == "bot" for m in frame["messages"])
                    counts["answered" if answered else "unanswered"] += 1
                    done += 1


async def _rest_client(base: str, model: Model, turns: int, think: float, latencies: list[float],
                       counts: dict[str, int], rng: random.Random) -> None:
    """The same conversation over the REST channel: the bot's own processing plus one HTTP hop."""
    done = 0
    await _pause(think, rng)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while done < turns:
            sender = f"rest-{rng.getrandbits(48):x}"
            for index, text in enumerate(model.messages):
                if done >= turns:
                    break
                await _pause(think, rng) if index else None
                started = time.perf_counter()
                replies = (await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})).json()
                latencies.append(time.perf_counter() - started)
                counts["answered" if replies else "unanswered"] += 1
                done += 1


async def round_trips(base: str, model: Model, channel: str, clients: int, turns: int,
                      think: float) -> dict[str, Any]:
    latencies: list[float] = []
    counts = {"answered": 0, "unanswered": 0}
    ws_base = "ws" + base.removeprefix("http")
    rng = random.Random(clients)
    started = time.perf_counter()
    if channel == "webchat":
        await asyncio.gather(*(_client(base, ws_base, model, turns, think, latencies, counts, rng)
                               for _ in range(clients)))
    else:
        await asyncio.gather(*(_rest_client(base, model, turns, think, latencies, counts, rng)
                               for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"channel": channel, "clients": clients, "think_s": think, "messages": len(latencies),
            "answered": counts["answered"],
            "round_trip_ms_p50": 1000 * _percentile(latencies, 0.5),
            "round_trip_ms_p99": 1000 * _percentile(latencies, 0.99),
            "messages_per_second": len(latencies) / elapsed}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: the tiny test model)")
    parser.add_argument("--clients", default="1,100", help="concurrent WebSocket clients per level")
    parser.add_argument("--turns", type=int, default=10, help="messages each client sends per level")
    parser.add_argument("--think", default="1,0", help="seconds between a reply and the next message (±50 %%); "
                        "0 is a closed loop, where latency is queueing at the process's capacity")
    parser.add_argument("--tti-repeats", type=int, default=5, help="page loads for time to interactive")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="webchat-bench-") as folder:
        work = Path(folder)
        model = resolve_model(args.model, tiny=args.model is None, work=work)
        credentials = work / "credentials.yml"
        credentials.write_text(CREDENTIALS)
        server = WebchatServer(model, StoreSetup.embedded(work), work / "server.log", credentials)
        server.start()
        try:
            # The machine's load next to the figures: on a shared machine it decides the 100-client rows.
            figures: dict[str, Any] = {"model": model.origin, "load_before": os.getloadavg()[0],
                                       **widget_size(server.base)}
            figures["time_to_interactive"] = asyncio.run(time_to_interactive(server.base, args.tti_repeats))
            figures["levels"] = [asyncio.run(round_trips(server.base, model, channel, int(n), args.turns,
                                                         float(think)))
                                 for think in args.think.split(",") for n in args.clients.split(",")
                                 for channel in ("webchat", "rest")]
            figures["load_after"] = os.getloadavg()[0]
        finally:
            server.stop()
    print(f"model: {figures['model']}")
    print(f"load average (1 min): {figures['load_before']:.1f} before, {figures['load_after']:.1f} after, "
          f"on {os.cpu_count()} CPUs")
    print(f"widget: {figures['widget_bytes']} bytes, {figures['widget_gzip_bytes']} bytes gzipped (target <= 50 kB)")
    if figures["time_to_interactive"]:
        tti = figures["time_to_interactive"]
        print(f"time to interactive on a blank page: p50 {tti['tti_ms_p50']:.0f} ms, max {tti['tti_ms_max']:.0f} ms")
    print(f"{'channel':>8} {'clients':>8} {'think s':>8} {'messages':>9} {'answered':>9} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'msg/s':>7}")
    for level in figures["levels"]:
        print(f"{level['channel']:>8} {level['clients']:>8} {level['think_s']:>8g} {level['messages']:>9} "
              f"{level['answered']:>9} "
              f"{level['round_trip_ms_p50']:>8.1f} {level['round_trip_ms_p99']:>8.1f} {level['messages_per_second']:>7.1f}")
    # The target: p99 at most 100 ms above the bot's own processing (the REST rows of the same level).
    rest = {(level["clients"], level["think_s"]): level for level in figures["levels"] if level["channel"] == "rest"}
    for level in figures["levels"]:
        peer = rest.get((level["clients"], level["think_s"]))
        if level["channel"] != "webchat" or peer is None:
            continue
        where = f"{level['clients']} clients, think {level['think_s']:g} s"
        if peer["answered"] < peer["messages"] or level["answered"] < level["messages"]:
            # Unanswered (timed-out) messages leave the p99 without a meaning: no verdict.
            print(f"{where}: not comparable (answered: web chat {level['answered']} of {level['messages']}, "
                  f"REST {peer['answered']} of {peer['messages']}); the machine is past its capacity")
            continue
        added = level["round_trip_ms_p99"] - peer["round_trip_ms_p99"]
        level["p99_added_ms"] = added
        print(f"{where}: the web chat's p99 is {added:+.1f} ms against REST (target <= +100 ms): "
              f"{'met' if added <= 100 else 'not met'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
