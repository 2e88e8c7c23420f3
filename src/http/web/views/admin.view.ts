import type { AuditRow } from '../../../db/repositories/audit.repository.js';
import type { AccountView } from '../../../services/account.service.js';
import type { JobsOverview, JobView } from '../../../services/jobs/job-admin.service.js';
import type { MirrorOverview } from '../../../services/mirror/mirror-admin.service.js';
import { AUDIT_ACTIONS } from '../../../services/audit.service.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../services/password.service.js';
import { count, date, html, type Html, plural, seg } from '../html.js';
import { csrfField, errorBox, layout, notice, type Shell, sudoField } from '../layout.js';

export type AdminShell = Omit<Shell, 'title'>;

const SECTIONS: ReadonlyArray<[string, string]> = [
  ['/admin/users', 'Users'],
  ['/admin/teams', 'Teams'],
  ['/admin/crates', 'Crates'],
  ['/admin/tokens', 'Revoke every token'],
  ['/admin/audit', 'Audit log'],
  ['/admin/mirror', 'Mirror'],
  ['/admin/jobs', 'Jobs and e-mail'],
];

export function adminPage(shell: AdminShell, current: string, title: string, content: Html): Html {
  return layout(
    { ...shell, title },
    html`<nav aria-label="Administration"><p>${SECTIONS.map(([href, label], i) =>
      html`${i > 0 ? ' · ' : ''}${href === current ? html`<strong aria-current="page">${label}</strong>` : html`<a href="${href}">${label}</a>`}`,
    )}</p></nav>
<h1>${title}</h1>
${content}`,
  );
}

const USER_NOTICES = {
  created: 'The user was created.',
  locked: 'The account was locked: it cannot sign in, its sessions ended and its tokens are refused.',
  unlocked: 'The account was unlocked.',
  admin: 'The user is now an administrator.',
  unadmin: 'The user is no longer an administrator.',
  deleted: 'The account was deleted: its tokens were revoked, its sessions ended, and its login is free again.',
  'factors-reset': 'Every second factor of the account was removed; the user is told at their next sign-in.',
} as const;

export interface NewUserForm {
  login: string;
  name: string;
  email: string;
  admin: boolean;
}

/** What the list says of a user's second factors. */
function factorCell(f: { totp: boolean; passkeys: number } | undefined): Html {
  const parts = [f?.totp ? 'app' : null, f?.passkeys ? `${f.passkeys} passkey${f.passkeys === 1 ? '' : 's'}` : null].filter((x) => x !== null);
  return parts.length > 0 ? html`${parts.join(', ')}` : html`<span class="muted">none</span>`;
}

