import { notFound } from '../../core/errors.js';
import { parseUpstreamIndex, summarizeUpstreamIndex, type UpstreamDependency, type UpstreamVersion } from '../../core/mirror-index.js';
import { bySemverDescending } from '../../core/version-order.js';
import { findMirrorIndexFile, findMirrorIndexState, listMirrorCrateFiles, searchMirrorIndexFiles } from '../../db/repositories/mirror.repository.js';
import { ByteLru } from '../byte-lru.js';
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
/** Memory for parsed mirrored crate pages (a version costs a few dozen bytes). */
const PAGE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * The mirrored crates the cache holds whose name contains `query`: browsed apart from the
 * private crates, and only from the cache (browsing never asks the upstream). Reads only the
 * summary kept beside each file, never a body.
 */
export async function searchMirrored(ctx: ServiceContext, query: string): Promise<MirroredListItem[]> {
  const fragment = query.trim().toLowerCase().replace(/[^a-z0-9_-]/g, '');
  const rows = await searchMirrorIndexFiles(ctx.db, fragment, SEARCH_LIMIT);
  return rows.map((row) => ({ name: row.display_name ?? row.name, latest: row.latest_version, versions: Number(row.num_versions), checkedAt: row.checked_at }));
}

/** What a page shows of an index file, parsed once per stored body. */
interface ParsedPage {
  name: string;
  versions: Array<{ vers: string; yanked: boolean }>;
  latest: string | null;
  dependencies: UpstreamDependency[];
}

/**
 * The pages of mirrored crates. An index file may be 16 MiB: it is parsed once per stored body
 * (known by its name and `changed_at`) and what the page shows is kept in a cache bounded by bytes.
 */
export class MirroredPages {
  private readonly parsed = new ByteLru<string, ParsedPage>(PAGE_CACHE_BYTES, (p) => 200 + p.versions.length * 48 + JSON.stringify(p.dependencies).length);

  constructor(private readonly ctx: ServiceContext) {}

  async page(name: string): Promise<MirroredCratePage> {
    const { ctx } = this;
    const lower = name.toLowerCase();
    const state = await findMirrorIndexState(ctx.db, lower);
    if (!state) throw notFound(`the mirror holds no crate named \`${name}\``);
    const key = `${lower} ${state.changed_at}`;
    let parsed = this.parsed.get(key);
    if (!parsed) {
      const row = await findMirrorIndexFile(ctx.db, lower);
      if (!row) throw notFound(`the mirror holds no crate named \`${name}\``);
      parsed = parsePage(row.body, lower);
      // Keyed by the time the body read was stored with, so a newer body is never hidden.
      this.parsed.set(`${lower} ${row.changed_at}`, parsed);
    }
    const files = new Map((await listMirrorCrateFiles(ctx.db, lower)).map((f) => [f.version, f]));
    return {
      name: parsed.name,
      upstream: ctx.config.mirrorUpstream,
      checkedAt: state.checked_at,
      vanished: state.upstream_status,
      versions: parsed.versions.map((v) => ({ ...v, cached: files.has(v.vers), downloads: Number(files.get(v.vers)?.downloads ?? 0) })),
      latest: parsed.latest,
      dependencies: parsed.dependencies,
    };
  }
}

function parsePage(body: string, name: string): ParsedPage {
  let versions: UpstreamVersion[];
  try {
    versions = parseUpstreamIndex(Buffer.from(body, 'utf8'), name);
  } catch {
    versions = [];
  }
  const { display_name, latest_version } = summarizeUpstreamIndex(versions);
  const latestLine = versions.find((v) => v.vers === latest_version);
  return {
    name: display_name ?? name,
    // Newest first.
    versions: bySemverDescending(versions.map((v) => ({ num: v.vers, yanked: v.yanked }))).map((v) => ({ vers: v.num, yanked: v.yanked })),
    latest: latest_version,
    dependencies: (latestLine?.deps ?? []).filter((d) => d.kind !== 'dev'),
  };
}
