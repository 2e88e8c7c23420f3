import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listMirrorCrateFiles } from '../../../src/db/repositories/mirror.repository.js';
import { startLiveServer } from '../../helpers/live-server.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { StaticRegistry } from '../../helpers/static-registry.js';
import { publishBody } from '../../helpers/crate-builder.js';

/** The pull-through mirror through inject(), against a static upstream on 127.0.0.1. */
describe('mirror of an upstream sparse registry', () => {
  let upstream: StaticRegistry;
  let t: TestApp;

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    await upstream.publish({ name: 'stem', vers: '1.0.0', deps: { leaf: '^1' } });
    await upstream.publish({ name: 'Big-Name', vers: '0.1.0-beta.1' });
  });
  afterAll(async () => {
    await upstream.stop();
  });
  beforeEach(async () => {
    upstream.requests.length = 0;
    upstream.clearFaults();
    t = await createTestApp({ mirrorUpstream: upstream.indexUrl, mirrorIndexTtl: 60, mirrorTimeoutMs: 1500 });
  });
  afterEach(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const detail = (body: string) => (JSON.parse(body) as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';

  it("serves a config.json that sends downloads to Wharf's mirror", async () => {
    const res = await get('/mirror/index/config.json');
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ dl: 'http://wharf.test/mirror/api/v1/crates', 'auth-required': false });
    expect(upstream.requests).toEqual([]);
  });

  it('fetches an index file on first read and serves the upstream bytes unchanged, then from the cache', async () => {
    const res = await get('/mirror/index/st/em/stem');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe(upstream.indexFile('stem'));
    const again = await get('/mirror/index/st/em/stem', { 'accept-encoding': 'gzip' });
    expect(again.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(again.rawPayload).toString()).toBe(upstream.indexFile('stem'));
    const revalidated = await get('/mirror/index/st/em/stem', { 'if-none-match': String(res.headers.etag) });
    expect(revalidated.statusCode).toBe(304);
    expect(upstream.count('/index/st/em/stem')).toBe(1);
  });

  it('revalidates with the upstream validators after the TTL, and shows new versions and yanks', async () => {
    await upstream.publish({ name: 'twig', vers: '1.0.0' });
    expect((await get('/mirror/index/tw/ig/twig')).body).not.toContain('"1.1.0"');
    await upstream.publish({ name: 'twig', vers: '1.1.0' });
    t.clock.advance(30_000);
    expect((await get('/mirror/index/tw/ig/twig')).body).not.toContain('"1.1.0"');
    t.clock.advance(31_000);
    expect((await get('/mirror/index/tw/ig/twig')).body).toContain('"1.1.0"');
    const asked = upstream.requests.filter((r) => r.path === '/index/tw/ig/twig');
    expect(asked).toHaveLength(2);
    expect(asked[1]?.ifNoneMatch).toMatch(/^"/);

    upstream.setYanked('twig', '1.1.0', true);
    t.clock.advance(61_000);
    expect((await get('/mirror/index/tw/ig/twig')).body).toContain('"vers":"1.1.0","deps":[],"cksum"');
    expect((await get('/mirror/index/tw/ig/twig')).body).toMatch(/"vers":"1.1.0".*"yanked":true/);
  });

  it('answers 304 from the upstream by confirming the cached file', async () => {
    await get('/mirror/index/le/af/leaf');
    t.clock.advance(61_000);
    const res = await get('/mirror/index/le/af/leaf');
    expect(res.statusCode).toBe(200);
    expect(res.headers['wharf-mirror-stale']).toBeUndefined();
    expect(upstream.count('/index/le/af/leaf')).toBe(2);
    t.clock.advance(1000);
    await get('/mirror/index/le/af/leaf');
    expect(upstream.count('/index/le/af/leaf')).toBe(2);
  });

  it("keeps its own ETag when only the upstream's ETag changes, and revalidates with the new one", async () => {
    const first = await get('/mirror/index/le/af/leaf');
    upstream.etagSeed = 'rebuilt';
    t.clock.advance(61_000);
    const second = await get('/mirror/index/le/af/leaf', { 'if-none-match': String(first.headers.etag) });
    expect(second.statusCode).toBe(304);
    t.clock.advance(61_000);
    await get('/mirror/index/le/af/leaf');
    const asked = upstream.requests.filter((r) => r.path === '/index/le/af/leaf');
    expect(asked).toHaveLength(3);
    expect(asked[2]?.ifNoneMatch).not.toBe(asked[1]?.ifNoneMatch);
    upstream.etagSeed = '';
  });

  it('downloads a .crate once, verified, and serves it from the blob store afterwards', async () => {
    const res = await get('/mirror/api/v1/crates/Big-Name/0.1.0-beta.1/download');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(upstream.crate('Big-Name', '0.1.0-beta.1').bytes)).toBe(true);
    const again = await get('/mirror/api/v1/crates/Big-Name/0.1.0-beta.1/download');
    expect(again.rawPayload.equals(res.rawPayload)).toBe(true);
    expect(upstream.count('.crate')).toBe(1);
    expect(upstream.count('/files/bi/g-/Big-Name/Big-Name-0.1.0-beta.1.crate')).toBe(1);
  });

  it('shares one upstream fetch between concurrent misses of one file', async () => {
    upstream.inject('/files/', { kind: 'slow', ms: 200 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => get('/mirror/api/v1/crates/leaf/1.0.0/download')));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200));
    expect(upstream.count('.crate')).toBe(1);
    expect(upstream.count('/index/le/af/leaf')).toBe(1);
  });

  it('refuses a .crate whose bytes do not match the index checksum, and never stores it', async () => {
    upstream.inject('/files/', { kind: 'garbage', body: Buffer.from('not the crate') });
    const res = await get('/mirror/api/v1/crates/leaf/1.0.0/download');
    expect(res.statusCode).toBe(502);
    const text = detail(res.body);
    expect(text).toContain(upstream.indexUrl);
    expect(text).toContain(upstream.crate('leaf', '1.0.0').cksum);
    // The digest of what was received is logged, never answered.
    const received = createHash('sha256').update('not the crate').digest('hex');
    expect(text).not.toContain(received);
    expect(t.logs.join('')).toContain(`SHA-256 ${received}`);
    expect(await listMirrorCrateFiles(t.runtime.ctx.db)).toEqual([]);
    const stored: string[] = [];
    for await (const info of t.runtime.ctx.blobs.list('mirror/')) stored.push(info.key);
    expect(stored).toEqual([]);
    upstream.clearFaults();
    expect((await get('/mirror/api/v1/crates/leaf/1.0.0/download')).statusCode).toBe(200);
  });

  it("refuses a config.json whose dl points at an internal address the upstream's own is not in", async () => {
    for (const dl of ['http://169.254.169.254/{crate}/{version}', 'http://10.0.0.1/{crate}/{version}']) {
      const app = await createTestApp({ mirrorUpstream: upstream.indexUrl, mirrorTimeoutMs: 1500 });
      try {
        upstream.inject('/index/config.json', { kind: 'garbage', body: Buffer.from(JSON.stringify({ dl })) });
        const res = await app.app.inject({ method: 'GET', url: '/mirror/api/v1/crates/leaf/1.0.0/download' });
        expect(res.statusCode, dl).toBe(502);
        expect(detail(res.body)).toContain(`it sent Wharf to ${dl.replace('{crate}/{version}', 'leaf/1.0.0')}`);
        expect(detail(res.body)).toContain('which is refused');
        upstream.clearFaults();
      } finally {
        await app.close();
      }
    }
  });

  it('refuses an index file whose version would make a path, so no file lands outside the mirror', async () => {
    const { cksum } = upstream.crate('leaf', '1.0.0');
    const hostile = JSON.stringify({ name: 'leaf', vers: '1.0.0/../../../crates/leaf/leaf', deps: [], cksum, features: {}, yanked: false });
    upstream.inject('/index/le/af/leaf', { kind: 'garbage', body: Buffer.from(`${hostile}\n`) });
    const res = await get('/mirror/index/le/af/leaf');
    expect(res.statusCode).toBe(502);
    expect(detail(res.body)).toContain('line 1 of the index file has no valid `vers`');
    const download = await get(`/mirror/api/v1/crates/leaf/${encodeURIComponent('1.0.0/../../../crates/leaf/leaf')}/download`);
    expect(download.statusCode).toBe(404);
    const stored: string[] = [];
    for (const prefix of ['crates/', 'mirror/']) for await (const info of t.runtime.ctx.blobs.list(prefix)) stored.push(info.key);
    expect(stored).toEqual([]);
  });

  it('answers misses with 504 when the upstream is slow and 502 when it fails, naming the upstream', async () => {
    upstream.inject('/index/le/af/leaf', { kind: 'slow', ms: 3000 });
    const slow = await get('/mirror/index/le/af/leaf');
    expect(slow.statusCode).toBe(504);
    expect(detail(slow.body)).toContain(`upstream ${upstream.indexUrl}`);
    upstream.clearFaults();
    for (const fault of [{ kind: 'status', status: 503 }, { kind: 'reset' }, { kind: 'garbage', body: Buffer.from('<html>oops</html>') }] as const) {
      upstream.inject('/index/st/em/stem', fault);
      const res = await get('/mirror/index/st/em/stem');
      expect(res.statusCode, fault.kind).toBe(502);
      expect(detail(res.body)).toContain(`upstream ${upstream.indexUrl}`);
      upstream.clearFaults();
    }
    upstream.inject('/index/st/em/stem', { kind: 'oversize', bytes: 17 * 1024 * 1024 });
    const big = await get('/mirror/index/st/em/stem');
    expect(big.statusCode).toBe(502);
    expect(detail(big.body)).toContain('more than the');
  });

  it('serves cached files marked stale while the upstream is down or sends garbage, without storing the garbage', async () => {
    const first = await get('/mirror/index/st/em/stem');
    t.clock.advance(90_000);
    upstream.inject('/index/st/em/stem', { kind: 'garbage', body: Buffer.from('{"name":"evil"}\n') });
    const res = await get('/mirror/index/st/em/stem');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(first.body);
    expect(res.headers['wharf-mirror-stale']).toBe('90');
    expect(t.logs.join('')).toContain('sent an invalid index file for `stem`');
    upstream.clearFaults();
    upstream.inject('/index/st/em/stem', { kind: 'reset' });
    t.clock.advance(61_000);
    const down = await get('/mirror/index/st/em/stem');
    expect(down.body).toBe(first.body);
    expect(down.headers['wharf-mirror-stale']).toBe('151');
    upstream.clearFaults();
    t.clock.advance(61_000);
    const back = await get('/mirror/index/st/em/stem');
    expect(back.headers['wharf-mirror-stale']).toBeUndefined();
  });

  it('serves a cached file quickly, marked stale, when the revalidation is slow', async () => {
    await get('/mirror/index/le/af/leaf');
    t.clock.advance(61_000);
    upstream.inject('/index/le/af/leaf', { kind: 'slow', ms: 1000 });
    // The upstream timeout here is 1.5 s: a read waits half of it for the revalidation, then serves.
    const res = await get('/mirror/index/le/af/leaf');
    expect(res.statusCode).toBe(200);
    expect(res.headers['wharf-mirror-stale']).toBe('61');
  });

  it('keeps serving a crate that vanished upstream (404, 410, 451) and logs the status', async () => {
    await upstream.publish({ name: 'gone', vers: '1.0.0' });
    await get('/mirror/index/go/ne/gone');
    await get('/mirror/api/v1/crates/gone/1.0.0/download');
    upstream.remove('gone');
    for (const status of [404, 410, 451]) {
      if (status !== 404) upstream.inject('/index/go/ne/gone', { kind: 'status', status });
      t.clock.advance(61_000);
      const res = await get('/mirror/index/go/ne/gone');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('"name":"gone"');
      // Logged by the revalidation that learned it, not by every read after it.
      await get('/mirror/index/go/ne/gone');
      expect(t.logs.join('').split(`answered ${status} for \`gone\``)).toHaveLength(2);
      upstream.clearFaults();
    }
    expect((await get('/mirror/api/v1/crates/gone/1.0.0/download')).statusCode).toBe(200);
    const missing = await get('/mirror/index/no/ne/nonexistent');
    expect(missing.statusCode).toBe(404);
    expect(detail(missing.body)).toContain('does not exist at the mirror');
  });

  it("publishes a private crate whose name the mirror's cache holds, with a warning for cargo, and never tells the upstream a private name", async () => {
    const { token } = await t.userWithToken('alice');
    const publish = async (name: string) => {
      const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers: '0.1.0' }), headers: { authorization: token } });
      expect(res.statusCode).toBe(200);
      return (JSON.parse(res.body) as { warnings: { other: string[] } }).warnings.other;
    };
    // `stem` exists upstream but is not cached: no warning, and no request names it.
    expect(await publish('stem')).toEqual([]);
    expect(upstream.requests).toEqual([]);
    expect((await get('/mirror/index/le/af/leaf')).statusCode).toBe(200);
    expect(await publish('Leaf')).toEqual([
      `a crate named \`Leaf\` also exists on the mirrored registry ${upstream.indexUrl}: dependents must say \`registry = "wharf"\`, or cargo gives them the public crate`,
    ]);
    expect(await publish('only-here')).toEqual([]);
    expect(upstream.requests.map((r) => r.path)).toEqual(['/index/le/af/leaf']);
    const page = async (name: string) => (await get(`/crates/${name}`, { accept: 'text/html' })).body;
    expect(await page('Leaf')).toContain('A crate named Leaf also exists on the mirrored public registry');
    expect(await page('only-here')).not.toContain('also exists on the mirrored');
    // The private crate did not enter the mirror, nor the other way round.
    expect((await get('/index/le/af/leaf')).body).toContain('"vers":"0.1.0"');
    expect((await get('/mirror/index/le/af/leaf')).body).toBe(upstream.indexFile('leaf'));
  });

  it('remembers for one TTL that the upstream has no such crate, and bounds how many misses ask it at once', async () => {
    for (let i = 0; i < 50; i += 1) expect((await get('/mirror/index/zz/zz/zzzz')).statusCode).toBe(404);
    expect(upstream.count('/index/zz/zz/zzzz')).toBe(1);
    expect(detail((await get('/mirror/index/zz/zz/zzzz')).body)).toContain('does not exist at the mirror');
    t.clock.advance(61_000);
    expect((await get('/mirror/index/zz/zz/zzzz')).statusCode).toBe(404);
    expect(upstream.count('/index/zz/zz/zzzz')).toBe(2);

    upstream.inject('/index/', { kind: 'slow', ms: 300 });
    const names = Array.from({ length: 40 }, (_, i) => `made-up-${i}`);
    const answers = await Promise.all(names.map((name) => get(`/mirror/index/ma/de/${name}`)));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 404)).toHaveLength(32);
    expect(statuses.filter((s) => s === 503)).toHaveLength(8);
    expect(answers.find((a) => a.statusCode === 503)?.headers['retry-after']).toBe('1');
    expect(upstream.count('/index/ma/de/')).toBe(32);
  });

  it('answers 404 for paths that are not canonical index paths or crate names, without asking the upstream', async () => {
    const paths = [
      '/mirror/index/xx/yy/leaf',
      '/mirror/index/le/af/LEAF',
      '/mirror/index/le/af/leaf.json',
      `/mirror/api/v1/crates/${encodeURIComponent('../../index/le/af/leaf')}/1.0.0/download`,
      `/mirror/api/v1/crates/leaf/${encodeURIComponent('1.0.0/../../x')}/download`,
    ];
    for (const path of paths) expect((await get(path)).statusCode, path).toBe(404);
    expect(upstream.count('/index/')).toBe(0);
  });
});

