import type { OidcIdentityRow } from '../../../db/repositories/identity.repository.js';
import type { SessionListRow } from '../../../db/repositories/session.repository.js';
import { html, type Html } from '../html.js';
import { csrfField } from '../layout.js';

const when = (iso: string | null) => (iso ? html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>` : html`never`);

export interface AccountSections {
  csrf: string;
  /** The session hash of the browser looking at the page. */
  current: string;
  sessions: readonly SessionListRow[];
  /** NAME of single sign-on; null when it is not set up. */
  sso: string | null;
  identities: readonly OidcIdentityRow[];
  /** When sensitive actions are confirmed until (HH:MM UTC), or null. */
  confirmedUntil: string | null;
}

/** The sign-in methods and sessions parts of /me. */
export function accountSections(page: AccountSections): Html {
  return html`${page.confirmedUntil ? html`<p class="muted">Sensitive actions confirmed until ${page.confirmedUntil}.</p>` : ''}
${page.sso
  ? html`<h2>Single sign-on</h2>
${page.identities.length === 0
  ? html`<p class="muted">No identity of ${page.sso} is linked to this account.</p>`
  : html`<ul>${page.identities.map(
      (i) => html`<li>${i.email ?? i.subject} <span class="muted">(linked ${when(i.created_at)}, last used ${when(i.last_login_at)})</span>
<form method="post" action="/me/identities/${i.id}/unlink" class="inline">${csrfField(page.csrf)}<button type="submit" class="secondary">Unlink</button></form></li>`,
    )}</ul>`}
<form method="post" action="/login/oidc/link">${csrfField(page.csrf)}<button type="submit" class="secondary">Link an identity of ${page.sso}</button></form>`
  : ''}
<h2>Sessions</h2>
<ul class="sessions">${page.sessions.map(
    (s) => html`<li>Signed in ${when(s.created_at)}${s.method ? html` with ${s.method}` : ''}, last seen ${when(s.last_seen_at)}, from ${s.address ?? 'an unknown address'}
<span class="muted">${s.user_agent ?? 'unknown browser'}</span>
${s.session_hash === page.current
      ? html`<strong>this browser</strong>`
      : html`<form method="post" action="/me/sessions/${s.id}/end" class="inline">${csrfField(page.csrf)}<button type="submit" class="secondary" aria-label="End the session from ${s.address ?? 'an unknown address'}">End</button></form>`}</li>`,
  )}</ul>`;
}
