import type { Kysely } from 'kysely';

/**
 * READMEs as the crate page shows them, rendered once per version (at publish, or on the first
 * view of a version published before this table existed) and never again: `format` is
 * `markdown` for sanitized HTML, `plain` for escaped text with a note when rendering failed or
 * ran out of time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('readmes')
    .addColumn('version_id', 'integer', (c) => c.primaryKey().references('versions.id').onDelete('cascade'))
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('readmes').execute();
}
