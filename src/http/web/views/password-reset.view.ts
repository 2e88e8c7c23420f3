import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../services/password.service.js';
import { html, type Html } from '../html.js';
import { csrfField, errorBox, layout, type Shell } from '../layout.js';

export function passwordResetView(shell: Omit<Shell, 'title'>, p: { csrf: string; login: string; action: string; error?: string | null }): Html {
  return layout(
    { ...shell, title: 'Set a new password' },
    html`<h1>Set a new password</h1>
${errorBox(p.error)}
<p>An administrator made this link for the account <strong>${p.login}</strong>. It works once; setting the password signs the account out everywhere.</p>
<form method="post" action="${p.action}" class="panel">
${csrfField(p.csrf)}
<input type="text" name="login" value="${p.login}" autocomplete="username" hidden>
<div class="field"><label for="password">New password</label><input type="password" id="password" name="password" autocomplete="new-password" required minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}">
<p class="hint">At least ${PASSWORD_MIN_LENGTH} characters, and not the login.</p></div>
<div class="field"><label for="confirm">Repeat it</label><input type="password" id="confirm" name="confirm" autocomplete="new-password" required maxlength="${PASSWORD_MAX_LENGTH}"></div>
<button type="submit">Set the password</button>
</form>`,
  );
}

export function passwordResetDoneView(shell: Omit<Shell, 'title'>, login: string): Html {
  return layout(
    { ...shell, title: 'Password set' },
    html`<h1>Password set</h1>
<p class="notice" role="status">The password of <strong>${login}</strong> is set. <a href="/login">Sign in</a> with it.</p>`,
  );
}
