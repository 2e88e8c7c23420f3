import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

interface Listed {
  crates: Array<{ name: string; recent_downloads: number | null; exact_match: boolean; yanked: boolean }>;
  meta: { total: number; next_page: string | null; prev_page: string | null };
}

describe("GET /api/v1/crates with crates.io's parameters", () => {
  let t: TestApp;
  let aliceId: number;
  let bobId: number;
  const DAY = 86_400_000;

  beforeAll(async () => {
    t = await createTestApp();
    const alice = await t.userWithToken('alice');
    const bob = await t.userWithToken('bob');
    aliceId = alice.userId;
    bobId = bob.userId;
    // Published a minute apart in this order: `new` lists them backwards.
    const specs: Array<[string, string, string[], string[]]> = [
      ['http-core', alice.token, ['http', 'net'], ['web-programming']],
      ['http-client', alice.token, ['http', 'client'], ['web-programming::http-client']],
      ['json-fast', bob.token, ['json'], ['parsing']],
      ['Hyper-Lite', bob.token, ['http'], []],
      ['gone', alice.token, [], []],
    ];
    for (const [name, token, keywords, categories] of specs) {
      t.clock.advance(60_000);
      await t.publish(token, { name, vers: '1.0.0', keywords, meta: { categories } });
    }
    const yank = await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/gone/1.0.0/yank', headers: { authorization: alice.token } });
    expect(yank.statusCode).toBe(200);
    const { db } = t.runtime.ctx;
    const versionOf = async (name: string) =>
      (await db.selectFrom('versions').innerJoin('crates', 'crates.id', 'versions.crate_id').select('versions.id').where('crates.name', '=', name).executeTakeFirstOrThrow()).id;
    const today = t.clock.now().toISOString().slice(0, 10);
    const old = new Date(t.clock.now().getTime() - 200 * DAY).toISOString().slice(0, 10);
    // All-time downloads: json-fast 100 (long ago), http-client 5 (recent); recent: http-client, then http-core.
    await db.insertInto('version_downloads').values([
      { version_id: await versionOf('json-fast'), date: old, downloads: 100 },
      { version_id: await versionOf('http-client'), date: today, downloads: 5 },
      { version_id: await versionOf('http-core'), date: today, downloads: 2 },
    ]).execute();
    for (const [name, n] of [['json-fast', 100], ['http-client', 5], ['http-core', 2]] as const) {
      await db.updateTable('crates').set({ downloads: n }).where('name', '=', name).execute();
    }
  });
  afterAll(() => t.close());

  const list = async (query: string) => {
    const res = await t.app.inject({ url: `/api/v1/crates${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Listed;
  };
  const names = async (query: string) => (await list(query)).crates.map((c) => c.name);

  it('orders by each of crates.io\'s sorts', async () => {
    expect(await names('?sort=new')).toEqual(['gone', 'Hyper-Lite', 'json-fast', 'http-client', 'http-core']);
    expect(await names('?sort=downloads')).toEqual(['json-fast', 'http-client', 'http-core', 'gone', 'Hyper-Lite']);
    expect(await names('?sort=recent-downloads')).toEqual(['http-client', 'http-core', 'gone', 'Hyper-Lite', 'json-fast']);
    expect(await names('')).toEqual(['gone', 'http-client', 'http-core', 'Hyper-Lite', 'json-fast']);
    expect(await names('?sort=no-such-sort')).toEqual(await names('?sort=alpha'));
    expect(await names('?q=http&sort=relevance')).toEqual(['http-client', 'http-core', 'Hyper-Lite']);
  });

  it('answers the 90-day downloads of each crate listed', async () => {
    const crates = (await list('?sort=downloads')).crates;
    expect(crates.map((c) => [c.name, c.recent_downloads])).toEqual([
      ['json-fast', 0],
      ['http-client', 5],
      ['http-core', 2],
      ['gone', 0],
      ['Hyper-Lite', 0],
    ]);
  });

  it.each([
    ['category, with its subcategories', '?category=web-programming', ['http-client', 'http-core']],
    ['a subcategory alone', '?category=web-programming::http-client', ['http-client']],
    ['keyword', '?keyword=HTTP', ['http-client', 'http-core', 'Hyper-Lite']],
    ['all_keywords', '?all_keywords=http%20net', ['http-core']],
    ['all_keywords before keyword', '?all_keywords=json&keyword=http', ['json-fast']],
    ['letter', '?letter=H', ['http-client', 'http-core', 'Hyper-Lite']],
    ['user_id', `?user_id=BOB`, ['Hyper-Lite', 'json-fast']],
    ['team_id of a team that does not exist', '?team_id=1', []],
    ['ids[], in either spelling', '?ids[]=json_fast&ids[]=gone&ids[]=nonesuch', ['gone', 'json-fast']],
    ['include_yanked=no', '?include_yanked=no&letter=g', []],
    ['include_yanked=yes', '?include_yanked=yes&letter=g', ['gone']],
    ['q with a filter', '?q=http&user_id=ALICE', ['http-client', 'http-core']],
  ])('filters by %s', async (_label, query, expected) => {
    const q = query.replace('BOB', String(bobId)).replace('ALICE', String(aliceId));
    const body = await list(q);
    expect(body.crates.map((c) => c.name).sort()).toEqual([...expected].sort());
    expect(body.meta.total).toBe(expected.length);
  });

  it.each(['alpha', 'new', 'downloads', 'recent-downloads', 'recent-updates', 'relevance'])(
    'walks every page of sort=%s once through meta.next_page, which keeps every parameter',
    async (sort) => {
      const query = `?sort=${sort}&per_page=2&q=t&include_yanked=yes`;
      const all = await names(`?sort=${sort}&per_page=100&q=t&include_yanked=yes`);
      const seen: string[] = [];
      let next: string | null = query;
      for (let i = 0; next !== null && i < 10; i++) {
        const body: Listed = await list(next);
        seen.push(...body.crates.map((c) => c.name));
        expect(body.meta.total).toBe(all.length);
        expect(body.meta.prev_page).toBeNull();
        next = body.meta.next_page;
        if (next !== null) {
          const params = new URLSearchParams(next.slice(1));
          expect([params.get('sort'), params.get('per_page'), params.get('q'), params.get('include_yanked'), params.has('seek')]).toEqual([sort, '2', 't', 'yes', true]);
        }
      }
      expect(seen).toEqual(all);
    },
  );

  it('with page numbers, next_page and prev_page count pages and keep every parameter', async () => {
    const body = await list('?keyword=http&per_page=1&page=2&sort=new');
    expect(body.crates.map((c) => c.name)).toEqual(['http-client']);
    expect(body.meta.next_page).toBe('?keyword=http&per_page=1&sort=new&page=3');
    expect(body.meta.prev_page).toBe('?keyword=http&per_page=1&sort=new&page=1');
  });

  it.each([
    ['a forged seek', '?seek=bm9wZQ', /seek/],
    ['a seek of another sort', `?sort=new&seek=${Buffer.from(JSON.stringify(['alpha', 'x'])).toString('base64url')}`, /seek/],
    ['page and seek together', '?page=2&seek=abc', /cannot be used together/],
    ['an empty letter', '?letter=', /letter value must contain 1 character/],
    ['a user_id that is not a number', '?user_id=alice', /user_id/],
    ['too many ids', `?${Array.from({ length: 101 }, (_, i) => `ids[]=c${i}`).join('&')}`, /ids/],
  ])('refuses %s with 400 and a detail', async (_label, query, pattern) => {
    const res = await t.app.inject({ url: `/api/v1/crates${query}` });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail).toMatch(pattern);
  });
});