export function usersView(
  shell: AdminShell,
  p: { csrf: string; users: readonly AccountView[]; factors?: ReadonlyMap<number, { totp: boolean; passkeys: number }>; notice?: unknown; error?: string | null; form?: NewUserForm },
): Html {
  const f = p.form ?? { login: '', name: '', email: '', admin: false };
  const action = (login: string, path: string, label: string, danger = false) =>
    html`<form method="post" action="/admin/users/${seg(login)}/${path}">${csrfField(p.csrf)}<button type="submit" class="${danger ? 'danger' : 'secondary'}" aria-label="${label}: ${login}">${label}</button></form>`;
  return adminPage(
    shell,
    '/admin/users',
    'Users',
    html`${notice(USER_NOTICES, p.notice)}${errorBox(p.error)}
<h2>All users</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Login</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Password</th><th scope="col">Second factors</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
<tbody>${p.users.map(
      (u) => html`<tr><td><a href="/users/${seg(u.login)}">${u.login}</a></td><td>${u.name ?? ''}</td><td>${u.isAdmin ? 'admin' : 'user'}</td>
<td>${u.lockedAt ? html`<span class="badge locked">locked</span> ${date(u.lockedAt)}` : html`<span class="badge active">active</span>`}</td>
<td>${u.hasPassword ? 'set' : html`<span class="muted">none</span>`}</td><td>${factorCell(p.factors?.get(u.id))}</td><td>${date(u.createdAt)}</td>
<td>${u.login === shell.viewer?.actor.login
        ? html`<span class="muted">you</span>`
        : html`${u.lockedAt ? action(u.login, 'unlock', 'Unlock') : action(u.login, 'lock', 'Lock', true)} ${u.isAdmin ? action(u.login, 'unadmin', 'Remove admin') : action(u.login, 'admin', 'Make admin')}
${p.factors?.get(u.id) ? html`${action(u.login, 'reset-factors', 'Reset second factors', true)} ` : ''}${u.lockedAt ? '' : action(u.login, 'reset-password', 'Reset password')} ${action(u.login, 'delete', 'Delete', true)}`}</td></tr>`,
    )}</tbody>
</table></div>
<h2>Create a user</h2>
<form method="post" action="/admin/users" class="panel">
${csrfField(p.csrf)}
<div class="field"><label for="new-login">Login</label><input type="text" id="new-login" name="login" value="${f.login}" required maxlength="39" autocomplete="off" autocapitalize="none" spellcheck="false"></div>
<div class="field"><label for="new-name">Name (optional)</label><input type="text" id="new-name" name="name" value="${f.name}" maxlength="200"></div>
<div class="field"><label for="new-email">Email (optional)</label><input type="email" id="new-email" name="email" value="${f.email}" maxlength="200"></div>
<div class="field"><label for="new-password">Password</label><input type="password" id="new-password" name="password" autocomplete="new-password" required minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}">
<p class="hint">At least ${PASSWORD_MIN_LENGTH} characters; give it to the user through a safe channel.</p></div>
<div class="field"><label><input type="checkbox" name="admin" value="yes"${f.admin ? html` checked` : ''}> Administrator</label></div>
${sudoField(shell)}
<button type="submit">Create the user</button>
</form>`,
  );
}

export function confirmDeleteUserView(shell: AdminShell, p: { csrf: string; login: string }): Html {
  return adminPage(
    shell,
    '/admin/users',
    `Confirm: delete ${p.login}`,
    html`<div class="error" role="alert"><p>This deletes the account <strong>${p.login}</strong>: its API tokens are revoked, its sessions end, and its name, e-mail and password are erased. It cannot be undone. An account that owns crates cannot be deleted.</p></div>
<form method="post" action="/admin/users/${seg(p.login)}/delete" class="panel">
${csrfField(p.csrf)}
<div class="field"><label><input type="checkbox" name="confirm" value="yes" required> I understand that ${p.login} can never sign in again</label></div>
<button type="submit" class="danger">Delete the account</button>
<a href="/admin/users">Cancel</a>
</form>`,
  );
}

export function passwordResetLinkView(shell: AdminShell, link: { login: string; url: string; expiresAt: string }): Html {
  return adminPage(
    shell,
    '/admin/users',
    `Password reset for ${link.login}`,
    html`<p>Give this link to <strong>${link.login}</strong> through a channel you trust. It works once, until ${date(link.expiresAt)}; any earlier link of the account no longer works. It is shown only on this page.</p>
<p><input type="text" readonly value="${link.url}" aria-label="Password-reset link" class="token-value"></p>
<p><a href="/admin/users">Back to the users</a></p>`,
  );
}

export function revokeAllView(shell: AdminShell, p: { csrf: string; liveTokens: number; revoked?: number | null; error?: string | null }): Html {
  return adminPage(
    shell,
    '/admin/tokens',
    'Revoke every token',
    html`${p.revoked != null ? html`<p class="notice" role="status">Revoked ${plural(p.revoked, 'token')}. Every user needs a new token.</p>` : ''}
${errorBox(p.error)}
<p>The incident switch: if tokens may have leaked (a compromised server, a database copy), revoke every live API token of every user at once. Cargo then refuses to publish with them and shows the reason below.</p>
<p>There are <strong>${count(p.liveTokens)}</strong> live tokens.</p>
<form method="post" action="/admin/tokens/revoke-all" class="panel">
${csrfField(p.csrf)}
<div class="field"><label for="reason">Reason (shown to whoever uses a revoked token)</label><input type="text" id="reason" name="reason" required maxlength="200"></div>
<button type="submit" class="danger">Continue</button>
</form>`,
  );
}

