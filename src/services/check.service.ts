import { humanBytes } from '../core/human-size.js';
import { noProgress, type Progress } from './progress.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { listVersions, type CrateRow, type VersionRow } from '../db/repositories/crate.repository.js';
import type { BlobInfo } from '../storage/blob-store.js';
import { crateFileKey } from '../storage/keys.js';
import { recordIndexChange } from './change-feed.service.js';
import type { ServiceContext } from './context.js';
import { renderCrateIndex } from './index.service.js';
import { createStaticIndex } from './static-index/static-index.service.js';

/**
 * `wharf check`: do the database and the blob store agree? Every version's file exists with its
 * recorded size and sha256; every crate's index file renders from the database with one line per
 * version, in id order, with the recorded checksum; no file is stored that no version points to
 * (an orphan), unless it is younger than the grace period (a publish may be between writing its
 * file and committing its row). Safe to run while servers are running.
 */
export type ProblemKind = 'missing-file' | 'wrong-file' | 'index' | 'orphan' | 'static';

export interface Problem {
  kind: ProblemKind;
  message: string;
  crate?: string;
  version?: string;
  key?: string;
}

export interface CheckOptions {
  /** Orphans younger than this are expected (publishes in flight) and left alone. */
  graceMs: number;
  /** Remove orphans past the grace period, and ask running servers to re-render every index file. */
  repair: boolean;
}

export interface CheckReport {
  crates: number;
  versions: number;
  files: number;
  problems: Problem[];
  /** Orphans within the grace period: counted, not inconsistencies. */
  youngOrphans: BlobInfo[];
  /** Orphan keys removed by --repair. */
  removed: string[];
}

const CRATES_PREFIX = 'crates/';

export async function checkRegistry(ctx: ServiceContext, options: CheckOptions, progress: Progress = noProgress): Promise<CheckReport> {
  // Files first: a file written after this listing cannot be taken for an orphan.
  const files: BlobInfo[] = [];
  for await (const info of ctx.blobs.list(CRATES_PREFIX)) files.push(info);

  const crates = await ctx.db.selectFrom('crates').selectAll().orderBy('id').execute();
  const report: CheckReport = { crates: crates.length, versions: 0, files: files.length, problems: [], youngOrphans: [], removed: [] };
  const expected = new Set<string>();
  const total = await ctx.db.selectFrom('versions').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  let checkedBytes = 0;
  for (const crate of crates) {
    const versions = await listVersions(ctx.db, crate.id);
    for (const v of versions) {
      const key = crateFileKey(crate.name, v.num, v.checksum);
      expected.add(key);
      const problem = await checkFile(ctx, crate, v, key);
      if (problem) report.problems.push(problem);
      checkedBytes += v.crate_size;
      progress({ files: ++report.versions, bytes: checkedBytes, total: Number(total.n), totalBytes }, `${crate.name}@${v.num}`);
    }
    const indexProblem = await checkIndex(ctx, crate, versions);
    if (indexProblem) report.problems.push(indexProblem);
  }

  // The static copy (static_index_dir or static_index_bucket): missing, stale or extra files; `wharf static rebuild` fixes them.
  const staticIndex = createStaticIndex(ctx);
  try {
    for (const p of (await staticIndex?.check()) ?? []) report.problems.push({ kind: 'static', key: p.path, message: p.message });
  } finally {
    staticIndex?.close();
  }

  const now = ctx.clock.now().getTime();
  const orphans: BlobInfo[] = [];
  for (const file of files) {
    if (expected.has(file.key)) continue;
    if (now - file.modifiedAt.getTime() < options.graceMs) report.youngOrphans.push(file);
    else orphans.push(file);
  }
  if (options.repair) {
    report.removed = await removeOrphans(ctx, orphans, options.graceMs);
    for (const crate of crates) await recordIndexChange(ctx.db, ctx.clock, crate.name, ctx.config.databaseUrl !== null);
  }
  const removed = new Set(report.removed);
  for (const orphan of orphans) {
    if (removed.has(orphan.key)) continue;
    report.problems.push({
      kind: 'orphan',
      key: orphan.key,
      message: `orphan file ${orphan.key} (${humanBytes(orphan.size)}, last changed ${orphan.modifiedAt.toISOString()}): no version points to it`,
    });
  }
  return report;
}

