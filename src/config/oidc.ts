import { isIP } from 'node:net';

/**
 * The parsers of the single sign-on settings (`oidc_*`). The issuer must be https, except on a
 * loopback address (127.0.0.0/8, ::1), where tests and a provider on the same machine run.
 */
export function oidcIssuerUrl(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error('must be a non-empty URL');
  let url: URL;
  try {
    url = new URL(v.trim());
  } catch {
    throw new Error(`must be an absolute https URL, got \`${v}\``);
  }
  if (url.search || url.hash || url.username || url.password) throw new Error('must not carry a query, a fragment or credentials');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error(`must be https (plain http only on a loopback address), got \`${v}\``);
  }
  return url.href.replace(/\/+$/, '');
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** A comma-separated string (from the environment) or a TOML array of non-empty strings. */
export function stringList(v: unknown): string[] {
  const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : null;
  if (!items) throw new Error('must be a list, e.g. `a, b`');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** OAuth scopes, space- or comma-separated; `openid` is always among them. */
export function scopeList(v: unknown): string[] {
  const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/[\s,]+/) : null;
  if (!items) throw new Error('must be a list of scopes, e.g. `openid profile email`');
  const scopes = items.map((s) => s.trim()).filter((s) => s !== '');
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) throw new Error('a scope is printable ASCII without spaces, quotes or backslashes');
  return scopes.includes('openid') ? scopes : ['openid', ...scopes];
}

/** Lower-case e-mail domains without a leading `@`. */
export function domainList(v: unknown): string[] {
  return stringList(v).map((d) => d.replace(/^@/, '').toLowerCase());
}
