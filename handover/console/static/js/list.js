// The agent's presence control and the sections of the conversation list (unread counts, SLA state).
import { html, memo } from "./ui.js";
import { t, language } from "./i18n.js";

const PRESENCE = ["online", "away", "offline"];

export function Presence({ status, onChange }) {
  return html`<div class="presence" role="group" aria-label=${t("presence.label")}>
    ${PRESENCE.map((value) => html`<button type="button" class=${`presence-${value}`} aria-pressed=${status === value ? "true" : "false"}
        onClick=${() => onChange(value)}>${t(`presence.${value}`)}</button>`)}
  </div>`;
}

export function stateText(conversation) {
  if (conversation.state === "assigned") return t("state.assigned", { agent: conversation.agent });
  return t(`state.${conversation.state}`);
}

// One conversation in the list; rendered again only when what it shows changes (an unread count
// going up elsewhere renders that one row, not the hundreds beside it).
const ListRow = memo(function ListRow({ item, current, count, warned, onSelect }) {
  return html`<li>
    <button type="button" class="conversation" aria-current=${current ? "true" : undefined}
        data-conversation=${item.conversation_id} onClick=${() => onSelect(item.conversation_id)}>
      <span class="customer">${item.conversation_id}</span>
      <span class="summary">${item.reason || ""} · ${stateText(item)}</span>
      ${(item.labels || []).length ? html`<span class="labels">${item.labels.map((label) => html`<span class="label">${label}</span>`)}</span>` : ""}
      ${warned && warned !== "ok" ? html`<span class=${`sla sla-${warned}`}>${t(`sla.state.${warned}`)}</span>` : ""}
      ${count ? html`<span class="unread">${t("list.unread", { count })}</span>` : ""}
    </button>
  </li>`;
});

export function ListSection({ id, title, items, selected, unread, warnings, onSelect }) {
  const lang = language(); // a row renders again when the language changes
  return html`<section class="list-section" aria-labelledby=${id}>
    <h2 id=${id}>${title} <span class="count">(${items.length})</span></h2>
    ${items.length ? html`<ul class="conversations">${items.map((item) => html`<${ListRow} key=${item.conversation_id}
        item=${item} current=${item.conversation_id === selected} count=${unread[item.conversation_id] || 0}
        warned=${warnings[item.conversation_id]} onSelect=${onSelect} lang=${lang} />`)}</ul>`
      : html`<p class="muted">${t("list.empty")}</p>`}
  </section>`;
}
