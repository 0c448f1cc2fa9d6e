// Who works where, for supervisors: a team's members, added and removed one agent at a time
// (PUT / DELETE /handover/teams/{team}/members/{username}, so two supervisors at work on the same
// team do not undo each other), and the skills and languages routing matches an agent by
// (PATCH /handover/agents/{username}). The server checks roles and values; a refusal is shown as given.
import { html, useState } from "./ui.js";
import { t, extend } from "./i18n.js";

extend({
  en: {
    "sup.tab.agents": "Agents and skills",
    "sup.members": "Members of {team}",
    "sup.members.none": "Nobody is in this team yet.",
    "sup.members.remove": "Remove",
    "sup.members.removeLabel": "Remove {agent} from {team}",
    "sup.members.pick": "Agent to add to {team}",
    "sup.members.add": "Add to team",
    "sup.members.nobodyLeft": "Every agent is in this team.",
    "sup.members.added": "{agent} is now in {team}.",
    "sup.members.removed": "{agent} is no longer in {team}.",
    "sup.person.pick": "Agent",
    "sup.person.heading": "{agent}: skills and languages",
    "sup.person.teams": "Teams",
    "sup.person.noTeams": "no team (edit members under Teams and hours)",
    "sup.person.skills": "Skills of {agent} (comma-separated)",
    "sup.person.languages": "Languages of {agent} (comma-separated, e.g. de, en)",
    "sup.person.save": "Save agent",
    "sup.person.saved": "{agent} saved.",
  },
  de: {
    "sup.tab.agents": "Agenten und Fähigkeiten",
    "sup.members": "Mitglieder von {team}",
    "sup.members.none": "Noch niemand ist in diesem Team.",
    "sup.members.remove": "Entfernen",
    "sup.members.removeLabel": "Entfernen: {agent} aus {team}",
    "sup.members.pick": "Agent, der zu {team} kommt",
    "sup.members.add": "Zum Team hinzufügen",
    "sup.members.nobodyLeft": "Alle Agenten sind in diesem Team.",
    "sup.members.added": "{agent} ist jetzt in {team}.",
    "sup.members.removed": "{agent} ist nicht mehr in {team}.",
    "sup.person.pick": "Agent",
    "sup.person.heading": "{agent}: Fähigkeiten und Sprachen",
    "sup.person.teams": "Teams",
    "sup.person.noTeams": "kein Team (Mitglieder unter Teams und Geschäftszeiten)",
    "sup.person.skills": "Fähigkeiten von {agent} (durch Komma getrennt)",
    "sup.person.languages": "Sprachen von {agent} (durch Komma getrennt, z. B. de, en)",
    "sup.person.save": "Agent speichern",
    "sup.person.saved": "{agent} gespeichert.",
  },
});

function who(person) {
  return person.display_name || person.username;
}

function list(text) {
  return text.split(",").map((item) => item.trim()).filter(Boolean);
}

/** A team's members, each with a Remove button, and a picker to add one more. */
export function MembersForm({ api, team, agents, done, fail }) {
  const inTeam = (person) => (person.teams || []).includes(team.name);
  const members = agents.filter(inTeam);
  const others = agents.filter((person) => !inTeam(person));
  const path = (person) => `/handover/teams/${encodeURIComponent(team.name)}/members/${encodeURIComponent(person.username)}`;

  async function add(event) {
    event.preventDefault();
    const person = others.find((item) => item.username === event.currentTarget.elements.agent.value);
    if (!person) return;
    try {
      await api.put(path(person));
      await done(t("sup.members.added", { agent: who(person), team: team.name }));
    } catch (failure) {
      fail(failure);
    }
  }

  async function remove(person) {
    try {
      await api.request("DELETE", path(person));
      await done(t("sup.members.removed", { agent: who(person), team: team.name }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<section class="card members" aria-labelledby="members-heading">
    <h2 id="members-heading">${t("sup.members", { team: team.name })}</h2>
    ${members.length ? html`<ul class="member-list">
      ${members.map((person) => html`<li key=${person.username}>
        <span>${who(person)} <span class="muted">(${person.username})</span></span>
        <button type="button" aria-label=${t("sup.members.removeLabel", { agent: who(person), team: team.name })}
          onClick=${() => remove(person)}>${t("sup.members.remove")}</button>
      </li>`)}
    </ul>` : html`<p class="muted">${t("sup.members.none")}</p>`}
    ${others.length ? html`<form class="member-add" onSubmit=${add}>
      <label for="member-add">${t("sup.members.pick", { team: team.name })}</label>
      <select id="member-add" name="agent">
        ${others.map((person) => html`<option value=${person.username}>${who(person)} (${person.username})</option>`)}
      </select>
      <button type="submit">${t("sup.members.add")}</button>
    </form>` : html`<p class="muted">${t("sup.members.nobodyLeft")}</p>`}
  </section>`;
}

/** Pick an agent, then edit the skills and languages routing matches them by. */
export function AgentsPanel({ api, settings, done, fail }) {
  const { agents } = settings;
  const [picked, setPicked] = useState(null);
  const person = agents.find((item) => item.username === picked) || agents[0] || null;
  return html`<section class="sup-settings" aria-label=${t("sup.tab.agents")}>
    ${agents.length ? html`<label class="picker-label" for="person-pick">${t("sup.person.pick")}</label>
      <select id="person-pick" value=${person ? person.username : ""} onChange=${(event) => setPicked(event.currentTarget.value)}>
        ${agents.map((item) => html`<option value=${item.username}>${who(item)} (${item.username})</option>`)}
      </select>` : html`<p class="muted">${t("sup.agent.none")}</p>`}
    ${person && html`<${AgentForm} key=${`${person.username}:${JSON.stringify(person)}`} api=${api} person=${person}
        done=${done} fail=${fail} />`}
  </section>`;
}

function AgentForm({ api, person, done, fail }) {
  const name = who(person);

  async function save(event) {
    event.preventDefault();
    const form = event.currentTarget.elements;
    try {
      await api.request("PATCH", `/handover/agents/${encodeURIComponent(person.username)}`, {
        skills: list(form.skills.value), languages: list(form.languages.value),
      });
      await done(t("sup.person.saved", { agent: name }));
    } catch (failure) {
      fail(failure);
    }
  }

  return html`<form class="card" onSubmit=${save} aria-labelledby="person-heading">
    <h2 id="person-heading">${t("sup.person.heading", { agent: name })}</h2>
    <p><span class="muted">${t("sup.person.teams")}:</span> ${(person.teams || []).join(", ") || t("sup.person.noTeams")}</p>
    <label for="person-skills">${t("sup.person.skills", { agent: name })}</label>
    <input id="person-skills" name="skills" defaultValue=${(person.skills || []).join(", ")} />
    <label for="person-languages">${t("sup.person.languages", { agent: name })}</label>
    <input id="person-languages" name="languages" defaultValue=${(person.languages || []).join(", ")} />
    <button type="submit" class="primary">${t("sup.person.save")}</button>
  </form>`;
}
