import type { Kysely } from 'kysely';

/**
 * The mirror's cache, shared by every instance: upstream index files as the upstream sent them,
 * with its validators, when they were last confirmed and a summary of their versions, and the verified .crate files held in
 * the blob store (kept forever: a version never changes).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mirror_index_files')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('upstream_etag', 'text')
    .addColumn('upstream_last_modified', 'text')
    .addColumn('upstream_status', 'integer')
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    // A summary of the body, written with it, so search never reads or parses a body.
    .addColumn('display_name', 'text')
    .addColumn('latest_version', 'text')
    .addColumn('num_versions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('mirror_crate_files')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirror_crate_files_pk', ['name', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mirror_crate_files').execute();
  await db.schema.dropTable('mirror_index_files').execute();
}
