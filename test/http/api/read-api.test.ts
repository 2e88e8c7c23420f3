import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crateTarball, dependencySpec, metadataFor, publishBody, publishFrame, type CrateSpec } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import type { Config } from '../../../src/config/config.js';

type Res = { statusCode: number; body: string; json(): unknown };
const detail = (res: Res) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dep = dependencySpec;

interface SearchResult {
  crates: Array<{ name: string; max_version: string; description: string | null; downloads: number; updated_at: string; exact_match: boolean }>;
  meta: { total: number };
}
interface VersionDoc {
  num: string;
  yanked: boolean;
  downloads: number;
  checksum: string;
}

/** One registry per describe block, with alice owning what she publishes. */
async function registry(overrides: Partial<Config> = {}) {
  const t = await createTestApp(overrides);
  const alice = await t.userWithToken('alice');
  const publish = async (spec: CrateSpec, token = alice.token) => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody(spec), headers: { authorization: token } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  return { t, alice, publish, get };
}

describe('downloads', () => {
  let r: Awaited<ReturnType<typeof registry>>;
  let tarball: Buffer;

  beforeAll(async () => {
    r = await registry();
    const spec = { name: 'Fetchme', vers: '1.2.3' };
    tarball = await crateTarball(spec);
    const res = await r.t.app.inject({
      method: 'PUT',
      url: '/api/v1/crates/new',
      payload: publishFrame(JSON.stringify(metadataFor(spec)), tarball),
      headers: { authorization: r.alice.token },
    });
    expect(res.statusCode).toBe(200);
    await r.publish({ name: 'counted', vers: '1.0.0' });
    await r.publish({ name: 'counted', vers: '2.0.0' });
  });
  afterAll(() => r.t.close());

  it('streams the exact .crate bytes whose sha256 is the index cksum', async () => {
    const res = await r.get('/api/v1/crates/Fetchme/1.2.3/download');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(Number(res.headers['content-length'])).toBe(tarball.length);
    expect(res.rawPayload.equals(tarball)).toBe(true);
    const line = JSON.parse((await r.get('/index/fe/tc/fetchme')).body.trim()) as { cksum: string };
    expect(sha256(res.rawPayload)).toBe(line.cksum);
  });

  it('finds the crate whatever the case of its name in the URL', async () => {
    const res = await r.get('/api/v1/crates/FETCHME/1.2.3/download');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(tarball)).toBe(true);
  });

  it.each([
    ['an unknown crate', '/api/v1/crates/nonesuch/1.0.0/download', /crate `nonesuch` does not exist/],
    ['an unknown version', '/api/v1/crates/Fetchme/9.9.9/download', /no version `9\.9\.9`/],
  ])('answers 404 JSON for %s', async (_label, url, pattern) => {
    const res = await r.get(url);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(detail(res)).toMatch(pattern);
  });

  it('counts downloads in memory and writes them in batches', async () => {
    const { db } = r.t.runtime.ctx;
    const crate = await db.selectFrom('crates').select(['id', 'downloads']).where('name', '=', 'counted').executeTakeFirstOrThrow();
    const v1 = await db.selectFrom('versions').select('id').where('crate_id', '=', crate.id).where('num', '=', '1.0.0').executeTakeFirstOrThrow();
    const v2 = await db.selectFrom('versions').select('id').where('crate_id', '=', crate.id).where('num', '=', '2.0.0').executeTakeFirstOrThrow();
    const counts = async () => ({
      v1: (await db.selectFrom('versions').select('downloads').where('id', '=', v1.id).executeTakeFirstOrThrow()).downloads,
      v2: (await db.selectFrom('versions').select('downloads').where('id', '=', v2.id).executeTakeFirstOrThrow()).downloads,
      crate: (await db.selectFrom('crates').select('downloads').where('id', '=', crate.id).executeTakeFirstOrThrow()).downloads,
      daily: await db.selectFrom('version_downloads').select(['version_id', 'date', 'downloads']).where('version_id', 'in', [v1.id, v2.id]).orderBy('version_id').execute(),
    });
    const download = async (vers: string, times: number) => {
      for (let i = 0; i < times; i++) expect((await r.get(`/api/v1/crates/counted/${vers}/download`)).statusCode).toBe(200);
    };

    await download('1.0.0', 3);
    expect(await counts()).toEqual({ v1: 0, v2: 0, crate: 0, daily: [] });

    const today = r.t.clock.now().toISOString().slice(0, 10);
    await r.t.runtime.downloads.flush();
    expect(await counts()).toEqual({ v1: 3, v2: 0, crate: 3, daily: [{ version_id: v1.id, date: today, downloads: 3 }] });

    await download('1.0.0', 2);
    await download('2.0.0', 4);
    expect((await counts()).crate).toBe(3);
    await r.t.runtime.downloads.flush();
    expect(await counts()).toEqual({
      v1: 5,
      v2: 4,
      crate: 9,
      daily: [
        { version_id: v1.id, date: today, downloads: 5 },
        { version_id: v2.id, date: today, downloads: 4 },
      ],
    });

    // The API shows the flushed totals.
    const info = (await r.get('/api/v1/crates/counted')).json() as { crate: { downloads: number }; versions: VersionDoc[] };
    expect(info.crate.downloads).toBe(9);
    expect(info.versions.map((v) => [v.num, v.downloads])).toEqual([['2.0.0', 4], ['1.0.0', 5]]);
  });

  it('starts a new daily row on a new date', async () => {
    const { db } = r.t.runtime.ctx;
    r.t.clock.advance(24 * 60 * 60 * 1000);
    const tomorrow = r.t.clock.now().toISOString().slice(0, 10);
    expect((await r.get('/api/v1/crates/Fetchme/1.2.3/download')).statusCode).toBe(200);
    await r.t.runtime.downloads.flush();
    const rows = await db
      .selectFrom('version_downloads')
      .innerJoin('versions', 'versions.id', 'version_downloads.version_id')
      .innerJoin('crates', 'crates.id', 'versions.crate_id')
      .select(['version_downloads.date', 'version_downloads.downloads'])
      .where('crates.name', '=', 'Fetchme')
      .where('version_downloads.date', '=', tomorrow)
      .execute();
    expect(rows).toEqual([{ date: tomorrow, downloads: 1 }]);
  });
});

