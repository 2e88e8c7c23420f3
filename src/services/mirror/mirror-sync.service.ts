import { badRequest } from '../../core/errors.js';
import { isMirroredSource, parseCargoLock } from '../../core/cargo-lock.js';
import { parseUpstreamIndex } from '../../core/mirror-index.js';
import { parseVersion } from '../../core/semver.js';
import { parseVersionReq, reqMatches } from '../../core/version-req.js';
import type { Mirror, Progress } from './mirror.js';

/** What `wharf mirror sync` is asked to fetch. */
export interface SyncRequest {
  /** Cargo.lock files: their path (for messages) and text. */
  lockfiles: Array<{ path: string; text: string }>;
  /** `NAME` or `NAME@REQ` (a cargo version requirement). */
  crates: string[];
}

export interface SyncReport {
  /** Versions now cached, fetched by this run or before. */
  versions: number;
  fetched: number;
  bytes: number;
  /** Versions that could not be fetched, with the reason. */
  failures: string[];
}

/**
 * Fetches ahead of time what lockfiles or crates need, so a build later needs no upstream: every
 * registry package of the lockfiles, and for `--crate` every version matching the requirement
 * plus everything their normal and build dependencies can resolve to (all targets, all features,
 * optional ones included; yanked versions only when asked for directly).
 */
export async function syncMirror(mirror: Mirror, request: SyncRequest, progress: Progress = () => undefined): Promise<SyncReport> {
  if (!mirror.upstream) throw badRequest('`wharf mirror sync` needs an upstream: set mirror_upstream, and mirror_offline = false');
  const upstream = mirror.upstream.indexUrl;
  const report: SyncReport = { versions: 0, fetched: 0, bytes: 0, failures: [] };
  const done = new Set<string>();

  const fetchOne = async (name: string, version: string, lockedChecksum: string | null): Promise<boolean> => {
    const key = `${name.toLowerCase()}@${version}`;
    if (done.has(key)) return true;
    done.add(key);
    try {
      const { checksum, size, fetched } = await mirror.crates.ensure(name, version);
      if (lockedChecksum !== null && lockedChecksum !== checksum) {
        report.failures.push(`${name}@${version}: the lockfile's checksum ${lockedChecksum} is not the upstream's ${checksum}`);
      }
      report.versions += 1;
      if (fetched) {
        report.fetched += 1;
        report.bytes += size;
      }
      progress({ files: report.versions, bytes: report.bytes, total: null }, `${name}@${version}`);
      return true;
    } catch (err) {
      report.failures.push(`${name}@${version}: ${(err as Error).message}`);
      return false;
    }
  };

  for (const lock of request.lockfiles) {
    let packages;
    try {
      packages = parseCargoLock(lock.text);
    } catch (err) {
      throw badRequest(`${lock.path} is not a Cargo.lock: ${(err as Error).message}`);
    }
    for (const p of packages.filter((p) => isMirroredSource(p.source, upstream))) await fetchOne(p.name, p.version, p.checksum);
  }

  const queue = request.crates.map((spec) => ({ ...parseCrateSpec(spec), root: true }));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const { name, req, root } = queue.shift()!;
    const seenKey = `${name.toLowerCase()} ${req}`;
    if (seen.has(seenKey)) continue;
    seen.add(seenKey);
    let versions;
    let comparators;
    try {
      // A requirement Wharf cannot read (from an upstream index line) is one failure, not the end of the sync.
      comparators = parseVersionReq(req);
      versions = parseUpstreamIndex((await mirror.index.get(name.toLowerCase())).entry.body, name);
    } catch (err) {
      report.failures.push(`${name} ${req}: ${(err as Error).message}`);
      continue;
    }
    for (const v of versions) {
      if ((v.yanked && !root) || !matches(comparators, v.vers)) continue;
      if (!(await fetchOne(v.name, v.vers, null))) continue;
      for (const dep of v.deps) {
        if (dep.kind !== 'dev' && dep.registry === null) queue.push({ name: dep.name, req: dep.req, root: false });
      }
    }
  }
  return report;
}

function matches(comparators: ReturnType<typeof parseVersionReq>, vers: string): boolean {
  try {
    return reqMatches(comparators, parseVersion(vers));
  } catch {
    return false;
  }
}

/** `serde` or `serde@1.0` (a requirement: `@=1.0.3` pins one version). */
export function parseCrateSpec(spec: string): { name: string; req: string } {
  const at = spec.indexOf('@');
  const name = at < 0 ? spec : spec.slice(0, at);
  const req = at < 0 ? '*' : spec.slice(at + 1);
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw badRequest(`\`${spec}\` does not name a crate (NAME or NAME@REQ)`);
  parseVersionReq(req);
  return { name, req };
}
