// The transfer dialog, the shortcuts' help dialog and the keyboard shortcuts themselves.
import { html, useState, useEffect, useRef } from "./ui.js";
import { t } from "./i18n.js";

// Alt plus a letter works while typing in a field too; `?` opens the help outside text fields.
export const SHORTCUTS = [
  { keys: "Alt+A", code: "KeyA", action: "accept" },
  { keys: "Alt+J / Alt+↓", code: "KeyJ", alt: "ArrowDown", action: "next" },
  { keys: "Alt+K / Alt+↑", code: "KeyK", alt: "ArrowUp", action: "previous" },
  { keys: "Alt+M", code: "KeyM", action: "message" },
  { keys: "Alt+N", code: "KeyN", action: "note" },
  { keys: "Alt+T", code: "KeyT", action: "transfer" },
  { keys: "Alt+B", code: "KeyB", action: "handback" },
  { keys: "Alt+R", code: "KeyR", action: "resolve" },
  { keys: "? / Alt+H", code: "KeyH", action: "help" },
];
const TYPING_ONLY = [
  { keys: "Enter", action: "send" },
  { keys: "/", action: "canned" },
];

function typing(target) {
  return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/** Installs the shortcuts while the view is mounted; `handlers` holds one function per action. */
export function useShortcuts(handlers) {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    function keydown(event) {
      if (document.querySelector("dialog[open]")) return;
      const run = (action) => {
        event.preventDefault();
        const handler = current.current[action === "previous" ? "next" : action];
        if (handler) handler(action === "previous" ? -1 : 1);
      };
      if (event.key === "?" && !typing(event.target) && !event.altKey && !event.ctrlKey && !event.metaKey) {
        run("help");
        return;
      }
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const found = SHORTCUTS.find((item) => item.code === event.code || (item.alt && item.alt === event.key));
      if (found) run(found.action);
    }
    document.addEventListener("keydown", keydown);
    return () => document.removeEventListener("keydown", keydown);
  }, []);
}

/** A modal <dialog>: opened on mount, Escape or Cancel calls `onClose`. */
function Modal({ labelledBy, onClose, children, className = "" }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const cancel = (event) => {
      event.preventDefault();
      onClose();
    };
    dialog.addEventListener("cancel", cancel);
    return () => dialog.removeEventListener("cancel", cancel);
  }, []);
  return html`<dialog ref=${ref} class=${`modal ${className}`} aria-labelledby=${labelledBy}>${children}</dialog>`;
}

export function HelpDialog({ onClose }) {
  const rows = [...SHORTCUTS, ...TYPING_ONLY];
  return html`<${Modal} labelledBy="help-heading" onClose=${onClose}>
    <h2 id="help-heading">${t("help.title")}</h2>
    <table class="shortcuts">
      <tbody>${rows.map((row) => html`<tr><th scope="row">${row.keys.split(" / ").map((keys, index) => html`${index ? " / " : ""}<kbd>${keys}</kbd>`)}</th><td>${t(`shortcut.${row.action}`)}</td></tr>`)}</tbody>
    </table>
    <button type="button" class="primary" onClick=${onClose}>${t("help.close")}</button>
  <//>`;
}

export function TransferDialog({ api, onTransfer, onClose }) {
  const [kind, setKind] = useState("agent");
  const [teams, setTeams] = useState([]);
  const [agents, setAgents] = useState([]);
  useEffect(() => {
    api.get("/handover/teams").then(setTeams, () => setTeams([]));
    // Only supervisors may list agents; agents type the colleague's username.
    api.get("/handover/agents").then(setAgents, () => setAgents([]));
  }, []);

  function submit(event) {
    event.preventDefault();
    const form = event.currentTarget.elements;
    const target = kind === "agent" ? { agent: form.to_agent.value.trim() } : { team: form.to_team.value };
    if (!target.agent && !target.team) return;
    onTransfer(target, form.transfer_note.value.trim());
  }

  return html`<${Modal} labelledBy="transfer-heading" onClose=${onClose}>
    <form onSubmit=${submit} class="transfer">
      <h2 id="transfer-heading">${t("transferDialog.title")}</h2>
      <fieldset>
        <legend>${t("transferDialog.to")}</legend>
        <label class="inline"><input type="radio" name="kind" value="agent" checked=${kind === "agent"} onChange=${() => setKind("agent")} /> ${t("transferDialog.agent")}</label>
        <label class="inline"><input type="radio" name="kind" value="team" checked=${kind === "team"} onChange=${() => setKind("team")} /> ${t("transferDialog.team")}</label>
      </fieldset>
      ${kind === "agent" ? html`
        <label for="to-agent">${t("transferDialog.agentField")}</label>
        <input id="to-agent" name="to_agent" list="agent-names" required autocomplete="off" />
        <datalist id="agent-names">${agents.map((item) => html`<option value=${item.username}>${item.display_name}</option>`)}</datalist>`
      : html`
        <label for="to-team">${t("transferDialog.teamField")}</label>
        <select id="to-team" name="to_team" required>${teams.map((team) => html`<option value=${team.name}>${team.display_name || team.name}</option>`)}</select>`}
      <label for="transfer-note">${t("transferDialog.note")}</label>
      <textarea id="transfer-note" name="transfer_note" rows="3"></textarea>
      <div class="actions">
        <button type="submit" class="primary">${t("transferDialog.submit")}</button>
        <button type="button" onClick=${onClose}>${t("transferDialog.cancel")}</button>
      </div>
    </form>
  <//>`;
}
