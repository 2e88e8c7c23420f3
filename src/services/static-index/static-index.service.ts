import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Config } from '../../config/config.js';
import { indexPath } from '../../core/index-line.js';
import { findCrateByName, type CrateRow } from '../../db/repositories/crate.repository.js';
import { crateBatch, indexChangeMarker } from '../../db/repositories/static-index.repository.js';
import { bucketPlace } from '../../config/storage.js';
import { BucketTarget } from '../../storage/bucket-target.js';
import { type ObjectHeaders, S3BlobStore, s3OptionsFromConfig } from '../../storage/s3-blob-store.js';
import { FolderTarget, type StaticTarget } from '../../storage/static-target.js';
import type { ServiceContext } from '../context.js';
import { type IndexEntry, prepareIndexEntry, renderCrateIndex } from '../index.service.js';
import type { JobLog } from '../jobs/job-runner.js';
import { addCrateFiles, CRATES_FOLDER, crateFileProblem, expectedCrateFiles, removeCrateFiles, staticDl } from './static-crate-files.js';

/** The sparse index's `config.json` at Wharf's own /index/. */
export function sparseIndexConfig(config: Config): Record<string, unknown> {
  return { dl: `${config.publicUrl}/api/v1/crates`, api: config.publicUrl, 'auth-required': config.authRequired };
}

/** The static copy's: the same, with `dl` on the copy's crate files when it holds them. */
export function staticIndexConfig(config: Config): Record<string, unknown> {
  return { ...sparseIndexConfig(config), dl: staticDl(config) };
}

export const CONFIG_FILE = 'config.json';
const CRATES_PER_READ = 500;
/** A writer that keeps seeing new changes of its crate gives up after this many rounds; the next change or start repairs. */
const MAX_ROUNDS = 5;

/** The crate whose index file (or `.gz`) lives at `path` in the static copy, or null for any other path. */
export function crateOfStaticPath(path: string): string | null {
  const plain = path.endsWith('.gz') ? path.slice(0, -3) : path;
  const name = plain.slice(plain.lastIndexOf('/') + 1);
  return /^[a-z0-9_-]{1,64}$/.test(name) && indexPath(name) === plain ? name : null;
}

export interface SyncReport {
  /** Crates whose files were written (or found equal, when not rewriting). */
  crates: number;
  /** Crates whose files were (re)written. */
  written: number;
  /** Files removed: of crates that no longer exist, or .crate files no version has. */
  removed: string[];
  /** Files of shapes the copy never writes, left where they are (`wharf check` reports them). */
  foreign: string[];
}

/**
 * The shape of a .crate file the copy writes (`crates/NAME/VERSION/SHA256.crate`, static-crate-files.ts);
 * only such files and index files are ever removed. The blob store's keys have another depth.
 */
const STATIC_CRATE_FILE = /^crates\/[A-Za-z0-9_-]{1,64}\/[0-9A-Za-z.+ -]{1,128}\/[^/]+\.crate$/;

export type StaticProblemKind = 'missing' | 'stale' | 'extra';
export interface StaticProblem {
  kind: StaticProblemKind;
  path: string;
  message: string;
}

/**
 * The static copy of the private index (`static_index_dir` or `static_index_bucket`): after every change the crate's file
 * is rendered from the database, as /index/ renders it, and written with its `.gz` sibling to a
 * `StaticTarget`; a crate that no longer exists loses its files. Writes of one crate run one at a
 * time in this process, and a change arriving during a write makes it run again. Across
 * processes the order is kept by the database: a writer notes the crate's change marker before
 * rendering and writes again when it moved meanwhile, so the last write of every writer that
 * raced reflects the newest commit. The mirror's files are not copied: they are fetched from the
 * upstream when read, which a static server cannot do.
 */
