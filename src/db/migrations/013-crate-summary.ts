import { type Kysely, sql } from 'kysely';
import { summarizeVersions } from '../../core/version-order.js';

/**
 * crates.io's summary of each crate's versions (highest, highest stable, newest, default, count,
 * all yanked), kept on the crate row by publish and yank so that search and every list read one
 * row per crate instead of every version of every crate listed. Filled for existing crates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('crates')
    .addColumn('max_version', 'text', (c) => c.notNull().defaultTo('0.0.0'))
    .execute();
  await db.schema.alterTable('crates').addColumn('max_stable_version', 'text').execute();
  await db.schema.alterTable('crates').addColumn('newest_version', 'text', (c) => c.notNull().defaultTo('0.0.0')).execute();
  await db.schema.alterTable('crates').addColumn('default_version', 'text').execute();
  await db.schema.alterTable('crates').addColumn('num_versions', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('crates').addColumn('all_yanked', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  const crates = await sql<{ id: number }>`select id from crates`.execute(db);
  for (const { id } of crates.rows) {
    const versions = await sql<{ num: string; yanked: number }>`select num, yanked from versions where crate_id = ${id} order by id`.execute(db);
    const s = summarizeVersions(versions.rows);
    await sql`update crates set max_version = ${s.max_version}, max_stable_version = ${s.max_stable_version}, newest_version = ${s.newest_version},
      default_version = ${s.default_version}, num_versions = ${s.num_versions}, all_yanked = ${s.all_yanked ? 1 : 0} where id = ${id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['all_yanked', 'num_versions', 'default_version', 'newest_version', 'max_stable_version', 'max_version']) {
    await db.schema.alterTable('crates').dropColumn(column).execute();
  }
}
