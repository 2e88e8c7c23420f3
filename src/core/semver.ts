/**
 * Strict SemVer 2.0.0 versions, accepted exactly as Rust's `semver` crate (and so cargo) parses
 * them, so that nothing enters the index that cargo would refuse to read back. Pure.
 */
import { badRequest } from './errors.js';

/** A registry rule, not a SemVer one: crates.io caps versions so index lines and URLs stay sane. */
export const MAX_VERSION_LENGTH = 150;

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers (`1.0.0-rc.1` -> `['rc', '1']`); empty for a release. */
  pre: string[];
  /** Build metadata identifiers; they never take part in precedence. */
  build: string[];
  /** The text exactly as given; it round-trips because the grammar has one spelling per value. */
  raw: string;
}

/** Returns why `s` is not an acceptable version, or null when it is. */
export function versionProblem(s: unknown): string | null {
  const result = analyse(s);
  return typeof result === 'string' ? result : null;
}

/** Parses a version or throws a `bad_request` AppError whose detail says what is wrong. */
export function parseVersion(s: string): Version {
  const result = analyse(s);
  if (typeof result === 'string') throw badRequest(result);
  return result;
}

/** SemVer precedence: negative, zero or positive. Build metadata is ignored (spec item 10). */
export function compareVersions(a: Version, b: Version): number {
  return (
    compareNumbers(a.major, b.major) ||
    compareNumbers(a.minor, b.minor) ||
    compareNumbers(a.patch, b.patch) ||
    comparePrerelease(a.pre, b.pre)
  );
}

/**
 * Orders pre-release identifier lists by spec item 11. An empty list (a release) sorts after every
 * pre-release of the same MAJOR.MINOR.PATCH, which is also what requirement matching relies on.
 */
export function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return compareNumbers(b.length, a.length);
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifiers(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return compareNumbers(a.length, b.length);
}

/** The version without `+build`: two versions equal after this cannot both be published. */
export function withoutBuild(raw: string): string {
  const plus = raw.indexOf('+');
  return plus === -1 ? raw : raw.slice(0, plus);
}

export function isPrerelease(v: Version): boolean {
  return v.pre.length > 0;
}

/**
 * Why `text` is not a SemVer numeric part (`what` names it in the message), or null. Shared with
 * version requirements, whose numbers follow the same rules.
 */
export function numberProblem(text: string, what: string): string | null {
  if (text === '') return `the ${what} is empty`;
  const bad = /[^0-9]/.exec(text);
  if (bad) return `unexpected character \`${bad[0]}\` in the ${what}`;
  if (text.length > 1 && text.startsWith('0')) return `the ${what} \`${text}\` has a leading zero`;
  // Precision ends here; Rust allows up to u64::MAX, but no real crate comes close.
  if (Number(text) > Number.MAX_SAFE_INTEGER) {
    return `the ${what} \`${text}\` is too large (max ${Number.MAX_SAFE_INTEGER})`;
  }
  return null;
}

/**
 * Why the dot-separated identifier list `text` (what follows `-` or `+`) is invalid, or null.
 * Only pre-release numbers forbid leading zeros: the spec lets build metadata keep them.
 */
export function identifiersProblem(text: string, kind: 'pre-release' | 'build'): string | null {
  for (const id of text.split('.')) {
    if (id === '') return `empty identifier in the ${kind} part \`${text}\``;
    const bad = /[^0-9A-Za-z-]/.exec(id);
    if (bad) {
      return `unexpected character \`${bad[0]}\` in the ${kind} part: only ASCII letters, digits and \`-\` are allowed`;
    }
    if (kind === 'pre-release' && /^0[0-9]+$/.test(id)) {
      return `numeric pre-release identifier \`${id}\` has a leading zero`;
    }
  }
  return null;
}

function analyse(s: unknown): Version | string {
  if (typeof s !== 'string') return 'the version must be a string';
  if (s.length > MAX_VERSION_LENGTH) {
    return `the version \`${s.slice(0, 40)}...\` is too long (${s.length} characters, max ${MAX_VERSION_LENGTH})`;
  }
  const invalid = (why: string): string => `invalid semver version \`${s}\`: ${why}`;
  if (s === '') return invalid('the version is empty');

  // The first `+` starts build metadata and the first `-` before it starts the pre-release;
  // any later `-` belongs to an identifier and any later `+` is rejected as a bad character.
  const plus = s.indexOf('+');
  const main = plus === -1 ? s : s.slice(0, plus);
  const dash = main.indexOf('-');
  const core = dash === -1 ? main : main.slice(0, dash);

  const parts = core.split('.');
  if (parts.length !== 3) {
    return invalid(`expected MAJOR.MINOR.PATCH, found ${parts.length} dot-separated part(s)`);
  }
  const names = ['major version', 'minor version', 'patch version'];
  for (const [i, part] of parts.entries()) {
    const problem = numberProblem(part, names[i]!);
    if (problem) return invalid(problem);
  }

  const preText = dash === -1 ? null : main.slice(dash + 1);
  if (preText !== null) {
    const problem = identifiersProblem(preText, 'pre-release');
    if (problem) return invalid(problem);
  }
  const buildText = plus === -1 ? null : s.slice(plus + 1);
  if (buildText !== null) {
    const problem = identifiersProblem(buildText, 'build');
    if (problem) return invalid(problem);
  }

  return {
    major: Number(parts[0]),
    minor: Number(parts[1]),
    patch: Number(parts[2]),
    pre: preText === null ? [] : preText.split('.'),
    build: buildText === null ? [] : buildText.split('.'),
    raw: s,
  };
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^[0-9]+$/.test(a);
  const bNumeric = /^[0-9]+$/.test(b);
  // Numeric identifiers have no leading zeros, so length then text orders them without the
  // precision loss that Number() would bring to very long ones.
  if (aNumeric && bNumeric) return compareNumbers(a.length, b.length) || compareText(a, b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return compareText(a, b);
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** ASCII-only identifiers, so UTF-16 code-unit order is the spec's "lexical in ASCII sort order". */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
