"""Agent console latency, measured in real browsers: a customer's message until it shows in the agent's
transcript, and the agent's Send until the customer has the reply.

    python bench/console.py                                  # 20 consoles, 500 conversations (a few minutes)
    python bench/console.py --consoles 5 --conversations 50  # a quick look
    python bench/console.py --setup postgres+redis           # two `bot run` processes, consoles split over both

`bot run` serves the help desk test bot with Rasa's callback channel pointing at a receiver in this
process. N agents (username + password, as `bot agents create` makes them) go online and M customers
ask for a person; each offer is accepted at once over the API with the agent's token (told by the
agent's own live feed), so each agent holds about M/N conversations and all M stay open while the
bench runs. Then the N agents log in through the console's login form, in N browser contexts of one
headless chromium (the conversations are set up first: the burst of escalations is not what is
measured). Then, while --rate background
messages per second keep the other conversations busy (customers writing, agents answering over the
API), every console opens one of its conversations after another (a click in the list) and:

  customer -> console: the customer sends a message (callback channel); the time is taken in this
      process (time.time()) just before the request, and in the page when the message's row enters
      the transcript's DOM (a MutationObserver the bench installs; performance.timeOrigin +
      performance.now(), the same machine's wall clock);
  Send -> customer: the bench types a reply into the Message field and presses Enter (a real key
      press); the time is taken in the page at the keydown and in this process when the server's
      POST of the reply reaches the callback receiver (its own thread, so the bench's event loop
      does not delay it).

Prints p50/p99/max for both, the load average (`uptime`) before and after, and the resident memory
of the server process(es) and of chromium (PSS summed over its processes: RSS would count shared
pages once per process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_setup import StoreSetup  # noqa: E402
from handover_latency import CALLBACK_WEBHOOK, CallbackServer, _percentile, _train  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
PASSWORD = "bench-password-1"
BROWSER_TIMEOUT_MS = 60_000

# Installed in each console page after login: stamps the moment a transcript row carrying a bench
# marker ("[c3-1-0]") enters the DOM, and the moment Enter goes down in the Message field.
OBSERVER = """() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__seen = {}; window.__waiters = {};
  const mark = (li) => {
    const text = li.querySelector('p.text');
    const found = text && /\\[(c\\d+-\\d+-\\d+)\\]/.exec(text.textContent);
    if (!found || found[1] in window.__seen || li.classList.contains('msg-agent')) return;
    const at = now();
    window.__seen[found[1]] = at;
    (window.__waiters[found[1]] || []).forEach((resolve) => resolve(at));
  };
  const check = (node) => {
    const element = node.nodeType === 1 ? node : node.parentElement;
    if (!element) return;
    const row = element.closest('li.msg');
    (row ? [row] : element.querySelectorAll('li.msg')).forEach(mark);
  };
  new MutationObserver((records) => records.forEach((record) => {
    if (record.type === 'characterData') check(record.target); else record.addedNodes.forEach(check);
  })).observe(document.body, {childList: true, subtree: true, characterData: true});
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target.id === 'message') window.__enter = now();
  }, true);
  window.__waitSeen = (marker) => marker in window.__seen ? window.__seen[marker]
    : new Promise((resolve) => (window.__waiters[marker] = window.__waiters[marker] || []).push(resolve));
}"""


@dataclass
class Figures:
    shown: list[float] = field(default_factory=list)  # customer message -> in the transcript, ms
    delivered: list[float] = field(default_factory=list)  # Enter -> the customer's receiver, ms
    errors: list[str] = field(default_factory=list)
    background: int = 0  # background messages sent (customers and agents)
    customer_messages: int = 0  # customer messages sent while measuring (measured and background)


@dataclass
class PageCounts:
    """What one console did while measuring, counted in the bench (load does not change these)."""

    frames: int = 0  # feed events the WebSocket delivered
    requests: dict[str, int] = field(default_factory=dict)  # "GET /handover/conversations/{id}" -> count
    counting: bool = False


def _request_kind(method: str, url: str) -> str:
    """The request's method and path with conversation ids replaced, e.g. GET /handover/conversations/{id}."""
    path, _, query = url.partition("://")[2].partition("/")[2].partition("?")
    path = re.sub(r"^(handover/conversations/)[^/]+", r"\1{id}", path)
    state = re.search(r"(?:^|&)state=([a-z]+)", query)
    return f"{method} /{path}" + (f"?state={state.group(1)}" if state else "")


