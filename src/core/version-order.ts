import { compareVersions, type Version, withoutBuild } from './semver.js';

/**
 * Orders of a crate's stored versions, and the summary crates.io gives of them. Pure: it works on
 * keys (`num`, `yanked`), so pages, lists and the publish transaction share one rule.
 */

/** The fields of a version these rules read. */
export interface OrderedVersion {
  num: string;
  yanked: number;
}

/**
 * The precedence of a stored version, read without validating it again (publish did): parsing
 * with validation costs microseconds a version, which a crate of ten thousand versions would pay
 * on every view. Null when it is not MAJOR.MINOR.PATCH, which publish never stores.
 */
function precedence(num: string): Version | null {
  const main = withoutBuild(num);
  const dash = main.indexOf('-');
  const [major, minor, patch, ...rest] = (dash === -1 ? main : main.slice(0, dash)).split('.').map(Number);
  if (rest.length > 0 || ![major, minor, patch].every((n) => Number.isSafeInteger(n))) return null;
  return { major: major!, minor: minor!, patch: patch!, pre: dash === -1 ? [] : main.slice(dash + 1).split('.'), build: [], raw: num };
}

/** True for a pre-release (a `-` before any build metadata). */
export const isPrereleaseNum = (num: string): boolean => withoutBuild(num).includes('-');

/** Semver order, highest first; a number that is not a version (never stored by publish) sorts last. */
export function bySemverDescending<V extends Pick<OrderedVersion, 'num'>>(versions: readonly V[]): V[] {
  return versions
    .map((v) => ({ v, order: precedence(v.num) }))
    .sort((a, b) => {
      if (a.order && b.order) return compareVersions(b.order, a.order);
      return a.order ? -1 : b.order ? 1 : a.v.num < b.v.num ? 1 : a.v.num > b.v.num ? -1 : 0;
    })
    .map(({ v }) => v);
}

/** Whether `num` is above every one of `versions` (yanked ones included): a new highest version. */
export function isAboveAll(num: string, versions: readonly Pick<OrderedVersion, 'num'>[]): boolean {
  const v = precedence(num);
  if (!v) return false;
  return versions.every((other) => {
    const o = precedence(other.num);
    return o === null || compareVersions(v, o) > 0;
  });
}

/**
 * The version a crate shows by default, out of its versions in semver order (highest first): the
 * highest unyanked stable one, else the highest unyanked, else the highest.
 */
export function defaultOfSorted<V extends OrderedVersion>(sorted: readonly V[]): V | undefined {
  return sorted.find((v) => v.yanked === 0 && !isPrereleaseNum(v.num)) ?? sorted.find((v) => v.yanked === 0) ?? sorted[0];
}

/** crates.io's summary of a crate's versions, kept on the crate row so lists never read every version. */
export interface VersionSummary {
  /** The highest unyanked version, else the highest. */
  max_version: string;
  max_stable_version: string | null;
  /** The last published. */
  newest_version: string;
  default_version: string | null;
  num_versions: number;
  /** Whether every version is yanked. */
  all_yanked: boolean;
}

/** `versions` in publish order. */
export function summarizeVersions(versions: readonly OrderedVersion[]): VersionSummary {
  const sorted = bySemverDescending(versions);
  const unyanked = (v: OrderedVersion) => v.yanked === 0;
  const maxVersion = sorted.find(unyanked)?.num ?? sorted[0]?.num ?? '0.0.0';
  return {
    max_version: maxVersion,
    max_stable_version: sorted.find((v) => unyanked(v) && !isPrereleaseNum(v.num))?.num ?? null,
    newest_version: versions.at(-1)?.num ?? maxVersion,
    default_version: defaultOfSorted(sorted)?.num ?? null,
    num_versions: versions.length,
    all_yanked: versions.length > 0 && versions.every((v) => v.yanked === 1),
  };
}
