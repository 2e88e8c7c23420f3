/**
 * Cargo version requirements (`^1.2`, `>=1.2, <2`, `1.*`), accepted as Rust's `semver` crate
 * `VersionReq::parse` accepts them: a requirement we store in the index must be one that every
 * cargo can read back. Pure.
 */
import { badRequest } from './errors.js';
import { comparePrerelease, identifiersProblem, numberProblem, type Version } from './semver.js';

/** Longer than anything cargo writes; bounds the work and the size of an index line. */
export const MAX_REQ_LENGTH = 1024;
/** The `semver` crate refuses more comparators than this, so cargo could never send more. */
export const MAX_COMPARATORS = 32;

/** `*` is the `semver` crate's `Op::Wildcard`: the implicit operator of `1.*` and `1.2.x`. */
export type ReqOp = '=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '*';

export interface Comparator {
  op: ReqOp;
  major: number;
  /** null when omitted or a wildcard (`1`, `1.*`). */
  minor: number | null;
  /** null when omitted or a wildcard (`1.2`, `1.2.x`). */
  patch: number | null;
  pre: string[];
}

// Longest first, so that `>=` is not read as `>` followed by a stray `=`.
const OPERATORS = ['>=', '<=', '=', '>', '<', '~', '^'] as const;
const WILDCARDS = new Set(['*', 'x', 'X']);

/** Returns why `s` is not an acceptable version requirement, or null when it is. */
export function reqProblem(s: unknown): string | null {
  const result = analyse(s);
  return typeof result === 'string' ? result : null;
}

/**
 * Parses a requirement into its comparators; a bare wildcard (`*`) yields none, as in the
 * `semver` crate. Throws a `bad_request` AppError on invalid input.
 */
export function parseVersionReq(s: string): Comparator[] {
  const result = analyse(s);
  if (typeof result === 'string') throw badRequest(result);
  return result;
}

/**
 * Cargo's matching: every comparator must match, and a pre-release version only matches when some
 * comparator names the same MAJOR.MINOR.PATCH with a pre-release of its own, so that `^1.0` never
 * silently pulls in `1.1.0-beta`.
 */
export function reqMatches(comparators: readonly Comparator[], v: Version): boolean {
  if (!comparators.every((c) => comparatorMatches(c, v))) return false;
  if (v.pre.length === 0) return true;
  return comparators.some(
    (c) => c.major === v.major && c.minor === v.minor && c.patch === v.patch && c.pre.length > 0,
  );
}

function analyse(s: unknown): Comparator[] | string {
  if (typeof s !== 'string') return 'the version requirement must be a string';
  if (s.length > MAX_REQ_LENGTH) {
    return `the version requirement \`${s.slice(0, 40)}...\` is too long (${s.length} characters, max ${MAX_REQ_LENGTH})`;
  }
  const invalid = (why: string): string => `invalid version requirement \`${s}\`: ${why}`;
  // Only spaces, like the `semver` crate: a tab or newline here would be rejected by cargo.
  const text = trimSpaces(s);
  if (text === '') return invalid('the requirement is empty');
  if (WILDCARDS.has(text)) return [];

  const pieces = text.split(',').map(trimSpaces);
  if (pieces.length > MAX_COMPARATORS) {
    return invalid(`too many comparators (${pieces.length}, max ${MAX_COMPARATORS})`);
  }
  const comparators: Comparator[] = [];
  for (const piece of pieces) {
    const result = parseComparator(piece, pieces.length);
    if (typeof result === 'string') return invalid(result);
    comparators.push(result);
  }
  return comparators;
}

