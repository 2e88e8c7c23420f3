import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import { FormNonces } from '../../../src/http/web/form-nonce.js';
import { TokenBuckets } from '../../../src/services/publish-limits.js';
import { RedisStore } from '../../../src/services/shared-state/redis-store.js';
import { SharedWindow } from '../../../src/services/shared-state/shared-limits.js';
import type { SharedStore } from '../../../src/services/shared-state/shared-store.js';
import { freePort } from '../../helpers/live-server.js';
import { openStore, skipRedisTests, type StoreKind } from '../../helpers/shared-stores.js';
import { TestClock } from '../../helpers/test-app.js';
import { onPostgres } from '../../helpers/test-db.js';

const skipRedis = await skipRedisTests();
const at = new Date('2030-01-01T00:00:00Z').getTime();

/** Runs `n` calls of `run` at once and returns their answers. */
const inParallel = <T>(n: number, run: (i: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, (_, i) => run(i)));

const kinds: Array<{ kind: StoreKind; skip: boolean; label: string }> = [
  { kind: 'database', skip: false, label: `the database store (${onPostgres ? 'PostgreSQL' : 'SQLite'})` },
  { kind: 'redis', skip: skipRedis, label: 'the Redis store' },
];

for (const { kind, skip, label } of kinds) {
  describe.skipIf(skip)(label, () => {
    let store: SharedStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await openStore(kind));
    });
    afterAll(() => close());

    it('writes a key only over the version it read, and an absent or lapsed key only when nobody else wrote it', async () => {
      expect(await store.read('cas', at)).toBeNull();
      expect(await store.write('cas', null, 'one', at + 1000, at)).toBe(true);
      expect(await store.write('cas', null, 'again', at + 1000, at)).toBe(false);
      const first = await store.read('cas', at);
      expect(first?.value).toBe('one');
      expect(await store.write('cas', first!.version, 'two', at + 1000, at)).toBe(true);
      // The version read before the last write no longer matches.
      expect(await store.write('cas', first!.version, 'three', at + 1000, at)).toBe(false);
      expect((await store.read('cas', at))?.value).toBe('two');
      // Past its expiry a key reads as absent and may be written as new.
      expect(await store.read('cas', at + 1000)).toBeNull();
      expect(await store.write('cas', null, 'fresh', at + 5000, at + 1000)).toBe(true);
      expect((await store.read('cas', at + 1000))?.value).toBe('fresh');
    });

    it('lets exactly the limit through a sliding window when many take at once', async () => {
      const window = new SharedWindow(store, new TestClock(new Date(at)), `parallel-${kind}`, 7, 60_000);
      const waits = await inParallel(40, () => window.take('one-key'));
      expect(waits.filter((w) => w === 0)).toHaveLength(7);
      expect(waits.filter((w) => w > 0).every((w) => w === 60)).toBe(true);
      expect(await window.retryAfter('one-key')).toBe(60);
    });

    it('lets exactly the burst through a token bucket when many take at once, and a refund gives one back', async () => {
      const clock = new TestClock(new Date(at));
      const buckets = new TokenBuckets({ burst: 5, intervalMs: 60_000, text: '1 per minute, burst 5' }, clock, store, `parallel-${kind}`);
      const waits = await inParallel(30, () => buckets.take('user'));
      expect(waits.filter((w) => w === 0)).toHaveLength(5);
      await buckets.giveBack('user');
      expect(await buckets.take('user')).toBe(0);
      expect(await buckets.take('user')).toBe(60_000);
      clock.advance(60_000);
      expect(await buckets.take('user')).toBe(0);
    });

    it('accepts a form nonce once, however many copies of the form arrive at once', async () => {
      const nonces = new FormNonces(store, new TestClock(new Date(at)));
      const nonce = nonces.issue();
      const answers = await inParallel(20, () => nonces.consume(nonce));
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(await nonces.consume(nonces.issue())).toBe(true);
      expect(await nonces.consume('not a nonce')).toBe(false);
    });

    it.runIf(kind === 'database')('sweeps the rows that lapsed and keeps the live ones', async () => {
      await store.write('sweep-old', null, 'x', at + 10, at);
      await store.write('sweep-live', null, 'x', at + 1_000_000, at);
      expect(await store.sweep(at + 20)).toBeGreaterThanOrEqual(1);
      expect(await store.read('sweep-live', at + 20)).not.toBeNull();
      expect(await store.write('sweep-old', null, 'y', at + 100, at + 20)).toBe(true);
    });
  });
}

describe('the hourly sweep', () => {
  it('is a scheduled job of the queue that deletes the lapsed rows of the database store', async () => {
    const { app, close } = await openStore('database');
    try {
      const { runtime } = app!;
      const now = runtime.ctx.clock.now().getTime();
      await runtime.shared.write('lapsed', null, 'x', now - 1000, now - 2000);
      await runtime.shared.write('live', null, 'x', now + 3_600_000, now);
      await runtime.jobs.runOnce();
      const keys = (await runtime.ctx.db.selectFrom('shared_state').select('key').execute()).map((r) => r.key);
      expect(keys).toEqual(['live']);
    } finally {
      await close();
    }
  });
});

describe('a Redis server that does not answer', () => {
  it('fails each request with 503 and a detail, logs the failure once, and keeps no request waiting for ever', async () => {
    const warnings: string[] = [];
    const store = new RedisStore(`redis://127.0.0.1:${await freePort()}`, 'wharf-test:');
    store.useLog({ warn: (_obj, msg) => warnings.push(msg) });
    try {
      for (let i = 0; i < 3; i++) {
        const err = (await store.read('k', at).catch((e: unknown) => e)) as AppError;
        expect(err).toBeInstanceOf(AppError);
        expect(err.status).toBe(503);
        expect(err.detail).toMatch(/cannot check its limits right now \(its Redis server does not answer\)/);
        expect(err.headers['retry-after']).toBe('5');
      }
      expect(await store.write('k', null, 'v', at + 1000, at).catch((e: unknown) => (e as AppError).status)).toBe(503);
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(new Set(warnings).size).toBe(1);
    } finally {
      await store.close();
    }
  });
});
