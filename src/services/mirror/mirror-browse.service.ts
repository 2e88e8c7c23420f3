import { notFound } from '../../core/errors.js';
import { parseUpstreamIndex, type UpstreamDependency, type UpstreamVersion } from '../../core/mirror-index.js';
import { compareVersions, isPrerelease, parseVersion } from '../../core/semver.js';
import { findMirrorIndexFile, listMirrorCrateFiles, searchMirrorIndexFiles } from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';

export interface MirroredListItem {
  name: string;
  latest: string | null;
  versions: number;
  checkedAt: string;
}

export interface MirroredCratePage {
  name: string;
  upstream: string | null;
  checkedAt: string;
  /** The upstream's last refusal (404, 410, 451) of a crate still served from the cache. */
  vanished: number | null;
  /** Newest first, with what the mirror holds of each. */
  versions: Array<{ vers: string; yanked: boolean; cached: boolean; downloads: number }>;
  latest: string | null;
  /** The normal and build dependencies of the latest version. */
  dependencies: UpstreamDependency[];
}

const SEARCH_LIMIT = 50;

/**
 * The mirrored crates the cache holds whose name contains `query`: browsed apart from the
 * private crates, and only from the cache (browsing never asks the upstream).
 */
export async function searchMirrored(ctx: ServiceContext, query: string): Promise<MirroredListItem[]> {
  const fragment = query.trim().toLowerCase().replace(/[^a-z0-9_-]/g, '');
  const rows = await searchMirrorIndexFiles(ctx.db, fragment, SEARCH_LIMIT);
  return rows.map((row) => {
    const versions = versionsOf(row.body, row.name);
    return { name: versions[0]?.name ?? row.name, latest: latestOf(versions), versions: versions.length, checkedAt: row.checked_at };
  });
}

export async function mirroredCratePage(ctx: ServiceContext, name: string): Promise<MirroredCratePage> {
  const lower = name.toLowerCase();
  const row = await findMirrorIndexFile(ctx.db, lower);
  if (!row) throw notFound(`the mirror holds no crate named \`${name}\``);
  const versions = versionsOf(row.body, lower);
  const files = new Map((await listMirrorCrateFiles(ctx.db, lower)).map((f) => [f.version, f]));
  const latest = latestOf(versions);
  const latestLine = versions.find((v) => v.vers === latest);
  return {
    name: versions[0]?.name ?? lower,
    upstream: ctx.config.mirrorUpstream,
    checkedAt: row.checked_at,
    vanished: row.upstream_status,
    versions: versions
      .map((v) => ({ vers: v.vers, yanked: v.yanked, cached: files.has(v.vers), downloads: Number(files.get(v.vers)?.downloads ?? 0) }))
      .sort((a, b) => compare(b.vers, a.vers)),
    latest,
    dependencies: (latestLine?.deps ?? []).filter((d) => d.kind !== 'dev'),
  };
}

function versionsOf(body: string, name: string): UpstreamVersion[] {
  try {
    return parseUpstreamIndex(Buffer.from(body, 'utf8'), name);
  } catch {
    return [];
  }
}

/** The newest version that is neither yanked nor a pre-release, else the newest of all. */
function latestOf(versions: readonly UpstreamVersion[]): string | null {
  const sorted = [...versions].sort((a, b) => compare(b.vers, a.vers));
  return (sorted.find((v) => !v.yanked && !prerelease(v.vers)) ?? sorted[0])?.vers ?? null;
}

function prerelease(vers: string): boolean {
  try {
    return isPrerelease(parseVersion(vers));
  } catch {
    return true;
  }
}

function compare(a: string, b: string): number {
  try {
    return compareVersions(parseVersion(a), parseVersion(b));
  } catch {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}
