import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from './create-db.js';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-sessions.js';
import * as m003 from './migrations/003-changes.js';
import * as m004 from './migrations/004-search.js';
import * as m005 from './migrations/005-readmes.js';
import * as m006 from './migrations/006-reauth.js';
import * as m008 from './migrations/008-mirror.js';
import * as m009 from './migrations/009-crate-limits.js';
import * as m010 from './migrations/010-yank-message.js';
import * as m011 from './migrations/011-keywords.js';
import * as m012 from './migrations/012-categories.js';
import * as m013 from './migrations/013-crate-summary.js';
import * as m014 from './migrations/014-version-fields.js';
import * as m015 from './migrations/015-trusted-publishing.js';
import * as m023 from './migrations/023-user-lifecycle.js';
import * as m017 from './migrations/017-owner-invitations.js';
import * as m016 from './migrations/016-crate-deletion.js';
import * as m018 from './migrations/018-mail-jobs.js';
import * as m021 from './migrations/021-version-readmes.js';
import * as m019 from './migrations/019-identity.js';
import * as m020 from './migrations/020-second-factors.js';
import * as m026 from './migrations/026-shared-state.js';

/**
 * Migrations are compiled into the program (no directory scan), in name order. There is no 007
 * and no 022, and there must never be: a database already past them would refuse a migration
 * added below.
 */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': m001,
  '002-sessions': m002,
  '003-changes': m003,
  '004-search': m004,
  '005-readmes': m005,
  '006-reauth': m006,
  '008-mirror': m008,
  '009-crate-limits': m009,
  '010-yank-message': m010,
  '011-keywords': m011,
  '012-categories': m012,
  '013-crate-summary': m013,
  '014-version-fields': m014,
  '015-trusted-publishing': m015,
  '023-user-lifecycle': m023,
  '017-owner-invitations': m017,
  '016-crate-deletion': m016,
  '018-mail-jobs': m018,
  '021-version-readmes': m021,
  '019-identity': m019,
  '020-second-factors': m020,
  '026-shared-state': m026,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider, migrationTableName: 'wharf_migrations', migrationLockTableName: 'wharf_migrations_lock' });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw new Error(`database migration failed: ${error instanceof Error ? error.message : String(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations this program knows but the database has not applied. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

/** Names of migrations the database has applied: none means it holds no registry (yet). */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt).map((m) => m.name);
}
