import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openContext } from '../../../src/bootstrap.js';
import { claimJobs, finishJob, findJobByKey } from '../../../src/db/repositories/job.repository.js';
import type { ServiceContext } from '../../../src/services/context.js';
import { jobsOverview, retryJob } from '../../../src/services/jobs/job-admin.service.js';
import { backoffMs, enqueueJobs } from '../../../src/services/jobs/job-queue.js';
import { JobRunner } from '../../../src/services/jobs/job-runner.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

describe('the job queue', () => {
  let t: TestApp;
  let ctx: ServiceContext;
  const others: ServiceContext[] = [];
  beforeEach(async () => {
    t = await createTestApp();
    ctx = t.runtime.ctx;
  });
  afterEach(async () => {
    for (const o of others.splice(0)) await o.db.destroy();
    await t.close();
  });

  /** A second instance: its own connections to the same database. */
  const secondInstance = (): ServiceContext => {
    const o = { ...openContext(t.config), clock: t.clock };
    others.push(o);
    return o;
  };

  it('queues a job key once, however often it is queued', async () => {
    expect(await enqueueJobs(ctx.db, ctx.clock, [{ kind: 'k', key: 'same', payload: { n: 1 } }])).toBe(1);
    expect(await enqueueJobs(ctx.db, ctx.clock, [{ kind: 'k', key: 'same', payload: { n: 2 } }, { kind: 'k', key: 'other', payload: {} }])).toBe(1);
    const runs: unknown[] = [];
    const runner = new JobRunner(ctx);
    runner.handle('k', async (p) => void runs.push(p));
    expect(await runner.runOnce()).toBe(2);
    expect(runs).toEqual([{ n: 1 }, {}]);
    expect(await runner.runOnce()).toBe(0);
    // Done jobs keep their key: queuing the same work again later does nothing.
    expect(await enqueueJobs(ctx.db, ctx.clock, [{ kind: 'k', key: 'same', payload: {} }])).toBe(0);
  });

  it('retries a failing job with doubling delays, then marks it failed until an administrator retries it', async () => {
    const runner = new JobRunner(ctx, { backoffBaseMs: 60_000 });
    let calls = 0;
    let failUntil = 3;
    runner.handle('flaky', async () => {
      calls++;
      if (calls <= failUntil) throw new Error(`failure ${calls}`);
    });
    await enqueueJobs(ctx.db, ctx.clock, [{ kind: 'flaky', key: 'f', payload: {}, maxAttempts: 3 }]);
    expect(await runner.runOnce()).toBe(1);
    let job = (await findJobByKey(ctx.db, 'f'))!;
    expect(job).toMatchObject({ state: 'pending', attempts: 1, last_error: 'failure 1' });
    expect(Date.parse(job.run_at) - t.clock.now().getTime()).toBeGreaterThan(50_000);
    // Not due yet: nothing runs before the delay.
    expect(await runner.runOnce()).toBe(0);
    t.clock.advance(backoffMs(1, 60_000));
    expect(await runner.runOnce()).toBe(1);
    job = (await findJobByKey(ctx.db, 'f'))!;
    expect(job.attempts).toBe(2);
    expect(backoffMs(2, 60_000)).toBe(120_000);
    t.clock.advance(60_000);
    expect(await runner.runOnce()).toBe(0);
    t.clock.advance(60_000);
    expect(await runner.runOnce()).toBe(1);
    job = (await findJobByKey(ctx.db, 'f'))!;
    expect(job).toMatchObject({ state: 'failed', attempts: 3, last_error: 'failure 3' });
    t.clock.advance(86_400_000);
    expect(await runner.runOnce()).toBe(0);

    const overview = await jobsOverview(ctx);
    expect(overview.failed.map((j) => j.key)).toEqual(['f']);
    const admin = await t.userWithToken('admin', { admin: true });
    await retryJob(ctx, { userId: admin.userId, login: 'admin', name: null, isAdmin: true, token: null }, job.id);
    await expect(retryJob(ctx, { userId: admin.userId, login: 'admin', name: null, isAdmin: true, token: null }, job.id)).rejects.toThrow(/no failed job/);
    failUntil = 0;
    expect(await runner.runOnce()).toBe(1);
    expect((await findJobByKey(ctx.db, 'f'))!.state).toBe('done');
    expect(calls).toBe(4);
  });

  it('leases a job to one instance; a lapsed lease lets another take it, and the first can no longer finish it', async () => {
    await enqueueJobs(ctx.db, ctx.clock, [{ kind: 'k', key: 'leased', payload: {} }]);
    const postgres = ctx.config.databaseUrl !== null;
    const lease = (claimId: string) => {
      const now = t.clock.now();
      return claimJobs(claimId === 'a' ? ctx.db : secondInstance().db, {
        claimId,
        nowIso: now.toISOString(),
        leaseUntil: new Date(now.getTime() + 60_000).toISOString(),
        limit: 10,
        postgres,
      });
    };
    expect((await lease('a')).map((j) => j.job_key)).toEqual(['leased']);
    expect(await lease('b')).toEqual([]);
    t.clock.advance(61_000);
    const taken = await lease('b');
    expect(taken.map((j) => j.attempts)).toEqual([2]);
    const nowIso = t.clock.now().toISOString();
    expect(await finishJob(ctx.db, taken[0]!.id, 'a', { state: 'done' }, nowIso)).toBe(false);
    expect(await finishJob(ctx.db, taken[0]!.id, 'b', { state: 'done' }, nowIso)).toBe(true);
  });

  it('runs each job once across two instances polling one database', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => ({ kind: 'count', key: `job-${i}`, payload: { i } }));
    await enqueueJobs(ctx.db, ctx.clock, jobs);
    const runs = new Map<number, number>();
    const runners = [new JobRunner(ctx, { batch: 3 }), new JobRunner(secondInstance(), { batch: 3 })];
    for (const r of runners) {
      r.handle('count', async (p) => {
        const i = (p as { i: number }).i;
        runs.set(i, (runs.get(i) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
      });
    }
    for (let round = 0; round < 40; round++) {
      const done = await Promise.all(runners.map((r) => r.runOnce()));
      if (done.every((n) => n === 0)) break;
    }
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('queues a scheduled job once per period for the whole registry', async () => {
    const runs: string[] = [];
    const runners = [new JobRunner(ctx), new JobRunner(secondInstance())];
    for (const r of runners) {
      r.schedule({ kind: 'tick', everyMs: 3_600_000 });
      r.handle('tick', async (_p, job) => void runs.push(job.job_key));
    }
    await Promise.all(runners.map((r) => r.runOnce()));
    await Promise.all(runners.map((r) => r.runOnce()));
    expect(runs).toHaveLength(1);
    t.clock.advance(3_600_000);
    await Promise.all(runners.map((r) => r.runOnce()));
    await Promise.all(runners.map((r) => r.runOnce()));
    expect(runs).toHaveLength(2);
    expect(new Set(runs).size).toBe(2);
  });
});
