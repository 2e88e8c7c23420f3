import type { Kysely } from 'kysely';

/**
 * The limits every instance must count together (login throttles, sign-up and publish rate
 * limits, single-use form ids): one row per key, changed only by a compare-and-set on `version`,
 * so concurrent instances never lose each other's counts. Rows past `expires_at` mean nothing
 * and are swept by a scheduled job.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('shared_state')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    /** A random id of the last write: a writer names the one it read, and loses if another came first. */
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('shared_state_expires_at').on('shared_state').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('shared_state').execute();
}
