import { sql } from 'kysely';
import { canonicalCrateName } from '../core/crate-name.js';
import { crateNotFound, versionNotFound } from '../core/errors.js';
import { findCrateByName, findVersion, findVersionFile } from '../db/repositories/crate.repository.js';
import { crateFileKey } from '../storage/keys.js';
import type { ServiceContext } from './context.js';

/** Where a version's file is, and what its download counts against. */
export interface DownloadLocation {
  crateId: number;
  versionId: number;
  key: string;
  /** The crate's name and the version as the database spells them (the request may differ in case). */
  crate: string;
  num: string;
}

/** Finds the file of a version; throws 404 for an unknown crate or version. */
export async function locateDownload(ctx: ServiceContext, name: string, num: string): Promise<DownloadLocation> {
  const crate = await findCrateByName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const version = await findVersion(ctx.db, crate.id, num);
  if (!version) throw versionNotFound(crate.name, num);
  return { crateId: crate.id, versionId: version.id, key: crateFileKey(crate.name, version.num, version.checksum), crate: crate.name, num: version.num };
}

/** About 150 bytes each: a few MiB at most. */
const MAX_REMEMBERED_LOCATIONS = 20_000;

/**
 * Download locations found so far, by the crate name and version as requested. A published
 * version never changes, so a location stays true until an administrator or owner deletes the
 * version or its crate: the deletion's index change (the change feed, on every instance) makes
 * `forget` drop the crate's entries. Yanked versions stay downloadable, as on crates.io.
 */
export class DownloadLocations {
  private readonly known = new Map<string, DownloadLocation>();

  constructor(private readonly ctx: ServiceContext) {}

  /** The location, if it was found before; never queries. */
  peek(name: string, num: string): DownloadLocation | undefined {
    return this.known.get(locationKey(name, num));
  }

  /** The location, looked up once; throws 404 for an unknown crate or version. */
  async locate(name: string, num: string): Promise<DownloadLocation> {
    const known = this.peek(name, num);
    if (known) return known;
    const found = await locateDownload(this.ctx, name, num);
    if (this.known.size >= MAX_REMEMBERED_LOCATIONS) this.known.clear();
    this.known.set(locationKey(name, num), found);
    return found;
  }

  /**
   * The location, checked against the database even when it is remembered (one primary-key
   * look-up): for a redirect, which Wharf does not follow, so a version deleted on another
   * instance before the change feed said so would otherwise get a 302 to a missing object, and
   * a count. A remembered location that no longer holds is forgotten and looked up again (a 404
   * for a deleted version, the new file of one deleted and published again).
   */
  async confirm(name: string, num: string): Promise<DownloadLocation> {
    const known = this.peek(name, num);
    if (known) {
      const row = await findVersionFile(this.ctx.db, known.versionId);
      if (row && crateFileKey(row.crate_name, row.num, row.checksum) === known.key) return known;
      this.forget(name);
    }
    return this.locate(name, num);
  }

  /** Drops every location of the crate (under any spelling the requests used). */
  forget(name: string): void {
    const folder = canonicalCrateName(name);
    for (const key of this.known.keys()) {
      if (canonicalCrateName(key.slice(0, key.lastIndexOf('/'))) === folder) this.known.delete(key);
    }
  }

  clear(): void {
    this.known.clear();
  }
}

/** Crate names are looked up regardless of case, so `Serde` and `serde` share one entry. */
function locationKey(name: string, num: string): string {
  return `${name.toLowerCase()}/${num}`;
}

/**
 * Download counts collected in memory and written in one transaction every few seconds (and at
 * shutdown), so a download never costs a database write.
 */
export class DownloadCounter {
  private pending = new Map<number, { crateId: number; count: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: ServiceContext) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.ctx.config.downloadFlushMs);
    this.timer.unref();
  }

  record(crateId: number, versionId: number): void {
    const entry = this.pending.get(versionId);
    if (entry) entry.count++;
    else this.pending.set(versionId, { crateId, count: 1 });
  }

  /** Writes what has been counted so far. Flushes run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const date = this.ctx.clock.now().toISOString().slice(0, 10);
    try {
      await this.ctx.db.transaction().execute(async (tx) => {
        for (const [versionId, { crateId, count }] of batch) {
          // Taken from the version's row, so the count of a version deleted meanwhile (on any
          // instance) is dropped instead of failing the whole batch on its foreign key.
          await tx
            .insertInto('version_downloads')
            .columns(['version_id', 'date', 'downloads'])
            .expression(
              tx
                .selectFrom('versions')
                .select(['id as version_id', sql<string>`cast(${date} as text)`.as('date'), sql<number>`cast(${count} as integer)`.as('downloads')])
                .where('id', '=', versionId),
            )
            .onConflict((oc) => oc.columns(['version_id', 'date']).doUpdateSet({ downloads: sql`version_downloads.downloads + ${count}` }))
            .execute();
          await tx.updateTable('versions').set({ downloads: sql`downloads + ${count}` }).where('id', '=', versionId).execute();
          await tx.updateTable('crates').set({ downloads: sql`downloads + ${count}` }).where('id', '=', crateId).execute();
        }
      });
    } catch (err) {
      // Keep the counts for the next attempt rather than losing them.
      for (const [versionId, { crateId, count }] of batch) {
        const entry = this.pending.get(versionId);
        if (entry) entry.count += count;
        else this.pending.set(versionId, { crateId, count });
      }
      throw err;
    }
  }
}
