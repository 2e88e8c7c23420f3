import type { ServiceContext } from '../context.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { DatabaseStore } from './database-store.js';
import { RedisStore } from './redis-store.js';
import type { SharedStore } from './shared-store.js';

export const SHARED_STATE_SWEEP_JOB = 'shared-state-sweep';
const SWEEP_EVERY_MS = 60 * 60_000;

/**
 * The store of the counts every instance shares: Redis when `redis_url` is set, else the
 * database. Expired rows of the database are swept once an hour by one instance (a scheduled
 * job); Redis expires its keys by itself.
 */
export function createSharedStore(ctx: ServiceContext, jobs: JobRunner): SharedStore {
  const { redisUrl, redisPrefix } = ctx.config;
  const store: SharedStore = redisUrl ? new RedisStore(redisUrl, redisPrefix) : new DatabaseStore(ctx.db);
  jobs.handle(SHARED_STATE_SWEEP_JOB, async () => {
    await store.sweep(ctx.clock.now().getTime());
  });
  jobs.schedule({ kind: SHARED_STATE_SWEEP_JOB, everyMs: SWEEP_EVERY_MS });
  return store;
}
