import { isIP } from 'node:net';

/** A CI platform whose OIDC tokens may be exchanged for short-lived publish tokens. */
export interface TrustedIssuer {
  /** The `iss` claim, exactly as the issuer writes it (no trailing slash). */
  readonly url: string;
  readonly kind: 'github' | 'gitlab';
  /** The `aud` a token must carry; null until the loader fills in the registry's public URL. */
  readonly audience: string | null;
}

const KINDS = ['github', 'gitlab'];

/**
 * `[[trusted_publishing.issuers]]` from wharf.toml (a table holding an `issuers` array), or
 * WHARF_TRUSTED_PUBLISHING_ISSUERS as a JSON array of the same tables. Plain http is allowed only
 * for loopback issuers, so a token's keys can never be swapped on the network.
 */
export function parseTrustedIssuers(v: unknown): TrustedIssuer[] {
  let list: unknown = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      throw new Error('must be a JSON array of {"url", "kind", "audience"} objects');
    }
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const { issuers, ...rest } = v as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) throw new Error(`unknown setting \`${unknownKeys[0]}\` (only \`issuers\` is known)`);
    list = issuers ?? [];
  }
  if (!Array.isArray(list)) throw new Error('must be a list of issuer tables ([[trusted_publishing.issuers]])');
  const seen = new Set<string>();
  return list.map((item, i) => {
    const issuer = parseIssuer(item, `issuer ${i + 1}`);
    if (seen.has(issuer.url)) throw new Error(`issuer ${i + 1}: \`${issuer.url}\` is listed twice`);
    seen.add(issuer.url);
    return issuer;
  });
}

function parseIssuer(item: unknown, where: string): TrustedIssuer {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`${where}: must be a table with \`url\` and \`kind\``);
  const { url, kind, audience, ...rest } = item as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new Error(`${where}: unknown key \`${extra[0]}\` (known: url, kind, audience)`);
  if (typeof kind !== 'string' || !KINDS.includes(kind)) throw new Error(`${where}: \`kind\` must be one of ${KINDS.join(', ')}, got \`${String(kind)}\``);
  if (audience !== undefined && (typeof audience !== 'string' || audience.trim() === '')) {
    throw new Error(`${where}: \`audience\` must be a non-empty string`);
  }
  return { url: issuerUrl(url, where), kind: kind as TrustedIssuer['kind'], audience: audience === undefined ? null : (audience as string).trim() };
}

function issuerUrl(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${where}: \`url\` must be a non-empty string`);
  let url: URL;
  try {
    url = new URL(v.trim());
  } catch {
    throw new Error(`${where}: \`url\` must be an absolute URL, got \`${v}\``);
  }
  if (url.search || url.hash || url.username || url.password) throw new Error(`${where}: \`url\` must not have a query, fragment or credentials, got \`${v}\``);
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new Error(`${where}: \`${v}\` must use https (plain http is allowed only for loopback issuers such as 127.0.0.1 or [::1])`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${where}: \`url\` must be an https URL, got \`${v}\``);
  return v.trim().replace(/\/+$/, '');
}

/** 127.0.0.0/8 and ::1 only: a name such as `localhost` could resolve elsewhere. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host);
  return false;
}
