import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * Trusted publishing: per-crate configurations naming the CI repository and workflow allowed to
 * publish (GitHub and GitLab in one table, `kind` telling them apart), the short-lived tokens
 * minted for them (only their SHA-256), the JWT ids already exchanged, a crate's
 * trusted-publishing-only switch and each version's CI provenance.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await withId(db, db.schema.createTable('trustpub_configs'))
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    // GitHub: repository owner and name; GitLab: namespace and project.
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('repo', 'text', (c) => c.notNull())
    /** lower(owner/repo): what a token's claims are looked up by. */
    .addColumn('match_key', 'text', (c) => c.notNull())
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('environment', 'text')
    // Recorded on the first successful exchange and required to stay the same afterwards.
    .addColumn('owner_id', 'text')
    .addColumn('issuer', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer')
    .execute();
  await db.schema.createIndex('trustpub_configs_match').on('trustpub_configs').columns(['kind', 'match_key']).execute();
  await db.schema.createIndex('trustpub_configs_crate').on('trustpub_configs').column('crate_id').execute();

  await withId(db, db.schema.createTable('trustpub_tokens'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    /** JSON arrays: the crates the token may publish and the configurations that matched. */
    .addColumn('crate_ids', 'text', (c) => c.notNull())
    .addColumn('config_ids', 'text', (c) => c.notNull())
    /** JSON: the CI claims recorded on every version the token publishes. */
    .addColumn('trustpub_data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .execute();

  await db.schema
    .createTable('trustpub_used_jtis')
    .addColumn('jti', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('crates').addColumn('trustpub_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('versions').addColumn('trustpub_data', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('versions').dropColumn('trustpub_data').execute();
  await db.schema.alterTable('crates').dropColumn('trustpub_only').execute();
  await db.schema.dropTable('trustpub_used_jtis').execute();
  await db.schema.dropTable('trustpub_tokens').execute();
  await db.schema.dropTable('trustpub_configs').execute();
}
