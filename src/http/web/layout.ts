import { PASSWORD_MAX_LENGTH } from '../../services/password.service.js';
import { SCRIPT, STYLESHEET } from './assets.js';
import { type Child, type Html, html, seg } from './html.js';
import type { Viewer } from './request.js';

/** What every page shell needs to know. */
export interface Shell {
  title: string;
  viewer: Viewer | null;
  allowSignup?: boolean;
  /** The search box's current text. */
  query?: string;
  /** The home page has its own big search box. */
  hideSearch?: boolean;
  /** Only the page that shows a new token needs the script (its copy button). */
  withScript?: boolean;
  /** More scripts of this server the page loads (the passkey pages). */
  scripts?: readonly string[];
}

/** Hidden CSRF field for forms of a signed-in user. */
export const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

/**
 * The password field of a form that needs a recent sign-in (sudo.ts), shown only when the
 * session's window has closed.
 */
export function sudoField(shell: Pick<Shell, 'viewer'>): Html | '' {
  if (!shell.viewer || shell.viewer.sudo) return '';
  return html`<div class="field"><label for="sudo-password">Your password</label><input type="password" id="sudo-password" name="sudo_password" autocomplete="current-password" required maxlength="${PASSWORD_MAX_LENGTH}">
<p class="hint">Asked again because you signed in a while ago.</p></div>`;
}

function accountNav(shell: Shell): Html {
  const v = shell.viewer;
  if (!v) {
    return html`<nav aria-label="Account"><a href="/login">Sign in</a>${shell.allowSignup ? html`<a href="/signup">Sign up</a>` : ''}</nav>`;
  }
  return html`<nav aria-label="Account">
<a href="/users/${seg(v.actor.login)}">${v.actor.login}</a>
<a href="/me">API tokens</a>
${v.actor.isAdmin ? html`<a href="/admin/users">Admin</a>` : ''}
<form method="post" action="/logout">${csrfField(v.csrf)}<button type="submit" class="link">Sign out</button></form>
</nav>`;
}

export function layout(shell: Shell, content: Child): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shell.title} · Wharf</title>
<link rel="stylesheet" href="${STYLESHEET.path}">
${shell.withScript ? html`<script src="${SCRIPT.path}" defer></script>` : ''}
${(shell.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/">Wharf</a>
${shell.hideSearch
  ? ''
  : html`<form class="search" role="search" method="get" action="/search"><input type="search" name="q" aria-label="Search crates" value="${shell.query ?? ''}" maxlength="200"><button type="submit">Search</button></form>`}
${accountNav(shell)}
</header>
<main id="main">
${content}
</main>
<footer class="site">Wharf, a self-hosted Cargo registry · <a href="/me">API tokens</a></footer>
</body>
</html>
`;
}

/** Fixed messages shown after a redirect, chosen by key so a URL can never inject text. */
export function notice(messages: Readonly<Record<string, string>>, key: unknown): Html | '' {
  const text = typeof key === 'string' && Object.hasOwn(messages, key) ? messages[key] : undefined;
  return text ? html`<p class="notice" role="status">${text}</p>` : '';
}

export function errorBox(message: string | null | undefined): Html | '' {
  return message ? html`<p class="error" role="alert">${message}</p>` : '';
}
