import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { openContext } from '../../src/bootstrap.js';
import { isWellFormedToken } from '../../src/core/token.js';
import { revokeTokens } from '../../src/db/repositories/token.repository.js';
import { deleteVersion } from '../../src/services/crate-deletion/crate-deletion.service.js';
import { crateRemoved, startRuntime } from '../../src/services/runtime.js';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { revokeToken } from '../../src/services/token.service.js';
import { freePort } from '../helpers/live-server.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { onPostgres } from '../helpers/test-db.js';
import { StaticRegistry } from '../helpers/static-registry.js';

/**
 * Index reads and downloads on a listening server are answered by the fast paths in front of
 * Fastify (src/http/fast-path.ts) when they can, and by the route otherwise. These tests send
 * each request over a real socket and the same request through inject() (which always reaches
 * the route), and require the same status, headers and bytes; a hook on Fastify counts which
 * requests reached it, so each case also proves which of the two answered.
 */

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers that belong to the connection, not to the answer. */
const CONNECTION_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

function answerHeaders(raw: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!CONNECTION_HEADERS.has(name) && value !== undefined) out[name] = String(value);
  }
  return out;
}

interface Server extends TestApp {
  url: string;
  /** Requests that reached Fastify's routing so far. */
  routed(): number;
}

async function startServer(overrides: Partial<Config> = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await createTestApp({ host: '127.0.0.1', port, publicUrl: url, ...overrides });
  let routed = 0;
  t.app.addHook('onRequest', async () => {
    routed++;
  });
  await startRuntime(t.runtime);
  await t.app.listen({ host: '127.0.0.1', port });
  return Object.assign(t, { url, routed: () => routed });
}

