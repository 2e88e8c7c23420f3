import { noProgress, type Progress } from './progress.js';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import type { Config } from '../config/config.js';
import { createPostgresDb } from '../db/create-db.js';
import { crateFileKey } from '../storage/keys.js';
import type { BlobStore } from '../storage/blob-store.js';
import { holdRestoreLock } from '../storage/data-lock.js';
import { describeBlobStore, openBlobStore } from '../storage/open-blob-store.js';
import {
  type BackupManifest,
  dumpPostgres,
  hashFile,
  MANIFEST,
  PG_DUMP_FILE,
  runPgTool,
  snapshotSqlite,
  SQLITE_FILE,
  type VersionKey,
  writeManifest,
} from './backup.service.js';

/**
 * `wharf restore DIR [--force]`. It replaces the data only while no server uses it (the data
 * lock of `storage/data-lock.ts`), and with --force it first turns the registry it replaces into
 * a backup of its own beside the data (its database snapshotted, its crate folder moved), so the
 * replacement can be undone with another restore.
 */
export interface RestoreResult {
  manifest: BackupManifest;
  /** With --force over a registry: the folder that now holds the replaced one, itself a backup. */
  replaced: string | null;
}

export async function restoreRegistry(
  config: Config,
  dir: string,
  { force }: { force: boolean },
  progress: Progress = noProgress,
): Promise<RestoreResult> {
  const manifest = await readManifest(dir);
  const postgres = config.databaseUrl !== null;
  if ((manifest.database === 'postgres') !== postgres) {
    throw new Error(`this backup holds a ${manifest.database} database, but the configuration uses ${postgres ? 'PostgreSQL' : 'SQLite'}`);
  }
  const lock = holdRestoreLock(config.dataDir);
  const store = openBlobStore(config);
  try {
    const targetProblem = await nonEmptyTarget(config, store);
    if (targetProblem && config.storage === 's3') throw new Error(bucketRestoreRefusal(targetProblem));
    if (targetProblem && !force) {
      throw new Error(`refusing to restore over a registry that is not empty (${targetProblem}); pass --force to replace it (it is kept beside the data)`);
    }
    // Every file is checked against the manifest before anything in the target changes.
    const total = manifest.files.length;
    const totalBytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
    let done = 0;
    let bytes = 0;
    for (const file of manifest.files) {
      const { size, sha256 } = await hashFile(join(dir, file.key));
      if (size !== file.size || sha256 !== file.sha256) throw new Error(`the backup is damaged: ${file.key} does not match its recorded size and checksum`);
      bytes += size;
      progress({ files: ++done, bytes, total, totalBytes }, `checking ${file.key}`);
    }

    const replaced = targetProblem ? await setAside(config) : null;
    // An empty crate folder left by a registry that never stored a file.
    await rmdir(join(config.dataDir, 'crates')).catch(() => undefined);
    if (postgres) {
      const args = ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', ...(targetProblem ? ['--clean', '--if-exists'] : [])];
      await runPgTool('pg_restore', [...args, join(dir, manifest.database_file)], config.databaseUrl!);
    } else {
      const target = join(config.dataDir, SQLITE_FILE);
      const tmp = `${target}.restoring`;
      await pipeline(createReadStream(join(dir, manifest.database_file)), createWriteStream(tmp, { mode: 0o600 }));
      for (const suffix of ['-wal', '-shm']) await rm(`${target}${suffix}`, { force: true });
      await rename(tmp, target);
    }
    done = 0;
    bytes = 0;
    for (const file of manifest.files) {
      // Into the configured store: the data folder, or the bucket.
      const data = await readFile(join(dir, file.key));
      await store.put(file.key, data);
      bytes += data.length;
      progress({ files: ++done, bytes, total, totalBytes }, `copying ${file.key}`);
    }
    return { manifest, replaced };
  } finally {
    store.close?.();
    lock.release();
  }
}

/**
 * Makes `replaced-<time>` in the data folder a backup of the registry about to be replaced: its
 * database snapshotted there (SQLite's backup API, or pg_dump), its crate folder moved there whole
 * (orphans included), and a manifest of the files its versions point to. Any failure here stops
 * the restore before the registry changes (a database that is not a registry's cannot be listed).
 */
async function setAside(config: Config): Promise<string> {
  const target = join(config.dataDir, `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(target, { mode: 0o700 });
  const postgres = config.databaseUrl !== null;
  let versions: VersionKey[] = [];
  if (postgres) {
    const db = createPostgresDb(config.databaseUrl!, 1);
    try {
      versions = await dumpPostgres(db, config.databaseUrl!, join(target, PG_DUMP_FILE));
    } finally {
      await db.destroy();
    }
  } else if (existsSync(join(config.dataDir, SQLITE_FILE))) {
    versions = await snapshotSqlite(join(config.dataDir, SQLITE_FILE), join(target, SQLITE_FILE));
  }
  if (existsSync(join(config.dataDir, 'crates'))) await rename(join(config.dataDir, 'crates'), join(target, 'crates'));
  const files: BackupManifest['files'] = [];
  for (const v of versions) {
    const key = crateFileKey(v.name, v.num, v.checksum);
    if (!existsSync(join(target, key))) continue;
    files.push({ key, ...(await hashFile(join(target, key))) });
  }
  await writeManifest(target, { createdAt: new Date(), postgres, versions, files });
  return target;
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

/**
 * Why a restore is refused over a registry whose files are in a bucket, even with --force. The
 * data lock lives in the local data folder, and instances on other machines (sharing the
 * PostgreSQL database and the bucket, each with a folder of its own) never write to this one: the
 * restore cannot see them. Only a registry no instance can be using is replaced: an empty one.
 */
export function bucketRestoreRefusal(targetProblem: string): string {
  return (
    `refusing to restore over a registry that is not empty (${targetProblem}) when its files are in a bucket, even with --force: ` +
    "the restore's lock is in this machine's data folder, so it cannot see instances on other machines that share the database and the bucket. " +
    'Stop every instance, then restore into an empty database and an empty bucket prefix (a new s3_prefix or a new bucket), and point the instances at those'
  );
}

/** Why the target registry counts as not empty, or null. */
async function nonEmptyTarget(config: Config, store: BlobStore): Promise<string | null> {
  if (!config.databaseUrl && existsSync(join(config.dataDir, SQLITE_FILE))) return `${join(config.dataDir, SQLITE_FILE)} exists`;
  if (config.storage === 's3') {
    for await (const file of store.list('crates/')) return `the ${describeBlobStore(config)} holds files (${file.key})`;
  } else if (existsSync(join(config.dataDir, 'crates')) && (await readdir(join(config.dataDir, 'crates'))).length > 0) {
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