export class StaticIndex {
  private readonly running = new Map<string, { done: Promise<void>; again: boolean; name: string }>();
  /** Whether the copy holds the .crate files too (`static_dl_base_url`). */
  private readonly crateFiles: boolean;
  private log: JobLog = { error: () => undefined, warn: () => undefined, info: () => undefined };
  private stopped = false;
  private background: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: ServiceContext,
    readonly target: StaticTarget,
  ) {
    this.crateFiles = ctx.config.staticDlBaseUrl !== null;
  }

  setLog(log: JobLog): void {
    this.log = log;
  }

  /**
   * The crate `name` changed (or may have): writes its files from the database. The promise
   * settles once a write that started after this call has finished; it never rejects (failures
   * are logged, and the next change or start of a server writes again).
   */
  changed(name: string): Promise<void> {
    const key = name.toLowerCase();
    const busy = this.running.get(key);
    if (busy) {
      busy.again = true;
      busy.name = name;
      return busy.done;
    }
    const slot = { again: false, done: Promise.resolve(), name };
    slot.done = (async () => {
      try {
        do {
          slot.again = false;
          await this.writeCrate(key, slot.name);
        } while (slot.again);
      } catch (err) {
        this.log.error({ err, crate: key, target: this.target.describe }, 'could not write the static index file');
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, slot);
    return slot.done;
  }

  /**
   * A serving instance's start: config.json now, then the files that differ from the database
   * in the background (what a crash between a commit and its write, or a change made while no
   * server ran, left behind).
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.writeConfig();
    this.background = this.sync({ rewrite: false }).then(
      (r) => this.log.info({ target: this.target.describe, crates: r.crates, written: r.written, removed: r.removed.length }, 'static index in line with the database'),
      (err: unknown) => this.log.error({ err, target: this.target.describe }, 'could not bring the static index in line with the database'),
    );
  }

  /** The change feed fell too far behind to replay: compare everything again. */
  resync(): void {
    this.background = this.background.then(() => (this.stopped ? undefined : this.sync({ rewrite: false }))).catch((err: unknown) => this.log.error({ err }, 'static index resync failed'));
  }

  /** Stops a pass in progress (between crates) and waits for the writes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.background;
    await this.idle();
  }

  /** Lets go of the target's connections (a command that is done with it). */
  close(): void {
    this.target.close?.();
  }

  /** Resolves when every write started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((s) => s.done));
  }

  /** `name` is the crate's name as the change spelled it: the folder of its .crate files. */
  private async writeCrate(key: string, name: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const before = await indexChangeMarker(this.ctx.db, key);
      const crate = await findCrateByName(this.ctx.db, key);
      const path = indexPath(key);
      if (crate) {
        // Files first, so the index never names a file the copy lacks; files of deleted versions last.
        const stale = this.crateFiles ? await addCrateFiles(this.ctx, this.target, crate) : [];
        const entry = await crateEntry(this.ctx, crate);
        await this.target.put(`${path}.gz`, entry.gzip);
        await this.target.put(path, entry.body);
        for (const file of stale) await this.target.remove(file);
      } else {
        await this.target.remove(`${path}.gz`);
        await this.target.remove(path);
        if (this.crateFiles) await removeCrateFiles(this.target, name);
      }
      if ((await indexChangeMarker(this.ctx.db, key)) === before) return;
    }
  }

  async writeConfig(): Promise<void> {
    await this.target.put(CONFIG_FILE, configBytes(this.ctx.config));
  }

  /**
   * Brings the whole copy in line with the database: config.json, every crate's files (all of
   * them with `rewrite`, else only those that differ), and no file of a crate that no longer
   * exists nor any path that is not an index file. The listing comes first, so a file written by
   * a publish during the pass is never taken for an extra; an extra of a crate name is settled by
   * the same serialized writer as a change (which renders it again if the crate exists by then).
   */
  async sync({ rewrite }: { rewrite: boolean }): Promise<SyncReport> {
    const listed: string[] = [];
    for await (const path of this.target.list()) listed.push(path);
    await this.writeConfig();
    const expected = new Set([CONFIG_FILE]);
    const report: SyncReport = { crates: 0, written: 0, removed: [], foreign: [] };
    for await (const crate of allCrates(this.ctx)) {
      if (this.stopped) return report;
      const path = indexPath(crate.name);
      expected.add(path).add(`${path}.gz`);
      if (this.crateFiles) for (const file of (await expectedCrateFiles(this.ctx, crate)).keys()) expected.add(file);
      report.crates += 1;
      if (rewrite || (await this.fileProblem(crate)) !== null) {
        await this.changed(crate.name);
        report.written += 1;
      }
    }
    const extraCrates = new Set<string>();
    for (const path of listed) {
      if (expected.has(path)) continue;
      const name = crateOfStaticPath(path);
      if (name !== null) extraCrates.add(name);
      else if (STATIC_CRATE_FILE.test(path)) await this.target.remove(path);
      else {
        // Only what the copy itself writes is ever deleted: a file of another shape is someone
        // else's (a misplaced folder must not lose its contents), left alone and reported.
        report.foreign.push(path);
        continue;
      }
      report.removed.push(path);
    }
    if (report.foreign.length > 0) {
      this.log.warn({ target: this.target.describe, files: report.foreign.slice(0, 20), count: report.foreign.length }, 'the static index holds files it did not write; they were left alone');
    }
    for (const name of extraCrates) await this.changed(name);
    return report;
  }

  /** `wharf check`'s part: files missing, different from a fresh render, or of no crate. */
  async check(): Promise<StaticProblem[]> {
    const listed = new Set<string>();
    for await (const path of this.target.list()) listed.add(path);
    const problems: StaticProblem[] = [];
    const config = await this.target.read(CONFIG_FILE);
    if (!config) problems.push({ kind: 'missing', path: CONFIG_FILE, message: `${CONFIG_FILE} is missing` });
    else if (!config.equals(configBytes(this.ctx.config))) problems.push({ kind: 'stale', path: CONFIG_FILE, message: `${CONFIG_FILE} is not what this configuration writes` });
    listed.delete(CONFIG_FILE);
    for await (const crate of allCrates(this.ctx)) {
      const path = indexPath(crate.name);
      listed.delete(path);
      listed.delete(`${path}.gz`);
      if (this.crateFiles) for (const file of (await expectedCrateFiles(this.ctx, crate)).keys()) listed.delete(file);
      // A server may be writing this crate right now: judge a fresh render and fresh files once more.
      let problem = await this.fileProblem(crate, true);
      if (problem) problem = await this.fileProblem((await findCrateByName(this.ctx.db, crate.name)) ?? crate, true);
      if (problem) problems.push(problem);
    }
    for (const path of listed) {
      const what = path.startsWith(CRATES_FOLDER) && this.crateFiles ? 'the file of any version' : 'the index file of any crate';
      problems.push({ kind: 'extra', path, message: `${path} is not ${what}` });
    }
    return problems;
  }

  /** Why the crate's files in the copy are not what a render gives now, or null; `hash`: read every .crate too. */
  private async fileProblem(crate: CrateRow, hash = false): Promise<StaticProblem | null> {
    const path = indexPath(crate.name);
    const entry = await crateEntry(this.ctx, crate);
    for (const [file, want] of [
      [path, entry.body],
      [`${path}.gz`, entry.gzip],
    ] as const) {
      const have = await this.target.read(file);
      if (!have) return { kind: 'missing', path: file, message: `${file} (${crate.name}) is missing` };
      const body = file === path ? have : await gunzipOrNull(have);
      if (!body || !body.equals(entry.body)) {
        return { kind: 'stale', path: file, message: `${file} (${crate.name}) differs from the index file the database renders (${have.length} bytes, expected ${want.length})` };
      }
    }
    return this.crateFiles ? crateFileProblem(this.ctx, this.target, crate, { hash }) : null;
  }
}

