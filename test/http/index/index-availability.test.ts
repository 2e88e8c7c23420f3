import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCrateIndex } from '../../../src/services/index.service.js';
import { expectLiveStayedFast, sampleLiveWhile } from '../../helpers/live-latency.js';
import { startLiveServer, type LiveServer } from '../../helpers/live-server.js';
import { addVersionRows } from '../../helpers/many-versions.js';

/**
 * About a megabyte of features a version, as the 1 MiB metadata limit allows, in random text that
 * compresses badly: forty versions make a 37 MB index file, whose reading, rendering and level-9
 * gzip took the event loop for seconds on the first read after each publish.
 */
const BIG_FEATURES = Object.fromEntries(
  Array.from({ length: 300 }, (_, k) => [`f${k}`, Array.from({ length: 16 }, () => randomBytes(140).toString('base64url'))]),
);

describe('the first read of a very large index file', () => {
  let t: LiveServer;

  beforeAll(async () => {
    t = await startLiveServer();
    const { token } = await t.userWithToken('alice');
    await t.publish(token, { name: 'wide', vers: '1.0.0' });
    await addVersionRows(t.runtime.ctx.db, 'wide', Array.from({ length: 40 }, (_, i) => `1.1.${i}`), BIG_FEATURES);
    // The publish's own change notice, taken in now: arriving during the read, it would drop the
    // render from the cache (a render that raced with a change is not kept) and leave nothing to peek.
    await t.runtime.changes.poll();
    t.runtime.index.invalidate('wide');
  }, 120_000);
  afterAll(() => t.close());

  it('leaves the event loop free while it renders, and answers the same file', async () => {
    const read = fetch(`${t.url}/index/wi/de/wide`, { headers: { 'accept-encoding': 'gzip' } }).then(async (res) => ({
      status: res.status,
      body: Buffer.from(await res.arrayBuffer()),
    }));
    const { result, samples } = await sampleLiveWhile(t.url, read);
    expect(result.status).toBe(200);
    expect(result.body.length).toBeGreaterThan(35_000_000);
    const crate = await t.runtime.ctx.db.selectFrom('crates').selectAll().where('name', '=', 'wide').executeTakeFirstOrThrow();
    expect(result.body.toString()).toBe(await renderCrateIndex(t.runtime.ctx.db, crate));
    expectLiveStayedFast(samples);

    // The gzip form is the same file.
    const gz = t.runtime.index.peek('wide')!.gzip;
    expect(gunzipSync(gz).equals(result.body)).toBe(true);
  }, 120_000);
});
