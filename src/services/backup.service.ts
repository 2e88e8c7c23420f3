import { noProgress, type Progress } from './progress.js';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import { crateFileKey } from '../storage/keys.js';
import type { ServiceContext } from './context.js';

/**
 * `wharf backup DIR` (and the parts `wharf restore DIR` shares, in `restore.service.ts`). A
 * backup is consistent while servers run: the
 * database is snapshotted first (SQLite's online backup API on a separate connection, or pg_dump
 * on an exported snapshot), then exactly the files that snapshot's versions point to are copied.
 * Files are written before their version row, so every one of them already exists.
 */
export const MANIFEST = 'wharf-backup.json';
export const SQLITE_FILE = 'wharf.sqlite';
export const PG_DUMP_FILE = 'wharf.pgdump';

export interface BackupManifest {
  format: 'wharf-backup';
  format_version: 1;
  created_at: string;
  database: 'sqlite' | 'postgres';
  database_file: string;
  crates: number;
  versions: number;
  bytes: number;
  files: Array<{ key: string; size: number; sha256: string }>;
}

export interface BackupResult {
  manifest: BackupManifest;
  /** Versions whose file is missing or differs from its checksum (backed up as found, or not at all). */
  problems: string[];
}

export interface VersionKey {
  name: string;
  num: string;
  checksum: string;
}

/** Creates a backup in `dir`, which must be empty or absent. */
export async function backupRegistry(ctx: ServiceContext, dir: string, progress: Progress = noProgress): Promise<BackupResult> {
  await requireEmptyDir(dir, 'the backup folder');
  // A backup holds everything the registry does: private to this account, like the data folder.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const postgres = ctx.config.databaseUrl !== null;
  const versions = postgres ? await dumpPostgres(ctx.db, ctx.config.databaseUrl!, join(dir, PG_DUMP_FILE)) : await snapshotSqlite(join(ctx.config.dataDir, SQLITE_FILE), join(dir, SQLITE_FILE));

  const problems: string[] = [];
  const files: BackupManifest['files'] = [];
  let copied = 0;
  for (const v of versions) {
    const key = crateFileKey(v.name, v.num, v.checksum);
    const source = await ctx.blobs.get(key);
    if (!source) {
      problems.push(`${v.name}@${v.num}: its file ${key} is missing from the registry; the backup has no copy`);
      continue;
    }
    const { size, sha256 } = await copyStream(source.stream, join(dir, key));
    copied += size;
    progress({ files: files.length + 1, bytes: copied, total: versions.length }, `${v.name}@${v.num}`);
    if (sha256 !== v.checksum) problems.push(`${v.name}@${v.num}: its file ${key} does not match its recorded checksum (copied as found)`);
    files.push({ key, size, sha256 });
  }
  const manifest = await writeManifest(dir, { createdAt: ctx.clock.now(), postgres, versions, files });
  return { manifest, problems };
}

/** Written last: a backup folder without its manifest is an interrupted backup. */
export async function writeManifest(
  dir: string,
  { createdAt, postgres, versions, files }: { createdAt: Date; postgres: boolean; versions: VersionKey[]; files: BackupManifest['files'] },
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: 'wharf-backup',
    format_version: 1,
    created_at: createdAt.toISOString(),
    database: postgres ? 'postgres' : 'sqlite',
    database_file: postgres ? PG_DUMP_FILE : SQLITE_FILE,
    crates: new Set(versions.map((v) => v.name)).size,
    versions: versions.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
    files,
  };
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`, { mode: 0o600 });
  return manifest;
}

/** SQLite's online backup on its own connection: all pages in one step, so one consistent snapshot. */
export async function snapshotSqlite(file: string, target: string): Promise<VersionKey[]> {
  const source = new SqliteDatabase(file, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(target, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  await chmod(target, 0o600);
  const snapshot = new SqliteDatabase(target);
  try {
    // A self-contained file: no -wal beside it to lose when the backup is copied elsewhere.
    snapshot.pragma('journal_mode = DELETE');
    return snapshot
      .prepare('select c.name as name, v.num as num, v.checksum as checksum from versions v join crates c on c.id = v.crate_id order by v.id')
      .all() as VersionKey[];
  } finally {
    snapshot.close();
  }
}

/**
 * pg_dump of a snapshot this connection exported, so the version list read here is exactly the
 * one in the dump. Needs pg_dump on the PATH (the PostgreSQL client tools, same major version as the server or newer).
 */
export async function dumpPostgres(db: Db, url: string, target: string): Promise<VersionKey[]> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const { rows } = await sql<{ snapshot: string }>`select pg_export_snapshot() as snapshot`.execute(tx);
      await runPgTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${rows[0]!.snapshot}`, `--file=${target}`], url);
      await chmod(target, 0o600);
      const versions = await tx
        .selectFrom('versions')
        .innerJoin('crates', 'crates.id', 'versions.crate_id')
        .select(['crates.name as name', 'versions.num as num', 'versions.checksum as checksum'])
        .orderBy('versions.id')
        .execute();
      return versions;
    });
}

/** Runs pg_dump or pg_restore with the password in the environment, never on the command line. */
export function runPgTool(tool: 'pg_dump' | 'pg_restore', args: string[], url: string): Promise<void> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const env = { ...process.env, ...(password ? { PGPASSWORD: password } : {}) };
  return new Promise((resolve, reject) => {
    execFile(tool, [...args, `--dbname=${parsed.toString()}`], { env, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new Error(`${tool} was not found on the PATH: install the PostgreSQL client tools (the server's major version or newer), or back up the database with your own tooling and the crates/ folder of the data directory`));
      }
      reject(new Error(`${tool} failed: ${String(stderr).trim() || err.message}`));
    });
  });
}

/** Copies a stream to `target` (through a temporary name), returning its size and sha256. */
export async function copyStream(stream: NodeJS.ReadableStream, target: string): Promise<{ size: number; sha256: string }> {
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const hash = createHash('sha256');
  let size = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const tmp = `${target}.partial`;
  await pipeline(stream, tee, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
  await rename(tmp, target);
  return { size, sha256: hash.digest('hex') };
}

async function requireEmptyDir(dir: string, what: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error(`${what} ${dir} is not a folder`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((await readdir(dir)).length > 0) throw new Error(`${what} ${dir} is not empty`);
}

export async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    throw new Error(`the backup is damaged: cannot read ${path} (${(err as Error).message})`);
  }
  return { size, sha256: hash.digest('hex') };
}
