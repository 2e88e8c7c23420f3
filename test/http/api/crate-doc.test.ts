import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Json = Record<string, unknown>;
interface CrateDoc {
  crate: Json & { links: Json; versions: number[] | null; keywords: string[] | null; categories: string[] | null };
  versions: Array<Json & { num: string }> | null;
  keywords: Json[] | null;
  categories: Json[] | null;
}

describe("GET /api/v1/crates/{name}: crates.io's crate document", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    const alice = (await t.userWithToken('alice')).token;
    const meta = { categories: ['parsing', 'development-tools::testing'], homepage: 'https://parse.example' };
    await t.publish(alice, { name: 'parse-kit', vers: '1.0.0', keywords: ['parser', 'text'], meta });
    await t.publish(alice, { name: 'parse-kit', vers: '1.1.0', keywords: ['parser', 'text'], meta });
    await t.publish(alice, { name: 'parse-kit', vers: '2.0.0-rc.1', keywords: ['parser', 'text'], meta });
    await t.publish(alice, { name: 'other', vers: '0.1.0', keywords: ['parser'], meta: { categories: ['parsing'] } });
    // Downloads: 7 today and 5 a year ago; only today's are recent.
    const { db } = t.runtime.ctx;
    const v = await db.selectFrom('versions').innerJoin('crates', 'crates.id', 'versions.crate_id').select('versions.id').where('crates.name', '=', 'parse-kit').where('num', '=', '1.1.0').executeTakeFirstOrThrow();
    const today = t.clock.now().toISOString().slice(0, 10);
    const yearAgo = new Date(t.clock.now().getTime() - 365 * 86_400_000).toISOString().slice(0, 10);
    await db.insertInto('version_downloads').values([{ version_id: v.id, date: today, downloads: 7 }, { version_id: v.id, date: yearAgo, downloads: 5 }]).execute();
    await db.updateTable('versions').set({ downloads: 12 }).where('id', '=', v.id).execute();
    await db.updateTable('crates').set({ downloads: 12 }).where('name', '=', 'parse-kit').execute();
  });
  afterAll(() => t.close());

  const get = async (query = '') => {
    const res = await t.app.inject({ url: `/api/v1/crates/parse_kit${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as CrateDoc;
  };

  it('answers every part without include, as crates.io does for older clients', async () => {
    const doc = await get();
    expect(doc.crate).toMatchObject({
      id: 'parse-kit',
      name: 'parse-kit',
      badges: [],
      exact_match: false,
      trustpub_only: false,
      yanked: false,
      default_version: '1.1.0',
      max_version: '2.0.0-rc.1',
      max_stable_version: '1.1.0',
      newest_version: '2.0.0-rc.1',
      num_versions: 3,
      downloads: 12,
      recent_downloads: 7,
      homepage: 'https://parse.example',
      keywords: ['parser', 'text'],
      categories: ['development-tools::testing', 'parsing'],
    });
    expect(doc.crate.links).toEqual({
      version_downloads: '/api/v1/crates/parse-kit/downloads',
      versions: null,
      owners: '/api/v1/crates/parse-kit/owners',
      owner_team: '/api/v1/crates/parse-kit/owner_team',
      owner_user: '/api/v1/crates/parse-kit/owner_user',
      reverse_dependencies: '/api/v1/crates/parse-kit/reverse_dependencies',
    });
    expect(doc.versions!.map((v) => v.num)).toEqual(['2.0.0-rc.1', '1.1.0', '1.0.0']);
    expect(doc.crate.versions).toEqual(doc.versions!.map((v) => v.id));
    expect(doc.keywords).toEqual([
      { id: 'parser', keyword: 'parser', created_at: expect.any(String), crates_cnt: 2 },
      { id: 'text', keyword: 'text', created_at: expect.any(String), crates_cnt: 1 },
    ]);
    expect(doc.categories).toEqual([
      { id: 'development-tools::testing', category: 'Testing', slug: 'development-tools::testing', description: expect.any(String), created_at: expect.any(String), crates_cnt: 1 },
      { id: 'parsing', category: 'Parsing tools', slug: 'parsing', description: expect.any(String), created_at: expect.any(String), crates_cnt: 2 },
    ]);
  });

  it('answers only the parts asked for; the others are null', async () => {
    const doc = await get('?include=keywords');
    expect(doc.versions).toBeNull();
    expect(doc.categories).toBeNull();
    expect(doc.keywords).toHaveLength(2);
    expect(doc.crate).toMatchObject({ versions: null, categories: null, keywords: ['parser', 'text'], recent_downloads: null, downloads: 12 });
    expect(doc.crate.links.versions).toBe('/api/v1/crates/parse-kit/versions');
  });

  it('include=default_version answers the default version alone', async () => {
    const doc = await get('?include=default_version,downloads');
    expect(doc.versions!.map((v) => v.num)).toEqual(['1.1.0']);
    expect(doc.crate.versions).toBeNull();
    expect(doc.crate.recent_downloads).toBe(7);
  });

  it('an empty include answers the crate alone; full answers everything', async () => {
    const none = await get('?include=');
    expect([none.versions, none.keywords, none.categories, none.crate.versions]).toEqual([null, null, null, null]);
    const full = await get('?include=full');
    expect(full.versions).toHaveLength(3);
    expect(full.categories).toHaveLength(2);
  });

  it('refuses an unknown part with 400 and a detail', async () => {
    const res = await t.app.inject({ url: '/api/v1/crates/parse-kit?include=versions,owners' });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail).toMatch(/invalid component for \?include=/);
  });
});