class Receiver:
    """The customers' side of the callback channel, on its own thread: stamps each POST on arrival."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # text -> time.time() at arrival
        self.waiters: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the server's HTTP client reuses connections

            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                at = time.time()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                try:
                    text = json.loads(body).get("text")
                except ValueError:
                    return
                if isinstance(text, str):
                    receiver._arrived(text, at)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bot"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _arrived(self, text: str, at: float) -> None:
        with self.lock:
            self.arrived.setdefault(text, at)
            waiter = self.waiters.pop(text, None)
        if waiter is not None:
            loop, future = waiter
            loop.call_soon_threadsafe(_settle, future, at)

    async def wait(self, text: str, timeout: float) -> float:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        with self.lock:
            if text in self.arrived:
                return self.arrived[text]
            self.waiters[text] = (loop, future)
        return await asyncio.wait_for(future, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _settle(future: asyncio.Future, value: float) -> None:
    if not future.done():
        future.set_result(value)


def _make_agents(setup: StoreSetup, count: int, capacity: int) -> dict[str, str]:
    """Agents with a password (for the login form) and an API token (for the bench's own accepts)."""
    from handover.cli import _with_directory

    async def work(directory: Any) -> dict[str, str]:
        tokens = {}
        for index in range(count):
            name = f"agent{index:02d}"
            await directory.create_agent(name, PASSWORD, role="agent", capacity=capacity,
                                         display_name=f"Agent {index}")
            tokens[name] = await directory.issue_token(name, "bench")
        return tokens

    return asyncio.run(_with_directory(setup.endpoints, Path("handover.yml.absent"), work))


def _conversation(index: int) -> str:
    return f"kunde{index:04d}"  # fixed width: no id is a prefix of another in the list


async def _customer_says(http: httpx.AsyncClient, base: str, sender: str, text: str) -> None:
    response = await http.post(base + CALLBACK_WEBHOOK, json={"sender": sender, "message": text})
    if response.status_code != 200:
        raise RuntimeError(f"{sender}: {response.status_code} {response.text[:200]}")


async def _open_console(browser: Any, base: str, username: str, counts: PageCounts) -> Any:
    """A new context (a new device): the login form, then Online; the bench's observer installed."""
    from playwright.async_api import expect

    context = await browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    await context.grant_permissions(["notifications"], origin=base)
    page = await context.new_page()

    def frame(payload: str | bytes) -> None:
        if counts.counting and '"type": "event"' in str(payload):
            counts.frames += 1

    def request(sent: Any) -> None:
        if counts.counting and "/handover/" in sent.url:
            kind = _request_kind(sent.method, sent.url)
            counts.requests[kind] = counts.requests.get(kind, 0) + 1

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    page.on("request", request)
    await page.goto(f"{base}/console")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_text("Live", exact=True)).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    await page.get_by_role("button", name="Online").click()
    await expect(page.get_by_role("button", name="Online")).to_have_attribute("aria-pressed", "true")
    await page.evaluate(OBSERVER)
    return page


