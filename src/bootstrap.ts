import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, redactUrl } from './config/config.js';
import { checkConnection, createPostgresDb, createSqliteDb, type Db } from './db/create-db.js';
import { migrateToLatest, pendingMigrations } from './db/migrate.js';
import { type Clock, type ServiceContext, systemClock } from './services/context.js';
import { FsBlobStore } from './storage/fs-blob-store.js';

/** Opens the database (PostgreSQL when configured, else SQLite under dataDir) and the blob store. */
export function openContext(config: Config, clock: Clock = systemClock): ServiceContext {
  mkdirSync(config.dataDir, { recursive: true });
  const db: Db = config.databaseUrl
    ? createPostgresDb(config.databaseUrl, config.databasePoolMax)
    : createSqliteDb(join(config.dataDir, 'wharf.sqlite'));
  return { db, blobs: new FsBlobStore(config.dataDir), config, clock };
}

export function describeDatabase(config: Config): string {
  return config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}` : `SQLite at ${join(config.dataDir, 'wharf.sqlite')}`;
}

/**
 * Checks the database answers, then applies pending migrations (when `migrate`) or refuses to run
 * on an outdated schema. Every failure names the database without its password.
 */
export async function prepareDatabase(ctx: ServiceContext, { migrate }: { migrate: boolean }): Promise<string[]> {
  try {
    await checkConnection(ctx.db);
  } catch (err) {
    throw new Error(`cannot reach the database (${describeDatabase(ctx.config)}): ${(err as Error).message}`);
  }
  if (migrate) return migrateToLatest(ctx.db);
  const pending = await pendingMigrations(ctx.db);
  if (pending.length > 0) {
    throw new Error(`the database (${describeDatabase(ctx.config)}) is missing migrations ${pending.join(', ')}; run \`wharf migrate\``);
  }
  return [];
}
