// The console's shell, shared by its pages (the agent's view, the supervisor's view): logging in
// and out, an ended session sending the agent back to the login with a message, the language
// control, and the page header. A page gives `startConsole` its view component.
import { html, render, useState, useEffect, useRef } from "./ui.js";
import { Api } from "./api.js";
import { t, language, setLanguage, onLanguageChange, LANGUAGES } from "./i18n.js";
import { prepareAlerts } from "./alerts.js";

/** Renders the console into `#app`: the login until someone logs in, then `View({api, agent})`. */
export function startConsole(View, { titleKey = "app.title" } = {}) {
  const root = document.getElementById("app");
  root.textContent = ""; // the "Loading…" placeholder
  render(html`<${Shell} View=${View} titleKey=${titleKey} />`, root);
}

function Shell({ View, titleKey }) {
  const [, setCode] = useState(language());
  const [agent, setAgent] = useState(null);
  const [notice, setNotice] = useState(null);
  const apiRef = useRef(null);
  if (!apiRef.current) {
    apiRef.current = new Api({
      onExpired: () => {
        setAgent(null);
        setNotice("login.expired");
      },
    });
  }
  const api = apiRef.current;
  useEffect(() => onLanguageChange(setCode), []);
  useEffect(() => {
    document.title = t(titleKey);
  });

  async function logout() {
    try {
      await api.logout();
    } catch {
      // the session had ended already: either way the agent is out
    }
    setAgent(null);
    setNotice("login.loggedOut");
  }

  if (!agent) {
    return html`<${Login} api=${api} notice=${notice} titleKey=${titleKey}
      onLoggedIn=${(who) => { setNotice(null); setAgent(who); }} />`;
  }
  return html`<${View} api=${api} agent=${agent} logout=${logout} titleKey=${titleKey} />`;
}

export function LanguageSwitch() {
  return html`<label class="language">
    <span>${t("language.label")}</span>
    <select value=${language()} onChange=${(event) => setLanguage(event.currentTarget.value)}>
      ${LANGUAGES.map((item) => html`<option value=${item.code} lang=${item.code}>${item.name}</option>`)}
    </select>
  </label>`;
}

function Login({ api, notice, onLoggedIn, titleKey }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const username = useRef(null);
  useEffect(() => username.current && username.current.focus(), []);

  async function submit(event) {
    event.preventDefault();
    prepareAlerts(); // the click allows notifications and sound from now on
    const form = event.currentTarget;
    setBusy(true);
    setError(null);
    try {
      const who = await api.login(form.elements.username.value.trim(), form.elements.password.value);
      onLoggedIn(who);
    } catch (failure) {
      setError(failure.message);
      setBusy(false);
    }
  }

  return html`<main class="login">
    <header class="login-header"><h1>${t(titleKey)}</h1><${LanguageSwitch} /></header>
    <form class="card login-form" onSubmit=${submit} aria-labelledby="login-heading">
      <h2 id="login-heading">${t("login.heading")}</h2>
      ${notice && html`<p class="notice" role="status">${t(notice)}</p>`}
      <label for="username">${t("login.username")}</label>
      <input id="username" name="username" autocomplete="username" required ref=${username} />
      <label for="password">${t("login.password")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("login.busy") : t("login.submit")}</button>
    </form>
  </main>`;
}

/** The top bar: the page's title, what the page adds (presence, help), language and Log out. */
export function TopBar({ agent, logout, titleKey, children }) {
  return html`<header class="topbar">
    <h1>${t(titleKey)}</h1>
    <div class="topbar-tools">
      ${children}
      <${LanguageSwitch} />
      <span class="who">${agent.display_name || agent.username}</span>
      <button type="button" onClick=${logout}>${t("logout")}</button>
    </div>
  </header>`;
}