export function confirmRevokeAllView(shell: AdminShell, p: { csrf: string; liveTokens: number; reason: string }): Html {
  return adminPage(
    shell,
    '/admin/tokens',
    'Confirm: revoke every token',
    html`<div class="error" role="alert"><p>This revokes all <strong>${count(p.liveTokens)}</strong> live tokens of every user. It cannot be undone.</p>
<p>Reason: “${p.reason}”</p></div>
<form method="post" action="/admin/tokens/revoke-all" class="panel">
${csrfField(p.csrf)}
<input type="hidden" name="reason" value="${p.reason}">
<div class="field"><label><input type="checkbox" name="confirm" value="yes" required> I understand that every API token stops working now</label></div>
<button type="submit" class="danger">Revoke every token</button>
<a href="/admin/tokens">Cancel</a>
</form>`,
  );
}

const DETAIL_LIMIT = 300;

function detailValue(value: unknown): string {
  if (value === null) return 'none';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.map((v) => String(v)).join(', ');
  return JSON.stringify(value);
}

/**
 * An audit row's detail as "key: value" lines: the rows store a JSON object, which is for
 * machines; an administrator reads lines. Anything else is shown as the text it is.
 */
export function auditDetail(detail: string | null): Html | '' {
  if (!detail) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return html`<span>${detail.slice(0, DETAIL_LIMIT)}</span>`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return html`<span>${detailValue(parsed).slice(0, DETAIL_LIMIT)}</span>`;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return '';
  return html`<ul class="kv">${entries.map(([k, v]) => html`<li><span class="k">${k.replaceAll('_', ' ')}:</span> ${detailValue(v).slice(0, DETAIL_LIMIT)}</li>`)}</ul>`;
}

export interface AuditFilters {
  user: string;
  action: string;
  crate: string;
  since: string;
  limit: number;
}

export function auditView(shell: AdminShell, p: { filters: AuditFilters; rows: ReadonlyArray<AuditRow & { login: string | null }>; error?: string | null }): Html {
  const f = p.filters;
  return adminPage(
    shell,
    '/admin/audit',
    'Audit log',
    html`<form method="get" action="/admin/audit" class="panel inline">
<div class="field"><label for="f-user">User</label><input type="text" id="f-user" name="user" value="${f.user}" maxlength="100"></div>
<div class="field"><label for="f-action">Action</label><select id="f-action" name="action"><option value="">any</option>${AUDIT_ACTIONS.map(
      (a) => html`<option value="${a}"${a === f.action ? html` selected` : ''}>${a}</option>`,
    )}</select></div>
<div class="field"><label for="f-crate">Crate</label><input type="text" id="f-crate" name="crate" value="${f.crate}" maxlength="64"></div>
<div class="field"><label for="f-since">Since</label><input type="date" id="f-since" name="since" value="${f.since}"></div>
<div class="field"><label for="f-limit">Show</label><select id="f-limit" name="limit">${[50, 100, 500].map(
      (n) => html`<option value="${n}"${n === f.limit ? html` selected` : ''}>${n}</option>`,
    )}</select></div>
<button type="submit">Filter</button>
</form>
${errorBox(p.error)}
<h2>Events</h2>
${p.rows.length === 0
  ? html`<p class="muted">No events match.</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">User</th><th scope="col">Crate</th><th scope="col">Token</th><th scope="col">Detail</th></tr></thead>
<tbody>${p.rows.map(
      (r) => html`<tr><td><time datetime="${r.created_at}">${r.created_at.replace('T', ' ').slice(0, 19)}</time></td><td>${r.action}</td>
<td>${r.login ? html`<a href="/users/${seg(r.login)}">${r.login}</a>` : html`<span class="muted">server</span>`}</td>
<td>${r.crate_name ? html`<a href="/crates/${seg(r.crate_name)}">${r.crate_name}</a>${r.version ? ` ${r.version}` : ''}` : ''}</td>
<td>${r.token_id !== null ? `#${r.token_id}` : ''}</td><td>${auditDetail(r.detail)}</td></tr>`,
    )}</tbody>
</table></div>`}`,
  );
}

const percent = (part: number, whole: number): string => (whole === 0 ? 'none yet' : `${Math.round((100 * part) / whole)}%`);

