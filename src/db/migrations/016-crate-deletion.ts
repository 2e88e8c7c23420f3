import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * Deleted crates: one row per deletion, kept as the record of who deleted what and when, and to
 * reserve the name (`canonical_name`) until `available_at`, so nobody can publish a look-alike
 * of a crate the moment its owner removed it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await withId(db, db.schema.createTable('deleted_crates'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('canonical_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addColumn('deleted_by', 'integer', (c) => c.references('users.id'))
    .addColumn('available_at', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .execute();
  await db.schema.createIndex('deleted_crates_canonical_name').on('deleted_crates').columns(['canonical_name', 'available_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('deleted_crates').execute();
}
