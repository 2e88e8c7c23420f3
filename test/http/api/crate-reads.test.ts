import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencySpec } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const dep = (name: string, extra: Record<string, unknown> = {}) => dependencySpec(name, '^1', extra);
const DAY = 86_400_000;

describe("crates.io's documents around a crate: dependencies, downloads, README, owners, reverse dependencies", () => {
  let t: TestApp;
  let aliceId: number;
  const ids = new Map<string, number>();
  const day = (back: number) => new Date(t.clock.now().getTime() - back * DAY).toISOString().slice(0, 10);
  const get = (url: string) => t.app.inject({ url });
  const json = async <T>(url: string): Promise<T> => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as T;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const alice = await t.userWithToken('alice');
    aliceId = alice.userId;
    await t.publish(alice.token, { name: 'zeta', vers: '1.0.0' });
    await t.publish(alice.token, { name: 'Alpha-Lib', vers: '1.0.0' });
    for (const vers of ['0.1.0', '0.2.0', '1.0.0', '1.1.0', '1.2.0', '2.0.0']) {
      await t.publish(alice.token, { name: 'stats', vers, readme: vers === '2.0.0' ? '# Stats\n\nCounts *things*.' : null });
    }
    await t.publish(alice.token, {
      name: 'user-one',
      vers: '1.0.0',
      deps: [dep('zeta'), dep('Alpha_Lib', { optional: true }), dep('Alpha-Lib', { kind: 'dev' }), dep('stats')],
    });
    await t.publish(alice.token, { name: 'user-two', vers: '1.0.0', deps: [dep('stats')] });
    // user-three depended on stats only in a version that is no longer its default.
    await t.publish(alice.token, { name: 'user-three', vers: '1.0.0', deps: [dep('stats')] });
    await t.publish(alice.token, { name: 'user-three', vers: '2.0.0' });
    const { db } = t.runtime.ctx;
    for (const v of await db.selectFrom('versions').innerJoin('crates', 'crates.id', 'versions.crate_id').select(['versions.id', 'crates.name', 'versions.num']).execute()) {
      ids.set(`${v.name}@${v.num}`, v.id);
    }
    await db.updateTable('crates').set({ downloads: 50 }).where('name', '=', 'user-two').execute();
    await db.updateTable('crates').set({ downloads: 10 }).where('name', '=', 'user-one').execute();
    const rows: Array<[string, number, number]> = [
      ['stats@2.0.0', 0, 4],
      ['stats@1.2.0', 0, 3],
      ['stats@0.1.0', 0, 2],
      ['stats@0.2.0', 0, 1],
      ['stats@2.0.0', 89, 6],
      ['stats@2.0.0', 90, 100],
      ['stats@0.1.0', 95, 100],
    ];
    await db.insertInto('version_downloads').values(rows.map(([v, back, n]) => ({ version_id: ids.get(v)!, date: day(back), downloads: n }))).execute();
  });
  afterAll(() => t.close());

  it("lists a version's dependencies, required before optional, then by the crate's own name", async () => {
    const body = await json<{ dependencies: Array<Record<string, unknown>> }>('/api/v1/crates/user_one/1.0.0/dependencies');
    expect(body.dependencies.map((d) => [d.crate_id, d.kind, d.optional])).toEqual([
      ['Alpha-Lib', 'dev', false],
      ['stats', 'normal', false],
      ['zeta', 'normal', false],
      ['Alpha-Lib', 'normal', true],
    ]);
    expect(body.dependencies[0]).toEqual({
      id: expect.any(Number),
      version_id: ids.get('user-one@1.0.0'),
      crate_id: 'Alpha-Lib',
      req: '^1',
      optional: false,
      default_features: true,
      features: [],
      target: null,
      kind: 'dev',
      downloads: 0,
    });
  });

  it("answers a version's daily downloads of the 90 days up to today, or up to before_date", async () => {
    const body = await json<{ version_downloads: unknown[] }>('/api/v1/crates/stats/2.0.0/downloads');
    expect(body.version_downloads).toEqual([
      { version: ids.get('stats@2.0.0'), downloads: 6, date: day(89) },
      { version: ids.get('stats@2.0.0'), downloads: 4, date: day(0) },
    ]);
    const earlier = await json<{ version_downloads: unknown[] }>(`/api/v1/crates/stats/2.0.0/downloads?before_date=${day(1)}`);
    expect(earlier.version_downloads).toEqual([
      { version: ids.get('stats@2.0.0'), downloads: 100, date: day(90) },
      { version: ids.get('stats@2.0.0'), downloads: 6, date: day(89) },
    ]);
    const bad = await get('/api/v1/crates/stats/2.0.0/downloads?before_date=yesterday');
    expect(bad.statusCode).toBe(400);
  });

  it("answers a crate's downloads: the five highest versions by day, the others added up in meta.extra_downloads", async () => {
    const body = await json<{ version_downloads: unknown[]; versions?: Array<{ num: string }>; meta: { extra_downloads: unknown[] } }>('/api/v1/crates/stats/downloads');
    expect(body.version_downloads).toEqual([
      { version: ids.get('stats@2.0.0'), downloads: 6, date: day(89) },
      { version: ids.get('stats@2.0.0'), downloads: 4, date: day(0) },
      { version: ids.get('stats@1.2.0'), downloads: 3, date: day(0) },
      { version: ids.get('stats@0.2.0'), downloads: 1, date: day(0) },
    ]);
    expect(body.meta.extra_downloads).toEqual([{ date: day(0), downloads: 2 }]);
    expect(body.versions).toBeUndefined();
    const withVersions = await json<{ versions: Array<{ num: string }> }>('/api/v1/crates/stats/downloads?include=versions');
    expect(withVersions.versions.map((v) => v.num)).toEqual(['2.0.0', '1.2.0', '1.1.0', '1.0.0', '0.2.0']);
    expect((await get('/api/v1/crates/stats/downloads?include=owners')).statusCode).toBe(400);
  });

  it('serves the README rendered at publish as HTML, and 404 for a version without one', async () => {
    const res = await get('/api/v1/crates/stats/2.0.0/readme');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<em>things</em>');
    const none = await get('/api/v1/crates/stats/1.0.0/readme');
    expect(none.statusCode).toBe(404);
    expect((none.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail).toMatch(/no rendered README/);
  });

  it('answers the deprecated authors list empty, for versions that exist', async () => {
    expect(await json('/api/v1/crates/stats/1.0.0/authors')).toEqual({ users: [], meta: { names: [] } });
    expect((await get('/api/v1/crates/stats/9.9.9/authors')).statusCode).toBe(404);
  });

  it('lists the crates whose default version depends on this one, most downloaded first, paged', async () => {
    type RevDeps = { dependencies: Array<{ crate_id: string; version_id: number; downloads: number }>; versions: Array<{ id: number; crate: string }>; meta: { total: number } };
    const all = await json<RevDeps>('/api/v1/crates/stats/reverse_dependencies');
    expect(all.meta.total).toBe(2);
    expect(all.dependencies.map((d) => [d.crate_id, d.version_id, d.downloads])).toEqual([
      ['stats', ids.get('user-two@1.0.0'), 50],
      ['stats', ids.get('user-one@1.0.0'), 10],
    ]);
    expect(all.versions.map((v) => v.crate).sort()).toEqual(['user-one', 'user-two']);
    // Each version carries its own crate's history, though several crates are described at once.
    const history = all.versions.map((v) => (v as unknown as { audit_actions: Array<{ action: string }> }).audit_actions.map((a) => a.action));
    expect(history).toEqual([['publish'], ['publish']]);
    const second = await json<RevDeps>('/api/v1/crates/stats/reverse_dependencies?per_page=1&page=2');
    expect(second.dependencies.map((d) => d.version_id)).toEqual([ids.get('user-one@1.0.0')]);
    expect(second.versions.map((v) => v.id)).toEqual([ids.get('user-one@1.0.0')]);
    expect(second.meta.total).toBe(2);
    expect((await json<RevDeps>('/api/v1/crates/alpha_lib/reverse_dependencies')).meta.total).toBe(1);
    expect((await get('/api/v1/crates/stats/reverse_dependencies?per_page=101')).statusCode).toBe(400);
  });

  it('lists user owners in owner_user and no teams in owner_team', async () => {
    expect(await json('/api/v1/crates/stats/owner_user')).toEqual({
      users: [{ id: aliceId, login: 'alice', name: null, kind: 'user', url: `${t.config.publicUrl}/users/alice`, avatar: null }],
    });
    expect(await json('/api/v1/crates/stats/owner_team')).toEqual({ teams: [] });
  });

  it.each(['/dependencies', '/downloads', '/readme'])('answers 404 for %s of an unknown version or crate', async (tail) => {
    expect((await get(`/api/v1/crates/stats/9.9.9${tail}`)).statusCode).toBe(404);
    expect((await get(`/api/v1/crates/nonesuch/1.0.0${tail}`)).statusCode).toBe(404);
  });

  it.each(['/downloads', '/reverse_dependencies', '/owner_user', '/owner_team'])('answers 404 for %s of an unknown crate', async (tail) => {
    expect((await get(`/api/v1/crates/nonesuch${tail}`)).statusCode).toBe(404);
  });
});
