import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, redactUrl } from './config/config.js';
import { checkConnection, createPostgresDb, createSqliteDb, type Db, restrictMode } from './db/create-db.js';
import { appliedMigrations, migrateToLatest, pendingMigrations } from './db/migrate.js';
import { type Clock, type ServiceContext, systemClock } from './services/context.js';
import { refuseWhileRestoring } from './storage/data-lock.js';
import { describeBlobStore, openBlobStore } from './storage/open-blob-store.js';

const SQLITE_FILE = 'wharf.sqlite';

function sqlitePath(config: Config): string {
  return join(config.dataDir, SQLITE_FILE);
}

/**
 * Opens the database (PostgreSQL when configured, else SQLite under dataDir) and the blob store,
 * creating the data folder (0700) and the SQLite file when missing.
 */
export function openContext(config: Config, clock: Clock = systemClock): ServiceContext {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // A folder made by an older version (0755): closing it closes off every file inside it too.
  restrictMode(config.dataDir, 0o700);
  const db: Db = config.databaseUrl ? createPostgresDb(config.databaseUrl, config.databasePoolMax) : createSqliteDb(sqlitePath(config));
  return { db, blobs: openBlobStore(config), config, clock };
}

/**
 * Opens a registry that exists, creating nothing: the commands other than `serve` and `migrate`,
 * so that one run in the wrong folder (or against the wrong database) says so instead of
 * working on a new, empty registry. `prepareDatabase(..., { create: false })` finishes the check.
 */
export function openExistingContext(config: Config, clock: Clock = systemClock): ServiceContext {
  // A command must not write into data a restore is replacing underneath it.
  refuseWhileRestoring(config.dataDir);
  if (!config.databaseUrl && !existsSync(sqlitePath(config))) throw noRegistry(config);
  const db: Db = config.databaseUrl
    ? createPostgresDb(config.databaseUrl, config.databasePoolMax)
    : createSqliteDb(sqlitePath(config), { mustExist: true });
  return { db, blobs: openBlobStore(config), config, clock };
}

function noRegistry(config: Config): Error {
  const looked = config.databaseUrl
    ? `the PostgreSQL database ${redactUrl(config.databaseUrl)} has no Wharf schema (no migration applied)`
    : `${sqlitePath(config)} does not exist`;
  return new Error(
    `no registry here: ${looked}. Point WHARF_DATA_DIR${config.databaseUrl ? ' and WHARF_DATABASE_URL' : ''} (or wharf.toml) at the registry, ` +
      'or create a new one with `wharf migrate`',
  );
}

export function describeDatabase(config: Config): string {
  return config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}` : `SQLite at ${sqlitePath(config)}`;
}

/** The line every command prints on stderr before it starts: which registry it works on. */
export function describeRegistry(config: Config): string {
  const files = config.storage === 's3' ? `, the crate files in ${describeBlobStore(config)}` : '';
  return `using the database ${describeDatabase(config)}${files} and the data folder ${config.dataDir}`;
}

/**
 * Checks the database answers, refuses one that holds no registry unless `create`, then applies
 * pending migrations (when `migrate`) or refuses to run on an outdated schema. Every failure names
 * the database without its password.
 */
export async function prepareDatabase(ctx: ServiceContext, { migrate, create = true }: { migrate: boolean; create?: boolean }): Promise<string[]> {
  try {
    await checkConnection(ctx.db);
  } catch (err) {
    throw new Error(`cannot reach the database (${describeDatabase(ctx.config)}): ${(err as Error).message}`);
  }
  if (!create && (await appliedMigrations(ctx.db)).length === 0) throw noRegistry(ctx.config);
  if (migrate) return migrateToLatest(ctx.db);
  const pending = await pendingMigrations(ctx.db);
  if (pending.length > 0) {
    throw new Error(`the database (${describeDatabase(ctx.config)}) is missing migrations ${pending.join(', ')}; run \`wharf migrate\``);
  }
  return [];
}
