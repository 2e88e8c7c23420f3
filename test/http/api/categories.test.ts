import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORIES } from '../../../src/core/categories.js';
import * as categoriesMigration from '../../../src/db/migrations/012-categories.js';
import { removeCategory, setCategory } from '../../../src/services/category.service.js';
import { publishBody } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Json = Record<string, unknown>;
const operator = { actor: null, via: 'cli:test' };

describe("categories: crates.io's list by default, checked at publish, edited by administrators", () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = (await t.userWithToken('alice')).token;
  });
  afterAll(() => t.close());

  const get = async (url: string) => {
    const res = await t.app.inject({ url });
    return { status: res.statusCode, json: res.json() as Json };
  };
  const publish = async (name: string, vers: string, categories: string[]) => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers, meta: { categories } }), headers: { authorization: token } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { warnings: { invalid_categories: string[] } };
  };

  it("keeps the categories on the list, warns about the others as crates.io does, and the crate shows only the kept ones", async () => {
    const answer = await publish('tester', '1.0.0', ['Development-Tools::Testing', 'made-up', 'parsing']);
    expect(answer.warnings.invalid_categories).toEqual(['made-up']);
    const crate = await get('/api/v1/crates/tester');
    expect((crate.json.crate as Json).categories).toEqual(['development-tools::testing', 'parsing']);
  });

  it('lists top-level categories with the crates in them or below, by name or by crates, paged', async () => {
    await publish('parser', '1.0.0', ['parsing']);
    const byCrates = await get('/api/v1/categories?sort=crates&per_page=2');
    expect(byCrates.status).toBe(200);
    const top = byCrates.json.categories as Json[];
    expect(top.map((c) => [c.slug, c.crates_cnt])).toEqual([['parsing', 2], ['development-tools', 1]]);
    expect(top[0]).toEqual({ id: 'parsing', category: 'Parsing tools', slug: 'parsing', description: '', created_at: expect.any(String), crates_cnt: 2 });
    const topLevel = DEFAULT_CATEGORIES.filter(([slug]) => !slug.includes('::')).length;
    expect(byCrates.json.meta).toEqual({ total: topLevel });
    const alpha = (await get('/api/v1/categories?per_page=3')).json.categories as Json[];
    expect(alpha.map((c) => c.slug)).toEqual(['accessibility', 'aerospace', 'algorithms']);
  });

  it('describes a category with its subcategories and parents', async () => {
    const sub = (await get('/api/v1/categories/development-tools::testing')).json.category as Json;
    expect(sub).toMatchObject({ slug: 'development-tools::testing', category: 'Testing', crates_cnt: 1, subcategories: [] });
    expect((sub.parent_categories as Json[]).map((c) => c.slug)).toEqual(['development-tools']);
    const parent = (await get('/api/v1/categories/development-tools')).json.category as Json;
    expect((parent.subcategories as Json[]).map((c) => c.slug)).toContain('development-tools::testing');
    expect((await get('/api/v1/categories/nope')).status).toBe(404);
  });

  it('lists every slug', async () => {
    const slugs = (await get('/api/v1/category_slugs')).json.category_slugs as Json[];
    expect(slugs).toHaveLength(DEFAULT_CATEGORIES.length);
    expect(slugs).toContainEqual({ id: 'no-std::no-alloc', slug: 'no-std::no-alloc', description: '' });
  });

  it('an administrator adds a category that publishes then accept, and removes one, which crates then lose', async () => {
    await setCategory(t.runtime.ctx, operator, { slug: 'internal-tools', name: 'Internal tools', description: 'Our own tooling.' });
    expect((await publish('inhouse', '1.0.0', ['internal-tools'])).warnings.invalid_categories).toEqual([]);
    expect(((await get('/api/v1/categories/internal-tools')).json.category as Json)).toMatchObject({ description: 'Our own tooling.', crates_cnt: 1 });
    await removeCategory(t.runtime.ctx, operator, 'internal-tools');
    expect(((await get('/api/v1/crates/inhouse')).json.crate as Json).categories).toEqual([]);
    expect((await get('/api/v1/categories/internal-tools')).status).toBe(404);
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select('action').where('action', 'like', 'category.%').orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['category.set', 'category.remove']);
  });

  it('refuses a bad slug, an orphan subcategory and removing a category that has subcategories', async () => {
    await expect(setCategory(t.runtime.ctx, operator, { slug: 'Bad Slug', name: 'x' })).rejects.toMatchObject({ status: 400 });
    await expect(setCategory(t.runtime.ctx, operator, { slug: 'nothing::below', name: 'x' })).rejects.toMatchObject({ status: 400, detail: expect.stringMatching(/add the category `nothing` first/) });
    await expect(removeCategory(t.runtime.ctx, operator, 'development-tools')).rejects.toMatchObject({ status: 409 });
  });

  it("keeps the counts as a crate's newest release changes its categories", async () => {
    const count = async (slug: string) => ((await get(`/api/v1/categories/${slug}`)).json.category as Json).crates_cnt;
    expect([await count('development-tools'), await count('development-tools::testing'), await count('parsing')]).toEqual([1, 1, 2]);
    await publish('tester', '1.1.0', ['development-tools']);
    expect([await count('development-tools'), await count('development-tools::testing'), await count('parsing')]).toEqual([1, 0, 1]);
    await publish('tester', '1.2.0', ['parsing', 'development-tools::testing']);
    expect([await count('development-tools'), await count('development-tools::testing'), await count('parsing')]).toEqual([1, 1, 2]);
  });

  it('the summary lists popular categories', async () => {
    const summary = (await get('/api/v1/summary')).json;
    expect((summary.popular_categories as Json[])[0]).toMatchObject({ slug: 'parsing', crates_cnt: 2 });
  });

  it('keeps the categories of crates published before the list existed, where they are on it', async () => {
    const db = t.runtime.ctx.db as unknown as Kysely<unknown>;
    await categoriesMigration.down(db);
    await categoriesMigration.up(db);
    const parsing = (await get('/api/v1/categories/parsing')).json.category as Json;
    expect(parsing.crates_cnt).toBe(2);
    expect(((await get('/api/v1/categories/development-tools::testing')).json.category as Json).crates_cnt).toBe(1);
  });
});
