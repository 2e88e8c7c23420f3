import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorStatus } from '../../../src/services/mirror/mirror-admin.service.js';
import { StaticRegistry } from '../../helpers/static-registry.js';
import { createWebApp, type WebTestApp } from '../../helpers/web.js';

describe('the mirror on the admin pages, and its download counts', () => {
  let upstream: StaticRegistry;
  let t: WebTestApp;

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    await upstream.publish({ name: 'stem', vers: '1.0.0' });
    t = await createWebApp({ mirrorUpstream: upstream.indexUrl });
    await t.account('root', { admin: true });
    await t.account('bob');
  });
  afterAll(async () => {
    await t.close();
    await upstream.stop();
  });

  it('counts downloads of mirrored crates, and shows admins the upstream, hit rates and recent errors', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await t.app.inject({ method: 'GET', url: '/mirror/api/v1/crates/leaf/1.0.0/download' })).statusCode).toBe(200);
    }
    upstream.inject('stem-1.0.0.crate', { kind: 'garbage', body: Buffer.from('bad') });
    expect((await t.app.inject({ method: 'GET', url: '/mirror/api/v1/crates/stem/1.0.0/download' })).statusCode).toBe(502);
    await t.runtime.mirror!.crates.idle();
    await t.runtime.mirror!.activity.flush();
    const status = await mirrorStatus(t.runtime.ctx);
    expect(status).toMatchObject({ crateFiles: 1, downloads: 3 });

    const admin = t.browser();
    await admin.login('root');
    const page = await admin.get('/admin/mirror');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(upstream.indexUrl);
    expect(page.body).toContain('Downloads of mirrored crates</dt><dd>3</dd>');
    expect(page.body).toContain('downloads: 3, from the cache: 67%');
    expect(page.body).toMatch(/sent \S*stem@1\.0\.0\S* with another SHA-256/);

    const bob = t.browser();
    await bob.login('bob');
    expect((await bob.get('/admin/mirror')).statusCode).toBe(403);
  });
});
