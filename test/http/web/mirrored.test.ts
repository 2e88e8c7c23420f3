import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMirrorIndexFile } from '../../../src/db/repositories/mirror.repository.js';
import { StaticRegistry } from '../../helpers/static-registry.js';
import { createWebApp, type WebTestApp } from '../../helpers/web.js';

describe('mirrored crates on the web, apart from private ones', () => {
  let upstream: StaticRegistry;
  let t: WebTestApp;

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    await upstream.publish({ name: 'leaf', vers: '1.1.0', yanked: true });
    await upstream.publish({ name: 'stem', vers: '1.0.0', deps: { leaf: '^1' } });
    t = await createWebApp({ mirrorUpstream: upstream.indexUrl });
    for (const url of ['/mirror/index/st/em/stem', '/mirror/index/le/af/leaf', '/mirror/api/v1/crates/leaf/1.0.0/download']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
    await t.runtime.mirror!.crates.idle();
    await t.runtime.mirror!.activity.flush();
    const { token } = await t.userWithToken('alice');
    await t.publish(token, { name: 'private-stem', vers: '0.1.0' });
  });
  afterAll(async () => {
    await t.close();
    await upstream.stop();
  });

  it('searches only the mirrored crates, and their pages say where they come from', async () => {
    const browser = t.browser();
    const found = await browser.get('/mirrored?q=STEM');
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain('href="/mirrored/stem"');
    expect(found.body).not.toContain('private-stem');
    expect(found.body).not.toContain('/mirrored/leaf');

    const page = await browser.get('/mirrored/stem');
    expect(page.body).toContain(`A public crate mirrored from ${upstream.indexUrl}`);
    expect(page.body).toContain('href="/mirrored/leaf">leaf</a> ^1');
    const leaf = (await browser.get('/mirrored/leaf')).body;
    expect(leaf).toMatch(/<td>1\.1\.0<\/td><td>no<\/td><td>0<\/td><td><span class="badge yanked">yanked/);
    expect(leaf).toMatch(/<td>1\.0\.0<\/td><td>yes<\/td><td>1<\/td>/);
    expect(leaf).toContain('<span class="badge">1.0.0</span>');

    // The private search knows nothing of mirrored crates.
    const privateSearch = await browser.get('/search?q=stem');
    expect(privateSearch.body).toContain('private-stem');
    expect(privateSearch.body).not.toContain('/mirrored/');
    expect((await browser.get('/mirrored/nonesuch')).statusCode).toBe(404);
  });

  it('keeps a summary beside each index file, and searches it without reading any body', async () => {
    const row = await findMirrorIndexFile(t.runtime.ctx.db, 'leaf');
    expect([row?.display_name, row?.latest_version, Number(row?.num_versions)]).toEqual(['leaf', '1.0.0', 2]);
    await t.runtime.ctx.db.updateTable('mirror_index_files').set({ body: '' }).where('name', '=', 'leaf').execute();
    try {
      const found = await t.browser().get('/mirrored?q=lea');
      expect(found.body).toContain('href="/mirrored/leaf"');
      expect(found.body).toContain('<span class="badge">1.0.0</span>');
      expect(found.body).toContain('2 versions');
    } finally {
      await t.runtime.ctx.db.updateTable('mirror_index_files').set({ body: upstream.indexFile('leaf') }).where('name', '=', 'leaf').execute();
    }
  });

  it('parses a crate page once per stored file, and again once the file changes', async () => {
    const browser = t.browser();
    expect((await browser.get('/mirrored/stem')).body).toContain('<td>1.0.0</td>');
    const db = t.runtime.ctx.db;
    const row = (await findMirrorIndexFile(db, 'stem'))!;
    // Another body under the same change time: the parse already made is what the page shows.
    await db.updateTable('mirror_index_files').set({ body: '' }).where('name', '=', 'stem').execute();
    try {
      expect((await browser.get('/mirrored/stem')).body).toContain('<td>1.0.0</td>');
      await db.updateTable('mirror_index_files').set({ changed_at: new Date(Date.parse(row.changed_at) + 1000).toISOString() }).where('name', '=', 'stem').execute();
      expect((await browser.get('/mirrored/stem')).body).not.toContain('<td>1.0.0</td>');
    } finally {
      await db.updateTable('mirror_index_files').set({ body: row.body, changed_at: row.changed_at }).where('name', '=', 'stem').execute();
    }
  });

  it('has no mirrored pages without a mirror, and asks for an account on a private registry', async () => {
    const plain = await createWebApp();
    try {
      expect((await plain.browser().get('/mirrored')).statusCode).toBe(404);
    } finally {
      await plain.close();
    }
    const closed = await createWebApp({ mirrorUpstream: upstream.indexUrl, authRequired: true });
    try {
      const res = await closed.browser().get('/mirrored/stem');
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/login?next=%2Fmirrored%2Fstem');
    } finally {
      await closed.close();
    }
  });
});
