import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { canonicalCrateName } from '../core/crate-name.js';
import { type DependencyKind, type IndexVersion, renderIndexFile } from '../core/index-line.js';
import { SecondChanceCache } from './second-chance-cache.js';
import type { Db } from '../db/create-db.js';
import {
  findCrateByName,
  listDependencies,
  listVersionSizes,
  listVersionsByIds,
  type CrateRow,
  type DependencyRow,
  type VersionRow,
} from '../db/repositories/crate.repository.js';

/** A rendered index file, ready to send: no work is left for the read path. */
export interface IndexEntry {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  gzipEtag: string;
}

/**
 * Work on the event loop is cut into slices (of versions read and rendered, of bytes hashed)
 * with a turn of the loop between them: a crate's index file is as large as its publishers make
 * it (tens of MB for thirty versions with a megabyte of features each), and nothing else may
 * wait for all of it. Compression runs in libuv's thread pool.
 */
const SLICE = 1024 * 1024;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const gzipInPool = promisify(gzip);

/** Versions read per query at most; fewer when their features make a slice. */
const VERSIONS_PER_READ = 256;

/** Renders a crate's whole index file from the database. */
export async function renderCrateIndex(db: Db, crate: CrateRow): Promise<string> {
  const parts: string[] = [];
  const batches = slices(await listVersionSizes(db, crate.id));
  for (const [i, ids] of batches.entries()) {
    if (i > 0) await nextTurn();
    const versions = await listVersionsByIds(db, ids);
    const deps = await listDependencies(db, ids);
    const byVersion = new Map<number, typeof deps>();
    for (const d of deps) {
      const list = byVersion.get(d.version_id) ?? [];
      list.push(d);
      byVersion.set(d.version_id, list);
    }
    parts.push(renderIndexFile(versions.map((v) => indexVersion(crate, v, byVersion.get(v.id) ?? []))));
  }
  return parts.join('');
}

/** Version ids in publish order, cut into reads of about SLICE characters of features each. */
function slices(sizes: ReadonlyArray<{ id: number; size: number }>): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const { id, size } of sizes) {
    if (current.length > 0 && (bytes + size > SLICE || current.length >= VERSIONS_PER_READ)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(id);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function indexVersion(crate: CrateRow, v: VersionRow, deps: readonly DependencyRow[]): IndexVersion {
  return {
    name: crate.name,
    vers: v.num,
    cksum: v.checksum,
    features: JSON.parse(v.features) as Record<string, string[]>,
    yanked: v.yanked === 1,
    links: v.links,
    rustVersion: v.rust_version,
    publishedAt: new Date(v.created_at),
    deps: deps.map((d) => ({
      name: d.name,
      explicitName: d.explicit_name,
      req: d.req,
      features: JSON.parse(d.features) as string[],
      optional: d.optional === 1,
      defaultFeatures: d.default_features === 1,
      target: d.target,
      kind: d.kind as DependencyKind,
      registry: d.registry,
    })),
  };
}

/**
 * An index file ready to send: its bytes, their gzip and a strong ETag for each. Hashed a slice at
 * a time with the event loop free in between, and compressed in the thread pool.
 */
export async function prepareIndexEntry(text: string): Promise<IndexEntry> {
  const body = Buffer.from(text, 'utf8');
  const sha = createHash('sha256');
  for (let at = 0; at < body.length; at += SLICE) {
    if (at > 0) await nextTurn();
    sha.update(body.subarray(at, at + SLICE));
  }
  const hash = sha.digest('base64url').slice(0, 27);
  // Copied out, a cached entry holds only its own bytes, not the compressor's output chunk (100k
  // small files held 1.8 GB before, bench/README.md).
  const gzipped = Buffer.from(await gzipInPool(body, { level: 9 }));
  return { body, gzip: gzipped, etag: `"${hash}"`, gzipEtag: `"${hash}-gz"` };
}

/** Bytes of index files kept in memory by default; beyond it the least recently read are dropped. */
export const INDEX_CACHE_BYTES = 32 * 1024 * 1024;
/** What an entry costs besides its two buffers (objects, etag strings, map slot), as measured. */
const ENTRY_OVERHEAD = 600;

/**
 * Index files kept in memory while nothing changes, up to a byte budget, so memory stays flat
 * however many crates the registry holds. A publish or yank calls `invalidate`, and the next read
 * re-renders the whole file from the database. Concurrent misses for one crate share a single
 * render.
 */
export class IndexCache {
  private readonly slots: SecondChanceCache<IndexEntry>;
  private readonly inflight = new Map<string, Promise<IndexEntry | null>>();
  private generation = new Map<string, number>();

  constructor(
    private readonly db: Db,
    maxBytes = INDEX_CACHE_BYTES,
  ) {
    this.slots = new SecondChanceCache(maxBytes);
  }

  /** The cached entry for `lowerName`, if there is one; never renders. */
  peek(lowerName: string): IndexEntry | undefined {
    return this.slots.peek(lowerName);
  }

  /** The entry for the crate whose lowercased name is `lowerName`, or null when no such crate. */
  async get(lowerName: string): Promise<IndexEntry | null> {
    const hit = this.peek(lowerName);
    if (hit) return hit;
    const running = this.inflight.get(lowerName);
    if (running) return running;
    const startGen = this.generation.get(canonicalCrateName(lowerName)) ?? 0;
    const job: Promise<IndexEntry | null> = (async () => {
      const crate = await findCrateByName(this.db, lowerName);
      if (!crate) return null;
      const entry = await prepareIndexEntry(await renderCrateIndex(this.db, crate));
      // Only keep the render if no change landed while it ran; otherwise the next read renders again.
      if ((this.generation.get(canonicalCrateName(lowerName)) ?? 0) === startGen) this.store(lowerName, entry);
      return entry;
    })().finally(() => {
      if (this.inflight.get(lowerName) === job) this.inflight.delete(lowerName);
    });
    this.inflight.set(lowerName, job);
    return job;
  }

  /** Bytes held now (buffers plus the estimated overhead per entry). */
  get size(): number {
    return this.slots.bytes;
  }

  private store(key: string, entry: IndexEntry): void {
    this.slots.set(key, entry, entry.body.length + entry.gzip.length + ENTRY_OVERHEAD);
  }

  invalidate(name: string): void {
    const canon = canonicalCrateName(name);
    this.generation.set(canon, (this.generation.get(canon) ?? 0) + 1);
    this.slots.delete(name.toLowerCase());
    this.inflight.delete(name.toLowerCase());
  }

  clear(): void {
    for (const key of this.slots.keys()) this.invalidate(key);
  }
}
