// The supervisor's view: live queues and agents (GET /handover/overview, re-read when the feed says
// something changed), reassigning a conversation, the team's settings (settings.js), and who is in
// which team with which skills and languages (people.js). Every
// text from the API is rendered as text by Preact; the server refuses what a role may not do, the
// view only leaves out what would be refused.
import { html, useState, useEffect, useRef, useCallback, duration } from "./ui.js";
import { t } from "./i18n.js";
import { Feed } from "./feed.js";
import { TopBar } from "./shell.js";
import { stateText } from "./list.js";
import { TeamsPanel, CannedPanel, SlaPanel, describe } from "./settings.js";
import { AgentsPanel } from "./people.js";
import "./supervisor-texts.js";

// Feed kinds that change what the overview shows; `config` also changes the settings.
const LIVE_KINDS = new Set(["conversation", "offer", "agent_status", "sla_warning", "config"]);
const REFRESH_MS = 5000; // waiting times grow by themselves
const TABS = ["live", "teams", "agents", "canned", "sla"];

function SlaBadge({ state }) {
  const value = state || "ok";
  return html`<span class=${`sla sla-${value}`}>${t(`sup.sla.${value}`)}</span>`;
}

function QueueTable({ queues }) {
  return html`<table class="grid">
    <caption>${t("sup.queues")}</caption>
    <thead><tr>
      <th scope="col">${t("sup.queue.team")}</th><th scope="col">${t("sup.queue.waiting")}</th>
      <th scope="col">${t("sup.queue.offered")}</th><th scope="col">${t("sup.queue.assigned")}</th>
      <th scope="col">${t("sup.queue.longest")}</th><th scope="col">${t("sup.queue.sla")}</th>
      <th scope="col">${t("sup.queue.breaches")}</th>
    </tr></thead>
    <tbody>${queues.map((queue) => html`<tr key=${queue.team || ""}>
      <th scope="row">${queue.team ? queue.display_name || queue.team : t("sup.noTeam")}</th>
      <td>${queue.waiting}</td><td>${queue.offered}</td><td>${queue.assigned}</td>
      <td>${queue.longest_wait_seconds == null ? "–" : duration(queue.longest_wait_seconds)}</td>
      <td><${SlaBadge} state=${queue.sla_state} /></td><td>${queue.breaches_today}</td>
    </tr>`)}</tbody>
  </table>`;
}

function AgentTable({ agents }) {
  if (!agents.length) return html`<p class="muted">${t("sup.agent.none")}</p>`;
  return html`<table class="grid">
    <caption>${t("sup.agents")}</caption>
    <thead><tr>
      <th scope="col">${t("sup.agent.name")}</th><th scope="col">${t("sup.agent.status")}</th>
      <th scope="col">${t("sup.agent.load")}</th><th scope="col">${t("sup.agent.teams")}</th>
    </tr></thead>
    <tbody>${agents.map((person) => html`<tr key=${person.username} data-agent=${person.username}>
      <th scope="row">${person.display_name || person.username} <span class="muted">(${person.username})</span></th>
      <td><span class=${`status status-${person.status}`}>${t(`sup.status.${person.status}`)}</span></td>
      <td>${person.load} / ${person.capacity}</td>
      <td>${(person.teams || []).join(", ") || "–"}</td>
    </tr>`)}</tbody>
  </table>`;
}

function ConversationTable({ conversations, agents, onAssign }) {
  if (!conversations.length) return html`<p class="muted">${t("sup.conversation.none")}</p>`;
  return html`<table class="grid">
    <caption>${t("sup.conversations")}</caption>
    <thead><tr>
      <th scope="col">${t("sup.conversation.id")}</th><th scope="col">${t("sup.queue.team")}</th>
      <th scope="col">${t("sup.conversation.state")}</th><th scope="col">${t("sup.conversation.waiting")}</th>
      <th scope="col">${t("sup.queue.sla")}</th><th scope="col">${t("sup.reassign")}</th>
    </tr></thead>
    <tbody>${conversations.map((item) => html`<${ConversationRow} key=${item.conversation_id} item=${item}
        agents=${agents} onAssign=${onAssign} />`)}</tbody>
  </table>`;
}

