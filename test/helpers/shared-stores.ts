import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/services/shared-state/redis-store.js';
import type { SharedStore } from '../../src/services/shared-state/shared-store.js';
import { createTestApp, type TestApp } from './test-app.js';

export const REDIS_URL = process.env.WHARF_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Redis cannot be used, or null when it answers. */
export async function redisProblem(): Promise<string | null> {
  const probe = new Redis(REDIS_URL, { connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (err) {
    return `no Redis answers at ${REDIS_URL}: ${(err as Error).message}`;
  } finally {
    probe.disconnect();
  }
}

/**
 * Whether the Redis tests are skipped: only outside CI. Under CI=true a missing Redis is a
 * failure of the suite, not a skip, so the Redis store is never left untested by accident.
 */
export async function skipRedisTests(): Promise<boolean> {
  const problem = await redisProblem();
  if (!problem) return false;
  if (process.env.CI === 'true') throw new Error(`${problem} (CI=true: the Redis tests must run)`);
  console.warn(`skipping the Redis tests: ${problem}`);
  return true;
}

/** A key prefix no other test (or run) uses, so tests never see each other's keys. */
export const uniqueRedisPrefix = (): string => `wharf-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix`. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export type StoreKind = 'database' | 'redis';

/** A store of either kind: the database one of a test app (the run's database), or Redis under its own prefix. */
export async function openStore(kind: StoreKind): Promise<{ store: SharedStore; app: TestApp | null; close(): Promise<void> }> {
  if (kind === 'database') {
    const app = await createTestApp();
    return { store: app.runtime.shared, app, close: () => app.close() };
  }
  const prefix = uniqueRedisPrefix();
  const store = new RedisStore(REDIS_URL, prefix);
  return {
    store,
    app: null,
    async close() {
      await store.close();
      await dropRedisPrefix(prefix);
    },
  };
}