function parseComparator(piece: string, count: number): Comparator | string {
  if (piece === '') return 'empty comparator (a stray `,`?)';
  if (WILDCARDS.has(piece) && count > 1) {
    return `the wildcard \`${piece}\` must be the only comparator`;
  }
  const explicit = OPERATORS.find((op) => piece.startsWith(op));
  const rest = trimSpaces(piece.slice(explicit?.length ?? 0));
  const space = rest.indexOf(' ');
  if (space !== -1) {
    const next = trimSpaces(rest.slice(space));
    return `expected \`,\` between comparators, found \`${next[0] ?? ' '}\``;
  }
  if (rest === '') return `the operator \`${explicit ?? ''}\` has no version`;

  // The version may carry `-pre` and `+build`; both need a full MAJOR.MINOR.PATCH.
  const plus = rest.indexOf('+');
  const main = plus === -1 ? rest : rest.slice(0, plus);
  const dash = main.indexOf('-');
  const core = dash === -1 ? main : main.slice(0, dash);
  const parts = core.split('.');
  if (parts.length > 3) return `\`${rest}\` has more than three version parts`;

  const [majorText = '', minorText, patchText] = parts;
  if (WILDCARDS.has(majorText)) {
    return `the major version cannot be a wildcard in \`${piece}\`: only a bare \`*\` as the whole requirement`;
  }
  const majorProblem = numberProblem(majorText, 'major version');
  if (majorProblem) return majorProblem;

  let wildcard = false;
  const part = (text: string | undefined, what: string): number | null | string => {
    if (text === undefined) return null;
    if (WILDCARDS.has(text)) {
      wildcard = true;
      return null;
    }
    if (wildcard) return `a wildcard cannot be followed by a version number (\`${rest}\`)`;
    return numberProblem(text, what) ?? Number(text);
  };
  const minor = part(minorText, 'minor version');
  if (typeof minor === 'string') return minor;
  const patch = part(patchText, 'patch version');
  if (typeof patch === 'string') return patch;

  const full = patch !== null;
  const preText = dash === -1 ? null : main.slice(dash + 1);
  if (preText !== null) {
    if (!full) return `a pre-release needs a full MAJOR.MINOR.PATCH version (\`${rest}\`)`;
    const problem = identifiersProblem(preText, 'pre-release');
    if (problem) return problem;
  }
  // Build metadata is accepted for compatibility and then dropped: it never affects matching.
  if (plus !== -1) {
    if (!full) return `build metadata needs a full MAJOR.MINOR.PATCH version (\`${rest}\`)`;
    const problem = identifiersProblem(rest.slice(plus + 1), 'build');
    if (problem) return problem;
  }

  return {
    op: explicit ?? (wildcard ? '*' : '^'),
    major: Number(majorText),
    minor,
    patch,
    pre: preText === null ? [] : preText.split('.'),
  };
}

function comparatorMatches(c: Comparator, v: Version): boolean {
  switch (c.op) {
    case '=':
    case '*':
      return matchesExact(c, v);
    case '>':
      return compareToPartial(v, c) > 0;
    case '>=':
      return matchesExact(c, v) || compareToPartial(v, c) > 0;
    case '<':
      return compareToPartial(v, c) < 0;
    case '<=':
      return matchesExact(c, v) || compareToPartial(v, c) < 0;
    case '~':
      return matchesTilde(c, v);
    case '^':
      return matchesCaret(c, v);
  }
}

function matchesExact(c: Comparator, v: Version): boolean {
  return (
    v.major === c.major &&
    (c.minor === null || v.minor === c.minor) &&
    (c.patch === null || v.patch === c.patch) &&
    comparePrerelease(v.pre, c.pre) === 0
  );
}

/**
 * Orders `v` against a comparator's possibly partial version. A missing part means "any", so a
 * version inside that range is neither above nor below it (`>1` does not match `1.5.0`).
 */
function compareToPartial(v: Version, c: Comparator): number {
  if (v.major !== c.major) return v.major - c.major;
  if (c.minor === null) return 0;
  if (v.minor !== c.minor) return v.minor - c.minor;
  if (c.patch === null) return 0;
  if (v.patch !== c.patch) return v.patch - c.patch;
  return comparePrerelease(v.pre, c.pre);
}

/** `~1.2.3` := `>=1.2.3, <1.3.0`; `~1.2` := `1.2.*`; `~1` := `1.*`. */
function matchesTilde(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false;
  if (c.minor !== null && v.minor !== c.minor) return false;
  if (c.patch !== null && v.patch !== c.patch) return v.patch > c.patch;
  return comparePrerelease(v.pre, c.pre) >= 0;
}

/** `^` allows changes that do not modify the left-most non-zero part (`^0.2.3` := `>=0.2.3, <0.3.0`). */
function matchesCaret(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false;
  if (c.minor === null) return true;
  if (c.patch === null) return c.major > 0 ? v.minor >= c.minor : v.minor === c.minor;
  if (c.major > 0) {
    if (v.minor !== c.minor) return v.minor > c.minor;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (c.minor > 0) {
    if (v.minor !== c.minor) return false;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (v.minor !== c.minor || v.patch !== c.patch) {
    return false;
  }
  return comparePrerelease(v.pre, c.pre) >= 0;
}

function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, '');
}
