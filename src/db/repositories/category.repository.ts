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

/** `slugs` and every category above them. */
function withAncestors(slugs: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const slug of slugs) {
    const parts = slug.split('::');
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join('::'));
  }
  return [...all];
}

/**
 * Counts again, exactly, the crates in `slugs` and in every category above them: what a change of
 * membership can move. Runs in the transaction of the change, so lists read a stored number.
 */
export async function recountCategories(db: Db, slugs: Iterable<string>): Promise<void> {
  for (const slug of withAncestors(slugs)) {
    await db
      .updateTable('categories')
      .set({
        crates_cnt: sql<number>`(select count(distinct cc.crate_id) from crate_categories cc where cc.slug = ${slug} or cc.slug like ${`${slug}::%`})`,
      })
      .where('slug', '=', slug)
      .execute();
  }
}

export async function replaceCrateCategories(db: Db, crateId: number, slugs: readonly string[]): Promise<void> {
  const before = (await db.selectFrom('crate_categories').select('slug').where('crate_id', '=', crateId).execute()).map((r) => r.slug);
  if (before.length === slugs.length && before.every((s) => slugs.includes(s))) return;
  await db.deleteFrom('crate_categories').where('crate_id', '=', crateId).execute();
  if (slugs.length > 0) await db.insertInto('crate_categories').values(slugs.map((slug) => ({ crate_id: crateId, slug }))).execute();
  await recountCategories(db, [...before, ...slugs]);
}

function counted(db: Db) {
  return db.selectFrom('categories as c').select(['c.slug', 'c.category', 'c.description', 'c.created_at', 'c.crates_cnt']);
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
  // Its crates leave it (the join rows go with it): the categories above count them again.
  await recountCategories(db, withAncestors([slug]).filter((s) => s !== slug));
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