async def _accept_offers(http: httpx.AsyncClient, bases: list[str], tokens: dict[str, str], owners: dict[str, str],
                         wanted: int, deadline: float, listening: asyncio.Event) -> None:
    """Each agent accepts what routing offers it (told by its own live feed, with its token), until
    `wanted` conversations have an agent. `listening` is set once every feed is connected."""
    connected = [0]

    async def agent(index: int, name: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        base = bases[index % len(bases)]
        url = base.replace("http://", "ws://") + "/handover/ws"
        async with websockets.connect(url, additional_headers=headers, max_queue=None) as feed:
            await feed.recv()  # hello
            connected[0] += 1
            if connected[0] == len(tokens):
                listening.set()
            while len(owners) < wanted and time.monotonic() < deadline:
                try:
                    frame = json.loads(await asyncio.wait_for(feed.recv(), 1.0))
                except TimeoutError:
                    continue
                if frame.get("kind") != "offer" or frame["data"].get("offered_to") != name:
                    continue
                conversation = frame["conversation_id"]
                if conversation in owners:
                    continue
                accepted = await http.post(f"{base}/handover/conversations/{conversation}/accept", headers=headers)
                if accepted.status_code == 200:
                    owners[conversation] = name

    await asyncio.gather(*(agent(index, name) for index, name in enumerate(tokens)))


async def _background(http: httpx.AsyncClient, bases: list[str], tokens: dict[str, str], owners: dict[str, str],
                      busy: set[str], rate: float, stop: asyncio.Event, figures: Figures) -> None:
    """Keeps the other conversations chatting: at `rate` messages per second, a customer writes or their
    agent answers (over the API), alternately."""
    if rate <= 0:
        return
    quiet = [conversation for conversation in owners if conversation not in busy]
    pending: set[asyncio.Task] = set()
    step = 0

    async def one(conversation: str, customer: bool, base: str) -> None:
        try:
            if customer:
                figures.customer_messages += 1
                await _customer_says(http, base, conversation, f"Noch eine Frage ({step})")
            else:
                headers = {"Authorization": f"Bearer {tokens[owners[conversation]]}"}
                response = await http.post(f"{base}/handover/conversations/{conversation}/messages",
                                           json={"text": f"Antwort ({step})"}, headers=headers)
                response.raise_for_status()
            figures.background += 1
        except (httpx.HTTPError, RuntimeError) as error:
            figures.errors.append(f"background {conversation}: {error}")

    started = time.monotonic()
    while not stop.is_set() and quiet:
        conversation = random.choice(quiet)
        index = int(conversation.removeprefix("kunde"))
        task = asyncio.create_task(one(conversation, step % 2 == 0, bases[index % len(bases)]))
        pending.add(task)
        task.add_done_callback(pending.discard)
        step += 1
        await asyncio.sleep(max(0.0, started + step / rate - time.monotonic()))
    await asyncio.gather(*pending, return_exceptions=True)


async def _work_console(page: Any, number: int, base: str, conversations: list[str], messages: int, http: httpx.AsyncClient,
                        receiver: Receiver, figures: Figures) -> None:
    """One agent: opens each of its measured conversations in turn; per message, the customer writes
    and the agent answers with Enter."""
    from playwright.async_api import expect

    mine = page.get_by_role("region", name="Your conversations")
    for round_index, conversation in enumerate(conversations):
        try:
            await mine.get_by_role("button").filter(has_text=conversation).click()
            await expect(page.get_by_role("main").get_by_role("heading", name=conversation)).to_be_visible()
            field = page.get_by_label("Message", exact=True)
            await expect(field).to_be_enabled()
            for message in range(messages):
                marker = f"c{number}-{round_index}-{message}"
                sent = time.time()
                figures.customer_messages += 1
                await _customer_says(http, base, conversation, f"Kurze Frage [{marker}]")
                seen = await asyncio.wait_for(page.evaluate("(m) => window.__waitSeen(m)", marker), 60)
                figures.shown.append(seen - sent * 1000)
                reply = f"Gern, hier die Antwort [{marker}]"
                await field.fill(reply)
                await field.press("Enter")
                arrived = await receiver.wait(reply, 60)
                pressed = await page.evaluate("window.__enter")
                figures.delivered.append(arrived * 1000 - pressed)
                await asyncio.sleep(random.uniform(0.1, 0.4))  # a person does not answer in zero time
        except Exception as error:  # noqa: BLE001 - one console's failure is reported, the others go on
            shown = await page.get_by_role("navigation").inner_text() if not page.is_closed() else ""
            figures.errors.append(f"console {number} on {conversation}: {type(error).__name__}: "
                                  f"{str(error)[:200]} (list: {' '.join(shown.split())[:300]})")


async def _clock_skew(page: Any) -> float:
    """The page's clock minus this process's (ms), from the quickest of a few round trips."""
    best = (math.inf, 0.0)
    for _ in range(5):
        before = time.time() * 1000
        stamp = await page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        best = min(best, (after - before, stamp - (before + after) / 2))
    return best[1]


async def _run(bases: list[str], server_pids: list[int], tokens: dict[str, str], receiver: Receiver,
               args: argparse.Namespace, figures: Figures, report: dict[str, Any]) -> None:
    from playwright.async_api import async_playwright

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            names = list(tokens)

            def failed(task: asyncio.Task) -> None:
                if not task.cancelled() and task.exception() is not None:
                    figures.errors.append(f"escalate: {task.exception()}")

            # The conversations first, the consoles then: a console lists what is there when it opens
            # (the burst of 500 escalations with every console reloading its lists is not what is measured).
            for index, name in enumerate(names):
                response = await http.put(f"{bases[index % len(bases)]}/handover/presence", json={"status": "online"},
                                          headers={"Authorization": f"Bearer {tokens[name]}"})
                response.raise_for_status()
            owners: dict[str, str] = {}
            started = time.monotonic()
            listening = asyncio.Event()
            accepting = asyncio.create_task(_accept_offers(http, bases, tokens, owners, args.conversations,
                                                           started + args.timeout, listening))
            await asyncio.wait_for(listening.wait(), 120)
            print(f"{args.consoles} agents online; {args.conversations} customers ask for a person", flush=True)
            for index in range(args.conversations):
                await asyncio.sleep(max(0.0, started + index / args.escalation_rate - time.monotonic()))
                conversation = _conversation(index)
                asyncio.create_task(_customer_says(http, bases[index % len(bases)], conversation,
                                                   "agent please")).add_done_callback(failed)
            await accepting
            report["setup_seconds"] = time.monotonic() - started
            print(f"{len(owners)} conversations with an agent after {report['setup_seconds']:.0f} s", flush=True)
            pages = []
            counts = [PageCounts() for _ in names]
            for index, name in enumerate(names):  # one after another: logins hash passwords on the server
                pages.append(await _open_console(browser, bases[index % len(bases)], name, counts[index]))
            report["skew_ms"] = await _clock_skew(pages[0])
            sessions = [await page.context.new_cdp_session(page) for page in pages]
            for session in sessions:
                await session.send("Performance.enable", {"timeDomain": "threadTicks"})
            print(f"{len(pages)} consoles logged in", flush=True)

            by_agent: dict[str, list[str]] = {name: [] for name in names}
            for conversation, name in sorted(owners.items()):
                by_agent[name].append(conversation)
            measured = {name: found[:args.rounds] for name, found in by_agent.items()}
            busy = {conversation for found in measured.values() for conversation in found}
            stop = asyncio.Event()
            background = asyncio.create_task(_background(http, bases, tokens, owners, busy, args.rate, stop, figures))
            report["load_before"] = os.getloadavg()
            metrics_before = [await _page_metrics(session) for session in sessions]
            server_pids = [*server_pids, *(child for pid in server_pids for child in _descendants(pid))]
            cpu_before = _cpu_seconds(server_pids), _cpu_seconds(_chromium_pids())
            for found in counts:
                found.counting = True
            measuring = time.monotonic()
            await asyncio.gather(*(
                _work_console(page, index, bases[index % len(bases)], measured[name], args.messages, http, receiver,
                              figures)
                for index, (name, page) in enumerate(zip(names, pages, strict=True))))
            report["measure_seconds"] = time.monotonic() - measuring
            for found in counts:
                found.counting = False
            cpu_after = _cpu_seconds(server_pids), _cpu_seconds(_chromium_pids())
            metrics_after = [await _page_metrics(session) for session in sessions]
            report["cpu_seconds"] = {"server": cpu_after[0] - cpu_before[0], "chromium": cpu_after[1] - cpu_before[1]}
            report["pages"] = [{"frames": found.frames, "requests": found.requests,
                                **{key: after.get(key, 0.0) - before.get(key, 0.0) for key in PAGE_METRICS}}
                               for found, before, after in zip(counts, metrics_before, metrics_after, strict=True)]
            report["load_after"] = os.getloadavg()
            report["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
            report["chromium_pss"] = _chromium_memory()
            stop.set()
            await background
        finally:
            await browser.close()


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# Seconds of the renderer's main thread per page (CDP Performance.getMetrics): all tasks, running
# script, layout and style recalculation. Thread time, so a busy machine does not inflate them much.
PAGE_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


async def _page_metrics(session: Any) -> dict[str, float]:
    found = await session.send("Performance.getMetrics")
    return {metric["name"]: metric["value"] for metric in found["metrics"] if metric["name"] in PAGE_METRICS}


def _chromium_pids() -> list[int]:
    pids = []
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" in Path(f"/proc/{pid}/comm").read_text():
                pids.append(pid)
        except OSError:
            continue
    return pids


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (/proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def _chromium_memory() -> tuple[int, int]:
    """(PSS summed over this process's chromium processes, how many) from /proc/<pid>/smaps_rollup."""
    total, count = 0, 0
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    count += 1
        except OSError:
            continue
    return total, count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consoles", type=int, default=20, help="agents, each with a console in its own browser context")
    parser.add_argument("--conversations", type=int, default=500, help="conversations open at once, spread over the agents")
    parser.add_argument("--rounds", type=int, default=4, help="conversations each console opens in turn")
    parser.add_argument("--messages", type=int, default=3, help="customer messages and replies per opened conversation")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="background messages per second in the other conversations (customers and agents)")
    parser.add_argument("--escalation-rate", type=float, default=25.0, help="customers asking for a person per second")
    parser.add_argument("--setup", choices=("embedded", "postgres+redis"), default="embedded")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up setting up conversations after this")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        raise SystemExit("Debian's chromium is missing: apt-get install -y chromium (scripts/browser.sh)")

    figures = Figures()
    report: dict[str, Any] = {}
    receiver = Receiver()
    servers: list[CallbackServer] = []
    with tempfile.TemporaryDirectory(prefix="console-bench-") as folder:
        work = Path(folder)
        model = _train(work)
        if args.setup == "embedded":
            setup, processes = StoreSetup.embedded(work), 1
        else:
            setup, processes = StoreSetup.postgres_redis(work, args.postgres_url, args.redis_url), 2
        try:
            credentials = work / "credentials.yml"
            credentials.write_text(f"callback:\n  url: {receiver.url}\n")
            capacity = math.ceil(args.conversations / args.consoles) + 1
            tokens = _make_agents(setup, args.consoles, capacity)
            for index in range(processes):
                server = CallbackServer(model, setup, work / f"server{index}.log", credentials)
                server.start()
                servers.append(server)
            asyncio.run(_run([server.base for server in servers], [server.process.pid for server in servers if server.process], tokens, receiver,
                             args, figures, report))
            report["server_rss"] = [server.rss_bytes() for server in servers]
        finally:
            for server in servers:
                server.stop()
            receiver.close()
            setup.cleanup()
    _print(args, figures, report, processes)
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "shown": figures.shown,
                                        "delivered": figures.delivered, "errors": figures.errors,
                                        **{k: v for k, v in report.items()}}, indent=2))


