import type { Kysely } from 'kysely';

/**
 * Per-crate overrides of the publish limits, as crates.io keeps them (`crates.max_features`,
 * `crates.max_upload_size`): null means the registry's setting applies.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('crates').addColumn('max_features', 'integer').execute();
  await db.schema.alterTable('crates').addColumn('max_upload_size', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('crates').dropColumn('max_upload_size').execute();
  await db.schema.alterTable('crates').dropColumn('max_features').execute();
}
