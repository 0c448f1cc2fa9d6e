// The console's shell, shared by its pages (the agent's view, the supervisor's view): logging in
// and out, an ended session sending the agent back to the login with a message, the language
// control, and the page header. A page gives `startConsole` its view component, and may give more
// views (the supervisor's) that the top bar offers to those whose role allows them: switching keeps
// the session. A reload resumes a live session (the HttpOnly cookie, GET /handover/session) instead
// of asking for the password again.
import { html, render, createContext, useState, useEffect, useRef, useContext } from "./ui.js";
import { Api } from "./api.js";
import { t, language, setLanguage, onLanguageChange, LANGUAGES } from "./i18n.js";
import { prepareAlerts } from "./alerts.js";

// The views the top bar may switch between, and which one is shown.
const Views = createContext(null);

/**
 * Renders the console into `#app`: the login until someone logs in, then `View({api, agent})`.
 * `views`: more views, `{name, labelKey, titleKey, View, allows(agent)}`; /console/<name> opens one.
 */
export function startConsole(View, { titleKey = "app.title", labelKey = "view.main", views = [] } = {}) {
  const root = document.getElementById("app");
  root.textContent = ""; // the "Loading…" placeholder
  render(html`<${Shell} View=${View} titleKey=${titleKey} labelKey=${labelKey} views=${views} />`, root);
}

function viewInAddress(views) {
  const last = location.pathname.replace(/\/+$/, "").split("/").pop();
  const found = views.find((view) => view.name === last);
  return found ? found.name : null;
}

function Shell({ View, titleKey, labelKey, views }) {
  const [, setCode] = useState(language());
  const [agent, setAgent] = useState(null);
  const [notice, setNotice] = useState(null);
  const [resuming, setResuming] = useState(true);
  const [active, setActive] = useState(() => viewInAddress(views));
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
  const allowed = agent ? views.filter((view) => view.allows(agent)) : [];
  const current = allowed.find((view) => view.name === active) || null;
  const shownTitle = current ? current.titleKey : titleKey;
  useEffect(() => onLanguageChange(setCode), []);
  useEffect(() => {
    document.title = t(shownTitle);
  });
  useEffect(() => {
    let current = true;
    api.resume()
      .then((who) => { if (current && who) setAgent(who); })
      .catch(() => {}) // the server is away: the login form says so when the agent tries
      .finally(() => { if (current) setResuming(false); });
    return () => { current = false; };
  }, []);

  function choose(name) {
    setActive(name);
    const base = location.pathname.replace(/\/+$/, "").replace(new RegExp(`/(${views.map((v) => v.name).join("|")})$`), "");
    history.replaceState(null, "", name ? `${base}/${name}` : base); // a reload opens the same view
  }

  async function logout() {
    try {
      await api.logout();
    } catch {
      // the session had ended already: either way the agent is out
    }
    setAgent(null);
    setNotice("login.loggedOut");
  }

  if (!agent && resuming) {
    return html`<main class="login"><p role="status">${t("login.resuming")}</p></main>`;
  }
  if (!agent) {
    return html`<${Login} api=${api} notice=${notice} titleKey=${titleKey}
      onLoggedIn=${(who) => { setNotice(null); setAgent(who); }} />`;
  }
  const Shown = current ? current.View : View;
  const switcher = allowed.length ? {
    choose, active: current ? current.name : null,
    views: [{ name: null, labelKey }, ...allowed.map(({ name, labelKey: key }) => ({ name, labelKey: key }))],
  } : null;
  return html`<${Views.Provider} value=${switcher}>
    <${Shown} key=${current ? current.name : ""} api=${api} agent=${agent} logout=${logout} titleKey=${shownTitle} />
  <//>`;
}

/** Buttons for the views this person may open (none when there is only one). */
function ViewSwitch() {
  const switcher = useContext(Views);
  if (!switcher) return null;
  return html`<div class="views" role="group" aria-label=${t("view.label")}>
    ${switcher.views.map((view) => html`<button type="button" aria-pressed=${switcher.active === view.name ? "true" : "false"}
        onClick=${() => switcher.choose(view.name)}>${t(view.labelKey)}</button>`)}
  </div>`;
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
      <${ViewSwitch} />
      ${children}
      <${LanguageSwitch} />
      <span class="who">${agent.display_name || agent.username}</span>
      <button type="button" onClick=${logout}>${t("logout")}</button>
    </div>
  </header>`;
}