async function crateEntry(ctx: ServiceContext, crate: CrateRow): Promise<IndexEntry> {
  return prepareIndexEntry(await renderCrateIndex(ctx.db, crate));
}

function configBytes(config: Config): Buffer {
  return Buffer.from(JSON.stringify(staticIndexConfig(config)));
}

async function* allCrates(ctx: ServiceContext): AsyncIterable<CrateRow> {
  let after = 0;
  for (;;) {
    const batch = await crateBatch(ctx.db, after, CRATES_PER_READ);
    yield* batch;
    if (batch.length < CRATES_PER_READ) return;
    after = batch[batch.length - 1]!.id;
  }
}

const gunzipInPool = promisify(gunzip);

async function gunzipOrNull(bytes: Buffer): Promise<Buffer | null> {
  return gunzipInPool(bytes).catch(() => null);
}

/** The static copy the configuration asks for (a folder or a bucket), or null. */
export function createStaticIndex(ctx: ServiceContext): StaticIndex | null {
  const { config } = ctx;
  if (config.staticIndexDir) return new StaticIndex(ctx, new FolderTarget(config.staticIndexDir));
  if (!config.staticIndexBucket) return null;
  const store = new S3BlobStore(s3OptionsFromConfig(config, bucketPlace(config.staticIndexBucket)));
  return new StaticIndex(ctx, new BucketTarget(store, (path) => staticFileHeaders(config, path)));
}

/**
 * What each file of a copy in a bucket is sent with, since a bucket has no server configuration:
 * the content types of Wharf's /index/ and downloads, and the cache lifetimes of the README's
 * nginx configuration (index files revalidated on every use, .crate files cached for ever since
 * their path names their checksum; `private` on a registry that needs a token). The `.gz`
 * siblings are plain gzip files, without `Content-Encoding`: a bucket cannot choose between the
 * two by `Accept-Encoding` as nginx's gzip_static does, so a CDN compresses the plain file itself,
 * and the siblings serve a copy synced from the bucket to nginx.
 */
export function staticFileHeaders(config: Config, path: string): ObjectHeaders {
  const scope = config.authRequired ? 'private' : 'public';
  if (path.startsWith(CRATES_FOLDER)) return { contentType: 'application/gzip', cacheControl: `${scope}, max-age=31536000, immutable` };
  const cacheControl = config.authRequired ? 'private, no-cache' : 'public, max-age=0, must-revalidate';
  if (path === CONFIG_FILE) return { contentType: 'application/json', cacheControl };
  if (path.endsWith('.gz')) return { contentType: 'application/gzip', cacheControl };
  return { contentType: 'text/plain; charset=utf-8', cacheControl };
}
