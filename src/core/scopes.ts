/**
 * Token scopes (RFC 2947 and a read scope for private registries). Pure.
 * Every token carries explicit endpoint scopes and crate patterns; "all" is written out at
 * creation time, never inferred from missing data.
 */
export const ENDPOINT_SCOPES = ['publish-new', 'publish-update', 'yank', 'change-owners', 'trusted-publishing', 'read'] as const;
export type EndpointScope = (typeof ENDPOINT_SCOPES)[number];

export const ALL_CRATES = '*';
const MAX_PATTERNS = 100;

export function isEndpointScope(s: string): s is EndpointScope {
  return (ENDPOINT_SCOPES as readonly string[]).includes(s);
}

/** Parses a comma-separated scope list; throws with the unknown names. */
export function parseScopes(list: string | readonly string[]): EndpointScope[] {
  const items = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((s) => !isEndpointScope(s));
  if (unknown.length > 0) throw new Error(`unknown scope ${unknown.map((s) => `\`${s}\``).join(', ')} (known: ${ENDPOINT_SCOPES.join(', ')})`);
  if (items.length === 0) throw new Error('a token needs at least one scope');
  return [...new Set(items)].sort() as EndpointScope[];
}

/** A crate pattern is an exact crate name or a prefix ending in `*` (`*` alone = every crate). */
export function patternProblem(pattern: string): string | null {
  const body = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
  if (body === '' && pattern === '*') return null;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(body)) return `invalid crate pattern \`${pattern}\`: use a crate name or a prefix ending in *`;
  return null;
}

export function parseCratePatterns(list: string | readonly string[]): string[] {
  const items = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('a token needs at least one crate pattern (use * for every crate)');
  if (items.length > MAX_PATTERNS) throw new Error(`at most ${MAX_PATTERNS} crate patterns`);
  for (const p of items) {
    const problem = patternProblem(p);
    if (problem) throw new Error(problem);
  }
  return [...new Set(items)];
}

/** Patterns match crate names the way cargo treats them: case-insensitively and with `-` equal to `_`. */
export function patternMatches(pattern: string, crateName: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, '_');
  if (pattern.endsWith('*')) return norm(crateName).startsWith(norm(pattern.slice(0, -1)));
  return norm(crateName) === norm(pattern);
}

export function anyPatternMatches(patterns: readonly string[], crateName: string): boolean {
  return patterns.some((p) => patternMatches(p, crateName));
}
