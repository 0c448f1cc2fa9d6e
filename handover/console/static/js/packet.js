// The handover packet as a card: why the customer is here and everything the bot learned, so the
// agent never asks them to repeat it. The SLA clock ticks here and turns amber, then red.
import { html, useState, useEffect, dateTime, duration } from "./ui.js";
import { t, language } from "./i18n.js";

const SEVERITY = { ok: 0, amber: 1, red: 2, breached: 3 };
// The server's defaults (handover/sla.py): amber past 75 % of the budget, red past 90 %.
const WARN_RATIO = 0.75;
const RED_RATIO = 0.9;

/** Seconds since the epoch, updated every second while mounted. */
function useNow() {
  const [now, setNow] = useState(Date.now() / 1000);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The clock's state: the more severe of the local reckoning and what the server last warned. */
export function slaState(due, startedAt, now, warned) {
  let state = "ok";
  if (due != null && startedAt != null && due > startedAt) {
    const used = (now - startedAt) / (due - startedAt);
    state = used > 1 ? "breached" : used >= RED_RATIO ? "red" : used >= WARN_RATIO ? "amber" : "ok";
  }
  if (warned && SEVERITY[warned] > SEVERITY[state]) state = warned;
  return state;
}

function Field({ label, children }) {
  return html`<div class="field"><dt>${label}</dt><dd>${children}</dd></div>`;
}

function Pairs({ id, title, entries }) {
  return html`<section aria-labelledby=${id}>
    <h3 id=${id}>${title}</h3>
    ${entries.length ? html`<dl class="pairs">${entries.map(([name, value]) => html`<${Field} label=${name}><${Value} value=${value} /><//>`)}</dl>`
      : html`<p class="muted">${t("packet.none")}</p>`}
  </section>`;
}

function Value({ value }) {
  if (value === null || value === undefined || value === "") return html`<span class="muted">${t("packet.none")}</span>`;
  if (typeof value === "object") return html`<code>${JSON.stringify(value)}</code>`;
  return html`<span>${String(value)}</span>`;
}

function percent(confidence) {
  return typeof confidence === "number" ? `${Math.round(confidence * 100)} %` : "";
}

function SlaClock({ conversation, answered, warned }) {
  const now = useNow();
  const sla = (conversation.packet || {}).sla || {};
  const due = sla.first_response_due;
  if (due == null) return html`<${Value} value=${null} />`;
  if (answered) return html`<span class="sla sla-ok">${t("sla.answered")}</span>`;
  const started = conversation.queued_at ?? (conversation.packet || {}).queued_at;
  const state = slaState(due, started, now, warned);
  const left = due - now;
  const text = left >= 0 ? t("sla.left", { time: duration(left) }) : t("sla.over", { time: duration(-left) });
  return html`<span class=${`sla sla-${state}`} data-sla=${state}>${text} · ${t(`sla.state.${state}`)}</span>`;
}

function ReplyWindow({ ends }) {
  const now = useNow();
  if (ends == null) return html`<span>${t("window.none")}</span>`;
  const time = dateTime(ends, language());
  return ends > now ? html`<span>${t("window.open", { time })} (${duration(ends - now)})</span>`
    : html`<span class="sla sla-red">${t("window.closed", { time })}</span>`;
}

function Previous({ items }) {
  if (!items || !items.length) return html`<span class="muted">${t("packet.noPrevious")}</span>`;
  const lang = language();
  return html`<ul class="previous">${items.map((item) => html`<li key=${item.id ?? item.started_at}>
    <span>${dateTime(item.started_at ?? item.ended_at, lang)}</span>
    ${[item.reason, item.resolution, item.agent, item.channel].filter(Boolean).map((part) => html` · <span>${part}</span>`)}
    ${item.summary && item.summary.last_intent ? html` · <span class="intent">${item.summary.last_intent}</span>` : ""}
  </li>`)}</ul>`;
}

/** The packet card of `conversation` (a /handover/conversations item). */
export function PacketCard({ conversation, answered, warned }) {
  const packet = conversation.packet || {};
  const lang = language();
  const messages = packet.messages || [];
  const entities = Object.entries(packet.entities || {});
  const slots = Object.entries(packet.slots || {});
  const customer = packet.customer || {};
  return html`<section class="card packet" aria-labelledby="packet-heading">
    <h2 id="packet-heading">${t("packet.label")}</h2>
    <dl class="facts">
      <${Field} label=${t("packet.reason")}><${Value} value=${conversation.reason ?? packet.reason} /><//>
      <${Field} label=${t("sla.label")}><${SlaClock} conversation=${conversation} answered=${answered} warned=${warned} /><//>
      <${Field} label=${t("window.label")}><${ReplyWindow} ends=${packet.reply_window_ends} /><//>
      <${Field} label=${t("packet.customer")}><${Value} value=${customer.id ?? conversation.conversation_id} /><//>
      <${Field} label=${t("packet.channel")}><${Value} value=${conversation.channel ?? packet.channel} /><//>
      <${Field} label=${t("packet.language")}><${Value} value=${conversation.language ?? packet.language} /><//>
      <${Field} label=${t("packet.team")}><${Value} value=${conversation.team ?? packet.team} /><//>
      <${Field} label=${t("packet.skill")}><${Value} value=${packet.skill} /><//>
      <${Field} label=${t("packet.priority")}><${Value} value=${conversation.priority ?? packet.priority} /><//>
      <${Field} label=${t("packet.queuedAt")}><${Value} value=${dateTime(conversation.queued_at ?? packet.queued_at, lang)} /><//>
    </dl>
    <h3>${t("packet.intents")}</h3>
    <ol class="intents">${messages.map((message) => html`<li>
      <q>${message.text}</q>
      <span class="intent">${(message.intent || {}).name || t("packet.none")} ${percent((message.intent || {}).confidence)}</span>
      ${(message.intent_ranking || []).length > 1 && html`<span class="muted ranking">${message.intent_ranking.slice(1)
        .map((item) => `${item.name} ${percent(item.confidence)}`).join(", ")}</span>`}
    </li>`)}</ol>
    <${Pairs} id="packet-entities" title=${t("packet.entities")} entries=${entities} />
    <${Pairs} id="packet-slots" title=${t("packet.slots")} entries=${slots} />
    <section aria-labelledby="packet-previous">
      <h3 id="packet-previous">${t("packet.previous")}</h3>
      <${Previous} items=${customer.previous_conversations} />
    </section>
  </section>`;
}

