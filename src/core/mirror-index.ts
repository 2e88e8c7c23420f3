import { versionProblem } from './semver.js';
import { bySemverDescending, defaultOfSorted } from './version-order.js';

/**
 * What the mirror reads from an upstream's index files: enough of each line to verify a .crate
 * and to follow dependencies. The file itself is stored and served as the upstream sent it.
 */
export interface UpstreamVersion {
  name: string;
  vers: string;
  cksum: string;
  yanked: boolean;
  deps: UpstreamDependency[];
}

export interface UpstreamDependency {
  /** The real package name (`package` when the dependency is renamed). */
  name: string;
  req: string;
  kind: 'normal' | 'build' | 'dev';
  optional: boolean;
  /** Another registry's index URL; null: the same registry. */
  registry: string | null;
}

const CKSUM = /^[0-9a-f]{64}$/;
const CRATE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Whether `name` and `version` (when given) can name a mirrored crate: the characters of a crate
 * name and a strict SemVer version, nothing that could become a path in a URL or a file name.
 */
export function isMirrorableName(name: string, version?: string): boolean {
  return CRATE_NAME.test(name) && (version === undefined || versionProblem(version) === null);
}
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The versions of `crate`'s index file; throws with a reason when the bytes are not such a file
 * (not UTF-8, a line that is not a JSON object, another crate's line, a bad checksum), so that
 * garbage from an upstream is refused before it reaches the cache.
 */
export function parseUpstreamIndex(body: Buffer, crate: string): UpstreamVersion[] {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new Error('the index file is not UTF-8');
  }
  const versions: UpstreamVersion[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} of the index file is not JSON`);
    }
    versions.push(versionOf(value, crate, i + 1));
  }
  if (versions.length === 0) throw new Error('the index file has no versions');
  return versions;
}

function versionOf(value: unknown, crate: string, lineNo: number): UpstreamVersion {
  const bad = (what: string) => new Error(`line ${lineNo} of the index file ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('is not a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name.toLowerCase() !== crate.toLowerCase()) throw bad(`is not a line of \`${crate}\``);
  // A strict SemVer version (as cargo reads it): it becomes part of file names and URLs, so a
  // hostile upstream cannot smuggle a path (`../`) in through it.
  if (typeof v.vers !== 'string' || versionProblem(v.vers) !== null) throw bad('has no valid `vers`');
  if (typeof v.cksum !== 'string' || !CKSUM.test(v.cksum)) throw bad('has no valid `cksum`');
  if (!Array.isArray(v.deps)) throw bad('has no `deps` list');
  const deps = v.deps.map((d: unknown) => {
    if (typeof d !== 'object' || d === null) throw bad('has a dependency that is not an object');
    const dep = d as Record<string, unknown>;
    const name = typeof dep.package === 'string' ? dep.package : dep.name;
    if (typeof name !== 'string' || typeof dep.req !== 'string') throw bad('has a dependency without a name or requirement');
    const kind = dep.kind === 'build' || dep.kind === 'dev' ? dep.kind : 'normal';
    return { name, req: dep.req, kind, optional: dep.optional === true, registry: typeof dep.registry === 'string' ? dep.registry : null } as const;
  });
  return { name: v.name, vers: v.vers, cksum: v.cksum, yanked: v.yanked === true, deps };
}

/**
 * The URL of a .crate named by an upstream's `dl` setting: its markers (`{crate}`, `{version}`,
 * `{prefix}`, `{lowerprefix}`, `{sha256-checksum}`) replaced, or without markers
 * `{dl}/{crate}/{version}/download`, as cargo does.
 */
export function upstreamDownloadUrl(dl: string, name: string, version: string, cksum: string): string {
  const markers = /\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/g;
  if (!markers.test(dl)) return `${dl.replace(/\/+$/, '')}/${encodeURIComponent(name)}/${encodeURIComponent(version)}/download`;
  const values: Record<string, string> = {
    crate: encodeURIComponent(name),
    version: encodeURIComponent(version),
    prefix: prefixOf(name),
    lowerprefix: prefixOf(name.toLowerCase()),
    'sha256-checksum': cksum,
  };
  return dl.replace(markers, (_m, key: string) => values[key] ?? '');
}

/** The folder part of a crate's index path, in the name's own case (`se/rd`, `3/s`, `1`). */
function prefixOf(name: string): string {
  if (name.length <= 2) return String(name.length);
  return name.length === 3 ? `3/${name.slice(0, 1)}` : `${name.slice(0, 2)}/${name.slice(2, 4)}`;
}

/** What lists show of a mirrored crate, kept beside its index file so they never parse it. */
export interface UpstreamIndexSummary {
  display_name: string | null;
  latest_version: string | null;
  num_versions: number;
}

/** The summary of a parsed index file: the version shown first by the private crates' rule. */
export function summarizeUpstreamIndex(versions: readonly UpstreamVersion[]): UpstreamIndexSummary {
  const sorted = bySemverDescending(versions.map((v) => ({ num: v.vers, yanked: v.yanked ? 1 : 0 })));
  return { display_name: versions[0]?.name ?? null, latest_version: defaultOfSorted(sorted)?.num ?? null, num_versions: versions.length };
}
