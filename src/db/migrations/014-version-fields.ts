import type { Kysely } from 'kysely';

/**
 * What crates.io's version document tells about each version beyond the index line: its edition,
 * whether it has a library, its binaries' names (JSON text) and its own homepage, documentation
 * and repository links, taken from the upload at publish. Versions published before stay null
 * (unknown), as on crates.io. The index on the audit log finds a version's publish and yank rows;
 * the one on the daily downloads lets search sum the last 90 days without reading older days.
 */
const COLUMNS = ['edition', 'has_lib', 'bin_names', 'homepage', 'documentation', 'repository'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of COLUMNS) {
    await db.schema.alterTable('versions').addColumn(column, column === 'has_lib' ? 'integer' : 'text').execute();
  }
  await db.schema.createIndex('audit_log_crate_version').on('audit_log').columns(['crate_name', 'version']).execute();
  await db.schema.createIndex('version_downloads_date').on('version_downloads').column('date').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('version_downloads_date').execute();
  await db.schema.dropIndex('audit_log_crate_version').execute();
  for (const column of [...COLUMNS].reverse()) await db.schema.alterTable('versions').dropColumn(column).execute();
}
