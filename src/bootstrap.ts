import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { createSqliteDb, type Db } from './db/create-db.js';
import { migrateToLatest, pendingMigrations } from './db/migrate.js';
import { type Clock, type ServiceContext, systemClock } from './services/context.js';
import { FsBlobStore } from './storage/fs-blob-store.js';

/** Opens the database and the blob store that `config` points at. */
export function openContext(config: Config, clock: Clock = systemClock): ServiceContext {
  mkdirSync(config.dataDir, { recursive: true });
  const db: Db = createSqliteDb(join(config.dataDir, 'wharf.sqlite'));
  return { db, blobs: new FsBlobStore(config.dataDir), config, clock };
}

/** Applies pending migrations (the embedded default) or refuses to run on an outdated schema. */
export async function prepareDatabase(ctx: ServiceContext, { migrate }: { migrate: boolean }): Promise<string[]> {
  if (migrate) return migrateToLatest(ctx.db);
  const pending = await pendingMigrations(ctx.db);
  if (pending.length > 0) throw new Error(`the database is missing migrations ${pending.join(', ')}; run \`wharf migrate\``);
  return [];
}