function ConversationRow({ item, agents, onAssign }) {
  const id = `assign-${encodeURIComponent(item.conversation_id).replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const choices = agents.filter((person) => person.username !== item.agent);
  async function submit(event) {
    event.preventDefault();
    const chosen = event.currentTarget.elements.agent.value;
    if (chosen) await onAssign(item.conversation_id, chosen);
  }
  return html`<tr data-conversation=${item.conversation_id}>
    <th scope="row">${item.conversation_id}</th>
    <td>${item.team || t("sup.noTeam")}</td>
    <td>${stateText(item)}</td>
    <td>${item.waiting_seconds == null ? "–" : duration(item.waiting_seconds)}</td>
    <td>${item.sla_state ? html`<${SlaBadge} state=${item.sla_state} />` : "–"}</td>
    <td><form class="assign" onSubmit=${submit}>
      <label class="sr-only" for=${id}>${t("sup.assignTo", { conversation: item.conversation_id })}</label>
      <select id=${id} name="agent">
        ${choices.map((person) => html`<option value=${person.username}>${person.display_name || person.username} (${t(`sup.status.${person.status}`)}, ${person.load}/${person.capacity})</option>`)}
      </select>
      <button type="submit" disabled=${!choices.length}>${t("sup.reassign")}</button>
    </form></td>
  </tr>`;
}

function SupervisorView({ api, agent, logout, titleKey }) {
  const [tab, setTab] = useState("live");
  const [overview, setOverview] = useState(null);
  const [settings, setSettings] = useState({ teams: [], replies: [], policies: [], agents: [] });
  const [feedState, setFeedState] = useState("connecting");
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const overviewSeq = useRef(0);
  const settingsSeq = useRef(0);
  const pending = useRef(null);

  const fail = useCallback((failure) => {
    if (failure && failure.status !== 401) setError(describe(failure));
  }, []);

  const refreshOverview = useCallback(async () => {
    const seq = ++overviewSeq.current;
    try {
      const found = await api.get("/handover/overview");
      if (seq === overviewSeq.current) setOverview(found);
    } catch (failure) {
      if (seq === overviewSeq.current) fail(failure);
    }
  }, [api]);

  const refreshSettings = useCallback(async () => {
    const seq = ++settingsSeq.current;
    try {
      const [teams, replies, policies, agents] = await Promise.all([
        api.get("/handover/teams"), api.get("/handover/canned-replies"), api.get("/handover/sla-policies"),
        api.get("/handover/agents")]);
      if (seq === settingsSeq.current) setSettings({ teams, replies, policies, agents });
    } catch (failure) {
      if (seq === settingsSeq.current) fail(failure);
    }
  }, [api]);

  // Several events in a burst (an escalation is a conversation and an offer) make one request.
  const soon = useCallback(() => {
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      refreshOverview();
    }, 250);
  }, [refreshOverview]);

  useEffect(() => {
    const feed = new Feed({
      onState: (state) => {
        setFeedState(state);
        if (state === "live") {
          refreshOverview();
          refreshSettings();
        }
      },
      onClosed: async () => {
        try {
          await api.get("/handover/me");
          return true;
        } catch (failure) {
          return failure.status !== 401;
        }
      },
      onEvent: (event) => {
        if (LIVE_KINDS.has(event.kind)) soon();
        if (event.kind === "config") refreshSettings();
      },
    });
    feed.start();
    refreshOverview();
    refreshSettings();
    const timer = setInterval(refreshOverview, REFRESH_MS);
    return () => {
      feed.stop();
      clearInterval(timer);
      clearTimeout(pending.current);
    };
  }, [api]);

  async function assign(conversation, username) {
    setError(null);
    setNotice(null);
    try {
      const moved = await api.post(api.conversation(conversation, "/assign"), { agent: username });
      const person = (overview.agents || []).find((item) => item.username === username);
      setNotice(t("sup.reassigned", { conversation: moved.conversation_id, agent: (person && person.display_name) || username }));
      await refreshOverview();
    } catch (failure) {
      fail(failure);
    }
  }

  const done = useCallback(async (message) => {
    setError(null);
    setNotice(message);
    await Promise.all([refreshSettings(), refreshOverview()]);
  }, [refreshSettings, refreshOverview]);

  const shared = { api, agent, settings, done, fail: (failure) => { setNotice(null); fail(failure); } };

  return html`<div class="console supervisor">
    <${TopBar} agent=${agent} logout=${logout} titleKey=${titleKey}>
      <span class=${`feed feed-${feedState}`} role="status">${t(`feed.${feedState}`)}</span>
    <//>
    <nav class="tabs" aria-label=${t("sup.tabs")}>
      ${TABS.map((name) => html`<button type="button" aria-pressed=${tab === name ? "true" : "false"}
          onClick=${() => { setTab(name); setError(null); setNotice(null); }}>${t(`sup.tab.${name}`)}</button>`)}
    </nav>
    <main class="sup-main">
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      ${tab === "live" && (overview ? html`<section class="sup-live" aria-label=${t("sup.tab.live")}>
          <${QueueTable} queues=${overview.queues} />
          <${AgentTable} agents=${overview.agents} />
          <${ConversationTable} conversations=${overview.conversations} agents=${overview.agents} onAssign=${assign} />
        </section>` : html`<p class="loading">${t("feed.connecting")}</p>`)}
      ${tab === "teams" && html`<${TeamsPanel} ...${shared} />`}
      ${tab === "agents" && html`<${AgentsPanel} ...${shared} />`}
      ${tab === "canned" && html`<${CannedPanel} ...${shared} />`}
      ${tab === "sla" && html`<${SlaPanel} ...${shared} />`}
    </main>
  </div>`;
}

/** The view as the shell offers it: to supervisors and admins, at /console/supervisor too. */
export const SUPERVISOR_VIEW = {
  name: "supervisor", labelKey: "sup.toSupervisor", titleKey: "sup.title", View: SupervisorView,
  allows: (person) => person.role === "supervisor" || person.role === "admin",
};
