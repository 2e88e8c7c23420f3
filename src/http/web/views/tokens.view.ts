import { ENDPOINT_SCOPES } from '../../../core/scopes.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../services/password.service.js';
import type { TokenView } from '../../../services/token.service.js';
import { date, html, type Html, plural } from '../html.js';
import type { MailSettings } from '../../../services/mail/mail-settings.service.js';
import { csrfField, errorBox, layout, notice, type Shell, sudoField } from '../layout.js';
import { EMAIL_NOTICES, emailSection } from './email.view.js';

export const EXPIRY_PRESETS = ['7', '30', '90', '365', 'custom', 'none'] as const;
export type ExpiryPreset = (typeof EXPIRY_PRESETS)[number];

export interface TokenFormState {
  name: string;
  scopes: readonly string[];
  crates: string;
  expiry: ExpiryPreset;
  customDays: string;
}

export const DEFAULT_TOKEN_FORM: TokenFormState = { name: '', scopes: ENDPOINT_SCOPES, crates: '*', expiry: '90', customDays: '' };

const SCOPE_HELP: Record<string, string> = {
  'publish-new': 'publish new crates',
  'publish-update': 'publish new versions of existing crates',
  yank: 'yank and unyank versions',
  'change-owners': 'add and remove owners',
  'trusted-publishing': 'manage the trusted publishers of crates',
  read: 'read a private registry',
};

const EXPIRY_LABELS: Record<ExpiryPreset, string> = {
  '7': '7 days',
  '30': '30 days',
  '90': '90 days',
  '365': '1 year',
  custom: 'Custom (days below)',
  none: 'Never',
};

const NOTICES = {
  revoked: 'The token was revoked. Anything using it is refused from now on.',
  'revoked-all': 'All your tokens were revoked.',
  'password-changed': 'Your password was changed. Every other session was signed out.',
  'password-changed-tokens-revoked': 'Your password was changed. Every other session was signed out and all your API tokens were revoked.',
  'signed-in': 'You are signed in.',
  ...EMAIL_NOTICES,
  'identity-linked': 'The identity was linked: you can sign in with it from now on.',
  'identity-unlinked': 'The identity was unlinked.',
  'session-ended': 'The session was ended.',
} as const;

export interface TokensPage {
  csrf: string;
  nonce: string;
  tokens: readonly TokenView[];
  form?: TokenFormState;
  notice?: unknown;
  tokenError?: string | null;
  passwordError?: string | null;
  mail?: MailSettings;
  emailError?: string | null;
  /** Sign-in methods and sessions (identity/session.routes.ts). */
  sections?: Html;
}

function tokenTable(page: TokensPage): Html {
  if (page.tokens.length === 0) return html`<p class="muted">You have no tokens yet.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Crates</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${page.tokens.map(
    (t) => html`<tr><td>${t.name}</td><td>${t.endpoint_scopes.join(', ')}</td><td>${t.crate_scopes.join(', ')}</td>
<td>${date(t.created_at)}</td><td>${date(t.last_used_at)}</td><td>${date(t.expires_at)}</td>
<td><span class="badge ${t.state}">${t.state}</span>${t.state === 'revoked' && t.revoked_reason ? html` <span class="muted">${t.revoked_reason}</span>` : ''}</td>
<td>${t.state === 'active'
      ? html`<form method="post" action="/me/tokens/${t.id}/revoke">${csrfField(page.csrf)}<button type="submit" class="secondary" aria-label="Revoke the token ${t.name}">Revoke</button></form>`
      : ''}</td></tr>`,
  )}</tbody>
</table></div>
${page.tokens.some((t) => t.state === 'active')
  ? html`<form method="get" action="/me/tokens/revoke-all"><button type="submit" class="danger">Revoke all my tokens…</button></form>`
  : ''}`;
}

function createForm(shell: Omit<Shell, 'title'>, page: TokensPage): Html {
  const f = page.form ?? DEFAULT_TOKEN_FORM;
  return html`<form method="post" action="/me/tokens" class="panel">
${csrfField(page.csrf)}
<input type="hidden" name="nonce" value="${page.nonce}">
${errorBox(page.tokenError)}
<div class="field"><label for="token-name">Name</label><input type="text" id="token-name" name="name" value="${f.name}" required maxlength="100">
<p class="hint">What it is for, such as “laptop” or “CI of my-crate”.</p></div>
<fieldset><legend>Allowed actions</legend>
${ENDPOINT_SCOPES.map(
    (s) => html`<label><input type="checkbox" name="scopes" value="${s}"${f.scopes.includes(s) ? html` checked` : ''}> <code>${s}</code> <span class="muted">${SCOPE_HELP[s]}</span></label>`,
  )}
</fieldset>
<div class="field"><label for="token-crates">Crates</label><input type="text" id="token-crates" name="crates" value="${f.crates}" maxlength="2000">
<p class="hint">Comma-separated crate names or prefixes ending in <code>*</code>; <code>*</code> means every crate.</p></div>
<div class="inline">
<div class="field"><label for="token-expiry">Expires after</label><select id="token-expiry" name="expiry">${EXPIRY_PRESETS.map(
    (p) => html`<option value="${p}"${p === f.expiry ? html` selected` : ''}>${EXPIRY_LABELS[p]}</option>`,
  )}</select></div>
<div class="field"><label for="token-days">Custom expiry in days</label><input type="number" id="token-days" name="custom_days" min="1" max="3650" value="${f.customDays}"></div>
</div>
${sudoField(shell)}
<p><button type="submit">Create the token</button></p>
</form>`;
}

