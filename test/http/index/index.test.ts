import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrateSpec } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Res = { statusCode: number; body: string; json(): unknown };
const detail = (res: Res) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail;
const lines = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { name: string; vers: string; yanked: boolean; cksum: string });

describe('the sparse index under /index/', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = (await t.userWithToken('alice')).token;
  });
  afterAll(() => t.close());

  const publish = (spec: CrateSpec) => t.publish(token, spec);
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const yank = (name: string, vers: string, yanked: boolean) =>
    t.app.inject({ method: yanked ? 'DELETE' : 'PUT', url: `/api/v1/crates/${name}/${vers}/${yanked ? 'yank' : 'unyank'}`, headers: { authorization: token } });

  describe('config.json', () => {
    it('tells cargo where downloads and the API live, with no trailing slash on api', async () => {
      const res = await get('/index/config.json');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toBe('{"dl":"http://wharf.test/api/v1/crates","api":"http://wharf.test","auth-required":false}');
    });

    it('strips a trailing slash from the configured public URL', async () => {
      const t2 = await createTestApp({ publicUrl: 'http://wharf.test/sub/' });
      try {
        const res = await t2.app.inject({ method: 'GET', url: '/index/config.json' });
        expect(res.json()).toEqual({ dl: 'http://wharf.test/sub/api/v1/crates', api: 'http://wharf.test/sub', 'auth-required': false });
      } finally {
        await t2.close();
      }
    });

    it('tolerates the double slash a client makes from a base URL ending in /', async () => {
      const res = await get('//index/config.json');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ api: 'http://wharf.test' });
    });
  });

  describe('index files', () => {
    beforeAll(async () => {
      await publish({ name: 'MyCrate', vers: '1.0.0' });
      await publish({ name: 'MyCrate', vers: '0.9.0' });
      await publish({ name: 'a_b', vers: '1.0.0' });
      await publish({ name: 'x', vers: '1.0.0' });
      await publish({ name: 'xy', vers: '1.0.0' });
    });

    it('serves one line per version at the lowercase prefix path, in publish order, keeping the name as published', async () => {
      const res = await get('/index/my/cr/mycrate');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body.endsWith('\n')).toBe(true);
      const parsed = lines(res.body);
      expect(parsed.map((l) => l.vers)).toEqual(['1.0.0', '0.9.0']);
      expect(parsed.every((l) => l.name === 'MyCrate' && l.yanked === false && /^[0-9a-f]{64}$/.test(l.cksum))).toBe(true);
    });

    it.each([
      ['x', '/index/1/x'],
      ['xy', '/index/2/xy'],
      ['a_b', '/index/3/a/a_b'],
    ])('serves the short name `%s` at %s', async (name, url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(lines(res.body).map((l) => l.name)).toEqual([name]);
    });

    it.each([
      ['an unknown crate', '/index/no/ne/nonesuch'],
      ['a wrong prefix path', '/index/zz/zz/mycrate'],
      ['a prefix path of the wrong length', '/index/my/mycrate'],
      ['an uppercase file name', '/index/my/cr/MyCrate'],
      ['an uppercase prefix', '/index/MY/CR/mycrate'],
      ['`-` where the crate has `_`', '/index/3/a/a-b'],
      ['a dot-dot path', '/index/../x'],
      ['an encoded dot-dot path', '/index/%2e%2e/x'],
      ['an empty file name', '/index/1/'],
      ['the bare index root', '/index/'],
      ['a name over 64 characters', `/index/ab/cd/abcd${'e'.repeat(61)}`],
      ['a very long name', `/index/ab/cd/abcd${'e'.repeat(5000)}`],
      ['a name with a dot', '/index/ab/c./abc.d'],
    ])('answers 404 in the error envelope for %s', async (_label, url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof detail(res)).toBe('string');
      expect(detail(res)).not.toBe('');
    });

    it('needs no token when the registry does not require auth', async () => {
      const res = await get('/index/my/cr/mycrate');
      expect(res.statusCode).toBe(200);
    });

    it('lets a CDN cache the files but makes it revalidate', async () => {
      for (const url of ['/index/my/cr/mycrate', '/index/config.json']) {
        const cc = (await get(url)).headers['cache-control'];
        expect(cc).toMatch(/\bpublic\b/);
        expect(cc).toMatch(/\bno-cache\b|\bmax-age=0\b/);
        expect(cc).not.toMatch(/\bprivate\b|\bno-store\b/);
      }
    });
  });

  describe('ETags', () => {
    beforeAll(async () => {
      await publish({ name: 'tagged', vers: '1.0.0' });
    });
    const url = '/index/ta/gg/tagged';
    const etagOf = async (headers: Record<string, string> = {}) => {
      const res = await get(url, headers);
      expect(res.statusCode).toBe(200);
      return String(res.headers.etag);
    };

    it('sends a strong ETag and answers a matching If-None-Match with an empty 304', async () => {
      const etag = await etagOf();
      expect(etag).toMatch(/^"[^"]+"$/);
      const res = await get(url, { 'if-none-match': etag });
      expect(res.statusCode).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe(etag);
    });

    it('answers 200 to an ETag that does not match', async () => {
      const res = await get(url, { 'if-none-match': '"something-else"' });
      expect(res.statusCode).toBe(200);
      expect(lines(res.body)).toHaveLength(1);
    });

    it('changes the ETag on publish, yank and unyank, and flips `yanked` in the line', async () => {
      const first = await etagOf();

      await publish({ name: 'tagged', vers: '1.1.0' });
      const afterPublish = await etagOf();
      expect(afterPublish).not.toBe(first);
      const stale = await get(url, { 'if-none-match': first });
      expect(stale.statusCode).toBe(200);
      expect(lines(stale.body).map((l) => l.vers)).toEqual(['1.0.0', '1.1.0']);

      expect((await yank('tagged', '1.1.0', true)).statusCode).toBe(200);
      const afterYank = await etagOf();
      expect(afterYank).not.toBe(afterPublish);
      const yanked = await get(url, { 'if-none-match': afterPublish });
      expect(yanked.statusCode).toBe(200);
      expect(lines(yanked.body).map((l) => [l.vers, l.yanked])).toEqual([['1.0.0', false], ['1.1.0', true]]);

      expect((await yank('tagged', '1.1.0', false)).statusCode).toBe(200);
      const afterUnyank = await etagOf();
      expect(afterUnyank).not.toBe(afterYank);
      const unyanked = await get(url, { 'if-none-match': afterYank });
      expect(unyanked.statusCode).toBe(200);
      expect(lines(unyanked.body).map((l) => [l.vers, l.yanked])).toEqual([['1.0.0', false], ['1.1.0', false]]);
      expect((await get(url, { 'if-none-match': afterUnyank })).statusCode).toBe(304);
    });
  });

  describe('gzip', () => {
    beforeAll(async () => {
      await publish({ name: 'zipped', vers: '1.0.0', description: 'compress me '.repeat(20) });
      await publish({ name: 'zipped', vers: '1.0.1' });
    });
    const url = '/index/zi/pp/zipped';

    it('compresses for clients that accept gzip, with the same content', async () => {
      const plain = await get(url);
      const zipped = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
      expect(plain.statusCode).toBe(200);
      expect(zipped.statusCode).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(plain.body);
      for (const res of [plain, zipped]) expect(String(res.headers.vary)).toMatch(/accept-encoding/i);
      // Different bytes need different strong validators, or a cache could mix them up.
      expect(zipped.headers.etag).toMatch(/^"[^"]+"$/);
      expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    });

    it('answers 304 to the gzip ETag', async () => {
      const zipped = await get(url, { 'accept-encoding': 'gzip' });
      const res = await get(url, { 'accept-encoding': 'gzip', 'if-none-match': String(zipped.headers.etag) });
      expect(res.statusCode).toBe(304);
      expect(res.body).toBe('');
    });
  });

  describe('the in-memory cache', () => {
    beforeAll(async () => {
      await publish({ name: 'cached', vers: '1.0.0' });
    });
    const url = '/index/ca/ch/cached';

    it('serves the rendered file from memory until the crate is invalidated', async () => {
      const before = await get(url);
      expect(lines(before.body)[0]?.yanked).toBe(false);

      // A change behind the cache's back: the registry cannot know, so a cached copy stays as it was.
      const { db } = t.runtime.ctx;
      const crate = await db.selectFrom('crates').select('id').where('name', '=', 'cached').executeTakeFirstOrThrow();
      await db.updateTable('versions').set({ yanked: 1 }).where('crate_id', '=', crate.id).execute();

      const cached = await get(url);
      expect(cached.body).toBe(before.body);
      expect(cached.headers.etag).toBe(before.headers.etag);

      t.runtime.index.invalidate('cached');
      const fresh = await get(url);
      expect(lines(fresh.body)[0]?.yanked).toBe(true);
      expect(fresh.headers.etag).not.toBe(before.headers.etag);
    });
  });
});

describe('the sparse index of a registry that requires auth', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp({ authRequired: true });
    token = (await t.userWithToken('alice')).token;
    await t.publish(token, { name: 'secret', vers: '1.0.0' });
  });
  afterAll(() => t.close());

  it('challenges cargo for config.json without a token and says auth is required with one', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/index/config.json' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toBe('Cargo login_url="http://wharf.test/me"');
    const res = await t.app.inject({ method: 'GET', url: '/index/config.json', headers: { authorization: token } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ 'auth-required': true });
  });

  it('refuses index files without a token and keeps them out of shared caches', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/index/se/cr/secret' })).statusCode).toBe(401);
    const res = await t.app.inject({ method: 'GET', url: '/index/se/cr/secret', headers: { authorization: token } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toMatch(/\bprivate\b/);
    expect(res.headers['cache-control']).not.toMatch(/\bpublic\b/);
  });
});
