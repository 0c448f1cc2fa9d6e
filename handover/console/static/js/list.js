// The agent's presence control and the sections of the conversation list (unread counts, SLA state).
import { html } from "./ui.js";
import { t } from "./i18n.js";

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

export function ListSection({ id, title, items, selected, unread, warnings, onSelect }) {
  return html`<section class="list-section" aria-labelledby=${id}>
    <h2 id=${id}>${title} <span class="count">(${items.length})</span></h2>
    ${items.length ? html`<ul class="conversations">${items.map((item) => {
      const count = unread[item.conversation_id] || 0;
      const warned = warnings[item.conversation_id];
      return html`<li key=${item.conversation_id}>
        <button type="button" class="conversation" aria-current=${item.conversation_id === selected ? "true" : undefined}
            data-conversation=${item.conversation_id} onClick=${() => onSelect(item.conversation_id)}>
          <span class="customer">${item.conversation_id}</span>
          <span class="summary">${item.reason || ""} · ${stateText(item)}</span>
          ${(item.labels || []).length ? html`<span class="labels">${item.labels.map((label) => html`<span class="label">${label}</span>`)}</span>` : ""}
          ${warned && warned !== "ok" ? html`<span class=${`sla sla-${warned}`}>${t(`sla.state.${warned}`)}</span>` : ""}
          ${count ? html`<span class="unread">${t("list.unread", { count })}</span>` : ""}
        </button>
      </li>`;
    })}</ul>` : html`<p class="muted">${t("list.empty")}</p>`}
  </section>`;
}
