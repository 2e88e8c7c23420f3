/** Crate name rules, as crates.io applies them. Pure. */

export const MAX_NAME_LENGTH = 64;

const RESERVED = new Set([
  'std', 'core', 'alloc', 'proc_macro', 'test',
  'con', 'prn', 'aux', 'nul',
  ...Array.from({ length: 10 }, (_, i) => `com${i}`),
  ...Array.from({ length: 10 }, (_, i) => `lpt${i}`),
]);

/** Returns why `name` is not an acceptable crate name, or null when it is. */
export function crateNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the crate name is empty';
  if (name.length > MAX_NAME_LENGTH) {
    return `the crate name \`${truncate(name)}\` is too long (max ${MAX_NAME_LENGTH} characters)`;
  }
  if (!/^[A-Za-z]/.test(name)) {
    return `the crate name \`${name}\` must start with an ASCII letter`;
  }
  const bad = /[^A-Za-z0-9_-]/.exec(name);
  if (bad) {
    return `invalid character \`${bad[0]}\` in crate name \`${name}\`: only ASCII letters, digits, \`-\` and \`_\` are allowed`;
  }
  if (RESERVED.has(canonicalCrateName(name))) {
    return `the crate name \`${name}\` is reserved`;
  }
  return null;
}

/**
 * Two crate names collide when they are equal after lowercasing and treating `-` as `_`
 * (cargo's index lookups and `use` paths cannot tell them apart).
 */
export function canonicalCrateName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
