import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * Deleting accounts and resetting passwords from the CLI and the admin pages. A deleted account
 * keeps its row (audit rows, versions and tokens point at it) but loses its login, name, e-mail
 * and password; `deleted_at` hides it. A password reset is a single-use link: only the SHA-256
 * of its secret is stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('deleted_at', 'text').execute();
  await withId(db, db.schema.createTable('password_resets'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('password_resets_user_id').on('password_resets').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('password_resets').execute();
  await db.schema.alterTable('users').dropColumn('deleted_at').execute();
}
