import { sql } from 'kysely';
import type { Db } from '../create-db.js';

export interface CategoryRow {
  slug: string;
  category: string;
  description: string;
  created_at: string;
  /** Crates in the category or any category below it. */
  crates_cnt: number;
}

/** Those of `slugs` that are categories of this registry (compared lowercased), in their stored spelling. */
export async function existingCategorySlugs(db: Db, slugs: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(slugs.map((s) => s.toLowerCase()))];
  if (wanted.length === 0) return new Set();
  const rows = await db.selectFrom('categories').select('slug').where('slug', 'in', wanted).execute();
  return new Set(rows.map((r) => r.slug));
}

export async function replaceCrateCategories(db: Db, crateId: number, slugs: readonly string[]): Promise<void> {
  await db.deleteFrom('crate_categories').where('crate_id', '=', crateId).execute();
  if (slugs.length > 0) await db.insertInto('crate_categories').values(slugs.map((slug) => ({ crate_id: crateId, slug }))).execute();
}

/** Categories with the number of distinct crates in each one or below it. */
function counted(db: Db) {
  return db.selectFrom('categories as c').select([
    'c.slug',
    'c.category',
    'c.description',
    'c.created_at',
    sql<number>`(select count(distinct cc.crate_id) from crate_categories cc where cc.slug = c.slug or cc.slug like c.slug || '::%')`.as('crates_cnt'),
  ]);
}

const toRow = (r: { slug: string; category: string; description: string; created_at: string; crates_cnt: number }): CategoryRow => ({
  ...r,
  crates_cnt: Number(r.crates_cnt),
});

export async function listTopLevelCategories(db: Db, opts: { sort: 'alpha' | 'crates'; limit: number; offset: number }): Promise<CategoryRow[]> {
  let query = counted(db).where('c.slug', 'not like', '%::%');
  query = opts.sort === 'crates' ? query.orderBy('crates_cnt', 'desc').orderBy('c.slug') : query.orderBy('c.slug');
  return (await query.limit(opts.limit).offset(opts.offset).execute()).map(toRow);
}

export async function countTopLevelCategories(db: Db): Promise<number> {
  const row = await db.selectFrom('categories').select((eb) => eb.fn.countAll<number>().as('n')).where('slug', 'not like', '%::%').executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findCategory(db: Db, slug: string): Promise<CategoryRow | undefined> {
  const row = await counted(db).where('c.slug', '=', slug.toLowerCase()).executeTakeFirst();
  return row && toRow(row);
}

/** The categories directly below `slug`. */
export async function listSubcategories(db: Db, slug: string): Promise<CategoryRow[]> {
  const rows = await counted(db).where('c.slug', 'like', `${slug}::%`).where('c.slug', 'not like', `${slug}::%::%`).orderBy('c.slug').execute();
  return rows.map(toRow);
}

export async function listCategorySlugs(db: Db): Promise<Array<{ slug: string; description: string }>> {
  return db.selectFrom('categories').select(['slug', 'description']).orderBy('slug').execute();
}

export async function upsertCategory(db: Db, row: { slug: string; category: string; description: string; created_at: string }): Promise<void> {
  await db
    .insertInto('categories')
    .values(row)
    .onConflict((oc) => oc.column('slug').doUpdateSet({ category: row.category, description: row.description }))
    .execute();
}

export async function deleteCategory(db: Db, slug: string): Promise<boolean> {
  const result = await db.deleteFrom('categories').where('slug', '=', slug).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A crate's categories with their counts, by slug. */
export async function listCrateCategories(db: Db, crateId: number): Promise<CategoryRow[]> {
  const rows = await counted(db)
    .where('c.slug', 'in', (eb) => eb.selectFrom('crate_categories').select('crate_categories.slug').where('crate_categories.crate_id', '=', crateId))
    .orderBy('c.slug')
    .execute();
  return rows.map(toRow);
}