describe('GET /api/v1/crates (search)', () => {
  let r: Awaited<ReturnType<typeof registry>>;
  const search = async (query: string) => {
    const res = await r.get(`/api/v1/crates?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as SearchResult;
  };
  const names = (result: SearchResult) => result.crates.map((c) => c.name);

  beforeAll(async () => {
    r = await registry();
    // Published out of alphabetical order, a minute apart, so each sort gives a different order.
    for (const spec of [
      { name: 'serde_helper', vers: '0.1.0', description: 'Helps with serde' },
      { name: 'my-serde', vers: '1.0.0' },
      { name: 'serde', vers: '1.0.0', description: 'A serialization framework' },
      { name: 'serde', vers: '2.0.0', description: 'A serialization framework' },
      { name: 'a_b', vers: '1.0.0' },
      { name: 'axb', vers: '1.0.0' },
    ]) {
      r.t.clock.advance(60_000);
      await r.publish(spec);
    }
    const yank = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/crates/serde/2.0.0/yank', headers: { authorization: r.alice.token } });
    expect(yank.statusCode).toBe(200);
    for (const [name, n] of [['my-serde', 3], ['axb', 2], ['serde_helper', 1]] as const) {
      for (let i = 0; i < n; i++) expect((await r.get(`/api/v1/crates/${name}/${name === 'serde_helper' ? '0.1.0' : '1.0.0'}/download`)).statusCode).toBe(200);
    }
    await r.t.runtime.downloads.flush();
  });
  afterAll(() => r.t.close());

  it("answers in crates.io's shape, the exact name first", async () => {
    const result = await search('q=serde');
    expect(result.meta.total).toBe(3);
    expect(names(result)[0]).toBe('serde');
    expect(new Set(names(result))).toEqual(new Set(['serde', 'serde_helper', 'my-serde']));
    const serde = result.crates[0];
    expect(serde).toMatchObject({ name: 'serde', max_version: '1.0.0', description: 'A serialization framework', downloads: 0, exact_match: true });
    expect(Number.isNaN(Date.parse(serde?.updated_at ?? ''))).toBe(false);
    expect(result.crates.filter((c) => c.exact_match).map((c) => c.name)).toEqual(['serde']);
    expect(result.crates.find((c) => c.name === 'my-serde')).toMatchObject({ max_version: '1.0.0', downloads: 3 });
  });

  it('matches the exact name case-insensitively and across `-`/`_`', async () => {
    expect(names(await search('q=SERDE'))[0]).toBe('serde');
    expect(names(await search('q=my_serde'))).toEqual(['my-serde']);
  });

  it('pages through the results with the full count in meta.total', async () => {
    const pages = [];
    for (const page of [1, 2, 3]) {
      const result = await search(`q=serde&per_page=1&page=${page}`);
      expect(result.meta.total).toBe(3);
      expect(result.crates).toHaveLength(1);
      pages.push(...names(result));
    }
    expect(pages[0]).toBe('serde');
    expect(new Set(pages).size).toBe(3);
    const past = await search('q=serde&per_page=1&page=4');
    expect(past.crates).toEqual([]);
    expect(past.meta.total).toBe(3);
    expect(names(await search('q=serde&per_page=2&page=2'))).toHaveLength(1);
  });

  it.each([
    ['per_page over 100', 'q=serde&per_page=101', /per_page/],
    ['per_page of 0', 'per_page=0', /per_page/],
    ['a page that is not a number', 'page=two', /page/],
  ])('refuses %s with 400 JSON', async (_label, query, pattern) => {
    const res = await r.get(`/api/v1/crates?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(detail(res)).toMatch(pattern);
  });

  it('accepts per_page of exactly 100', async () => {
    const all = await search('per_page=100');
    expect(all.crates).toHaveLength(5);
    expect(all.meta.total).toBe(5);
  });

  it('takes `%` and `_` in the query literally', async () => {
    expect(names(await search('q=a_b'))).toEqual(['a_b']);
    expect((await search(`q=${encodeURIComponent('%')}`)).meta.total).toBe(0);
    expect((await search(`q=${encodeURIComponent('a%b')}`)).meta.total).toBe(0);
    expect((await search('q=_')).meta.total).toBe(3);
  });

  it('sorts by downloads, recent updates or name', async () => {
    expect(names(await search('sort=downloads'))).toEqual(['my-serde', 'axb', 'serde_helper', 'a_b', 'serde']);
    expect(names(await search('sort=recent-updates'))).toEqual(['axb', 'a_b', 'serde', 'my-serde', 'serde_helper']);
    expect(names(await search('sort=alpha'))).toEqual(['a_b', 'axb', 'my-serde', 'serde', 'serde_helper']);
    // As on crates.io: by name, the exact match first; an unknown sort is by name too.
    expect(names(await search('q=serde&sort=alpha'))).toEqual(['serde', 'my-serde', 'serde_helper']);
    expect(names(await search('sort=popularity'))).toEqual(['a_b', 'axb', 'my-serde', 'serde', 'serde_helper']);
  });
});

