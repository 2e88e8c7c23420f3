import { type Kysely, sql } from 'kysely';
import { DEFAULT_CATEGORIES } from '../../core/categories.js';

/**
 * The registry's list of categories (crates.io's by default; administrators edit it), and which
 * crates are in which. Existing crates keep the categories of theirs that are on the list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('categories')
    .addColumn('slug', 'text', (c) => c.primaryKey())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // Crates in the category or below it, kept by publish and category changes so lists read no joins.
    .addColumn('crates_cnt', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('crate_categories')
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('slug', 'text', (c) => c.notNull().references('categories.slug').onDelete('cascade'))
    .addPrimaryKeyConstraint('crate_categories_pkey', ['crate_id', 'slug'])
    .execute();
  await db.schema.createIndex('crate_categories_slug').on('crate_categories').column('slug').execute();

  const now = new Date().toISOString();
  for (const [slug, name] of DEFAULT_CATEGORIES) {
    await sql`insert into categories (slug, category, description, created_at) values (${slug}, ${name}, ${''}, ${now})`.execute(db);
  }
  const known = new Set(DEFAULT_CATEGORIES.map(([slug]) => slug));
  const crates = await sql<{ id: number; categories: string }>`select id, categories from crates`.execute(db);
  for (const crate of crates.rows) {
    const slugs = new Set((JSON.parse(crate.categories) as string[]).map((c) => c.toLowerCase()).filter((c) => known.has(c)));
    for (const slug of slugs) await sql`insert into crate_categories (crate_id, slug) values (${crate.id}, ${slug})`.execute(db);
  }
  await sql`update categories set crates_cnt = (select count(distinct cc.crate_id) from crate_categories cc
    where cc.slug = categories.slug or cc.slug like categories.slug || '::%')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crate_categories').execute();
  await db.schema.dropTable('categories').execute();
}
