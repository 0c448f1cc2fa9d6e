// One open conversation: its transcript, the composer (Enter sends, `/` picks a canned reply,
// suggested replies beside it), private notes and labels.
import { html, useState, useEffect, useRef, clock, memo } from "./ui.js";
import { t, language } from "./i18n.js";

function sender(item) {
  if (item.from === "agent") return (item.agent && item.agent.name) || t("from.agent");
  return t(`from.${item.from}`) || item.from;
}

function delivery(item) {
  if (item.pending) return t("delivery.sending");
  if (item.failed) return t("delivery.failed", { message: item.failed });
  if (item.from === "customer") return "";
  if (item.read) return t("delivery.read");
  return item.delivered === false ? t("delivery.notDelivered") : t("delivery.sent");
}

function systemText(item) {
  const words = String(item.event || "").replace(/_/g, " ");
  const who = item.agent || item.by || item.to_agent || item.to_team || "";
  return who ? `${words}: ${typeof who === "string" ? who : JSON.stringify(who)}` : words;
}

// One row; rendered again only when its item (or the language) changes, so a new message renders
// one row, not the whole transcript.
const TranscriptRow = memo(function TranscriptRow({ item, lang }) {
  return item.from === "system"
    ? html`<li class="msg msg-system"><span class="meta">${clock(item.timestamp, lang)} · ${systemText(item)}</span></li>`
    : html`<li class=${`msg msg-${item.from}`}>
        <div class="meta"><span class="from">${sender(item)}</span> · <time>${clock(item.timestamp, lang)}</time>
          ${item.intent && item.intent.name ? html` · <span class="intent">${item.intent.name}</span>` : ""}</div>
        <p class="text">${item.text ?? ""}</p>
        ${delivery(item) && html`<div class="delivery">${delivery(item)}</div>`}
      </li>`;
});

/** The messages, oldest first; the list scrolls to the newest. */
export function Transcript({ items }) {
  const end = useRef(null);
  useEffect(() => {
    if (end.current) end.current.scrollIntoView({ block: "end" });
  }, [items.length]);
  const lang = language();
  return html`<div class="transcript" role="log" aria-label=${t("transcript.label")}><ol>
    ${items.map((item, index) => html`<${TranscriptRow} key=${index} item=${item} lang=${lang} />`)}
    <li ref=${end} class="end" aria-hidden="true"></li>
  </ol></div>`;
}

function matching(replies, query) {
  const q = query.toLowerCase();
  return replies.filter((reply) => reply.shortcut.toLowerCase().includes(q) || (reply.rendered || reply.text).toLowerCase().includes(q));
}

/** The message field with its `/` picker and Send. `onSend(text)` resolves when the reply is stored. */
export function Composer({ canReply, replies, onSend, onTyping, inputRef, insertion }) {
  const [text, setText] = useState("");
  const [picker, setPicker] = useState(null); // {query, index} while picking a canned reply
  useEffect(() => {
    if (insertion && insertion.text) {
      setText(insertion.text);
      if (inputRef.current) inputRef.current.focus();
    }
  }, [insertion]);

  const options = picker ? matching(replies || [], picker.query) : [];

  function change(event) {
    const value = event.currentTarget.value;
    setText(value);
    if (onTyping) onTyping(value.trim() !== "");
    setPicker(value.startsWith("/") && !value.includes("\n") ? { query: value.slice(1), index: 0 } : null);
  }

  function choose(reply) {
    setText(reply.rendered || reply.text);
    setPicker(null);
    if (inputRef.current) inputRef.current.focus();
  }

  async function send() {
    const value = text.trim();
    if (!value || !canReply) return;
    setText("");
    setPicker(null);
    await onSend(value);
  }

  function keydown(event) {
    if (picker && options.length) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        setPicker({ ...picker, index: (picker.index + step + options.length) % options.length });
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(options[Math.min(picker.index, options.length - 1)]);
        return;
      }
    }
    if (picker && event.key === "Escape") {
      event.preventDefault();
      setPicker(null);
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  }

  return html`<form class="composer" onSubmit=${(event) => { event.preventDefault(); send(); }}>
    <label for="message">${t("composer.message")}</label>
    ${picker && html`<ul class="picker" role="listbox" id="canned-picker" aria-label=${t("canned.label")}>
      ${options.length ? options.map((reply, index) => html`<li role="option" key=${reply.id}
          aria-selected=${index === picker.index ? "true" : "false"} onMouseDown=${(event) => { event.preventDefault(); choose(reply); }}>
          <span class="shortcut">/${reply.shortcut}</span> <span>${reply.rendered || reply.text}</span>
          ${reply.missing && reply.missing.length ? html` <span class="muted">(${t("canned.missing", { names: reply.missing.join(", ") })})</span>` : ""}
        </li>`) : html`<li class="muted">${t("canned.none")}</li>`}
    </ul>`}
    <textarea id="message" rows="3" ref=${inputRef} value=${text} onInput=${change} onKeyDown=${keydown}
      aria-describedby="message-hint" aria-controls=${picker ? "canned-picker" : undefined}
      disabled=${!canReply}></textarea>
    <p id="message-hint" class="hint">${canReply ? t("composer.hint") : t("composer.notYours")}</p>
    <button type="submit" class="primary" disabled=${!canReply}>${t("composer.send")}</button>
  </form>`;
}

