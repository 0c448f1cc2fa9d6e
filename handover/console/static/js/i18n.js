// The console's texts in English and German. The language follows the browser (navigator.language)
// until the agent picks one with the language control; the choice is kept in this browser.

const STRINGS = {
  en: {
    "app.title": "Agent console",
    "language.label": "Language",
    "login.heading": "Log in to the agent console",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.busy": "Logging in…",
    "login.expired": "Your session has ended. Please log in again.",
    "login.loggedOut": "You are logged out.",
    "login.resuming": "Checking your session…",
    "logout": "Log out",
    "presence.label": "Your status",
    "presence.online": "Online",
    "presence.away": "Away",
    "presence.offline": "Offline",
    "feed.connecting": "Connecting…",
    "feed.live": "Live",
    "feed.offline": "Reconnecting…",
    "help.open": "Keyboard shortcuts",
    "help.title": "Keyboard shortcuts",
    "help.close": "Close",
    "list.label": "Conversations",
    "list.offered": "Offered to you",
    "list.mine": "Your conversations",
    "list.queued": "Waiting in your queues",
    "list.empty": "None",
    "list.unread": "{count} unread",
    "state.queued": "waiting",
    "state.offered": "offered",
    "state.assigned": "with {agent}",
    "state.bot": "with the bot",
    "state.resolved": "resolved",
    "none.selected": "Pick a conversation from the list.",
    "accept": "Accept",
    "transfer": "Transfer",
    "handback": "Hand back to bot",
    "resolve": "Resolve",
    "transcript.label": "Transcript",
    "from.customer": "Customer",
    "from.bot": "Bot",
    "from.agent": "Agent",
    "from.system": "Event",
    "delivery.sending": "Sending…",
    "delivery.sent": "Sent",
    "delivery.read": "Read",
    "delivery.notDelivered": "Not delivered",
    "delivery.failed": "Not sent: {message}",
    "composer.message": "Message",
    "composer.hint": "Enter sends, Shift+Enter starts a new line, / picks a canned reply.",
    "composer.send": "Send",
    "composer.notYours": "Accept the conversation to reply.",
    "canned.label": "Canned replies",
    "canned.none": "No canned reply matches.",
    "canned.missing": "not filled: {names}",
    "suggestions.label": "Suggested replies",
    "suggestions.insert": "Insert",
    "suggestions.dismiss": "Dismiss",
    "suggestions.none": "No suggestions for the last message.",
    "notes.label": "Private notes",
    "notes.field": "Private note",
    "notes.hint": "Only colleagues see notes; they never reach the customer.",
    "notes.add": "Add note",
    "notes.none": "No notes yet.",
    "labels.label": "Labels",
    "labels.field": "New label",
    "labels.add": "Add label",
    "labels.remove": "Remove label {label}",
    "labels.none": "No labels.",
    "packet.label": "Handover",
    "side.label": "Conversation details",
    "packet.reason": "Reason",
    "packet.priority": "Priority",
    "packet.team": "Team",
    "packet.skill": "Skill",
    "packet.channel": "Channel",
    "packet.language": "Language",
    "packet.customer": "Customer",
    "packet.queuedAt": "Waiting since",
    "packet.intents": "Intents per message",
    "packet.entities": "Entities",
    "packet.slots": "Slots",
    "packet.previous": "Previous conversations",
    "packet.noPrevious": "None",
    "packet.none": "—",
    "sla.label": "First response",
    "sla.left": "{time} left",
    "sla.over": "{time} over",
    "sla.answered": "answered",
    "sla.state.ok": "on time",
    "sla.state.amber": "amber",
    "sla.state.red": "red",
    "sla.state.breached": "breached",
    "window.label": "Reply window",
    "window.open": "open until {time}",
    "window.closed": "closed since {time}",
    "window.none": "no limit on this channel",
    "transferDialog.title": "Transfer the conversation",
    "transferDialog.to": "Transfer to",
    "transferDialog.agent": "An agent",
    "transferDialog.team": "A team",
    "transferDialog.agentField": "Agent (username)",
    "transferDialog.teamField": "Team",
    "transferDialog.note": "Note for the colleague",
    "transferDialog.submit": "Transfer",
    "transferDialog.cancel": "Cancel",
    "offer.notification": "A conversation is offered to you",
    "offer.body": "{customer}: {reason}",
    "done.handback": "Handed back to the bot.",
    "done.resolved": "Resolved.",
    "done.transferred": "Transferred.",
    "shortcut.accept": "Accept the selected or the oldest offered conversation",
    "shortcut.next": "Next conversation",
    "shortcut.previous": "Previous conversation",
    "shortcut.message": "Write a message",
    "shortcut.note": "Write a private note",
    "shortcut.transfer": "Transfer",
    "shortcut.handback": "Hand back to bot",
    "shortcut.resolve": "Resolve",
    "shortcut.help": "Show these shortcuts",
    "shortcut.send": "Send the message",
    "shortcut.canned": "Pick a canned reply (at the start of the message)",
  },
  de: {
    "app.title": "Agenten-Konsole",
    "language.label": "Sprache",
    "login.heading": "Bei der Agenten-Konsole anmelden",
    "login.username": "Benutzername",
    "login.password": "Passwort",
    "login.submit": "Anmelden",
    "login.busy": "Anmeldung läuft…",
    "login.expired": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    "login.loggedOut": "Sie sind abgemeldet.",
    "login.resuming": "Sitzung wird geprüft…",
    "logout": "Abmelden",
    "presence.label": "Ihr Status",
    "presence.online": "Online",
    "presence.away": "Abwesend",
    "presence.offline": "Offline",
    "feed.connecting": "Verbinde…",
    "feed.live": "Live",
    "feed.offline": "Verbindung wird wiederhergestellt…",
    "help.open": "Tastenkürzel",
    "help.title": "Tastenkürzel",
    "help.close": "Schließen",
    "list.label": "Gespräche",
    "list.offered": "Ihnen angeboten",
    "list.mine": "Ihre Gespräche",
    "list.queued": "Wartend in Ihren Warteschlangen",
    "list.empty": "Keine",
    "list.unread": "{count} ungelesen",
    "state.queued": "wartet",
    "state.offered": "angeboten",
    "state.assigned": "bei {agent}",
    "state.bot": "beim Bot",
    "state.resolved": "erledigt",
    "none.selected": "Wählen Sie ein Gespräch aus der Liste.",
    "accept": "Annehmen",
    "transfer": "Weiterleiten",
    "handback": "An den Bot zurückgeben",
    "resolve": "Erledigen",
    "transcript.label": "Verlauf",
    "from.customer": "Kunde",
    "from.bot": "Bot",
    "from.agent": "Agent",
    "from.system": "Ereignis",
    "delivery.sending": "Wird gesendet…",
    "delivery.sent": "Gesendet",
    "delivery.read": "Gelesen",
    "delivery.notDelivered": "Nicht zugestellt",
    "delivery.failed": "Nicht gesendet: {message}",
    "composer.message": "Nachricht",
    "composer.hint": "Enter sendet, Umschalt+Enter beginnt eine neue Zeile, / wählt eine Textvorlage.",
    "composer.send": "Senden",
    "composer.notYours": "Nehmen Sie das Gespräch an, um zu antworten.",
    "canned.label": "Textvorlagen",
    "canned.none": "Keine Textvorlage passt.",
    "canned.missing": "nicht ausgefüllt: {names}",
    "suggestions.label": "Antwortvorschläge",
    "suggestions.insert": "Einfügen",
    "suggestions.dismiss": "Verwerfen",
    "suggestions.none": "Keine Vorschläge zur letzten Nachricht.",
    "notes.label": "Interne Notizen",
    "notes.field": "Interne Notiz",
    "notes.hint": "Nur Kolleginnen und Kollegen sehen Notizen; sie erreichen nie den Kunden.",
    "notes.add": "Notiz hinzufügen",
    "notes.none": "Noch keine Notizen.",
    "labels.label": "Labels",
    "labels.field": "Neues Label",
    "labels.add": "Label hinzufügen",
    "labels.remove": "Label {label} entfernen",
    "labels.none": "Keine Labels.",
    "packet.label": "Übergabe",
    "side.label": "Gesprächsdetails",
    "packet.reason": "Grund",
    "packet.priority": "Priorität",
    "packet.team": "Team",
    "packet.skill": "Fähigkeit",
    "packet.channel": "Kanal",
    "packet.language": "Sprache",
    "packet.customer": "Kunde",
    "packet.queuedAt": "Wartet seit",
    "packet.intents": "Absichten je Nachricht",
    "packet.entities": "Entitäten",
    "packet.slots": "Slots",
    "packet.previous": "Frühere Gespräche",
    "packet.noPrevious": "Keine",
    "packet.none": "—",
    "sla.label": "Erste Antwort",
    "sla.left": "noch {time}",
    "sla.over": "{time} überzogen",
    "sla.answered": "beantwortet",
    "sla.state.ok": "im Plan",
    "sla.state.amber": "gelb",
    "sla.state.red": "rot",
    "sla.state.breached": "verletzt",
    "window.label": "Antwortfenster",
    "window.open": "offen bis {time}",
    "window.closed": "geschlossen seit {time}",
    "window.none": "keine Begrenzung in diesem Kanal",
    "transferDialog.title": "Gespräch weiterleiten",
    "transferDialog.to": "Weiterleiten an",
    "transferDialog.agent": "Einen Agenten",
    "transferDialog.team": "Ein Team",
    "transferDialog.agentField": "Agent (Benutzername)",
    "transferDialog.teamField": "Team",
    "transferDialog.note": "Notiz für die Kollegin oder den Kollegen",
    "transferDialog.submit": "Weiterleiten",
    "transferDialog.cancel": "Abbrechen",
    "offer.notification": "Ihnen wird ein Gespräch angeboten",
    "offer.body": "{customer}: {reason}",
    "done.handback": "An den Bot zurückgegeben.",
    "done.resolved": "Erledigt.",
    "done.transferred": "Weitergeleitet.",
    "shortcut.accept": "Das gewählte oder das älteste angebotene Gespräch annehmen",
    "shortcut.next": "Nächstes Gespräch",
    "shortcut.previous": "Vorheriges Gespräch",
    "shortcut.message": "Nachricht schreiben",
    "shortcut.note": "Interne Notiz schreiben",
    "shortcut.transfer": "Weiterleiten",
    "shortcut.handback": "An den Bot zurückgeben",
    "shortcut.resolve": "Erledigen",
    "shortcut.help": "Diese Tastenkürzel zeigen",
    "shortcut.send": "Nachricht senden",
    "shortcut.canned": "Textvorlage wählen (am Anfang der Nachricht)",
  },
};

export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "de", name: "Deutsch" },
];

const STORAGE_KEY = "console.language";
const listeners = new Set();

function initial() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  if (stored && STRINGS[stored]) return stored;
  const preferred = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
  for (const tag of preferred) {
    const code = String(tag || "").slice(0, 2).toLowerCase();
    if (STRINGS[code]) return code;
  }
  return "en";
}

let current = initial();
document.documentElement.lang = current;

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!STRINGS[code] || code === current) return;
  current = code;
  document.documentElement.lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // private mode: the choice lasts for this page only
  }
  for (const listener of listeners) listener(code);
}

/** Calls `listener(code)` when the language changes; returns the unsubscribe function. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The text for `key` in the current language, with `{name}` replaced from `params`. */
export function t(key, params = {}) {
  const table = STRINGS[current] || STRINGS.en;
  const text = table[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Adds texts for another page (e.g. the supervisor's view): `{en: {...}, de: {...}}`. */
export function extend(tables) {
  for (const [code, entries] of Object.entries(tables)) Object.assign(STRINGS[code] || (STRINGS[code] = {}), entries);
}
