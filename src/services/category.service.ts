import { CATEGORY_SLUG, parentSlug } from '../core/categories.js';
import { badRequest, conflict, notFound } from '../core/errors.js';
import type { Db } from '../db/create-db.js';
import {
  type CategoryRow,
  countTopLevelCategories,
  deleteCategory,
  existingCategorySlugs,
  findCategory,
  listCategorySlugs,
  listSubcategories,
  listTopLevelCategories,
  upsertCategory,
} from '../db/repositories/category.repository.js';
import { recordAudit } from './audit.service.js';
import { parsePaging } from './paging.js';
import type { ServiceContext } from './context.js';
import type { Operator } from './token.service.js';

/** The registry's categories: crates.io's by default, edited by administrators. */

export const categoryDoc = (c: CategoryRow) => ({
  id: c.slug,
  category: c.category,
  slug: c.slug,
  description: c.description,
  created_at: c.created_at,
  crates_cnt: c.crates_cnt,
});

export async function categoryList(ctx: ServiceContext, raw: Record<string, unknown>) {
  const paging = parsePaging(raw);
  const sort = raw.sort === 'crates' ? 'crates' : 'alpha';
  const rows = await listTopLevelCategories(ctx.db, { sort, limit: paging.perPage, offset: (paging.page - 1) * paging.perPage });
  return { categories: rows.map(categoryDoc), meta: { total: await countTopLevelCategories(ctx.db) } };
}

/** The top-level categories with the most crates; empty ones are not popular. */
export async function popularCategories(db: Db, limit: number) {
  return (await listTopLevelCategories(db, { sort: 'crates', limit, offset: 0 })).filter((c) => c.crates_cnt > 0).map(categoryDoc);
}

/** One category with the categories directly below it and the chain above it, top first. */
export async function categoryDocument(ctx: ServiceContext, slug: string) {
  const row = await findCategory(ctx.db, slug);
  if (!row) throw notFound(`no category \`${slug}\` in this registry`);
  const parents: CategoryRow[] = [];
  for (let up = parentSlug(row.slug); up !== null; up = parentSlug(up)) {
    const parent = await findCategory(ctx.db, up);
    if (parent) parents.unshift(parent);
  }
  return {
    category: {
      ...categoryDoc(row),
      subcategories: (await listSubcategories(ctx.db, row.slug)).map(categoryDoc),
      parent_categories: parents.map(categoryDoc),
    },
  };
}

export async function categorySlugs(ctx: ServiceContext) {
  return { category_slugs: (await listCategorySlugs(ctx.db)).map((c) => ({ id: c.slug, slug: c.slug, description: c.description })) };
}

/** Splits a crate's categories into the registry's (as stored, deduplicated) and the unknown ones (as given). */
export async function sortCategories(db: Db, given: readonly string[]): Promise<{ valid: string[]; invalid: string[] }> {
  const known = await existingCategorySlugs(db, given);
  const valid = [...new Set(given.map((c) => c.toLowerCase()).filter((c) => known.has(c)))];
  return { valid, invalid: given.filter((c) => !known.has(c.toLowerCase())) };
}

/** Adds a category or renames and redescribes one; audited. A subcategory needs its parent. */
export async function setCategory(ctx: ServiceContext, by: Operator, input: { slug: string; name: string; description?: string }): Promise<void> {
  const slug = input.slug.trim().toLowerCase();
  if (!CATEGORY_SLUG.test(slug)) throw badRequest(`\`${input.slug}\` is not a category slug: lowercase words joined by \`-\`, levels by \`::\` (e.g. \`development-tools::testing\`)`);
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw badRequest('a category name has 1 to 100 characters');
  const description = (input.description ?? '').trim();
  if (description.length > 1000) throw badRequest('a category description has at most 1000 characters');
  const parent = parentSlug(slug);
  if (parent !== null && !(await findCategory(ctx.db, parent))) throw badRequest(`add the category \`${parent}\` first`);
  const existing = await findCategory(ctx.db, slug);
  await ctx.db.transaction().execute(async (tx) => {
    await upsertCategory(tx, { slug, category: name, description: input.description === undefined && existing ? existing.description : description, created_at: ctx.clock.now().toISOString() });
    await recordAudit(tx, ctx.clock, { action: 'category.set', userId: by.actor?.userId ?? null, tokenId: null, detail: { slug, name, ...(by.via ? { via: by.via } : {}) } });
  });
}

/** Removes a category with no subcategories; crates in it simply lose it. Audited. */
export async function removeCategory(ctx: ServiceContext, by: Operator, slug: string): Promise<void> {
  const row = await findCategory(ctx.db, slug);
  if (!row) throw notFound(`no category \`${slug}\` in this registry`);
  if ((await listSubcategories(ctx.db, row.slug)).length > 0) throw conflict(`the category \`${row.slug}\` has subcategories; remove them first`);
  await ctx.db.transaction().execute(async (tx) => {
    // The crates' own lists (what their documents show) lose it in the same step.
    const members = await tx
      .selectFrom('crates')
      .innerJoin('crate_categories', 'crate_categories.crate_id', 'crates.id')
      .select(['crates.id', 'crates.categories'])
      .where('crate_categories.slug', '=', row.slug)
      .execute();
    for (const crate of members) {
      const remaining = (JSON.parse(crate.categories) as string[]).filter((c) => c.toLowerCase() !== row.slug);
      await tx.updateTable('crates').set({ categories: JSON.stringify(remaining) }).where('id', '=', crate.id).execute();
    }
    await deleteCategory(tx, row.slug);
    await recordAudit(tx, ctx.clock, { action: 'category.remove', userId: by.actor?.userId ?? null, tokenId: null, detail: { slug: row.slug, crates: row.crates_cnt, ...(by.via ? { via: by.via } : {}) } });
  });
}
