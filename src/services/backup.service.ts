import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import type { Config } from '../config/config.js';
import { createPostgresDb, type Db } from '../db/create-db.js';
import { crateFileKey } from '../storage/keys.js';
import type { ServiceContext } from './context.js';

/**
 * `wharf backup DIR` and `wharf restore DIR`. A backup is consistent while servers run: the
 * database is snapshotted first (SQLite's online backup API on a separate connection, or pg_dump
 * on an exported snapshot), then exactly the files that snapshot's versions point to are copied.
 * Files are written before their version row, so every one of them already exists.
 */
export const MANIFEST = 'wharf-backup.json';
const SQLITE_FILE = 'wharf.sqlite';
const PG_DUMP_FILE = 'wharf.pgdump';

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

interface VersionKey {
  name: string;
  num: string;
  checksum: string;
}

/** Creates a backup in `dir`, which must be empty or absent. */
export async function backupRegistry(ctx: ServiceContext, dir: string): Promise<BackupResult> {
  await requireEmptyDir(dir, 'the backup folder');
  await mkdir(dir, { recursive: true });
  const postgres = ctx.config.databaseUrl !== null;
  const versions = postgres ? await dumpPostgres(ctx.db, ctx.config.databaseUrl!, join(dir, PG_DUMP_FILE)) : await snapshotSqlite(ctx.config, join(dir, SQLITE_FILE));

  const problems: string[] = [];
  const files: BackupManifest['files'] = [];
  let bytes = 0;
  for (const v of versions) {
    const key = crateFileKey(v.name, v.num, v.checksum);
    const source = await ctx.blobs.get(key);
    if (!source) {
      problems.push(`${v.name}@${v.num}: its file ${key} is missing from the registry; the backup has no copy`);
      continue;
    }
    const { size, sha256 } = await copyStream(source.stream, join(dir, key));
    if (sha256 !== v.checksum) problems.push(`${v.name}@${v.num}: its file ${key} does not match its recorded checksum (copied as found)`);
    files.push({ key, size, sha256 });
    bytes += size;
  }
  const manifest: BackupManifest = {
    format: 'wharf-backup',
    format_version: 1,
    created_at: ctx.clock.now().toISOString(),
    database: postgres ? 'postgres' : 'sqlite',
    database_file: postgres ? PG_DUMP_FILE : SQLITE_FILE,
    crates: new Set(versions.map((v) => v.name)).size,
    versions: versions.length,
    bytes,
    files,
  };
  // Written last: a backup folder without its manifest is an interrupted backup.
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return { manifest, problems };
}

/** SQLite's online backup on its own connection: all pages in one step, so one consistent snapshot. */
async function snapshotSqlite(config: Config, target: string): Promise<VersionKey[]> {
  const source = new SqliteDatabase(join(config.dataDir, SQLITE_FILE), { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(target, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
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
async function dumpPostgres(db: Db, url: string, target: string): Promise<VersionKey[]> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const { rows } = await sql<{ snapshot: string }>`select pg_export_snapshot() as snapshot`.execute(tx);
      await runPgTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${rows[0]!.snapshot}`, `--file=${target}`], url);
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
function runPgTool(tool: 'pg_dump' | 'pg_restore', args: string[], url: string): Promise<void> {
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
async function copyStream(stream: NodeJS.ReadableStream, target: string): Promise<{ size: number; sha256: string }> {
  await mkdir(dirname(target), { recursive: true });
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
  await pipeline(stream, tee, createWriteStream(tmp, { flags: 'wx' }));
  await rename(tmp, target);
  return { size, sha256: hash.digest('hex') };
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where the replaced crate files were moved (with --force), or null. */
  movedAside: string | null;
}

/** Restores the backup in `dir` into the configured data directory (and database). */
export async function restoreRegistry(config: Config, dir: string, { force }: { force: boolean }): Promise<RestoreResult> {
  const manifest = await readManifest(dir);
  const postgres = config.databaseUrl !== null;
  if ((manifest.database === 'postgres') !== postgres) {
    throw new Error(`this backup holds a ${manifest.database} database, but the configuration uses ${postgres ? 'PostgreSQL' : 'SQLite'}`);
  }
  const targetProblem = await nonEmptyTarget(config);
  if (targetProblem && !force) {
    throw new Error(`refusing to restore over a registry that is not empty (${targetProblem}); stop every server using it and pass --force to replace it`);
  }
  // Every file is checked against the manifest before anything in the target changes.
  for (const file of manifest.files) {
    const { size, sha256 } = await hashFile(join(dir, file.key));
    if (size !== file.size || sha256 !== file.sha256) throw new Error(`the backup is damaged: ${file.key} does not match its recorded size and checksum`);
  }

  let movedAside: string | null = null;
  const crates = join(config.dataDir, 'crates');
  await mkdir(config.dataDir, { recursive: true });
  if (existsSync(crates)) {
    movedAside = join(config.dataDir, `crates.replaced-${Date.now()}`);
    await rename(crates, movedAside);
  }
  if (postgres) {
    await runPgTool('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', ...(targetProblem ? ['--clean', '--if-exists'] : []), join(dir, manifest.database_file)], config.databaseUrl!);
  } else {
    const target = join(config.dataDir, SQLITE_FILE);
    const tmp = `${target}.restoring`;
    await pipeline(createReadStream(join(dir, manifest.database_file)), createWriteStream(tmp));
    for (const suffix of ['-wal', '-shm']) await rm(`${target}${suffix}`, { force: true });
    await rename(tmp, target);
  }
  for (const file of manifest.files) {
    await copyStream(createReadStream(join(dir, file.key)), join(config.dataDir, file.key));
  }
  return { manifest, movedAside };
}

async function readManifest(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new Error(`${dir} is not a complete Wharf backup: cannot read ${MANIFEST} (${(err as Error).message})`);
  }
  if (manifest.format !== 'wharf-backup' || manifest.format_version !== 1 || !Array.isArray(manifest.files)) {
    throw new Error(`${join(dir, MANIFEST)} is not a Wharf backup manifest this version understands`);
  }
  for (const file of manifest.files) {
    if (!/^crates\/[a-z0-9_-]+\/[^/]+\.crate$/.test(file.key)) throw new Error(`the backup manifest names an unexpected file: ${file.key}`);
  }
  return manifest;
}

/** Why the target registry counts as not empty, or null. */
async function nonEmptyTarget(config: Config): Promise<string | null> {
  if (!config.databaseUrl && existsSync(join(config.dataDir, SQLITE_FILE))) return `${join(config.dataDir, SQLITE_FILE)} exists`;
  if (existsSync(join(config.dataDir, 'crates')) && (await readdir(join(config.dataDir, 'crates'))).length > 0) {
    return `${join(config.dataDir, 'crates')} holds files`;
  }
  if (config.databaseUrl) {
    const db = createPostgresDb(config.databaseUrl, 1);
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(db);
      if ((rows[0]?.n ?? 0) > 0) return 'the PostgreSQL database has tables';
    } finally {
      await db.destroy();
    }
  }
  return null;
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

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
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