def _print(args: argparse.Namespace, figures: Figures, report: dict[str, Any], processes: int) -> None:
    mb = 1024 * 1024
    print(f"\n{args.setup} ({processes} `bot run` process(es)): {args.consoles} consoles, {args.conversations} open "
          f"conversations, {args.rounds} x {args.messages} measured messages per console, background "
          f"{args.rate:g} messages/s ({figures.background} sent); measured for {report.get('measure_seconds', 0):.0f} s")
    print(f"load average before {'/'.join(f'{v:.2f}' for v in report.get('load_before', ()))}, "
          f"after: {report.get('uptime', '?')}")
    print(f"{'figure':<24}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for label, values in (("customer -> console", figures.shown), ("Send -> customer", figures.delivered)):
        if values:
            print(f"{label:<24}{len(values):>6}{_percentile(values, 0.5):>10.1f}{_percentile(values, 0.99):>10.1f}"
                  f"{max(values):>10.1f}")
        else:
            print(f"{label:<24}{0:>6}")
    rss = ", ".join(f"{current / mb:.0f} MB (peak {peak / mb:.0f} MB)" for current, peak in report.get("server_rss", []))
    pss, count = report.get("chromium_pss", (0, 0))
    print(f"server RSS: {rss}; chromium: {pss / mb:.0f} MB PSS over {count} processes; "
          f"page clock - bench clock: {report.get('skew_ms', 0):+.1f} ms")
    _print_work(figures, report)
    if figures.errors:
        print(f"errors: {len(figures.errors)}, first: {figures.errors[:3]}")


def _print_work(figures: Figures, report: dict[str, Any]) -> None:
    """What the consoles and the server did per customer message: counts and CPU time, which a busy
    machine does not falsify the way it does latencies."""
    pages = report.get("pages") or []
    messages = max(figures.customer_messages, 1)
    if not pages:
        return
    frames = sum(page["frames"] for page in pages)
    requests: dict[str, int] = {}
    for page in pages:
        for kind, count in page["requests"].items():
            requests[kind] = requests.get(kind, 0) + count
    cpu = report.get("cpu_seconds", {})
    print(f"work while measuring: {figures.customer_messages} customer messages, {figures.background} background; "
          f"per customer message over all {len(pages)} consoles: {frames / messages:.2f} feed events, "
          f"{sum(requests.values()) / messages:.2f} requests")
    for kind, count in sorted(requests.items(), key=lambda pair: -pair[1])[:8]:
        print(f"  {count / messages:8.3f} x {kind}")
    main_thread = {key: sum(page[key] for page in pages) for key in PAGE_METRICS}
    print("  page main threads per customer message (all consoles): "
          + ", ".join(f"{key.removesuffix('Duration')} {value * 1000 / messages:.1f} ms" for key, value in main_thread.items()))
    print(f"  CPU per customer message: server {cpu.get('server', 0) * 1000 / messages:.1f} ms, chromium (all processes) "
          f"{cpu.get('chromium', 0) * 1000 / messages:.1f} ms; totals {cpu.get('server', 0):.1f} s and "
          f"{cpu.get('chromium', 0):.1f} s in {report.get('measure_seconds', 0):.0f} s")


if __name__ == "__main__":
    main()
