import type { TeamView } from '../../../services/owners/team.service.js';
import { date, html, type Html, seg } from '../html.js';
import { csrfField, errorBox, notice, sudoField } from '../layout.js';
import { type AdminShell, adminPage } from './admin.view.js';

const TEAM_NOTICES = {
  created: 'The team was created. Its members can add it as an owner of their crates with `cargo owner --add team:NAME`.',
  removed: 'The team was removed: its members lost the crates it owned.',
  'member-added': 'The member was added.',
  'member-removed': 'The member was removed.',
} as const;

/** The administrators' page of teams: create and remove teams, add and remove members. */
export function teamsView(shell: AdminShell, p: { csrf: string; teams: readonly TeamView[]; notice?: unknown; error?: string | null }): Html {
  // Without a password field: past the re-authentication window, the confirmation page asks for it.
  const post = (path: string, fields: Html | '', label: string, cls = 'secondary') =>
    html`<form method="post" action="${path}">${csrfField(p.csrf)}${fields}<button type="submit" class="${cls}">${label}</button></form>`;
  return adminPage(
    shell,
    '/admin/teams',
    'Teams',
    html`${notice(TEAM_NOTICES, p.notice)}${errorBox(p.error)}
<p>A team owns crates as <code>team:NAME</code>. A member adds it with <code>cargo owner --add team:NAME CRATE</code>; every member may then publish and yank the crate, and only its user owners may change its owners.</p>
${p.teams.length === 0
  ? html`<p class="muted">There are no teams yet.</p>`
  : p.teams.map(
      (t) => html`<section class="panel" aria-labelledby="team-${t.name}"><h2 id="team-${t.name}"><code>${t.login}</code>${t.description ? html` <span class="muted">${t.description}</span>` : ''}</h2>
<p>Created ${date(t.createdAt)}; owns ${String(t.crates)} crate(s).</p>
${t.members.length === 0
  ? html`<p class="muted">No members.</p>`
  : html`<ul>${t.members.map(
      (m) => html`<li><a href="/users/${seg(m.login)}">${m.login}</a> ${post(`/admin/teams/${seg(t.name)}/members/${seg(m.login)}/remove`, '', `Remove ${m.login}`)}</li>`,
    )}</ul>`}
${post(
  `/admin/teams/${seg(t.name)}/members`,
  html`<div class="field"><label for="member-${t.name}">Add a member (login)</label><input type="text" id="member-${t.name}" name="login" required maxlength="39" autocomplete="off" autocapitalize="none" spellcheck="false"></div>`,
  'Add the member',
)}
${post(`/admin/teams/${seg(t.name)}/remove`, '', `Remove the team ${t.login}`, 'danger')}
</section>`,
    )}
<h2>Create a team</h2>
<form method="post" action="/admin/teams" class="panel">
${csrfField(p.csrf)}
<div class="field"><label for="team-name">Name</label><input type="text" id="team-name" name="name" required maxlength="64" pattern="[a-z0-9][a-z0-9_\\-]*" autocomplete="off" autocapitalize="none" spellcheck="false">
<p class="hint">Lowercase letters, digits, <code>-</code> and <code>_</code>.</p></div>
<div class="field"><label for="team-description">Description (optional, shown as the team's name)</label><input type="text" id="team-description" name="description" maxlength="200"></div>
${sudoField(shell)}
<button type="submit">Create the team</button>
</form>`,
  );
}
