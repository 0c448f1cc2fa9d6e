// The agent's view: presence, the conversation list with unread counts, the open conversation
// (transcript, composer, packet card, notes) and its actions, kept live by the feed.
import { html, useState, useEffect, useRef, useCallback } from "./ui.js";
import { t } from "./i18n.js";
import { retrying } from "./api.js";
import { Presence, ListSection, stateText } from "./list.js";
import { Feed } from "./feed.js";
import { startConsole, TopBar } from "./shell.js";
import { SUPERVISOR_VIEW } from "./supervisor.js";
import { chime, notify } from "./alerts.js";
import { PacketCard } from "./packet.js";
import { Transcript, Composer, Notes, Suggestions, Labels } from "./conversation.js";
import { TransferDialog, HelpDialog, useShortcuts } from "./dialogs.js";

const EMPTY = { offered: [], mine: [], queued: [] };
const TYPING_REPEAT_MS = 3000; // while the agent types, "typing" is said again at most this often
const TYPING_IDLE_MS = 5000; // no keystroke for this long: "stopped typing"

/** Transcript items with `read` set on the agent's messages the customer's chat has shown. */
function withReceipts(items, watermark) {
  return watermark ? items.map((item) => (item.from === "agent" && item.seq <= watermark ? { ...item, read: true } : item)) : items;
}

