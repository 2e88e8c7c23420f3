import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openContext } from '../../src/bootstrap.js';
import { createRuntime, type Runtime, startRuntime, stopRuntime } from '../../src/services/runtime.js';
import { publishBody } from '../helpers/crate-builder.js';
import { onPostgres } from '../helpers/test-db.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** A second instance's index cache follows changes made through the first. */
describe('the index change feed', () => {
  let t: TestApp;
  let token: string;
  let other: Runtime | null = null;

  beforeEach(async () => {
    t = await createTestApp();
    token = (await t.userWithToken('alice')).token;
  });
  afterEach(async () => {
    if (other) {
      await stopRuntime(other);
      await other.ctx.db.destroy();
      other = null;
    }
    await t.close();
  });

  async function secondInstance(changePollMs: number): Promise<Runtime> {
    const runtime = createRuntime(openContext({ ...t.config, changePollMs }));
    await startRuntime(runtime);
    return runtime;
  }
  const publish = async (vers: string) =>
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'fed', vers }), headers: { authorization: token } })).statusCode).toBe(200);
  const linesSeenBy = async (r: Runtime) => (await r.index.get('fed'))?.body.toString().trim().split('\n').length ?? 0;
  async function waitFor(check: () => Promise<boolean>, ms: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (await check()) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 5));
    }
    return Infinity;
  }

  it('invalidates the other instance by polling', async () => {
    other = await secondInstance(50);
    await publish('1.0.0');
    expect(await linesSeenBy(other)).toBe(1);
    await publish('1.0.1');
    expect(await waitFor(async () => (await linesSeenBy(other!)) === 2, 2000)).toBeLessThan(2000);
  });

  it.runIf(onPostgres)('on PostgreSQL, a NOTIFY wakes the other instance long before its next poll', async () => {
    other = await secondInstance(60_000);
    await publish('1.0.0');
    expect(await linesSeenBy(other)).toBe(1);
    await publish('1.0.1');
    expect(await waitFor(async () => (await linesSeenBy(other!)) === 2, 1000)).toBeLessThan(1000);
  });

  it('a cache that fell too far behind is cleared whole', async () => {
    other = await secondInstance(60_000);
    await publish('1.0.0');
    expect(await linesSeenBy(other)).toBe(1);
    const rows = Array.from({ length: 1000 }, (_, i) => ({ crate_name: `noise-${i}`, created_at: new Date().toISOString() }));
    await t.runtime.ctx.db.insertInto('index_changes').values(rows).execute();
    await t.runtime.ctx.db.updateTable('versions').set({ yanked: 1 }).execute();
    await other.changes.poll();
    expect((await other.index.get('fed'))?.body.toString()).toContain('"yanked":true');
  });
});
