import type { FactorSummary } from '../../../services/factors/factors.service.js';
import { MAX_PASSKEY_NAME } from '../../../services/factors/webauthn.service.js';
import { PASSKEY_SCRIPTS } from '../factor-assets.js';
import { date, html, type Html } from '../html.js';
import { csrfField, errorBox, layout, notice, type Shell, sudoField } from '../layout.js';

type PageShell = Omit<Shell, 'title'>;

const NOTICES = {
  'totp-added': 'The authenticator app is set up: signing in now asks for one of its codes after your password.',
  'totp-removed': 'The authenticator app was removed.',
  'passkey-added': 'The passkey was added.',
  'passkey-removed': 'The passkey was removed.',
  'passkey-renamed': 'The passkey was renamed.',
  reset: 'An administrator removed every second factor of your account. Set up a new one below.',
  required: 'This registry requires a second factor for every account: set up an authenticator app or a passkey to go on.',
} as const;

export interface TwoFactorPage {
  csrf: string;
  summary: FactorSummary;
  notice?: unknown;
  error?: string | null;
}

/** A button the passkey script wires up; hidden until the script finds WebAuthn in the browser. */
export function passkeyButton(p: { mode: 'register' | 'login' | 'sudo'; csrf: string; options: string; finish: string; label: string; next?: string; nameField?: string; secondary?: boolean }): Html {
  return html`<button type="button" hidden class="${p.secondary ? 'secondary' : ''}" data-passkey="${p.mode}" data-csrf="${p.csrf}" data-options="${p.options}" data-finish="${p.finish}" data-status="passkey-status"${p.next ? html` data-next="${p.next}"` : ''}${p.nameField ? html` data-name-field="${p.nameField}"` : ''}>${p.label}</button>
<p id="passkey-status" role="status" hidden></p>`;
}

export function twoFactorView(shell: PageShell, p: TwoFactorPage): Html {
  const s = p.summary;
  const sudo = shell.viewer?.sudo ?? false;
  return layout(
    { ...shell, title: 'Two-factor authentication', scripts: PASSKEY_SCRIPTS },
    html`<h1>Two-factor authentication</h1>
${notice(NOTICES, p.notice)}${errorBox(p.error)}
<p>A second factor keeps your account safe when your password is not: after the password, signing in asks for a code from an authenticator app or a passkey. A passkey can also sign you in on its own.</p>
<h2>Authenticator app</h2>
${s.totp
  ? html`<p><span class="badge active">set up</span></p>
<form method="post" action="/me/two-factor/totp/remove" class="panel">${csrfField(p.csrf)}${sudoField(shell)}<button type="submit" class="danger">Remove the authenticator app</button></form>`
  : html`<form method="post" action="/me/two-factor/totp" class="panel">${csrfField(p.csrf)}
<p>Use an app such as a password manager or an authenticator (TOTP, RFC 6238).</p>
${sudoField(shell)}<button type="submit">Set up an authenticator app</button></form>`}
<h2>Passkeys and security keys</h2>
${s.passkeys.length === 0
  ? html`<p class="muted">No passkey yet.</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Rename</th><th scope="col"><span class="muted">Remove</span></th></tr></thead>
<tbody>${s.passkeys.map(
      (k) => html`<tr><td>${k.name}</td><td>${date(k.created_at)}</td><td>${date(k.last_used_at)}</td>
<td><form method="post" action="/me/two-factor/passkeys/${k.id}/rename" class="inline">${csrfField(p.csrf)}<div class="field"><label for="rename-${k.id}" class="muted">New name</label><input type="text" id="rename-${k.id}" name="name" value="${k.name}" required maxlength="${MAX_PASSKEY_NAME}"></div><button type="submit" class="secondary" aria-label="Rename the passkey ${k.name}">Rename</button></form></td>
<td><form method="post" action="/me/two-factor/passkeys/${k.id}/remove">${csrfField(p.csrf)}${sudoField(shell)}<button type="submit" class="danger" aria-label="Remove the passkey ${k.name}">Remove</button></form></td></tr>`,
    )}</tbody></table></div>`}
<div class="panel">
${sudo
  ? html`<div class="field"><label for="passkey-name">Name of the new passkey</label><input type="text" id="passkey-name" maxlength="${MAX_PASSKEY_NAME}" placeholder="e.g. laptop, blue key"></div>
${passkeyButton({ mode: 'register', csrf: p.csrf, options: '/me/two-factor/passkeys/options', finish: '/me/two-factor/passkeys', label: 'Add a passkey', nameField: 'passkey-name' })}
<noscript><p class="muted">Adding a passkey needs JavaScript.</p></noscript>`
  : html`<p>To add a passkey, <a href="/confirm-password?next=%2Fme%2Ftwo-factor">confirm your password</a> first.</p>`}
</div>
<div id="new-recovery-codes-panel" class="panel" hidden><h3>Your recovery codes</h3><p>Each works once, instead of a second factor. Keep them somewhere safe: they are not shown again.</p><ul class="codes" id="new-recovery-codes"></ul><p><a href="/me/two-factor">Done</a></p></div>
<h2>Recovery codes</h2>
${s.totp || s.passkeys.length > 0
  ? html`<p>${s.recoveryCodesLeft} of 10 unused.</p>
<form method="post" action="/me/two-factor/recovery-codes" class="panel">${csrfField(p.csrf)}${sudoField(shell)}<button type="submit" class="secondary">Make new recovery codes</button>
<p class="hint">The old codes stop working.</p></form>`
  : html`<p class="muted">You get ten recovery codes with your first second factor.</p>`}`,
  );
}