describe('reads answered in front of Fastify', () => {
  // One keep-alive connection, so a token's hash remembered per connection is exercised too.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => agent.destroy());

  function overSocket(server: Server, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${server.url}${path}`, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: answerHeaders(res.headers), body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function throughRoute(server: Server, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
    const res = await server.app.inject({ method: method as 'GET' | 'HEAD', url: path, headers });
    return { status: res.statusCode, headers: answerHeaders(res.headers), body: res.rawPayload };
  }

  /** Sends the request both ways; returns the socket's answer and whether Fastify saw it. */
  async function both(server: Server, path: string, headers: Record<string, string> = {}, method = 'GET') {
    const before = server.routed();
    const live = await overSocket(server, path, headers, method);
    const fast = server.routed() === before;
    const routed = await throughRoute(server, path, headers, method);
    expect(live).toEqual(routed);
    return { ...live, fast };
  }

  describe('an open registry', () => {
    let s: Server;
    let etag: string;
    let gzipEtag: string;
    let ownerToken: string;

    beforeAll(async () => {
      s = await startServer();
      ownerToken = (await s.userWithToken('alice')).token;
      for (const vers of ['1.0.0', '1.1.0']) {
        await s.publish(ownerToken, { name: 'Fast_Crate', vers });
      }
      // The change feed replays this instance's own publishes too; let it do so before warming up.
      await s.runtime.changes.poll();
      const plain = await throughRoute(s, '/index/fa/st/fast_crate', {});
      const gzip = await throughRoute(s, '/index/fa/st/fast_crate', { 'accept-encoding': 'gzip' });
      etag = plain.headers.etag!;
      gzipEtag = gzip.headers.etag!;
      expect(etag).not.toBe(gzipEtag);
    });
    afterAll(() => s.close());

    it.each([
      ['plain', {}, 200],
      ['gzip', { 'accept-encoding': 'gzip, deflate, br' }, 200],
      ['a stale If-None-Match', { 'if-none-match': '"not-the-etag"' }, 200],
    ])('answers a cached file (%s) as the route does, without reaching Fastify', async (_label, headers, status) => {
      const res = await both(s, '/index/fa/st/fast_crate', headers);
      expect(res.status).toBe(status);
      expect(res.body.length).toBeGreaterThan(0);
      expect(res.fast).toBe(true);
    });

    it('answers the static index\'s auth check with 204 for anyone, without reaching Fastify', async () => {
      const res = await both(s, '/api/v1/static-auth');
      expect(res.status).toBe(204);
      expect(res.fast).toBe(true);
    });

    it('answers 304 for either form of the ETag, and for *', async () => {
      for (const inm of [etag, gzipEtag, `"x", ${gzipEtag}`, '*']) {
        const res = await both(s, '/index/fa/st/fast_crate', { 'if-none-match': inm, 'accept-encoding': 'gzip' });
        expect(res.status, inm).toBe(304);
        expect(res.body.length).toBe(0);
        expect(res.fast).toBe(true);
      }
    });

    it.each([
      ['HEAD', '/index/fa/st/fast_crate', 'HEAD'],
      ['a query string', '/index/fa/st/fast_crate?x=1', 'GET'],
      ['a non-canonical path', '/index/fa/st/Fast_Crate', 'GET'],
      ['a wrong prefix', '/index/st/fa/fast_crate', 'GET'],
      ['an unknown crate', '/index/no/ne/nonesuch', 'GET'],
      ['a doubled slash', '//index/fa/st/fast_crate', 'GET'],
      ['config.json', '/index/config.json', 'GET'],
    ])('leaves %s to the route', async (_label, path, method) => {
      const res = await both(s, path, {}, method);
      expect(res.fast).toBe(false);
    });

    it('leaves a file to the route after a publish changes it, then answers the new file', async () => {
      await s.publish(ownerToken, { name: 'Fast_Crate', vers: '2.0.0' });
      await s.runtime.changes.poll();
      const first = await both(s, '/index/fa/st/fast_crate', {});
      expect(first.fast).toBe(false);
      expect(first.body.toString()).toContain('"vers":"2.0.0"');
      const again = await both(s, '/index/fa/st/fast_crate', {});
      expect(again.fast).toBe(true);
      expect(again.body.toString()).toContain('"vers":"2.0.0"');
    });

    it('lets the route answer when a fast path fails, instead of crashing the server', async () => {
      const peek = vi.spyOn(s.runtime.index, 'peek').mockImplementation(() => {
        throw new Error('simulated failure while reading the cache');
      });
      try {
        const before = s.routed();
        const res = await overSocket(s, '/index/fa/st/fast_crate', {});
        // The route hit the same failure: a 500 that names the request, as every 500 does.
        expect(res.status).toBe(500);
        expect(res.body.toString()).toMatch(/req-/);
        expect(s.routed()).toBe(before + 1);
      } finally {
        peek.mockRestore();
      }
      expect((await both(s, '/index/fa/st/fast_crate', {})).status).toBe(200);
    });

    it('writes the same access line as the route, with request ids from one sequence', async () => {
      s.logs.length = 0;
      // The same request answered by the fast path and by the route (inject never takes the fast path).
      expect((await both(s, '/index/fa/st/fast_crate', {})).fast).toBe(true);
      await overSocket(s, '/index/no/ne/nonesuch', {});
      const lines = s.logs
        .join('')
        .split('\n')
        .filter((l) => l.includes('"request completed"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(3);
      const [fast, routed, miss] = lines as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
      expect(Object.keys(fast)).toEqual(Object.keys(routed));
      const stable = ({ time: _t, reqId: _r, responseTime: _rt, ...rest }: Record<string, unknown>) => rest;
      expect(stable(fast)).toEqual(stable(routed));
      expect(stable(fast)).toMatchObject({ level: 30, method: 'GET', url: '/index/fa/st/fast_crate', statusCode: 200, msg: 'request completed' });
      expect([miss.url, miss.statusCode]).toEqual(['/index/no/ne/nonesuch', 404]);
      expect(new Set(lines.map((l) => l.reqId)).size).toBe(3);
      for (const l of lines) expect(typeof l.responseTime).toBe('number');
    });

    it('masks a token-shaped path in its access line as the route does', async () => {
      // A valid crate name with a token's shape (its checksum is wrong, so it is no real token).
      const name = `wharf_${'a1'.repeat(19)}`;
      expect(isWellFormedToken(name)).toBe(false);
      await s.publish(ownerToken, { name, vers: '1.0.0' });
      await s.runtime.changes.poll();
      const path = `/index/wh/ar/${name}`;
      await throughRoute(s, path, {});
      s.logs.length = 0;
      expect((await both(s, path, {})).fast).toBe(true);
      const lines = s.logs.join('');
      expect(lines).not.toContain(name);
      const urls = lines
        .split('\n')
        .filter((l) => l.includes('"request completed"'))
        .map((l) => (JSON.parse(l) as { url: string }).url);
      expect(urls).toEqual(['/index/wh/ar/[masked]', '/index/wh/ar/[masked]']);
    });
  });

  describe("the mirror's index", () => {
    let s: Server;
    let upstream: StaticRegistry;
    const path = '/mirror/index/le/af/leaf';

    beforeAll(async () => {
      upstream = await new StaticRegistry().start();
      await upstream.publish({ name: 'leaf', vers: '1.0.0' });
      s = await startServer({ mirrorUpstream: upstream.indexUrl, mirrorIndexTtl: 60 });
    });
    afterAll(async () => {
      await s.close();
      await upstream.stop();
    });

    it('answers a fresh mirrored file as the route does, and leaves misses, revalidations and stale files to the route', async () => {
      const first = await both(s, path, {});
      expect(first.fast).toBe(false);
      for (const headers of [{}, { 'accept-encoding': 'gzip' }, { 'if-none-match': first.headers.etag! }] as Array<Record<string, string>>) {
        const warm = await both(s, path, headers);
        expect(warm.fast).toBe(true);
      }
      expect(upstream.count('/index/le/af/leaf')).toBe(1);

      s.clock.advance(61_000);
      upstream.inject('/index/le/af/leaf', { kind: 'status', status: 500 });
      const stale = await both(s, path, {});
      expect(stale.fast).toBe(false);
      expect(stale.headers['wharf-mirror-stale']).toBe('61');
      expect((await both(s, path, {})).fast).toBe(false);
      upstream.clearFaults();
      s.clock.advance(61_000);
      expect((await both(s, path, {})).fast).toBe(false);
      expect((await both(s, path, {})).fast).toBe(true);
    });

    it('answers a mirrored download already found stored as the route does, and counts it', async () => {
      const url = '/mirror/api/v1/crates/leaf/1.0.0/download';
      expect((await both(s, url, {})).fast).toBe(false);
      await s.runtime.mirror!.crates.idle();
      const known = await both(s, url, {});
      expect(known.fast).toBe(true);
      expect(known.body.equals(upstream.crate('leaf', '1.0.0').bytes)).toBe(true);
      expect(upstream.count('.crate')).toBe(1);
      // Over the socket and through the route: one miss (the route's fetch) and three hits.
      expect(s.runtime.mirror!.activity.snapshot()).toMatchObject({ downloads: 4, downloadHits: 3 });
    });
  });

  describe('downloads', () => {
    let s: Server;
    const url = '/api/v1/crates/dl_crate/1.0.0/download';

    beforeAll(async () => {
      s = await startServer();
      const { token } = await s.userWithToken('carol');
      for (const vers of ['1.0.0', '1.0.1', '1.0.2', '1.0.3']) {
        await s.publish(token, { name: 'dl_crate', vers });
      }
    });
    afterAll(() => s.close());

    const downloads = async () => {
      await s.runtime.downloads.flush();
      const res = await s.app.inject({ method: 'GET', url: '/api/v1/crates/dl_crate' });
      return (res.json() as { crate: { downloads: number } }).crate.downloads;
    };

    it('sends a version found before as the route does, and counts every download', async () => {
      const before = await downloads();
      const first = await both(s, url);
      expect(first.status).toBe(200);
      expect(first.fast).toBe(false);
      expect(first.headers['content-disposition']).toBe('attachment; filename="dl_crate-1.0.0.crate"');
      for (let i = 0; i < 3; i++) expect((await both(s, url)).fast).toBe(true);
      // Each both() downloads twice: once over the socket, once through inject().
      expect(await downloads()).toBe(before + 8);
    });

    it('shares a known location between spellings of the name, and names the file as asked', async () => {
      await both(s, url);
      const upper = await both(s, '/api/v1/crates/DL_Crate/1.0.0/download');
      expect(upper.fast).toBe(true);
      expect(upper.headers['content-disposition']).toBe('attachment; filename="DL_Crate-1.0.0.crate"');
    });

    it.each([
      ['HEAD', url, 'HEAD'],
      ['an unknown version', '/api/v1/crates/dl_crate/9.9.9/download', 'GET'],
      ['an unknown crate', '/api/v1/crates/nonesuch/1.0.0/download', 'GET'],
      ['a percent-encoded name', '/api/v1/crates/dl%5Fcrate/1.0.0/download', 'GET'],
      ['a query string', `${url}?x=1`, 'GET'],
    ])('leaves %s to the route', async (_label, path, method) => {
      await both(s, path, {}, method);
      expect((await both(s, path, {}, method)).fast).toBe(false);
    });

    it('answers `Accept: application/json` with the file\'s URL from the route, as crates.io does, without counting a download', async () => {
      await both(s, url);
      const before = await downloads();
      const res = await both(s, url, { accept: 'application/json' });
      expect(res.fast).toBe(false);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toEqual({ url: `${s.url}${url}` });
      expect(await downloads()).toBe(before);
    });

    it('answers a file kept in memory without reading the store, with the same answer and count', async () => {
      const path = '/api/v1/crates/dl_crate/1.0.2/download';
      // The feed's first look at the publishes above drops the crate's kept files: let it happen first.
      await s.runtime.changes.poll();
      const first = await both(s, path);
      const key = s.runtime.downloadLocations.peek('dl_crate', '1.0.2')!.key;
      // The socket's and inject()'s downloads were its first two: the second one kept it.
      expect(s.runtime.crateFiles.peek(key)?.equals(first.body)).toBe(true);
      const blobs = s.runtime.ctx.blobs;
      const readNow = vi.spyOn(blobs, 'readNow');
      const get = vi.spyOn(blobs, 'get');
      try {
        const before = await downloads();
        for (let i = 0; i < 3; i++) {
          const res = await both(s, path);
          expect(res.fast).toBe(true);
          expect(res.body.equals(first.body)).toBe(true);
          expect(res.headers).toEqual(first.headers);
        }
        expect(await downloads()).toBe(before + 6);
        expect(readNow).not.toHaveBeenCalled();
        expect(get).not.toHaveBeenCalled();
      } finally {
        readNow.mockRestore();
        get.mockRestore();
      }
    });

    it('drops a kept file when its version is deleted, here or by another process (the change feed)', async () => {
      const by = { actor: null, via: 'test' };
      for (const [vers, removedHere] of [
        ['1.0.2', true],
        ['1.0.3', false],
      ] as const) {
        const path = `/api/v1/crates/dl_crate/${vers}/download`;
        // Changes still unseen by the feed (the deletion of the round before) would drop the file early.
        await s.runtime.changes.poll();
        await both(s, path);
        await both(s, path);
        const key = s.runtime.downloadLocations.peek('dl_crate', vers)!.key;
        expect(s.runtime.crateFiles.peek(key)).toBeDefined();
        await deleteVersion(s.runtime.ctx, by, 'dl_crate', vers);
        if (removedHere) await crateRemoved(s.runtime, 'dl_crate');
        else await s.runtime.changes.poll();
        expect(s.runtime.crateFiles.peek(key)).toBeUndefined();
        const res = await both(s, path);
        expect(res.status).toBe(404);
        expect(res.fast).toBe(false);
      }
    });

    it('leaves a version whose file went missing to the route, which reports it once the file is no longer kept', async () => {
      const path = '/api/v1/crates/dl_crate/1.0.1/download';
      await both(s, path);
      expect((await both(s, path)).fast).toBe(true);
      const location = s.runtime.downloadLocations.peek('dl_crate', '1.0.1');
      await s.runtime.ctx.blobs.delete(location!.key);
      // Blobs never change, so bytes still held are still right; `wharf check` reports the loss.
      expect((await both(s, path)).status).toBe(200);
      s.runtime.crateFiles.clear();
      const res = await both(s, path);
      expect(res.status).toBe(500);
      expect(res.fast).toBe(false);
      expect(res.body.toString()).toMatch(/missing from storage/);
    });
  });

  describe('downloads from a store that cannot read at once (a remote one)', () => {
    let s: Server;
    const url = '/api/v1/crates/far_crate/1.0.0/download';

    beforeAll(async () => {
      // Built without `readNow`, and with `get` streaming every file: only the cache can answer fast.
      const readNow = FsBlobStore.prototype.readNow;
      delete (FsBlobStore.prototype as Partial<FsBlobStore>).readNow;
      try {
        s = await startServer();
      } finally {
        FsBlobStore.prototype.readNow = readNow;
      }
      const blobs = s.runtime.ctx.blobs;
      const get = blobs.get.bind(blobs);
      blobs.get = async (key) => {
        const file = await get(key);
        return file && { stream: file.stream, size: file.size };
      };
      const { token } = await s.userWithToken('dora');
      await s.publish(token, { name: 'far_crate', vers: '1.0.0' });
    });
    afterAll(() => s.close());

    it('streams the first download, keeps the file on the second, then answers from memory', async () => {
      const first = await both(s, url);
      expect(first.fast).toBe(false);
      expect(first.status).toBe(200);
      const again = await both(s, url);
      expect(again.fast).toBe(true);
      expect(again.body.equals(first.body)).toBe(true);
    });
  });

  describe('a registry that requires auth', () => {
    // Token rows are reused only on SQLite (PostgreSQL queries the token on every request), so
    // there every authenticated read goes through the route.
    const reused = !onPostgres;
    let s: Server;
    const path = '/index/pr/iv/private_crate';

    beforeAll(async () => {
      s = await startServer({ authRequired: true });
      const { token } = await s.userWithToken('owner');
      await s.publish(token, { name: 'private_crate', vers: '1.0.0' });
      await s.runtime.changes.poll();
      await throughRoute(s, path, { authorization: token });
    });
    afterAll(() => s.close());

    it('answers a token whose row is known and current at once; refusals always come from the route', async () => {
      const reader = await s.userWithToken('reader', { scopes: ['read'] });
      const first = await both(s, path, { authorization: reader.token });
      expect(first.status).toBe(200);
      const second = await both(s, path, { authorization: reader.token });
      expect(second.fast).toBe(reused);
      const download = '/api/v1/crates/private_crate/1.0.0/download';
      expect((await both(s, download, { authorization: reader.token })).status).toBe(200);
      expect((await both(s, download, { authorization: reader.token })).fast).toBe(reused);
      expect((await both(s, download)).status).toBe(401);

      const refused: Record<string, string>[] = [{}, { authorization: 'wharf_not-a-token' }, { authorization: `${reader.token.slice(0, -1)}${reader.token.endsWith('x') ? 'y' : 'x'}` }];
      for (const headers of refused) {
        const res = await both(s, path, headers);
        expect(res.status).toBe(401);
        expect(res.fast).toBe(false);
      }
      const yanker = await s.userWithToken('yanker', { scopes: ['yank'] });
      for (const target of [path, download, path, download]) {
        const res = await both(s, target, { authorization: yanker.token });
        expect(res.status).toBe(403);
        expect(res.fast).toBe(false);
      }
    });

    it('answers the static index\'s auth check (nginx auth_request) as the route does: 204 with a short cache, refusals from the route', async () => {
      const check = '/api/v1/static-auth';
      const reader = await s.userWithToken('static-reader', { scopes: ['read'] });
      const first = await both(s, check, { authorization: reader.token });
      expect(first.status).toBe(204);
      expect(first.headers['cache-control']).toBe('private, max-age=5');
      expect(first.headers.vary).toBe('Authorization');
      expect((await both(s, check, { authorization: reader.token })).fast).toBe(reused);
      const anonymous = await both(s, check);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe(`Cargo login_url="${s.url}/me"`);
      expect((await both(s, check, { authorization: 'wharf_not-a-token' })).status).toBe(401);
      const yanker = await s.userWithToken('static-yanker', { scopes: ['yank'] });
      const refused = await both(s, check, { authorization: yanker.token });
      expect(refused.status).toBe(403);
      expect(refused.fast).toBe(false);
    });

    // Revoked through this instance, or through a second connection to the database, as another
    // instance or `wharf token revoke` would: either way the next request is refused.
    const revokers: Array<[string, (tokenId: number, reason: string) => Promise<unknown>]> = [
      ['through this instance', (tokenId, reason) => revokeToken(s.runtime.ctx, { actor: null }, tokenId, reason)],
      [
        'by another process',
        async (tokenId, reason) => {
          const other = openContext(s.config).db;
          try {
            await revokeTokens(other, { id: tokenId }, { at: new Date().toISOString(), reason, by: null });
          } finally {
            await other.destroy();
          }
        },
      ],
    ];
    it.each(revokers)('refuses a token revoked %s after it was reused, on the same connection, with the reason', async (how, revoke) => {
      const reader = await s.userWithToken(`revokee-${how.replace(/\W+/g, '-')}`, { scopes: ['read'] });
      await both(s, path, { authorization: reader.token });
      expect((await both(s, path, { authorization: reader.token })).fast).toBe(reused);
      await revoke(reader.tokenId, `pasted into a public issue (${how})`);
      const res = await both(s, path, { authorization: reader.token });
      expect(res.status).toBe(401);
      expect(res.fast).toBe(false);
      expect(res.body.toString()).toContain(`pasted into a public issue (${how})`);
    });

    it('does not let a second token ride on the first one on a shared connection', async () => {
      const good = await s.userWithToken('good', { scopes: ['read'] });
      const bad = await s.userWithToken('bad', { scopes: ['read'] });
      await revokeToken(s.runtime.ctx, { actor: null }, bad.tokenId, 'rotated');
      await both(s, path, { authorization: good.token });
      expect((await both(s, path, { authorization: good.token })).fast).toBe(reused);
      const res = await both(s, path, { authorization: bad.token });
      expect(res.status).toBe(401);
      expect((await both(s, path, { authorization: good.token })).fast).toBe(reused);
    });

    it('leaves expiry, account locks and due last-used updates to the route', async () => {
      const reader = await s.userWithToken('timed', { scopes: ['read'], expiresInDays: 1 });
      await both(s, path, { authorization: reader.token });
      expect((await both(s, path, { authorization: reader.token })).fast).toBe(reused);

      // A minute on, the last-used time is due: the route writes it, then reuse resumes.
      s.clock.advance(61_000);
      expect((await both(s, path, { authorization: reader.token })).fast).toBe(false);
      expect((await both(s, path, { authorization: reader.token })).fast).toBe(reused);

      s.clock.advance(2 * 86_400_000);
      const expired = await both(s, path, { authorization: reader.token });
      expect(expired.status).toBe(401);
      expect(expired.body.toString()).toMatch(/expired on/);
      expect(expired.fast).toBe(false);

      const other = await s.userWithToken('lockee', { scopes: ['read'] });
      await both(s, path, { authorization: other.token });
      expect((await both(s, path, { authorization: other.token })).fast).toBe(reused);
      await s.runtime.ctx.db.updateTable('users').set({ locked_at: s.clock.now().toISOString() }).where('id', '=', other.userId).execute();
      const locked = await both(s, path, { authorization: other.token });
      expect(locked.status).toBe(403);
      expect(locked.fast).toBe(false);
    });
  });
});
