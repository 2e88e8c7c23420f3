import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * A feed of crates whose index file changed, written in the same transaction as the change.
 * Every instance polls it to drop stale index files from its memory.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await withId(db, db.schema.createTable('index_changes'), 'bigint')
    .addColumn('crate_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('index_changes_created_at').on('index_changes').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('index_changes').execute();
}
