import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { canonicalCrateName } from '../../core/crate-name.js';
import { AppError, notFound } from '../../core/errors.js';
import { parseUpstreamIndex, upstreamDownloadUrl } from '../../core/mirror-index.js';
import { findMirrorCrateFile, insertMirrorCrateFile } from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';
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
export class MirrorCrates {
  private readonly inflight = new Map<string, Promise<{ bytes: Buffer; checksum: string }>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly index: MirrorIndex,
    private readonly upstream: UpstreamClient | null,
    private readonly activity: MirrorActivity,
  ) {}

  /** A download: the file, from the blob store or fetched now, counted once it is found. */
  async get(name: string, version: string): Promise<MirrorCrateFile> {
    const lower = name.toLowerCase();
    const row = await findMirrorCrateFile(this.ctx.db, lower, version);
    if (row) {
      const file = await this.ctx.blobs.get(row.blob_key);
      if (file) {
        this.activity.download(lower, version, true);
        return { body: file.bytes ?? file.stream, size: file.size };
      }
    }
    const { bytes } = await this.fetchShared(name, version);
    this.activity.download(lower, version, false);
    return { body: bytes, size: bytes.length };
  }

  /** Makes sure a version's file is cached, fetching it when it is not (`fetched`). */
  async ensure(name: string, version: string): Promise<{ checksum: string; size: number; fetched: boolean }> {
    const row = await findMirrorCrateFile(this.ctx.db, name.toLowerCase(), version);
    if (row && (await this.ctx.blobs.exists(row.blob_key))) return { checksum: row.checksum, size: row.size, fetched: false };
    const { bytes, checksum } = await this.fetchShared(name, version);
    return { checksum, size: bytes.length, fetched: true };
  }

  private fetchShared(name: string, version: string): Promise<{ bytes: Buffer; checksum: string }> {
    if (this.upstream === null) {
      throw notFound(`\`${name}@${version}\` is not in the mirror's cache, and this Wharf is offline (mirror_offline = true): it never asks the upstream`);
    }
    const lower = name.toLowerCase();
    const key = `${lower}@${version}`;
    let job = this.inflight.get(key);
    if (!job) {
      job = this.fetch(this.upstream, lower, version)
        .catch((err: unknown) => {
          if (err instanceof AppError && err.status >= 500) this.activity.error(err.detail);
          throw err;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, job);
    }
    return job;
  }

  private async fetch(upstream: UpstreamClient, lower: string, version: string): Promise<{ bytes: Buffer; checksum: string }> {
    const { entry } = await this.index.get(lower);
    const line = parseUpstreamIndex(entry.body, lower).find((v) => v.vers === version);
    if (!line) throw notFound(`crate \`${lower}\` has no version \`${version}\` at the mirror's upstream ${upstream.indexUrl}`);
    const url = upstreamDownloadUrl(await upstream.downloadTemplate(), line.name, line.vers, line.cksum);
    const bytes = await upstream.crateFile(url);
    const digest = sha256Hex(bytes);
    if (digest !== line.cksum) {
      throw new AppError(
        'bad_gateway',
        `the mirror's upstream ${upstream.indexUrl} sent \`${line.name}@${line.vers}\` with SHA-256 ${digest}, but its index line says ${line.cksum}; the file was refused and not stored`,
      );
    }
    await storeMirrorCrate(this.ctx, line.name, line.vers, line.cksum, bytes);
    return { bytes, checksum: digest };
  }

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
