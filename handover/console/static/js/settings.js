// The supervisor's forms: a team (languages, skills, SLA policy), its business hours, canned
// replies and SLA policies. Each form sends what handover.yml would say to the /handover/ API,
// which checks it and answers a refusal with what to change; that message is shown as given.
import { html, useState } from "./ui.js";
import { t } from "./i18n.js";
import { WEEKDAYS } from "./supervisor-texts.js";
import { MembersForm } from "./people.js";

const DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** The API's refusal as one sentence: its message, and what to do when it says so. */
export function describe(failure) {
  const detail = failure && failure.detail;
  const hint = typeof detail === "string" ? ` ${detail}` : "";
  return `${(failure && failure.message) || String(failure)}${hint}`;
}

function list(text) {
  return text.split(",").map((item) => item.trim()).filter(Boolean);
}

function isAdmin(agent) {
  return agent.role === "admin";
}

// -- teams ------------------------------------------------------------------------------------------

export function TeamsPanel({ api, agent, settings, done, fail }) {
  const { teams, policies } = settings;
  const [picked, setPicked] = useState(null);
  const team = teams.find((item) => item.name === picked) || teams[0] || null;

  async function create(event) {
    event.preventDefault();
    const name = event.currentTarget.elements.name.value.trim();
    try {
      await api.put(`/handover/teams/${encodeURIComponent(name)}`, {});
      setPicked(name);
      await done(t("sup.team.saved", { team: name }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<section class="sup-settings" aria-label=${t("sup.tab.teams")}>
    ${teams.length ? html`<label class="picker-label" for="team-pick">${t("sup.team.pick")}</label>
      <select id="team-pick" value=${team ? team.name : ""} onChange=${(event) => setPicked(event.currentTarget.value)}>
        ${teams.map((item) => html`<option value=${item.name}>${item.display_name || item.name}</option>`)}
      </select>` : html`<p class="muted">${t("sup.team.none")}</p>`}
    ${team && html`<${TeamForm} key=${`${team.name}:${JSON.stringify(team)}`} api=${api} agent=${agent} team=${team}
        policies=${policies} done=${done} fail=${fail} onDeleted=${() => setPicked(null)} />`}
    ${team && html`<${MembersForm} api=${api} team=${team} agents=${settings.agents || []} done=${done} fail=${fail} />`}
    ${team && html`<${HoursForm} key=${`hours:${team.name}:${JSON.stringify(team.business_hours)}`} api=${api}
        team=${team} done=${done} fail=${fail} />`}
    ${isAdmin(agent) && html`<form class="card" onSubmit=${create} aria-labelledby="new-team">
      <h2 id="new-team">${t("sup.team.new")}</h2>
      <label for="new-team-name">${t("sup.team.newName")}</label>
      <input id="new-team-name" name="name" required />
      <button type="submit">${t("sup.team.create")}</button>
    </form>`}
  </section>`;
}

function TeamForm({ api, agent, team, policies, done, fail, onDeleted }) {
  const path = `/handover/teams/${encodeURIComponent(team.name)}`;

  async function save(event) {
    event.preventDefault();
    const form = event.currentTarget.elements;
    const body = {
      display_name: form.display_name.value.trim() || null,
      languages: list(form.languages.value),
      skills: list(form.skills.value),
      sla_policy: form.sla_policy.value || null,
    };
    try {
      await api.put(path, body);
      await done(t("sup.team.saved", { team: team.name }));
    } catch (failure) {
      fail(failure);
    }
  }

  async function remove() {
    try {
      await api.request("DELETE", path);
      onDeleted();
      await done(t("sup.team.deleted", { team: team.name }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<form class="card" onSubmit=${save} aria-labelledby="team-heading">
    <h2 id="team-heading">${t("sup.team.settings", { team: team.name })}</h2>
    <label for="team-display">${t("sup.team.displayName")}</label>
    <input id="team-display" name="display_name" defaultValue=${team.display_name === team.name ? "" : team.display_name} />
    <label for="team-languages">${t("sup.team.languages")}</label>
    <input id="team-languages" name="languages" defaultValue=${(team.languages || []).join(", ")} />
    <label for="team-skills">${t("sup.team.skills")}</label>
    <input id="team-skills" name="skills" defaultValue=${(team.skills || []).join(", ")} />
    <label for="team-sla">${t("sup.team.sla")}</label>
    <select id="team-sla" name="sla_policy" value=${team.sla_policy || ""}>
      <option value="">${t("sup.team.slaNone")}</option>
      ${policies.map((policy) => html`<option value=${policy.name}>${policy.name}</option>`)}
    </select>
    <div class="actions">
      <button type="submit" class="primary">${t("sup.team.save")}</button>
      ${isAdmin(agent) && html`<button type="button" onClick=${remove}>${t("sup.team.delete")}</button>`}
    </div>
  </form>`;
}

// -- business hours -----------------------------------------------------------------------------------

/** The stored weekly hours ("mon-fri", "monday", 0..6 as keys) as one text per weekday code. */
function weeklyTexts(weekly) {
  const texts = Object.fromEntries(WEEKDAYS.map((code) => [code, ""]));
  for (const [key, value] of Object.entries(weekly || {})) {
    const [first, last] = String(key).toLowerCase().split("-");
    const index = (name) => {
      if (/^\d$/.test(name)) return Number(name);
      const short = WEEKDAYS.indexOf(name);
      return short >= 0 ? short : DAY_NAMES.indexOf(name);
    };
    const from = index(first);
    const to = last === undefined ? from : index(last);
    const ranges = value == null || value === "closed" ? [] : Array.isArray(value) ? value : [value];
    for (let day = from; day >= 0 && day <= to; day += 1) texts[WEEKDAYS[day]] = ranges.join(", ");
  }
  return texts;
}

function specialText(special) {
  return Object.entries(special || {}).map(([day, value]) => {
    const ranges = value == null || value === "closed" || (Array.isArray(value) && !value.length)
      ? "closed" : (Array.isArray(value) ? value : [value]).join(", ");
    return `${day}: ${ranges}`;
  }).join("\n");
}

function HoursForm({ api, team, done, fail }) {
  const hours = team.business_hours || null;
  const [always, setAlways] = useState(!hours);
  const [problem, setProblem] = useState(null);
  const days = weeklyTexts(hours && hours.weekly);

  async function save(event) {
    event.preventDefault();
    setProblem(null);
    const form = event.currentTarget.elements;
    let body = {};
    if (!always) {
      const weekly = {};
      for (const code of WEEKDAYS) {
        const ranges = list(form[`day-${code}`].value);
        if (ranges.length) weekly[code] = ranges;
      }
      const special = {};
      const lines = form.special.value.split("\n").map((line) => line.trim());
      for (const [index, line] of lines.entries()) {
        if (!line) continue;
        const match = /^(\d{4}-\d{1,2}-\d{1,2})\s*:\s*(.+)$/.exec(line);
        if (!match) {
          setProblem(t("sup.hours.badLine", { line: index + 1 }));
          return;
        }
        special[match[1]] = match[2].trim().toLowerCase() === "closed" ? "closed" : list(match[2]);
      }
      body = {
        timezone: form.timezone.value.trim(),
        weekly,
        holidays: form.holidays.value.split(/[\s,]+/).filter(Boolean),
        special_days: special,
      };
    }
    try {
      await api.put(`/handover/teams/${encodeURIComponent(team.name)}/hours`, body);
      await done(t("sup.hours.saved", { team: team.name }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<form class="card hours" onSubmit=${save} aria-labelledby="hours-heading">
    <h2 id="hours-heading">${t("sup.hours", { team: team.name })}</h2>
    <label class="inline"><input type="checkbox" name="always" checked=${always}
      onChange=${(event) => setAlways(event.currentTarget.checked)} /> ${t("sup.hours.always")}</label>
    <fieldset disabled=${always}>
      <label for="hours-zone">${t("sup.hours.zone")}</label>
      <input id="hours-zone" name="timezone" defaultValue=${(hours && hours.timezone) || "Europe/Berlin"} />
      <div class="days">
        ${WEEKDAYS.map((code) => html`<div key=${code}>
          <label for=${`day-${code}`}>${t("sup.hours.day", { day: t(`sup.day.${code}`) })}</label>
          <input id=${`day-${code}`} name=${`day-${code}`} defaultValue=${days[code]} />
        </div>`)}
      </div>
      <label for="hours-holidays">${t("sup.hours.holidays")}</label>
      <textarea id="hours-holidays" name="holidays" rows="3" defaultValue=${((hours && hours.holidays) || []).join("\n")}></textarea>
      <label for="hours-special">${t("sup.hours.special")}</label>
      <textarea id="hours-special" name="special" rows="3" defaultValue=${specialText(hours && hours.special_days)}></textarea>
    </fieldset>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <button type="submit" class="primary">${t("sup.hours.save")}</button>
  </form>`;
}

// -- canned replies -----------------------------------------------------------------------------------

function replyBody(form) {
  return {
    shortcut: form.shortcut.value.trim(),
    text: form.text.value,
    language: form.language.value.trim() || null,
    team: form.team.value.trim() || null,
  };
}

function ReplyFields({ prefix, reply }) {
  return html`
    <label for=${`${prefix}-shortcut`}>${t("sup.canned.shortcut")}</label>
    <input id=${`${prefix}-shortcut`} name="shortcut" required defaultValue=${reply ? reply.shortcut : ""} />
    <label for=${`${prefix}-text`}>${t("sup.canned.text", { slot: "{slot}" })}</label>
    <textarea id=${`${prefix}-text`} name="text" rows="2" required defaultValue=${reply ? reply.text : ""}></textarea>
    <label for=${`${prefix}-language`}>${t("sup.canned.language")}</label>
    <input id=${`${prefix}-language`} name="language" defaultValue=${(reply && reply.language) || ""} />
    <label for=${`${prefix}-team`}>${t("sup.canned.team")}</label>
    <input id=${`${prefix}-team`} name="team" defaultValue=${(reply && reply.team) || ""} />`;
}

export function CannedPanel({ api, settings, done, fail }) {
  async function add(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const body = replyBody(form.elements);
    try {
      await api.post("/handover/canned-replies", body);
      form.reset();
      await done(t("sup.canned.added", { shortcut: body.shortcut }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<section class="sup-settings" aria-label=${t("sup.tab.canned")}>
    ${settings.replies.length ? settings.replies.map((reply) => html`<${ReplyForm}
        key=${`${reply.id}:${JSON.stringify(reply)}`} api=${api} reply=${reply} done=${done} fail=${fail} />`)
      : html`<p class="muted">${t("sup.canned.none")}</p>`}
    <form class="card" onSubmit=${add} aria-labelledby="new-reply">
      <h2 id="new-reply">${t("sup.canned.new")}</h2>
      <${ReplyFields} prefix="new-reply" reply=${null} />
      <button type="submit" class="primary">${t("sup.canned.add")}</button>
    </form>
  </section>`;
}

function ReplyForm({ api, reply, done, fail }) {
  const path = `/handover/canned-replies/${reply.id}`;
  const legend = t("sup.canned.legend", {
    shortcut: reply.shortcut, language: reply.language || t("sup.canned.anyLanguage"),
    team: reply.team || t("sup.canned.anyTeam"),
  });

  async function save(event) {
    event.preventDefault();
    const body = replyBody(event.currentTarget.elements);
    try {
      await api.put(path, body);
      await done(t("sup.canned.saved", { shortcut: body.shortcut }));
    } catch (failure) {
      fail(failure);
    }
  }

  async function remove() {
    try {
      await api.request("DELETE", path);
      await done(t("sup.canned.deleted", { shortcut: reply.shortcut }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<form class="card reply" onSubmit=${save}>
    <fieldset>
      <legend>${legend}</legend>
      <${ReplyFields} prefix=${`reply-${reply.id}`} reply=${reply} />
      <div class="actions">
        <button type="submit" class="primary">${t("sup.canned.save")}</button>
        <button type="button" onClick=${remove}>${t("sup.canned.delete")}</button>
      </div>
    </fieldset>
  </form>`;
}

// -- SLA policies ---------------------------------------------------------------------------------------

export function SlaPanel({ api, agent, settings, done, fail }) {
  const admin = isAdmin(agent);

  async function create(event) {
    event.preventDefault();
    const name = event.currentTarget.elements.name.value.trim();
    try {
      await api.put(`/handover/sla-policies/${encodeURIComponent(name)}`, { first_response_seconds: 60, target_ratio: 0.8 });
      await done(t("sup.sla.saved", { name }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<section class="sup-settings" aria-label=${t("sup.tab.sla")}>
    ${!admin && html`<p class="muted">${t("sup.sla.adminsOnly")}</p>`}
    ${settings.policies.map((policy) => html`<${PolicyForm} key=${JSON.stringify(policy)} api=${api}
        policy=${policy} admin=${admin} done=${done} fail=${fail} />`)}
    ${admin && html`<form class="card" onSubmit=${create} aria-labelledby="new-policy">
      <h2 id="new-policy">${t("sup.sla.create")}</h2>
      <label for="new-policy-name">${t("sup.sla.newName")}</label>
      <input id="new-policy-name" name="name" required />
      <button type="submit">${t("sup.sla.create")}</button>
    </form>`}
  </section>`;
}

function number(value) {
  const text = value.trim();
  return text === "" ? null : Number(text);
}

function PolicyForm({ api, policy, admin, done, fail }) {
  const prefix = `policy-${policy.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;

  async function save(event) {
    event.preventDefault();
    const form = event.currentTarget.elements;
    const body = {
      first_response_seconds: number(form.first.value), next_response_seconds: number(form.next.value),
      resolution_seconds: number(form.resolution.value), target_ratio: number(form.target.value),
      pause_outside_hours: form.pause.checked, warn_ratio: policy.warn_ratio, red_ratio: policy.red_ratio,
    };
    try {
      await api.put(`/handover/sla-policies/${encodeURIComponent(policy.name)}`, body);
      await done(t("sup.sla.saved", { name: policy.name }));
    } catch (failure) {
      fail(failure);
    }
  }

  const field = (name, key, label) => html`<label for=${`${prefix}-${name}`}>${t(label)}</label>
    <input id=${`${prefix}-${name}`} name=${name} inputmode="decimal" defaultValue=${policy[key] ?? ""} />`;
  return html`<form class="card policy" onSubmit=${save}>
    <fieldset disabled=${!admin}>
      <legend>${t("sup.sla.policy", { name: policy.name })}</legend>
      ${field("first", "first_response_seconds", "sup.sla.first")}
      ${field("next", "next_response_seconds", "sup.sla.next")}
      ${field("resolution", "resolution_seconds", "sup.sla.resolution")}
      ${field("target", "target_ratio", "sup.sla.target")}
      <label class="inline"><input type="checkbox" name="pause" defaultChecked=${policy.pause_outside_hours} /> ${t("sup.sla.pause")}</label>
      ${admin && html`<div class="actions"><button type="submit" class="primary">${t("sup.sla.save")}</button></div>`}
    </fieldset>
  </form>`;
}