async function checkFile(ctx: ServiceContext, crate: CrateRow, v: VersionRow, key: string): Promise<Problem | null> {
  const where = { crate: crate.name, version: v.num, key };
  const file = await ctx.blobs.get(key);
  if (!file) return { kind: 'missing-file', ...where, message: `${crate.name}@${v.num}: its file ${key} is missing` };
  const sha256 = await hashStream(file.stream);
  if (file.size !== v.crate_size || sha256 !== v.checksum) {
    return {
      kind: 'wrong-file',
      ...where,
      message: `${crate.name}@${v.num}: its file ${key} has ${file.size} bytes and sha256 ${sha256}, but the database recorded ${v.crate_size} bytes and ${v.checksum}`,
    };
  }
  return null;
}

/** The SHA-256 of everything a stream gives, in hex. */
export async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Renders the crate's index file and checks it line by line against the versions table. */
async function checkIndex(ctx: ServiceContext, crate: CrateRow, versions: VersionRow[]): Promise<Problem | null> {
  let problem = await indexProblem(ctx, crate, versions);
  // A server may have published or yanked between our two reads: judge a fresh pair once more.
  if (problem) problem = await indexProblem(ctx, crate, await listVersions(ctx.db, crate.id));
  return problem ? { kind: 'index', crate: crate.name, message: `index file of ${crate.name}: ${problem}` } : null;
}

async function indexProblem(ctx: ServiceContext, crate: CrateRow, versions: VersionRow[]): Promise<string | null> {
  let text: string;
  try {
    text = await renderCrateIndex(ctx.db, crate);
  } catch (err) {
    return `does not render (${(err as Error).message})`;
  }
  return compareIndexWithVersions(text, crate.name, versions);
}

/** Why `text` is not the index file of these versions, or null when it is. Also used by tests on served files. */
export function compareIndexWithVersions(text: string, name: string, versions: readonly Pick<VersionRow, 'num' | 'checksum' | 'yanked'>[]): string | null {
  if (text !== '' && !text.endsWith('\n')) return 'does not end with a newline';
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  if (lines.length !== versions.length) return `has ${lines.length} lines for ${versions.length} versions`;
  for (const [i, line] of lines.entries()) {
    let parsed: { name?: unknown; vers?: unknown; cksum?: unknown; yanked?: unknown };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return `line ${i + 1} is not JSON`;
    }
    const v = versions[i]!;
    if (parsed.name !== name) return `line ${i + 1} names ${String(parsed.name)}, not ${name}`;
    if (parsed.vers !== v.num) return `line ${i + 1} is version ${String(parsed.vers)} where ${v.num} was expected (versions in publish order)`;
    if (parsed.cksum !== v.checksum) return `line ${i + 1} (${v.num}) has checksum ${String(parsed.cksum)}, the database ${v.checksum}`;
    if (parsed.yanked !== (v.yanked === 1)) return `line ${i + 1} (${v.num}) says yanked=${String(parsed.yanked)}, the database ${v.yanked === 1}`;
  }
  return null;
}

/**
 * Deletes orphans past the grace period. Each is looked at again just before: still there, still
 * old, and (after a fresh read of every version's key) still not pointed to by any version.
 */
async function removeOrphans(ctx: ServiceContext, orphans: BlobInfo[], graceMs: number): Promise<string[]> {
  if (orphans.length === 0) return [];
  const referenced = new Set<string>();
  const rows = await ctx.db
    .selectFrom('versions')
    .innerJoin('crates', 'crates.id', 'versions.crate_id')
    .select(['crates.name', 'versions.num', 'versions.checksum'])
    .execute();
  for (const r of rows) referenced.add(crateFileKey(r.name, r.num, r.checksum));
  const removed: string[] = [];
  for (const orphan of orphans) {
    if (referenced.has(orphan.key)) continue;
    const now = await ctx.blobs.stat(orphan.key);
    if (!now || ctx.clock.now().getTime() - now.modifiedAt.getTime() < graceMs) continue;
    await ctx.blobs.delete(orphan.key);
    removed.push(orphan.key);
  }
  return removed;
}

/** Versions whose file is missing cannot be repaired here; this says what to do instead. */
/** What to do about a file whose bytes are not the ones published (cargo refuses it: its checksum is in the index). */
export const WRONG_FILE_ADVICE =
  'A wrong file is not what was published, and cargo refuses it (the index holds the checksum): put the published file back from a backup ' +
  '(the same path under the backup\'s crates/ folder; `sha256sum` must print the checksum above), and find out what changed it (a disk error, ' +
  'a hand edit, an intrusion) before trusting the rest; if no backup has it, yank that version and publish a new one.';

export const MISSING_FILE_ADVICE =
  'A missing file cannot be recreated: copy it back from a backup (the same path under the backup\'s crates/ folder, ' +
  'e.g. from `wharf backup`), or, if no backup has it, yank that version and publish a new one.';