/** Private notes: colleagues only, never sent to the customer. */
export function Notes({ notes, onAdd, inputRef }) {
  const [text, setText] = useState("");
  const lang = language();
  async function submit(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    await onAdd(value);
    setText("");
  }
  return html`<section class="card notes" aria-labelledby="notes-heading">
    <h2 id="notes-heading">${t("notes.label")}</h2>
    ${notes.length ? html`<ul class="note-list">${notes.map((note) => html`<li key=${note.id ?? note.created_at}>
        <div class="meta"><span class="from">${note.agent}</span> · <time>${clock(note.created_at, lang)}</time></div>
        <p class="text">${note.text}</p></li>`)}</ul>`
      : html`<p class="muted">${t("notes.none")}</p>`}
    <form onSubmit=${submit}>
      <label for="note">${t("notes.field")}</label>
      <textarea id="note" rows="2" ref=${inputRef} value=${text} onInput=${(event) => setText(event.currentTarget.value)}
        aria-describedby="note-hint"></textarea>
      <p id="note-hint" class="hint">${t("notes.hint")}</p>
      <button type="submit">${t("notes.add")}</button>
    </form>
  </section>`;
}

/** Replies the bot suggests for the customer's last message; Insert puts one into the message field. */
export function Suggestions({ items, onInsert, onDismiss }) {
  return html`<section class="card suggestions" aria-labelledby="suggestions-heading">
    <h2 id="suggestions-heading">${t("suggestions.label")}</h2>
    ${items.length ? html`<ul class="suggestion-list">${items.map((item) => html`<li key=${item.id}>
        <p class="text" id=${`suggestion-${item.id}`}>${item.text}</p>
        <div class="meta">${item.source || ""}${typeof item.confidence === "number" ? ` · ${Math.round(item.confidence * 100)} %` : ""}</div>
        <div class="actions">
          <button type="button" onClick=${() => onInsert(item)} aria-describedby=${`suggestion-${item.id}`}>${t("suggestions.insert")}</button>
          <button type="button" onClick=${() => onDismiss(item)}>${t("suggestions.dismiss")}</button>
        </div>
      </li>`)}</ul>` : html`<p class="muted">${t("suggestions.none")}</p>`}
  </section>`;
}

/** The conversation's labels: add one by name, remove one by its button. */
export function Labels({ labels, onChange }) {
  const [text, setText] = useState("");
  async function submit(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    if (!labels.includes(value)) await onChange([...labels, value]);
    setText("");
  }
  return html`<section class="card labels-card" aria-labelledby="labels-heading">
    <h2 id="labels-heading">${t("labels.label")}</h2>
    ${labels.length ? html`<ul class="label-list">${labels.map((label) => html`<li key=${label}>
        <button type="button" class="label" aria-label=${t("labels.remove", { label })}
          onClick=${() => onChange(labels.filter((item) => item !== label))}>${label} <span aria-hidden="true">×</span></button>
      </li>`)}</ul>` : html`<p class="muted">${t("labels.none")}</p>`}
    <form onSubmit=${submit} class="label-form">
      <label for="label">${t("labels.field")}</label>
      <input id="label" maxlength="64" value=${text} onInput=${(event) => setText(event.currentTarget.value)} />
      <button type="submit">${t("labels.add")}</button>
    </form>
  </section>`;
}