describe('crate and version documents', () => {
  let r: Awaited<ReturnType<typeof registry>>;

  beforeAll(async () => {
    r = await registry();
    await r.publish({ name: 'base', vers: '1.0.0' });
    await r.publish({ name: 'MyCrate', vers: '1.0.0' });
    await r.publish({ name: 'MyCrate', vers: '1.1.0' });
    await r.publish({
      name: 'MyCrate',
      vers: '2.0.0',
      deps: [dep('base', '^1.0'), dep('base', '^1', { explicit_name_in_toml: 'renamed_base', kind: 'dev', optional: false })],
    });
    const yank = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/crates/MyCrate/2.0.0/yank', headers: { authorization: r.alice.token } });
    expect(yank.statusCode).toBe(200);
  });
  afterAll(() => r.t.close());

  it('lists the versions newest first, with max_version skipping yanked ones', async () => {
    const res = await r.get('/api/v1/crates/MyCrate');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { crate: { name: string; max_version: string; newest_version: string; versions: number[] }; versions: Array<VersionDoc & { id: number }> };
    expect(body.crate.name).toBe('MyCrate');
    expect(body.crate.max_version).toBe('1.1.0');
    expect(body.versions.map((v) => [v.num, v.yanked])).toEqual([['2.0.0', true], ['1.1.0', false], ['1.0.0', false]]);
    expect(body.crate.versions).toEqual(body.versions.map((v) => v.id));
  });

  it('finds a crate whatever the case of its name', async () => {
    const res = await r.get('/api/v1/crates/MYCRATE');
    expect(res.statusCode).toBe(200);
    expect((res.json() as { crate: { name: string } }).crate.name).toBe('MyCrate');
  });

  it('shows one version alone, and its dependencies at their own address', async () => {
    const res = await r.get('/api/v1/crates/mycrate/2.0.0');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { version: VersionDoc & { crate: string; dl_path: string } };
    expect(Object.keys(body)).toEqual(['version']);
    expect(body.version).toMatchObject({ crate: 'MyCrate', num: '2.0.0', yanked: true, dl_path: '/api/v1/crates/MyCrate/2.0.0/download' });
    expect(body.version.checksum).toMatch(/^[0-9a-f]{64}$/);
    const deps = (await r.get('/api/v1/crates/mycrate/2.0.0/dependencies')).json() as {
      dependencies: Array<{ crate_id: string; req: string; kind: string; optional: boolean; default_features: boolean; downloads: number }>;
    };
    expect(deps.dependencies.map((d) => ({ crate_id: d.crate_id, req: d.req, kind: d.kind, downloads: d.downloads }))).toEqual(
      expect.arrayContaining([
        { crate_id: 'base', req: '^1.0', kind: 'normal', downloads: 0 },
        { crate_id: 'base', req: '^1', kind: 'dev', downloads: 0 },
      ]),
    );
    expect(deps.dependencies).toHaveLength(2);
    const plain = (await r.get('/api/v1/crates/MyCrate/1.0.0/dependencies')).json() as { dependencies: unknown[] };
    expect(plain.dependencies).toEqual([]);
  });

  it('lists the versions alone', async () => {
    const res = await r.get('/api/v1/crates/MyCrate/versions');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { versions: VersionDoc[]; meta: { total: number } };
    expect(body.versions.map((v) => v.num)).toEqual(['2.0.0', '1.1.0', '1.0.0']);
    expect(body.meta.total).toBe(3);
  });

  it('lists the owners in crates.io shape', async () => {
    const res = await r.get('/api/v1/crates/mycrate/owners');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      users: [{ id: r.alice.userId, login: 'alice', name: null, kind: 'user', url: `${r.t.config.publicUrl}/users/alice`, avatar: null }],
    });
  });

  it.each([
    ['/api/v1/crates/nonesuch', /crate `nonesuch` does not exist/],
    ['/api/v1/crates/nonesuch/versions', /crate `nonesuch` does not exist/],
    ['/api/v1/crates/nonesuch/owners', /crate `nonesuch` does not exist/],
    ['/api/v1/crates/nonesuch/1.0.0', /crate `nonesuch` does not exist/],
    ['/api/v1/crates/MyCrate/3.0.0', /`MyCrate` has no version `3\.0\.0`/],
    ['/api/v1/crates/my_crate', /does not exist/],
  ])('answers 404 JSON for %s', async (url, pattern) => {
    const res = await r.get(url);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(detail(res)).toMatch(pattern);
  });
});

