import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectLiveStayedFast, sampleLiveWhile } from '../../helpers/live-latency.js';
import { startLiveServer, type LiveServer } from '../../helpers/live-server.js';

/**
 * 512 KiB of nested unclosed inline tags: sanitizing it takes tens of seconds (it grows with the
 * square of the nesting). Wherever such a README is rendered, the event loop must not notice.
 */
const HOSTILE = '<a><b><i>'.repeat(Math.floor((512 * 1024) / 9));

describe('a README that takes seconds to render', () => {
  let t: LiveServer;
  let token: string;

  beforeAll(async () => {
    t = await startLiveServer();
    ({ token } = await t.userWithToken('alice'));
  });
  afterAll(() => t.close());

  it('is rendered off the event loop on the first view of a crate published before renders were stored', async () => {
    await t.publish(token, { name: 'legacy-readme', vers: '1.0.0', readme: 'harmless' });
    // The state a version published before the `readmes` table existed is in: a README, no render.
    const { db } = t.runtime.ctx;
    await db.deleteFrom('readmes').execute();
    await db.updateTable('crates').set({ readme: HOSTILE }).where('name', '=', 'legacy-readme').execute();

    const page = fetch(`${t.url}/crates/legacy-readme`, { headers: { accept: 'text/html' } }).then(async (res) => ({ status: res.status, body: await res.text() }));
    const { result, samples } = await sampleLiveWhile(t.url, page);

    expect(result.status).toBe(200);
    expect(result.body).toContain('shown as plain text');
    // The render ran for its whole budget (2 s), so the samples cover it.
    expectLiveStayedFast(samples);
  }, 120_000);

  it('is rendered off the event loop at publish, and the page then reads the stored result', async () => {
    const publish = t.publish(token, { name: 'hostile-readme', vers: '1.0.0', readme: HOSTILE });
    const { samples } = await sampleLiveWhile(t.url, publish);
    expectLiveStayedFast(samples);

    const renders = vi.spyOn(t.runtime.readmes.renderer, 'render');
    const res = await fetch(`${t.url}/crates/hostile-readme`, { headers: { accept: 'text/html' } });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain('took longer than the 2 s allowed to render, so it is shown as plain text');
    expect(body).toContain('&lt;a&gt;&lt;b&gt;&lt;i&gt;');
    expect(renders).not.toHaveBeenCalled();
  }, 120_000);
});
