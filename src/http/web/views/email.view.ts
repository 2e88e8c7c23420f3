import type { MailSettings } from '../../../services/mail/mail-settings.service.js';
import { html, type Html } from '../html.js';
import { csrfField, errorBox } from '../layout.js';

export const EMAIL_NOTICES = {
  'email-saved': 'Your e-mail address was saved. Follow the link mailed to it to confirm it; until then it receives nothing else.',
  'email-removed': 'Your e-mail address was removed.',
  'email-confirmed': 'Your e-mail address is confirmed.',
  'notices-saved': 'Your publish notices were saved.',
} as const;

/** The e-mail part of /me: the address, its state, and the per-crate publish notices. */
export function emailSection(csrf: string, m: MailSettings, error?: string | null): Html {
  const state = !m.email ? '' : m.verified ? html` <span class="badge active">verified</span>` : html` <span class="badge expired">unverified</span>`;
  return html`<h2>E-mail</h2>
${m.enabled ? '' : html`<p class="muted">This registry sends no e-mail (no SMTP server is configured).</p>`}
<form method="post" action="/me/email" class="panel">
${csrfField(csrf)}
${errorBox(error)}
<div class="field"><label for="me-email">Address${state}</label><input type="email" id="me-email" name="email" value="${m.email ?? ''}" maxlength="200" autocomplete="email">
<p class="hint">A new address is sent a confirmation link, and nothing else until it is confirmed. Leave it empty to remove it.</p></div>
<button type="submit">Save the address</button>
</form>
${m.crates.length === 0
  ? ''
  : html`<form method="post" action="/me/notices" class="panel">
${csrfField(csrf)}
<fieldset><legend>Mail me when a new version is published of</legend>
${m.crates.map((c) => html`<label><input type="checkbox" name="crates" value="${String(c.id)}"${c.notices ? html` checked` : ''}> ${c.name}</label>`)}
<input type="hidden" name="shown" value="${m.crates.map((c) => c.id).join(',')}">
</fieldset>
<p class="hint">Security notices (tokens created, expiring or revoked, trusted publishing and sign-in changes) are always sent.</p>
<button type="submit">Save the notices</button>
</form>`}`;
}
