import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../services/password.service.js';
import { html, type Html } from '../html.js';
import { PASSKEY_SCRIPTS } from '../factor-assets.js';
import { csrfField, errorBox, layout, type Shell } from '../layout.js';
import { passkeyButton, passkeySignIn } from './factors.view.js';

export interface LoginForm {
  csrf: string;
  /** The single sign-on button's NAME ("Sign in with NAME"), when configured. */
  sso?: string | null;
  /** Whether the password form is shown. */
  password?: boolean;
  /** Under `oidc_only`: the password form is for the break-glass administrators only. */
  breakGlassOnly?: boolean;
  login?: string;
  next?: string;
  error?: string | null;
}

export function loginView(shell: Omit<Shell, 'title'>, form: LoginForm): Html {
  return layout(
    { ...shell, title: 'Sign in' },
    html`<h1>Sign in</h1>
${errorBox(form.error)}
${form.sso ? html`<p class="panel"><a href="/login/oidc?next=${encodeURIComponent(form.next ?? '/me')}">Sign in with ${form.sso}</a></p>` : ''}
${form.breakGlassOnly ? html`<p class="muted">Passwords are turned off on this registry: sign in with ${form.sso ?? 'single sign-on'}. The form below is for the administrators named for emergencies; anyone else who uses it is sent to ${form.sso ?? 'single sign-on'}.</p>` : ''}
${form.password === false ? '' : html`<form method="post" action="/login" class="panel">
<input type="hidden" name="_csrf" value="${form.csrf}">
<input type="hidden" name="next" value="${form.next ?? '/me'}">
<div class="field"><label for="login">Login</label><input type="text" id="login" name="login" value="${form.login ?? ''}" autocomplete="username" required maxlength="100" autocapitalize="none" spellcheck="false"></div>
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required maxlength="${PASSWORD_MAX_LENGTH}"></div>
<button type="submit">Sign in</button>
</form>
${passkeySignIn(form.csrf, form.next ?? '/me')}`}
${shell.allowSignup ? html`<p>No account yet? <a href="/signup">Sign up</a>.</p>` : html`<p class="muted">Accounts are created by an administrator of this registry.</p>`}`,
  );
}

export interface SignupForm {
  csrf: string;
  login?: string;
  email?: string;
  error?: string | null;
}

export function signupView(shell: Omit<Shell, 'title'>, form: SignupForm): Html {
  return layout(
    { ...shell, title: 'Sign up' },
    html`<h1>Sign up</h1>
${errorBox(form.error)}
<form method="post" action="/signup" class="panel">
<input type="hidden" name="_csrf" value="${form.csrf}">
<div class="field"><label for="login">Login</label><input type="text" id="login" name="login" value="${form.login ?? ''}" autocomplete="username" required maxlength="39" autocapitalize="none" spellcheck="false">
<p class="hint">Letters, digits, <code>_</code>, <code>.</code> and <code>-</code>.</p></div>
<div class="field"><label for="email">Email (optional)</label><input type="email" id="email" name="email" value="${form.email ?? ''}" autocomplete="email" maxlength="200"></div>
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="new-password" required minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}">
<p class="hint">At least ${PASSWORD_MIN_LENGTH} characters.</p></div>
<div class="field"><label for="confirm">Repeat the password</label><input type="password" id="confirm" name="confirm" autocomplete="new-password" required maxlength="${PASSWORD_MAX_LENGTH}"></div>
<button type="submit">Create the account</button>
</form>`,
  );
}

export interface ConfirmPasswordForm {
  csrf: string;
  /** Where the form goes: the address of the refused form, or /confirm-password. */
  action: string;
  /** The refused form's fields, posted again unchanged. */
  carried: ReadonlyArray<readonly [string, string]>;
  minutes: number;
  error?: string | null;
  /** Whether a password is accepted (not when `oidc_only`, but for break-glass admins). */
  password?: boolean;
  /** NAME of "Confirm with NAME", when the account has a linked identity. */
  sso?: string | null;
  /** The user's second factors, which confirm as well as the password. */
  factors?: { totp: boolean; passkeys: readonly unknown[] };
}

export function confirmPasswordView(shell: Omit<Shell, 'title'>, form: ConfirmPasswordForm): Html {
  return layout(
    { ...shell, title: form.password === false ? 'Confirm it is you' : 'Confirm your password', scripts: form.factors?.passkeys.length ? PASSKEY_SCRIPTS : [] },
    html`<h1>${form.password === false ? 'Confirm it is you' : 'Confirm your password'}</h1>
${errorBox(form.error)}
<p>Creating API tokens, revoking all of them, changing how you sign in and administration need a fresh proof that it is you when you last gave one more than ${form.minutes} minutes ago. Once confirmed, you are not asked again for ${form.minutes} minutes.</p>
${(() => {
  const passkeys = (form.factors?.passkeys.length ?? 0) > 0;
  const totp = form.factors?.totp ?? false;
  // The password and, with an authenticator app, its code; an account with passkeys only confirms with one.
  const withPassword = form.password !== false && (totp || !passkeys);
  if (!withPassword && !passkeys) return '';
  return html`<form method="post" action="${form.action}" class="panel">
${csrfField(form.csrf)}
${form.carried.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
${withPassword ? html`<div class="field"><label for="sudo-password">Your password</label><input type="password" id="sudo-password" name="sudo_password" autocomplete="current-password" required maxlength="${PASSWORD_MAX_LENGTH}"></div>` : ''}
${withPassword && totp ? html`<div class="field"><label for="sudo-code">The code of your authenticator app</label><input type="text" id="sudo-code" name="sudo_code" inputmode="numeric" autocomplete="one-time-code" required maxlength="7"></div>` : ''}
${withPassword ? html`<button type="submit">Confirm and continue</button>` : ''}
${passkeys ? passkeyButton({ mode: 'sudo', csrf: form.csrf, options: '/me/sudo/passkey/options', finish: '/me/sudo/passkey', label: 'Confirm with a passkey', secondary: !withPassword ? false : true }) : ''}
</form>`;
})()}
${form.sso
  ? html`<form method="post" action="/login/oidc/reauth" class="panel">
${csrfField(form.csrf)}
<input type="hidden" name="_action" value="${form.action}">
${form.carried.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit">Confirm with ${form.sso}</button>
</form>`
  : ''}`,
  );
}

/** After a round trip to the provider: the kept form, posted again by one click. */
export function continueFormView(shell: Omit<Shell, 'title'>, form: { csrf: string; action: string; carried: ReadonlyArray<readonly [string, string]>; until: string }): Html {
  return layout(
    { ...shell, title: 'Confirmed' },
    html`<h1>Confirmed</h1>
<p class="notice" role="status">It is you: confirmed until ${form.until}.</p>
<form method="post" action="${form.action}" class="panel">
${csrfField(form.csrf)}
${form.carried.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit">Continue</button>
</form>`,
  );
}

/**
 * The answer to a form that starts a round trip to the provider (a link, a re-authentication):
 * a page that goes on at once, since the page policy stops a form's redirect to another site.
 */
export function toProviderView(shell: Omit<Shell, 'title'>, form: { url: string; name: string }): Html {
  return layout(
    { ...shell, title: `Continue with ${form.name}`, refreshTo: form.url },
    html`<h1>Continue with ${form.name}</h1>
<p><a href="${form.url}">Continue to ${form.name}</a></p>`,
  );
}