function passwordForm(page: TokensPage): Html {
  return html`<form method="post" action="/me/password" class="panel">
${csrfField(page.csrf)}
${errorBox(page.passwordError)}
<div class="field"><label for="current-password">Current password</label><input type="password" id="current-password" name="current" autocomplete="current-password" required maxlength="${PASSWORD_MAX_LENGTH}"></div>
<div class="field"><label for="new-password">New password</label><input type="password" id="new-password" name="next" autocomplete="new-password" required minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}">
<p class="hint">At least ${PASSWORD_MIN_LENGTH} characters. Changing it signs out every other session.</p></div>
<div class="field"><label for="confirm-password">Repeat the new password</label><input type="password" id="confirm-password" name="confirm" autocomplete="new-password" required maxlength="${PASSWORD_MAX_LENGTH}"></div>
<div class="field"><label><input type="checkbox" name="revoke_tokens" value="yes" checked> Also revoke all my API tokens</label>
<p class="hint">Anyone who knew the old password may have made tokens with it.</p></div>
<button type="submit">Change the password</button>
</form>`;
}

export function tokensView(shell: Omit<Shell, 'title'>, page: TokensPage): Html {
  return layout(
    { ...shell, title: 'API tokens' },
    html`<h1>API tokens</h1>
${notice(NOTICES, page.notice)}
<p>Signed in as <strong>${shell.viewer?.actor.login ?? ''}</strong>. A token lets <code>cargo</code> publish, yank and manage owners as you.</p>
<p><a href="/me/invitations">Owner invitations</a>: crates whose owners invited you to own them too.</p>
<p><a href="/me/two-factor">Two-factor authentication</a>: authenticator app, passkeys and recovery codes.</p>
<h2>Your tokens</h2>
${tokenTable(page)}
<h2>New token</h2>
${createForm(shell, page)}
${page.sections ?? ''}
<h2>Change password</h2>
${passwordForm(page)}
${page.mail ? emailSection(page.csrf, page.mail, page.emailError) : ''}`,
  );
}

export interface NewToken {
  token: string;
  view: TokenView;
  registryName: string;
  publicUrl: string;
}

/** Shown once, in the answer to the POST that made the token; nothing else ever shows it again. */
export function tokenCreatedView(shell: Omit<Shell, 'title'>, t: NewToken): Html {
  return layout(
    { ...shell, title: 'New API token' },
    html`<h1>Your new token</h1>
<div class="panel">
<p><strong>Copy it now: it is shown only this once.</strong> Wharf keeps only a hash of it.</p>
<div class="secret"><code id="new-token">${t.token}</code><button type="button" class="secondary" data-copy="new-token" hidden>Copy</button></div>
<p>Token “${t.view.name}”: ${t.view.endpoint_scopes.join(', ')} on ${t.view.crate_scopes.join(', ')}; ${t.view.expires_at ? html`expires ${date(t.view.expires_at)}` : 'never expires'}.</p>
</div>
<h2>Use it with cargo</h2>
<p>Run this, then paste the token when cargo asks for it:</p>
<pre><code>cargo login --registry ${t.registryName}</code></pre>
<p>If cargo does not know this registry yet, add it to <code>~/.cargo/config.toml</code>:</p>
<pre><code>[registries.${t.registryName}]
index = "sparse+${t.publicUrl}/index/"</code></pre>
<p><a href="/me">Back to your tokens</a></p>`,
  );
}

/** The confirmation before revoking all of one's own tokens (the admin's switch has its own). */
export function confirmRevokeMineView(shell: Omit<Shell, 'title'>, p: { csrf: string; liveTokens: number }): Html {
  return layout(
    { ...shell, title: 'Revoke all my tokens' },
    html`<h1>Revoke all my tokens</h1>
<div class="error" role="alert"><p>This revokes your ${plural(p.liveTokens, 'live token')}. Anything that uses them (cargo on your machines, CI) is refused from now on, and it cannot be undone.</p></div>
<form method="post" action="/me/tokens/revoke-all" class="panel">
${csrfField(p.csrf)}
<div class="field"><label><input type="checkbox" name="confirm" value="yes" required> I understand that all my API tokens stop working now</label></div>
${sudoField(shell)}
<button type="submit" class="danger">Revoke all my tokens</button>
<a href="/me">Cancel</a>
</form>`,
  );
}
