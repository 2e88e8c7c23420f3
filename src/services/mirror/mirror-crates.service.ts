import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { canonicalCrateName } from '../../core/crate-name.js';
import { AppError, notFound, operatorDetail } from '../../core/errors.js';
import { isMirrorableName, parseUpstreamIndex, upstreamDownloadUrl, type UpstreamVersion } from '../../core/mirror-index.js';
import { findMirrorCrateFile, insertMirrorCrateFile } from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';
import type { IndexEntry } from '../index.service.js';
import type { MirrorActivity } from './mirror-activity.js';
import type { MirrorIndex } from './mirror-index.service.js';
import type { UpstreamClient } from './upstream-client.js';

/** A mirrored .crate ready to send. */
export interface MirrorCrateFile {
  body: Buffer | Readable;
  size: number;
}

/** The blob key of a mirrored .crate: apart from private crates (`crates/`), with part of its checksum. */
export function mirrorCrateKey(name: string, version: string, checksum: string): string {
  return `mirror/${canonicalCrateName(name)}/${name.toLowerCase()}-${version}-${checksum.slice(0, 16)}.crate`;
}

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The mirror's .crate files: fetched from the upstream once, verified against the `cksum` of
 * their index line before anything is stored or sent, then kept in the blob store for good (a
 * version never changes). Concurrent misses for one file share one fetch.
 */
/** A verified file fetched now, and the promise of its storing (its blob, then its row). */
interface Fetched {
  bytes: Buffer;
  checksum: string;
  stored: Promise<void>;
}

/** About 150 bytes each. */
const MAX_KNOWN_LOCATIONS = 20_000;