/** The mirror of the upstream registry: what it holds, how it serves, what went wrong lately. */
export function mirrorView(shell: AdminShell, overview: MirrorOverview | null): Html {
  if (!overview) {
    return adminPage(shell, '/admin/mirror', 'Mirror', html`<p>No mirror is configured: set <code>mirror_upstream</code> (or <code>mirror_offline</code> for an imported copy).</p>`);
  }
  const { status: s, activity: a } = overview;
  return adminPage(
    shell,
    '/admin/mirror',
    'Mirror',
    html`<dl>
<dt>Upstream</dt><dd>${s.upstream ?? 'none'}${s.offline ? ' (offline: never contacted)' : ''}</dd>
<dt>Cached</dt><dd>${count(s.indexFiles)} index files, ${count(s.crateFiles)} .crate files (${count(Math.round(s.crateBytes / 1024))} KiB)</dd>
<dt>Downloads of mirrored crates</dt><dd>${count(s.downloads)}</dd>
<dt>Index files revalidated</dt><dd>after ${s.ttlSeconds} s; oldest check ${date(s.oldestCheck)}, newest ${date(s.newestCheck)}</dd>
<dt>Since this instance started (${date(a.since)})</dt><dd>index reads: ${count(a.indexReads)}, answered from the cache: ${percent(a.indexHits, a.indexReads)}; downloads: ${count(a.downloads)}, from the cache: ${percent(a.downloadHits, a.downloads)}</dd>
</dl>
<p><a href="/mirrored">Browse the mirrored crates</a></p>
<h2>Vanished upstream, still served</h2>
${s.vanished.length === 0 ? html`<p>None.</p>` : html`<ul>${s.vanished.map((v) => html`<li>${v.name} (the upstream answered ${v.status})</li>`)}</ul>`}
<h2>Recent upstream errors</h2>
${a.errors.length === 0 ? html`<p>None.</p>` : html`<ul>${a.errors.map((e) => html`<li>${date(e.at)}: ${e.detail}</li>`)}</ul>`}`,
  );
}

function jobTable(jobs: readonly JobView[], retry: ((id: number) => Html) | null): Html {
  if (jobs.length === 0) return html`<p class="muted">None.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Id</th><th scope="col">Kind</th><th scope="col">Key</th><th scope="col">Attempts</th><th scope="col">Next run</th><th scope="col">Last error</th>${retry ? html`<th scope="col">Action</th>` : ''}</tr></thead>
<tbody>${jobs.map(
    (j) => html`<tr><td>${String(j.id)}</td><td><code>${j.kind}</code></td><td><code>${j.key}</code></td><td>${j.attempts} of ${j.maxAttempts}</td>
<td>${j.leasedUntil && j.leasedUntil > new Date().toISOString() ? 'running' : date(j.runAt)}</td><td>${j.lastError ?? ''}</td>${retry ? html`<td>${retry(j.id)}</td>` : ''}</tr>`,
  )}</tbody></table></div>`;
}

/** The job queue: what waits, what failed for good (with a retry), and whether e-mail is on at all. */
export function jobsView(shell: AdminShell, p: { csrf: string; overview: JobsOverview; notice?: unknown }): Html {
  const o = p.overview;
  const retry = (id: number) =>
    html`<form method="post" action="/admin/jobs/${String(id)}/retry">${csrfField(p.csrf)}${sudoField(shell)}<button type="submit" class="secondary" aria-label="Retry job ${String(id)}">Retry</button></form>`;
  return adminPage(
    shell,
    '/admin/jobs',
    'Jobs and e-mail',
    html`${notice({ retried: 'The job was queued again.' }, p.notice)}
${o.mailEnabled
  ? html`<p>E-mail is sent through the configured SMTP server.</p>`
  : html`<p class="notice" role="status">E-mail is off: no SMTP server is configured. Set <code>smtp_url</code> (<code>WHARF_SMTP_URL</code>) and <code>mail_from</code> to send verification links and notices.</p>`}
<h2>Pending (${count(o.pending.length)})</h2>
${jobTable(o.pending, null)}
<h2>Failed (${count(o.failed.length)})</h2>
<p class="hint">A job is failed after its last attempt; retrying it gives it a fresh count of attempts.</p>
${jobTable(o.failed, retry)}`,
  );
}
