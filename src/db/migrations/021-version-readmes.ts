import type { Kysely } from 'kysely';

/**
 * A version page shows that version, so what the crate row held only for the highest version is
 * now kept per version too: its keywords (JSON text) and the path of its README in the package
 * (`readme_file`), by which a README not rendered at publish is read again from the .crate.
 * Versions published before stay null.
 */
const COLUMNS = ['keywords', 'readme_file'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of COLUMNS) await db.schema.alterTable('versions').addColumn(column, 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of [...COLUMNS].reverse()) await db.schema.alterTable('versions').dropColumn(column).execute();
}