function AgentView({ api, agent, logout, titleKey }) {
  const me = agent.username;
  const [presence, setPresence] = useState(agent.status || "offline");
  const [lists, setLists] = useState(EMPTY);
  const [selected, setSelected] = useState(null);
  const [detail, setDetail] = useState(null);
  const [pending, setPending] = useState([]);
  const [unread, setUnread] = useState({});
  const [warnings, setWarnings] = useState({});
  const [feedState, setFeedState] = useState("connecting");
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const [dialog, setDialog] = useState(null);
  const [replies, setReplies] = useState([]);
  const [repliesVersion, setRepliesVersion] = useState(0); // a supervisor changed the canned replies
  const [focusMessage, setFocusMessage] = useState(false);
  const [suggestions, setSuggestions] = useState({}); // conversation id -> suggestion items
  const [insertion, setInsertion] = useState(null);
  const [readUpTo, setReadUpTo] = useState({}); // conversation id -> the customer's read watermark
  const typingRef = useRef({ id: null, at: 0, timer: null });
  const selectedRef = useRef(null);
  const listsRef = useRef(EMPTY);
  const messageRef = useRef(null);
  const noteRef = useRef(null);
  const listSeq = useRef(0);
  const detailSeq = useRef(0);
  selectedRef.current = selected;
  listsRef.current = lists;

  const fail = useCallback((failure) => {
    if (failure && failure.status !== 401) setError(failure.message || String(failure));
  }, []);

  const loadLists = useCallback(async () => {
    const seq = ++listSeq.current;
    try {
      const [offered, mine, queued] = await retrying(() => Promise.all(["offered", "mine", "queued"]
        .map((state) => api.get(`/handover/conversations?state=${state}`))), () => seq !== listSeq.current);
      if (seq !== listSeq.current) return;
      const offeredIds = new Set(offered.map((item) => item.conversation_id));
      setLists({ offered, mine, queued: queued.filter((item) => !offeredIds.has(item.conversation_id)) });
    } catch (failure) {
      if (seq === listSeq.current) fail(failure);
    }
  }, [api]);

  // Every queue change in the agent's teams asks for the lists again; with hundreds of conversations
  // those come in bursts. One load runs at a time and the requests during it share one more load
  // after it, so each caller still sees a list read after its request, for three GETs, not hundreds.
  const listJob = useRef({ running: null, queued: null });
  const refreshLists = useCallback(() => {
    const job = listJob.current;
    if (!job.running) {
      job.running = loadLists().finally(() => { job.running = null; });
      return job.running;
    }
    if (!job.queued) {
      job.queued = job.running.then(() => {
        job.queued = null;
        return refreshLists();
      });
    }
    return job.queued;
  }, [loadLists]);

  const refreshDetail = useCallback(async (id = selectedRef.current) => {
    if (!id) return;
    const seq = ++detailSeq.current;
    const stale = () => seq !== detailSeq.current || selectedRef.current !== id;
    try {
      const found = await retrying(() => api.get(api.conversation(id)), stale);
      if (!stale()) setDetail(found);
    } catch (failure) {
      if (stale()) return;
      if (failure.status === 404) setDetail(null);
      fail(failure);
    }
  }, [api]);

  const select = useCallback((id) => {
    setSelected(id);
    selectedRef.current = id;
    setDetail(null);
    setPending([]);
    setError(null);
    if (id) {
      setUnread((counts) => ({ ...counts, [id]: 0 }));
      refreshDetail(id);
    }
  }, [refreshDetail]);

  // The live feed: a new connection (the first, or after a drop) reloads what is on screen, then
  // each event updates it. Unread counts come from events, counted once by the feed's ids.
  useEffect(() => {
    const feed = new Feed({
      onState: (state) => {
        setFeedState(state);
        if (state === "live") {
          refreshLists();
          refreshDetail();
        }
      },
      onClosed: async () => {
        try {
          await api.get("/handover/me");
          return true;
        } catch (failure) {
          return failure.status !== 401; // 401: the shell is back at the login
        }
      },
      onEvent: (event) => {
        const id = event.conversation_id;
        const open = id && id === selectedRef.current;
        switch (event.kind) {
          case "offer":
            if (event.data.offered_to === me) {
              chime();
              notify(t("offer.notification"), t("offer.body", { customer: id, reason: event.data.reason || "" }), id,
                () => select(id));
            }
            refreshLists();
            break;
          case "conversation":
            refreshLists();
            if (open) refreshDetail(id);
            break;
          case "customer_message":
            // The feed item carries the message: shown at once, then the conversation is read again
            // for what the turn changed (packet, slots), which replaces it with the stored one.
            if (open) {
              setDetail((current) => current && current.conversation_id === id
                ? { ...current, transcript: [...(current.transcript || []), { from: "customer", ...event.data }] }
                : current);
              refreshDetail(id);
            }
            if (!open || document.visibilityState !== "visible") {
              setUnread((counts) => ({ ...counts, [id]: (counts[id] || 0) + 1 }));
            }
            break;
          case "agent_message":
          case "note":
          case "labels":
            if (open) refreshDetail(id);
            if (event.kind === "labels") refreshLists();
            break;
          case "read":
            setReadUpTo((current) => ({ ...current, [id]: Math.max(current[id] || 0, event.data.watermark || 0) }));
            break;
          case "suggestions":
            setSuggestions((current) => ({ ...current, [id]: event.data.suggestions || [] }));
            break;
          case "sla_warning":
            setWarnings((current) => ({ ...current, [id]: event.data.state }));
            break;
          case "config":
            if (event.data.what === "canned_reply") setRepliesVersion((version) => version + 1);
            break;
          case "agent_status":
            if (event.data.username === me) setPresence(event.data.status);
            break;
          default:
            break;
        }
      },
    });
    feed.start();
    return () => feed.stop();
  }, [api]);

  useEffect(() => {
    const seen = () => {
      const id = selectedRef.current;
      if (document.visibilityState === "visible" && id) setUnread((counts) => ({ ...counts, [id]: 0 }));
    };
    document.addEventListener("visibilitychange", seen);
    return () => document.removeEventListener("visibilitychange", seen);
  }, []);

  // Canned replies for the open conversation (placeholders filled from its slots by the server), and
  // the suggestions for its last customer message (later ones arrive on the feed).
  useEffect(() => {
    if (!selected) return;
    const params = new URLSearchParams({ conversation_id: selected });
    api.get(`/handover/canned-replies?${params}`).then(setReplies, fail);
    api.get(api.conversation(selected, "/suggestions")).then(
      (found) => setSuggestions((current) => ({ ...current, [selected]: found.suggestions || [] })),
      () => {}); // a server without a model has none to give
  }, [selected, repliesVersion]);

  async function changePresence(status) {
    try {
      const updated = await api.put("/handover/presence", { status });
      setPresence(updated.status);
    } catch (failure) {
      fail(failure);
    }
  }

  async function act(path, body, done) {
    const id = selectedRef.current;
    setError(null);
    try {
      await api.post(api.conversation(id, path), body);
      if (done) setNotice(t(done));
      await Promise.all([refreshLists(), refreshDetail(id)]);
    } catch (failure) {
      fail(failure);
    }
  }

  async function accept(id = selectedRef.current) {
    if (!id) return;
    setError(null);
    try {
      await api.post(api.conversation(id, "/accept"));
      if (selectedRef.current !== id) select(id);
      await Promise.all([refreshLists(), refreshDetail(id)]);
      setFocusMessage(true); // once the field is enabled for the new owner

    } catch (failure) {
      fail(failure);
    }
  }

  // The customer's chat shows "… is typing" while the agent types: said when typing starts and again
  // every few seconds while it goes on, "stopped" after a pause, on emptying the field or on leaving the
  // conversation. Sending needs no "stopped": the customer's chat clears it when the message arrives.
  function postTyping(id, on) {
    api.post(api.conversation(id, "/typing"), { typing: on }).catch(() => {}); // a hint, never an error
  }

  function typing(on) {
    const state = typingRef.current;
    clearTimeout(state.timer);
    const id = selectedRef.current;
    if (state.id && (!on || state.id !== id)) {
      postTyping(state.id, false);
      state.id = null;
    }
    if (!on || !id) return;
    if (state.id !== id || Date.now() - state.at >= TYPING_REPEAT_MS) {
      postTyping(id, true);
      state.id = id;
      state.at = Date.now();
    }
    state.timer = setTimeout(() => typing(false), TYPING_IDLE_MS);
  }

  function sent() {
    const state = typingRef.current;
    clearTimeout(state.timer);
    state.id = null;
  }

  useEffect(() => () => typing(false), [selected]); // leaving a conversation ends "typing" there

  async function send(text) {
    const id = selectedRef.current;
    sent();
    const local = { from: "agent", text, timestamp: Date.now() / 1000, pending: true, agent: { name: agent.display_name || me } };
    setPending((items) => [...items, local]);
    try {
      await api.post(api.conversation(id, "/messages"), { text });
      await refreshDetail(id);
      setPending((items) => items.filter((item) => item !== local));
    } catch (failure) {
      setPending((items) => items.map((item) => (item === local ? { ...item, pending: false, failed: failure.message } : item)));
    }
  }

  async function addNote(text) {
    await act("/notes", { text });
  }

  function insertSuggestion(item) {
    const id = selectedRef.current;
    setInsertion({ text: item.text });
    setSuggestions((current) => ({ ...current, [id]: (current[id] || []).filter((other) => other.id !== item.id) }));
    api.post(api.conversation(id, `/suggestions/${encodeURIComponent(item.id)}/used`)).catch(() => {});
  }

  function dismissSuggestion(item) {
    const id = selectedRef.current;
    setSuggestions((current) => ({ ...current, [id]: (current[id] || []).filter((other) => other.id !== item.id) }));
    api.post(api.conversation(id, `/suggestions/${encodeURIComponent(item.id)}/dismissed`)).catch(() => {});
  }

  async function changeLabels(labels) {
    const id = selectedRef.current;
    setError(null);
    try {
      await api.put(api.conversation(id, "/labels"), { labels });
      await Promise.all([refreshLists(), refreshDetail(id)]);
    } catch (failure) {
      fail(failure);
    }
  }

  async function transfer(target, note) {
    setDialog(null);
    await act("/transfer", { ...target, note: note || undefined }, "done.transferred");
  }

  const all = [...lists.offered, ...lists.mine, ...lists.queued];
  const current = detail || all.find((item) => item.conversation_id === selected) || null;
  const mineNow = current && current.state === "assigned" && (current.agent === me || agent.role !== "agent");
  const acceptable = current && (current.state === "queued" || current.state === "offered");
  const answered = detail && (detail.transcript || []).some((item) => item.from === "agent");

  useEffect(() => {
    if (focusMessage && mineNow && messageRef.current) {
      // Not out of a field the agent has started typing in meanwhile.
      const active = document.activeElement;
      const typing = active && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName);
      if (!typing) messageRef.current.focus();
      setFocusMessage(false);
    }
  });

  useShortcuts({
    accept: () => accept(acceptable ? selectedRef.current : (listsRef.current.offered[0] || {}).conversation_id),
    next: (step) => {
      if (!all.length) return;
      const index = all.findIndex((item) => item.conversation_id === selectedRef.current);
      select(all[(index + step + all.length) % all.length].conversation_id);
    },
    message: () => messageRef.current && messageRef.current.focus(),
    note: () => noteRef.current && noteRef.current.focus(),
    transfer: () => mineNow && setDialog("transfer"),
    handback: () => mineNow && act("/handback", {}, "done.handback"),
    resolve: () => mineNow && act("/resolve", undefined, "done.resolved"),
    help: () => setDialog("help"),
  });

  return html`<div class="console">
    <${TopBar} agent=${agent} logout=${logout} titleKey=${titleKey}>
      <${Presence} status=${presence} onChange=${changePresence} />
      <span class=${`feed feed-${feedState}`} role="status">${t(`feed.${feedState}`)}</span>
      <button type="button" onClick=${() => setDialog("help")}>${t("help.open")}</button>
    <//>
    <div class="layout">
      <nav class="list" aria-label=${t("list.label")}>
        <${ListSection} id="offered-heading" title=${t("list.offered")} items=${lists.offered} selected=${selected} unread=${unread} warnings=${warnings} onSelect=${select} />
        <${ListSection} id="mine-heading" title=${t("list.mine")} items=${lists.mine} selected=${selected} unread=${unread} warnings=${warnings} onSelect=${select} />
        <${ListSection} id="queued-heading" title=${t("list.queued")} items=${lists.queued} selected=${selected} unread=${unread} warnings=${warnings} onSelect=${select} />
      </nav>
      <main class="pane">
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${notice && html`<p class="notice" role="status">${notice}</p>`}
        ${!current ? html`<p class="muted">${t("none.selected")}</p>` : html`
          <header class="pane-header">
            <h2>${current.conversation_id} <span class="muted">· ${stateText(current)}</span></h2>
            <div class="actions">
              ${acceptable && html`<button type="button" class="primary" onClick=${() => accept()}>${t("accept")}</button>`}
              <button type="button" disabled=${!mineNow} onClick=${() => setDialog("transfer")}>${t("transfer")}</button>
              <button type="button" disabled=${!mineNow} onClick=${() => act("/handback", {}, "done.handback")}>${t("handback")}</button>
              <button type="button" disabled=${!mineNow} onClick=${() => act("/resolve", undefined, "done.resolved")}>${t("resolve")}</button>
            </div>
          </header>
          <div class="work">
            <div class="talk">
              <${Transcript} items=${withReceipts([...((detail && detail.transcript) || []), ...pending],
                Math.max(readUpTo[current.conversation_id] || 0, (detail && detail.read_watermark) || 0))} />
              <div class="compose-row">
                <${Composer} canReply=${mineNow} replies=${replies} onSend=${send} onTyping=${typing} inputRef=${messageRef} insertion=${insertion} />
                ${mineNow && html`<${Suggestions} items=${suggestions[current.conversation_id] || []}
                  onInsert=${insertSuggestion} onDismiss=${dismissSuggestion} />`}
              </div>
            </div>
            <aside class="side" aria-label=${t("side.label")}>
              <${PacketCard} conversation=${current} answered=${answered} warned=${warnings[current.conversation_id]} />
              <${Labels} labels=${current.labels || []} onChange=${changeLabels} />
              <${Notes} notes=${(detail && detail.notes) || []} onAdd=${addNote} inputRef=${noteRef} />
            </aside>
          </div>`}
      </main>
    </div>
    ${dialog === "transfer" && html`<${TransferDialog} api=${api} onTransfer=${transfer} onClose=${() => setDialog(null)} />`}
    ${dialog === "help" && html`<${HelpDialog} onClose=${() => setDialog(null)} />`}
  </div>`;
}

startConsole(AgentView, { views: [SUPERVISOR_VIEW] });
