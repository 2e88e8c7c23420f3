import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { saveMirrorIndexFile } from '../../../src/db/repositories/mirror.repository.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { StaticRegistry } from '../../helpers/static-registry.js';

/** The index files of a crate's dependencies fetched ahead of cargo's next requests. */
describe('mirror prefetch of dependency index files', () => {
  let upstream: StaticRegistry;
  let t: TestApp | null = null;

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    for (const name of ['pf-normal', 'pf-build', 'pf-deep', 'pf-dev', 'pf-ancient', 'pf-yanked-dep', 'pf-fails']) await upstream.publish({ name, vers: '1.0.0' });
    await upstream.publish({ name: 'pf-mid', vers: '1.0.0', deps: { 'pf-deep': '^1' } });
    // Of the newest three versions that are not yanked, every normal and build dependency.
    await upstream.publish({ name: 'pf-root', vers: '0.1.0', deps: { 'pf-ancient': '^1' } });
    await upstream.publish({ name: 'pf-root', vers: '1.0.0', deps: { 'pf-mid': '^1' } });
    await upstream.publish({ name: 'pf-root', vers: '1.1.0', deps: { 'pf-normal': '^1' }, buildDeps: { 'pf-build': '^1' }, devDeps: { 'pf-dev': '^1' } });
    await upstream.publish({ name: 'pf-root', vers: '1.2.0-beta.1', deps: { 'pf-normal': '^1', 'PF-Fails': '^1' } });
    await upstream.publish({ name: 'pf-root', vers: '2.0.0', deps: { 'pf-yanked-dep': '^1' }, yanked: true });
    const hubDeps = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`pf-hub-dep-${String(i).padStart(2, '0')}`, '^1']));
    for (const name of Object.keys(hubDeps)) await upstream.publish({ name, vers: '1.0.0' });
    await upstream.publish({ name: 'pf-hub', vers: '1.0.0', deps: hubDeps });
  });
  afterAll(async () => {
    await upstream.stop();
  });
  afterEach(async () => {
    upstream.clearFaults();
    upstream.requests.length = 0;
    await t?.close();
    t = null;
  });

  const start = async (overrides: Parameters<typeof createTestApp>[0] = {}) => {
    t = await createTestApp({ mirrorUpstream: upstream.indexUrl, mirrorIndexTtl: 60, mirrorTimeoutMs: 5000, ...overrides });
    return t;
  };
  const get = (app: TestApp, name: string) => app.app.inject({ method: 'GET', url: `/mirror/index/${name.slice(0, 2)}/${name.slice(2, 4)}/${name}` });
  const prefetchDone = (app: TestApp) => app.runtime.mirror?.index.prefetch?.idle();
  const asked = () => upstream.requests.map((r) => r.path.slice(r.path.lastIndexOf('/') + 1)).sort();

  it("fetches the files of the newest versions' normal and build dependencies, transitively, before cargo asks", async () => {
    const app = await start();
    expect((await get(app, 'pf-root')).statusCode).toBe(200);
    await prefetchDone(app);
    // pf-fails is asked under its index name; pf-dev (dev), pf-ancient (older than the newest three), pf-yanked-dep (yanked) never.
    expect(asked()).toEqual(['pf-build', 'pf-deep', 'pf-fails', 'pf-mid', 'pf-normal', 'pf-root']);
    for (const name of ['pf-normal', 'pf-build', 'pf-mid', 'pf-deep']) {
      const res = await get(app, name);
      expect(res.statusCode, name).toBe(200);
      expect(res.body).toBe(upstream.indexFile(name));
    }
    // Cargo's following requests found the files: no request reached the upstream for them.
    expect(upstream.requests).toHaveLength(6);
  });

  it('prefetches nothing when offline, even with the cache holding the file', async () => {
    const app = await start({ mirrorOffline: true });
    expect(app.runtime.mirror?.index.prefetch).toBeNull();
    const now = new Date().toISOString();
    const body = upstream.indexFile('pf-root');
    await saveMirrorIndexFile(app.runtime.ctx.db, { name: 'pf-root', body, upstream_etag: null, upstream_last_modified: null, upstream_status: null, checked_at: now, changed_at: now, display_name: 'pf-root', latest_version: '1.0.0', num_versions: 1 });
    expect((await get(app, 'pf-root')).body).toBe(body);
    expect((await get(app, 'pf-normal')).statusCode).toBe(404);
    expect(upstream.requests).toEqual([]);
  });

  it('never lets a failing prefetch change an answer', async () => {
    const app = await start();
    upstream.inject('/pf-normal', { kind: 'status', status: 503 }, 1);
    upstream.inject('/pf-build', { kind: 'reset' }, 1);
    // Still failing (slowly) when the read below joins it.
    upstream.inject('/pf-mid', { kind: 'slow', ms: 300, status: 500 }, 1);
    expect((await get(app, 'pf-root')).statusCode).toBe(200);
    const joined = await get(app, 'pf-mid');
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.body).toBe(upstream.indexFile('pf-mid'));
    await prefetchDone(app);
    for (const name of ['pf-normal', 'pf-build']) {
      const res = await get(app, name);
      expect(res.statusCode, name).toBe(200);
      expect(res.body).toBe(upstream.indexFile(name));
    }
    // Each failed once for the prefetcher, then was fetched for the read that wanted it.
    for (const name of ['pf-normal', 'pf-build', 'pf-mid']) expect(upstream.count(`/${name}`), name).toBe(2);
  });

  it('keeps a slow upstream to a bounded number of prefetches at once, each file asked once', async () => {
    const app = await start();
    upstream.inject('/pf-hub-dep-', { kind: 'slow', ms: 100 });
    upstream.maxInFlight = 0;
    expect((await get(app, 'pf-hub')).statusCode).toBe(200);
    // Reads while the prefetches wait share them instead of adding requests.
    const reads = await Promise.all(['pf-hub', 'pf-hub-dep-00', 'pf-hub-dep-19', 'pf-hub'].map((name) => get(app, name)));
    expect(reads.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    await prefetchDone(app);
    // At most the prefetcher's 8, plus the read of pf-hub-dep-19, which was still waiting in its queue.
    expect(upstream.maxInFlight).toBeLessThanOrEqual(9);
    expect(upstream.count('/pf-hub-dep-')).toBe(20);
    expect(upstream.count('/pf-hub')).toBe(21);
  });
});