export function totpSetupView(shell: PageShell, p: { csrf: string; secret: string; qrSvg: Html; error?: string | null }): Html {
  return layout(
    { ...shell, title: 'Set up an authenticator app' },
    html`<h1>Set up an authenticator app</h1>
${errorBox(p.error)}
<ol>
<li>Scan this code with the app:<div class="qr" role="img" aria-label="QR code holding the secret of the authenticator app">${p.qrSvg}</div></li>
<li>Or type this secret into it: <span class="secret"><code id="totp-secret">${p.secret.match(/.{1,4}/g)!.join(' ')}</code></span></li>
<li>Enter the code it shows now:</li>
</ol>
<form method="post" action="/me/two-factor/totp/confirm" class="panel">
${csrfField(p.csrf)}
<div class="field"><label for="totp-code">Code from the app</label><input type="text" id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required></div>
<button type="submit">Confirm</button>
</form>`,
  );
}

export function recoveryCodesView(shell: PageShell, p: { codes: readonly string[]; lead: string }): Html {
  return layout(
    { ...shell, title: 'Your recovery codes' },
    html`<h1>Your recovery codes</h1>
<p class="notice" role="status">${p.lead}</p>
<p>Each code works once, in place of the app or a passkey, if you lose them. Keep them somewhere safe: <strong>they are not shown again</strong>.</p>
<ul class="codes panel" id="recovery-codes">${p.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p><a href="/me/two-factor">Done</a></p>`,
  );
}

export function secondFactorLoginView(shell: PageShell, p: { csrf: string; hasTotp: boolean; hasPasskeys: boolean; next: string; error?: string | null }): Html {
  return layout(
    { ...shell, title: 'Second factor', scripts: p.hasPasskeys ? PASSKEY_SCRIPTS : [] },
    html`<h1>Second factor</h1>
${errorBox(p.error)}
${p.hasPasskeys
  ? html`<div class="panel"><p>Use your passkey or security key:</p>${passkeyButton({ mode: 'login', csrf: p.csrf, options: '/login/passkey/options', finish: '/login/passkey', label: 'Use a passkey', next: p.next })}</div>`
  : ''}
<form method="post" action="/login/two-factor" class="panel">
<input type="hidden" name="_csrf" value="${p.csrf}">
<div class="field"><label for="code">${p.hasTotp ? 'Code from your authenticator app, or a recovery code' : 'A recovery code'}</label><input type="text" id="code" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="40" required></div>
<button type="submit">Continue</button>
</form>
<form method="post" action="/login/two-factor/cancel"><input type="hidden" name="_csrf" value="${p.csrf}"><button type="submit" class="link">Cancel and sign in as someone else</button></form>`,
  );
}

/** Under the password form: signing in with a passkey alone. */
export function passkeySignIn(csrf: string, next: string): Html {
  return html`<div class="panel"><p>Or sign in with a passkey alone, no login or password needed:</p>
${passkeyButton({ mode: 'login', csrf, options: '/login/passkey/options', finish: '/login/passkey', label: 'Use a passkey', next, secondary: true })}</div>`;
}
