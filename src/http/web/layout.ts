import { PASSWORD_MAX_LENGTH } from '../../services/password.service.js';
import { FAVICON, SCRIPT, STYLESHEET } from './assets.js';
import { type Child, type Html, html, seg } from './html.js';
import { safeNext, type Viewer } from './request.js';

/** What every page shell needs to know. */
export interface Shell {
  title: string;
  viewer: Viewer | null;
  allowSignup?: boolean;
  /** The search box's current text. */
  query?: string;
  /** The home page has its own big search box. */
  hideSearch?: boolean;
  /** The path of this page, so "Sign in" can bring the reader back to it (see safeNext). */
  here?: string;
  /** The registry clock's now (ms), for "3 days ago"; the real time when absent. */
  now?: number;
  /** Sends the browser on at once (a navigation, which the policy's `form-action 'self'` does not stop as it stops a form's redirect). */
  refreshTo?: string;
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
    const back = shell.here && shell.here !== '/' && safeNext(shell.here) === shell.here ? `?next=${encodeURIComponent(shell.here)}` : '';
    return html`<nav aria-label="Account"><a href="/login${back}">Sign in</a>${shell.allowSignup ? html`<a href="/signup">Sign up</a>` : ''}</nav>`;
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
<meta name="color-scheme" content="light dark">
<link rel="icon" href="${FAVICON.path}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET.path}">
<script src="${SCRIPT.path}" defer></script>
${(shell.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
${shell.refreshTo ? html`<meta http-equiv="refresh" content="0;url=${shell.refreshTo}">` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/">Wharf</a>
${shell.hideSearch
  ? ''
  : html`<form class="search" role="search" method="get" action="/search"><input type="search" name="q" aria-label="Search crates" aria-keyshortcuts="s /" placeholder="Search (press s or /)" value="${shell.query ?? ''}" maxlength="200"><button type="submit">Search</button></form>`}
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
