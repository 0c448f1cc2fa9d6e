// The live feed (GET /handover/ws) for one console: reconnects by itself and catches up with
// `?after=<last id seen>`, so a dropped connection or a restarted server loses nothing; every
// event is handed on once, by its id, however often the server or a catch-up sends it.

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 8000;
const SEEN_WINDOW = 5000;

export class Feed {
  /**
   * @param {{onEvent: (event) => void, onState?: (state: string) => void, onClosed?: () => Promise<boolean>}} handlers
   *   onEvent: each new event once, in id order per connection;
   *   onState: "connecting" | "live" | "offline";
   *   onClosed: asked after a connection ends; resolve false to stop (the session has ended).
   */
  constructor({ onEvent, onState, onClosed }) {
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.onClosed = onClosed || (async () => true);
    this.lastId = 0;
    this.seen = new Map(); // insertion-ordered ids, the oldest dropped first
    this.socket = null;
    this.stopped = true;
    this.retryMs = RETRY_FIRST_MS;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const after = this.lastId ? `?after=${this.lastId}` : "";
    return `${scheme}//${location.host}/handover/ws${after}`;
  }

  connect() {
    if (this.stopped) return;
    this.onState("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", () => this.closed(socket));
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "hello") {
      // The first connection starts at the present; later ones asked for ?after= and get the gap first.
      if (!this.lastId) this.lastId = frame.last_id || 0;
      this.retryMs = RETRY_FIRST_MS;
      this.onState("live");
      return;
    }
    if (frame.type !== "event" || typeof frame.id !== "number") return;
    if (this.seen.has(frame.id)) return;
    this.seen.set(frame.id, true);
    if (this.seen.size > SEEN_WINDOW) this.seen.delete(this.seen.keys().next().value);
    this.lastId = Math.max(this.lastId, frame.id);
    this.onEvent(frame);
  }

  async closed(socket) {
    if (socket !== this.socket || this.stopped) return;
    this.socket = null;
    this.onState("offline");
    let goOn = true;
    try {
      goOn = await this.onClosed();
    } catch {
      goOn = true; // the server is away: keep trying
    }
    if (!goOn || this.stopped) return;
    this.timer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
