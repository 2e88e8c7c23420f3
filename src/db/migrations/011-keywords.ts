import { type Kysely, sql } from 'kysely';

/**
 * One row per keyword of a crate (lowercased, as crates.io keeps them), so keyword listings and
 * counts are index reads instead of a scan of every crate's JSON. Filled from existing crates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('crate_keywords')
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('keyword', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crate_keywords_pkey', ['crate_id', 'keyword'])
    .execute();
  await db.schema.createIndex('crate_keywords_keyword').on('crate_keywords').column('keyword').execute();
  const crates = await sql<{ id: number; keywords: string; created_at: string }>`select id, keywords, created_at from crates`.execute(db);
  for (const crate of crates.rows) {
    const keywords = [...new Set((JSON.parse(crate.keywords) as string[]).map((k) => k.toLowerCase()))];
    for (const keyword of keywords) {
      await sql`insert into crate_keywords (crate_id, keyword, created_at) values (${crate.id}, ${keyword}, ${crate.created_at})`.execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crate_keywords').execute();
}
