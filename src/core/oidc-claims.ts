/**
 * Who an OpenID Connect provider's claims let into the registry, and as what: pure rules, read by
 * the sign-in and by `wharf user sync-oidc` alike.
 */
export interface OidcRules {
  /** Verified e-mail domains allowed (lower case); empty: any. */
  allowedDomains: readonly string[];
  /** Groups allowed; empty: any. */
  allowedGroups: readonly string[];
  groupsClaim: string;
  /** Groups whose members are admins; empty: admin rights are not managed by the provider. */
  adminGroups: readonly string[];
}

export type Claims = Record<string, unknown>;

export type Admission =
  | { allowed: true; email: string | null; emailVerified: boolean; admin: boolean | null }
  | { allowed: false; reason: string };

/** The groups of the claims: an array of strings, or one string. */
export function groupsOf(claims: Claims, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

export function admission(claims: Claims, rules: OidcRules): Admission {
  const email = typeof claims.email === 'string' && /^[^\s@]+@[^\s@]+$/.test(claims.email) && claims.email.length <= 200 ? claims.email : null;
  const emailVerified = claims.email_verified === true;
  if (rules.allowedDomains.length > 0) {
    if (!email) return { allowed: false, reason: 'the provider gave no e-mail address' };
    if (!emailVerified) return { allowed: false, reason: 'the provider has not verified your e-mail address' };
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    if (!rules.allowedDomains.includes(domain)) return { allowed: false, reason: `e-mail addresses at ${domain} are not allowed on this registry` };
  }
  const groups = groupsOf(claims, rules.groupsClaim);
  if (rules.allowedGroups.length > 0 && !groups.some((g) => rules.allowedGroups.includes(g))) {
    return { allowed: false, reason: 'you are not in a group allowed on this registry' };
  }
  const admin = rules.adminGroups.length > 0 ? groups.some((g) => rules.adminGroups.includes(g)) : null;
  return { allowed: true, email, emailVerified, admin };
}

/** Room left for a `-NN` suffix within the 39 characters of a login. */
const BASE_MAX = 34;

/**
 * A valid login from `preferred_username`, else the e-mail's local part: letters, digits, `_`,
 * `.` and `-`, starting with a letter or digit; anything else becomes `-`. Never empty.
 */
export function loginCandidate(claims: Claims): string {
  const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username : '';
  const email = typeof claims.email === 'string' ? claims.email : '';
  const raw = preferred.includes('@') ? preferred.slice(0, preferred.indexOf('@')) : preferred || email.slice(0, Math.max(0, email.indexOf('@')));
  const cleaned = raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, BASE_MAX)
    .replace(/[^A-Za-z0-9]+$/, '');
  return cleaned === '' ? 'user' : cleaned;
}

/** The n-th login to try when the candidate is taken: `name`, `name-2`, `name-3`... */
export function loginVariant(base: string, n: number): string {
  return n <= 1 ? base : `${base}-${n}`;
}