describe('mirror settings', () => {
  it('has no mirror and makes no request when no upstream is set', async () => {
    const t = await createTestApp();
    try {
      expect(t.runtime.mirror).toBeNull();
      expect((await t.app.inject({ method: 'GET', url: '/mirror/index/config.json' })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url: '/mirror/index/le/af/leaf' })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('offline: serves only the cache and says so in every miss, with or without an upstream', async () => {
    const upstream = await new StaticRegistry().start();
    for (const mirrorUpstream of [upstream.indexUrl, null]) {
      const t = await createTestApp({ mirrorUpstream, mirrorOffline: true });
      try {
        const config = await t.app.inject({ method: 'GET', url: '/mirror/index/config.json' });
        expect(config.statusCode).toBe(200);
        const index = await t.app.inject({ method: 'GET', url: '/mirror/index/le/af/leaf' });
        expect(index.statusCode).toBe(404);
        expect(index.body).toContain('offline (mirror_offline = true)');
        const crate = await t.app.inject({ method: 'GET', url: '/mirror/api/v1/crates/leaf/1.0.0/download' });
        expect(crate.statusCode).toBe(404);
        expect(crate.body).toContain('offline (mirror_offline = true)');
      } finally {
        await t.close();
      }
    }
    expect(upstream.requests).toEqual([]);
    await upstream.stop();
  });

  it('requires a token for mirror reads when the registry requires auth', async () => {
    const upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    const t = await createTestApp({ mirrorUpstream: upstream.indexUrl, authRequired: true });
    try {
      const { token } = await t.userWithToken('reader', { scopes: ['read'] });
      const config = await t.app.inject({ method: 'GET', url: '/mirror/index/config.json' });
      expect(config.statusCode).toBe(401);
      expect(config.headers['www-authenticate']).toContain('Cargo login_url');
      for (const url of ['/mirror/index/le/af/leaf', '/mirror/api/v1/crates/leaf/1.0.0/download']) {
        expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
        expect((await t.app.inject({ method: 'GET', url, headers: { authorization: token } })).statusCode, url).toBe(200);
      }
      const withToken = await t.app.inject({ method: 'GET', url: '/mirror/index/config.json', headers: { authorization: token } });
      expect(JSON.parse(withToken.body)).toMatchObject({ 'auth-required': true });
      expect(upstream.count('/index/le/af/leaf')).toBe(1);
    } finally {
      await t.close();
      await upstream.stop();
    }
  });
});

describe('another Wharf as the upstream', () => {
  it("mirrors a Wharf's private index, following its dl without markers", async () => {
    const origin = await startLiveServer();
    const t = await createTestApp({ mirrorUpstream: `${origin.url}/index/` });
    try {
      const { token } = await origin.userWithToken('alice');
      await origin.publish(token, { name: 'Origin_Crate', vers: '1.2.3' });
      const index = await t.app.inject({ method: 'GET', url: '/mirror/index/or/ig/origin_crate' });
      expect(index.statusCode).toBe(200);
      expect(index.body).toBe(await (await fetch(`${origin.url}/index/or/ig/origin_crate`)).text());
      const crate = await t.app.inject({ method: 'GET', url: '/mirror/api/v1/crates/Origin_Crate/1.2.3/download' });
      expect(crate.statusCode).toBe(200);
      const direct = Buffer.from(await (await fetch(`${origin.url}/api/v1/crates/Origin_Crate/1.2.3/download`)).arrayBuffer());
      expect(crate.rawPayload.equals(direct)).toBe(true);
    } finally {
      await t.close();
      await origin.close();
    }
  });
});
