import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexCache } from '../../src/services/index.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** The index cache stays within its byte budget and still answers every crate correctly. */
describe('the index cache budget', () => {
  let t: TestApp;
  const names = Array.from({ length: 12 }, (_, i) => `budget-${i}`);

  beforeAll(async () => {
    t = await createTestApp();
    const { token } = await t.userWithToken('alice');
    for (const name of names) {
      for (const vers of ['1.0.0', '1.1.0']) {
        const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers }), headers: { authorization: token } });
        expect(res.statusCode, res.body).toBe(200);
      }
    }
  });
  afterAll(() => t.close());

  it('drops the least recently read files beyond the budget and renders them again on demand', async () => {
    const unbounded = new IndexCache(t.runtime.ctx.db);
    for (const name of names) await unbounded.get(name);
    const perEntry = unbounded.size / names.length;

    // Room for about four files: reading twelve keeps the total under the budget.
    const budget = Math.floor(perEntry * 4.5);
    const cache = new IndexCache(t.runtime.ctx.db, budget);
    for (const name of names) {
      const entry = await cache.get(name);
      expect(entry?.body.toString()).toBe((await unbounded.get(name))?.body.toString());
      expect(cache.size).toBeLessThanOrEqual(budget);
    }
    // An evicted file comes back byte for byte, with the same ETag.
    const again = await cache.get(names[0]!);
    const original = await unbounded.get(names[0]!);
    expect(again?.etag).toBe(original?.etag);
    expect(again?.gzip.equals(original!.gzip)).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(budget);
  });

  it('keeps a file that is being read over one that is not', async () => {
    const probe = new IndexCache(t.runtime.ctx.db);
    await probe.get(names[0]!);
    const cache = new IndexCache(t.runtime.ctx.db, Math.floor(probe.size * 3.5));
    const hot = names[0]!;
    const hotEntry = await cache.get(hot);
    for (const name of names.slice(1)) {
      await cache.get(hot);
      await cache.get(name);
    }
    // Still the very same object: it was never evicted and rendered again.
    expect(await cache.get(hot)).toBe(hotEntry);
  });

  it('forgets an invalidated file and accounts for its bytes', async () => {
    const cache = new IndexCache(t.runtime.ctx.db);
    await cache.get(names[1]!);
    expect(cache.size).toBeGreaterThan(0);
    cache.invalidate(names[1]!);
    expect(cache.size).toBe(0);
  });
});