describe('owners (added at once, owner_invitations = false), yank and unyank', () => {
  let r: Awaited<ReturnType<typeof registry>>;
  let bob: { userId: number; token: string };
  let carol: { userId: number; token: string };

  beforeAll(async () => {
    r = await registry({ ownerInvitations: false });
    bob = await r.t.userWithToken('bob');
    carol = await r.t.userWithToken('carol');
    await r.publish({ name: 'shared', vers: '1.0.0' });
    await r.publish({ name: 'shared', vers: '1.1.0' });
  });
  afterAll(() => r.t.close());

  const owners = async () => ((await r.get('/api/v1/crates/shared/owners')).json() as { users: Array<{ login: string }> }).users.map((u) => u.login);
  const changeOwners = (method: 'PUT' | 'DELETE', users: unknown, token: string | null = r.alice.token) =>
    r.t.app.inject({
      method,
      url: '/api/v1/crates/shared/owners',
      payload: JSON.stringify({ users }),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    });
  const yank = (vers: string, token: string | null, name = 'shared') =>
    r.t.app.inject({ method: 'DELETE', url: `/api/v1/crates/${name}/${vers}/yank`, headers: token ? { authorization: token } : {} });
  const unyank = (vers: string, token: string) =>
    r.t.app.inject({ method: 'PUT', url: `/api/v1/crates/shared/${vers}/unyank`, headers: { authorization: token, 'content-type': 'application/json' }, payload: '' });
  const yankedInIndex = async () =>
    (await r.get('/index/sh/ar/shared')).body
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { yanked: boolean }).yanked);

  it('adds and removes owners, answering what cargo expects', async () => {
    const added = await changeOwners('PUT', ['bob']);
    expect(added.statusCode).toBe(200);
    const addBody = added.json() as { ok: boolean; msg: string };
    expect(addBody.ok).toBe(true);
    expect(addBody.msg).toContain('bob');
    expect(await owners()).toEqual(['alice', 'bob']);
    // The new owner can act on the crate.
    expect((await yank('1.1.0', bob.token)).statusCode).toBe(200);
    expect((await unyank('1.1.0', bob.token)).statusCode).toBe(200);

    const removed = await changeOwners('DELETE', ['bob']);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ ok: true, msg: expect.stringContaining('bob') });
    expect(await owners()).toEqual(['alice']);
    expect((await yank('1.1.0', bob.token)).statusCode).toBe(403);
  });

  it('refuses an unknown login, naming it, and changes nothing', async () => {
    const res = await changeOwners('PUT', ['bob', 'nobody-here']);
    expect(res.statusCode).toBe(400);
    expect(detail(res)).toContain('nobody-here');
    expect(await owners()).toEqual(['alice']);
  });

  it('refuses to remove the last owner', async () => {
    const res = await changeOwners('DELETE', ['alice']);
    expect(res.statusCode).toBe(409);
    expect(detail(res)).toMatch(/last owner/);
    expect(await owners()).toEqual(['alice']);
  });

  it('refuses a body without users', async () => {
    const res = await changeOwners('PUT', []);
    expect(res.statusCode).toBe(400);
    const bad = await r.t.app.inject({ method: 'PUT', url: '/api/v1/crates/shared/owners', payload: '{"users":', headers: { 'content-type': 'application/json', authorization: r.alice.token } });
    expect(bad.statusCode).toBe(400);
    expect(detail(bad)).toMatch(/JSON/);
  });

  it('refuses owner changes by a non-owner (403) or without a token (401)', async () => {
    const foreign = await changeOwners('PUT', ['carol'], carol.token);
    expect(foreign.statusCode).toBe(403);
    expect(detail(foreign)).toMatch(/not an owner/);
    const anon = await changeOwners('PUT', ['carol'], null);
    expect(anon.statusCode).toBe(401);
    expect(detail(anon)).toContain('http://wharf.test/me');
    expect(await owners()).toEqual(['alice']);
  });

  it('answers 404 for owner changes on an unknown crate', async () => {
    const res = await r.t.app.inject({ method: 'PUT', url: '/api/v1/crates/nonesuch/owners', payload: '{"users":["bob"]}', headers: { 'content-type': 'application/json', authorization: r.alice.token } });
    expect(res.statusCode).toBe(404);
    expect(detail(res)).toMatch(/nonesuch/);
  });

  it('yanks and unyanks with {"ok":true}, even when cargo sends an empty JSON body', async () => {
    const yanked = await yank('1.0.0', r.alice.token);
    expect(yanked.statusCode).toBe(200);
    expect(yanked.json()).toEqual({ ok: true });
    expect(await yankedInIndex()).toEqual([true, false]);

    const unyanked = await unyank('1.0.0', r.alice.token);
    expect(unyanked.statusCode).toBe(200);
    expect(unyanked.json()).toEqual({ ok: true });
    expect(await yankedInIndex()).toEqual([false, false]);
  });

  it('refuses a yank by a non-owner or without a token, leaving the version as it was', async () => {
    const res = await yank('1.0.0', carol.token);
    expect(res.statusCode).toBe(403);
    expect(detail(res)).toMatch(/not an owner/);
    expect((await yank('1.0.0', null)).statusCode).toBe(401);
    expect(await yankedInIndex()).toEqual([false, false]);
  });

  it('answers 404 for yanking an unknown version or crate', async () => {
    const version = await yank('9.9.9', r.alice.token);
    expect(version.statusCode).toBe(404);
    expect(detail(version)).toMatch(/no version `9\.9\.9`/);
    const crate = await yank('1.0.0', r.alice.token, 'nonesuch');
    expect(crate.statusCode).toBe(404);
    expect(detail(crate)).toMatch(/nonesuch/);
  });
});

describe('unknown routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['GET', '/api/v1/nothing-here?x=1', 'no route for GET /api/v1/nothing-here'],
    ['POST', '/api/v1/crates/x/owners', 'no route for POST /api/v1/crates/x/owners'],
    ['GET', '/api/v1/crates/a/1.0.0/download/extra', 'no route for GET /api/v1/crates/a/1.0.0/download/extra'],
  ] as const)('answers %s %s with 404 in the error envelope', async (method, url, message) => {
    const res = await t.app.inject({ method, url });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ errors: [{ detail: message }] });
  });
});