export class MirrorCrates {
  private readonly inflight = new Map<string, Promise<Fetched>>();
  /** Blob keys of versions found stored, for the fast path (a mirrored version never changes). */
  private readonly known = new Map<string, string>();
  private readonly parsed = new WeakMap<IndexEntry, UpstreamVersion[]>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly index: MirrorIndex,
    private readonly upstream: UpstreamClient | null,
    private readonly activity: MirrorActivity,
  ) {}

  /** A download: the file, from the blob store or fetched now, counted once it is found. */
  async get(name: string, version: string): Promise<MirrorCrateFile> {
    requireMirrorable(name, version);
    const lower = name.toLowerCase();
    const row = await findMirrorCrateFile(this.ctx.db, lower, version);
    if (row) {
      const file = await this.ctx.blobs.get(row.blob_key);
      if (file) {
        this.remember(lower, version, row.blob_key);
        this.counted(lower, version, true);
        return { body: file.bytes ?? file.stream, size: file.size };
      }
    }
    // Only the request that starts the upstream fetch is a miss; the count waits for the row.
    const starts = !this.inflight.has(`${lower}@${version}`);
    const { bytes, stored } = await this.fetchShared(name, version);
    stored.then(
      () => this.counted(lower, version, !starts),
      () => undefined,
    );
    return { body: bytes, size: bytes.length };
  }

  /**
   * The blob key of a version stored by an earlier fetch, or null (nothing is fetched). Always
   * read from its row (one primary-key select), never from the remembered keys: a redirect is
   * not followed by Wharf, so it cannot notice a file that `wharf mirror remove` deleted from
   * another process, and would keep sending clients to a missing object.
   */
  async storedKey(name: string, version: string): Promise<string | null> {
    requireMirrorable(name, version);
    const lower = name.toLowerCase();
    const row = await findMirrorCrateFile(this.ctx.db, lower, version);
    if (!row) {
      this.known.delete(`${lower}@${version}`);
      return null;
    }
    this.remember(lower, version, row.blob_key);
    return row.blob_key;
  }

  /** Resolves once every file fetched so far is stored (or failed to be): before shutdown, and in tests. */
  async idle(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((job) => job.then((f) => f.stored).catch(() => undefined)));
  }

  /** The blob key of a version already found stored; never queries (the fast path's look-up). */
  peekKey(name: string, version: string): string | undefined {
    return this.known.get(`${name.toLowerCase()}@${version}`);
  }

  /** Counts a download answered elsewhere (the fast path) or here. */
  counted(name: string, version: string, hit: boolean): void {
    this.activity.download(name.toLowerCase(), version, hit);
  }

  /** Makes sure a version's file is cached, fetching it when it is not (`fetched`). */
  async ensure(name: string, version: string): Promise<{ checksum: string; size: number; fetched: boolean }> {
    requireMirrorable(name, version);
    const row = await findMirrorCrateFile(this.ctx.db, name.toLowerCase(), version);
    if (row && (await this.ctx.blobs.exists(row.blob_key))) return { checksum: row.checksum, size: row.size, fetched: false };
    const { bytes, checksum, stored } = await this.fetchShared(name, version);
    await stored;
    return { checksum, size: bytes.length, fetched: true };
  }

  /** An index file's lines, parsed once per prepared file (a crate's versions are fetched together). */
  private linesOf(entry: IndexEntry, lower: string): UpstreamVersion[] {
    let lines = this.parsed.get(entry);
    if (!lines) {
      lines = parseUpstreamIndex(entry.body, lower);
      this.parsed.set(entry, lines);
    }
    return lines;
  }

  private remember(lower: string, version: string, blobKey: string): void {
    if (this.known.size >= MAX_KNOWN_LOCATIONS) this.known.clear();
    this.known.set(`${lower}@${version}`, blobKey);
  }

  /**
   * One upstream fetch per file however many ask at once. The askers get the verified bytes as
   * soon as they are checked; the fetch stays shared until the file is stored, so a request that
   * arrives meanwhile does not fetch it again.
   */
  private fetchShared(name: string, version: string): Promise<Fetched> {
    if (this.upstream === null) {
      throw notFound(`\`${name}@${version}\` is not in the mirror's cache, and this Wharf is offline (mirror_offline = true): it never asks the upstream`);
    }
    const lower = name.toLowerCase();
    const key = `${lower}@${version}`;
    let job = this.inflight.get(key);
    if (!job) {
      job = this.fetch(this.upstream, lower, version).catch((err: unknown) => {
        if (err instanceof AppError && err.status >= 500) this.activity.error(operatorDetail(err));
        throw err;
      });
      const done = job;
      this.inflight.set(key, done);
      void done
        .then((f) => f.stored)
        .catch(() => undefined)
        .finally(() => {
          if (this.inflight.get(key) === done) this.inflight.delete(key);
        });
    }
    return job;
  }

  private async fetch(upstream: UpstreamClient, lower: string, version: string): Promise<Fetched> {
    const { entry } = await this.index.get(lower);
    const line = this.linesOf(entry, lower).find((v) => v.vers === version);
    if (!line) throw notFound(`crate \`${lower}\` has no version \`${version}\` at the mirror's upstream ${upstream.indexUrl}`);
    const url = upstreamDownloadUrl(await upstream.downloadTemplate(), line.name, line.vers, line.cksum);
    const bytes = await upstream.crateFile(url);
    const digest = sha256Hex(bytes);
    if (digest !== line.cksum) {
      // The digest received goes to the log only: in an answer it would tell a client something of
      // whatever the upstream made Wharf fetch.
      const refused = new AppError(
        'bad_gateway',
        `the mirror's upstream ${upstream.indexUrl} sent \`${line.name}@${line.vers}\` with another SHA-256 than its index line's ${line.cksum}; the file was refused and not stored`,
      );
      throw Object.assign(refused, { cause: `received ${bytes.length} bytes with SHA-256 ${digest} from ${url}` });
    }
    // Verified: it may be sent while it is being stored (a failed store only means a later fetch).
    const stored = storeMirrorCrate(this.ctx, line.name, line.vers, line.cksum, bytes).then(
      () => this.remember(lower, version, mirrorCrateKey(line.name, line.vers, line.cksum)),
      (err: unknown) => {
        this.activity.error(`storing \`${line.name}@${line.vers}\` failed: ${(err as Error).message}`);
        throw err;
      },
    );
    stored.catch(() => undefined);
    return { bytes, checksum: digest, stored };
  }
}

/** Names and versions that could make a path in a blob key or a URL are refused before any look-up. */
function requireMirrorable(name: string, version: string): void {
  if (!isMirrorableName(name, version)) throw notFound(`\`${name}@${version}\` is not a crate name and version`);
}

/** Writes a verified file, then its row (a crash between them leaves only an unreferenced file). */
export async function storeMirrorCrate(ctx: ServiceContext, name: string, version: string, checksum: string, bytes: Buffer): Promise<void> {
  const blobKey = mirrorCrateKey(name, version, checksum);
  await ctx.blobs.put(blobKey, bytes);
  await insertMirrorCrateFile(ctx.db, {
    name: name.toLowerCase(),
    version,
    checksum,
    blob_key: blobKey,
    size: bytes.length,
    created_at: ctx.clock.now().toISOString(),
  });
}
