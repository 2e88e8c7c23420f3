import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import type { Clock } from '../context.js';

/** A key's value and the id of the write that put it there. */
export interface StoredValue {
  value: string;
  version: string;
}

/**
 * Where the counts that every instance must share are kept: the database (`DatabaseStore`) or
 * Redis (`RedisStore`, with `redis_url`). A store only reads and compare-and-sets strings with an
 * expiry; the rules (windows, buckets, single use) are `shared-limits.ts`, the same for both.
 * Times are the registry's clock in milliseconds, so expiry follows the clock the rules use.
 */
export interface SharedStore {
  readonly kind: 'database' | 'redis';
  /** The key's value while it is live at `now`, or null. */
  read(key: string, now: number): Promise<StoredValue | null>;
  /**
   * Writes `value` until `expiresAt` when the key still holds the version `expected` (null: when
   * it holds nothing live). False when another write came first.
   */
  write(key: string, expected: string | null, value: string, expiresAt: number, now: number): Promise<boolean>;
  /** Where the store reports its own failures (the server's logger, once there is one). */
  useLog(log: StoreLog): void;
  /** Forgets what expired (Redis does it by itself). Returns how many keys went. */
  sweep(now: number): Promise<number>;
  close(): Promise<void>;
}

export interface StoreLog {
  warn(obj: object, msg: string): void;
}

/** What a change decides: its answer, and what to write (nothing, a value for `ttlMs`, or a deletion). */
export interface Change<R> {
  result: R;
  write?: { value: string; ttlMs: number } | 'delete';
}

/**
 * Every instance retries a lost compare-and-set; each round one writer wins, so a burst of N
 * parallel changes of one key settles within N rounds. Past this many the answer is 503.
 */
const MAX_ROUNDS = 200;

export const newVersion = (): string => randomBytes(9).toString('base64url');

/**
 * Reads a key, lets `decide` compute its next value from what it holds, and writes that only if
 * nobody wrote the key in between (otherwise reads again). This is what makes a check and its
 * count one atomic step across instances.
 */
export async function changeShared<R>(store: SharedStore, clock: Clock, key: string, decide: (value: string | null, now: number) => Change<R>): Promise<R> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = clock.now().getTime();
    const current = await store.read(key, now);
    const change = decide(current?.value ?? null, now);
    if (!change.write || (change.write === 'delete' && !current)) return change.result;
    const [value, expiresAt] = change.write === 'delete' ? ['', now] : [change.write.value, now + Math.max(1, change.write.ttlMs)];
    if (await store.write(key, current?.version ?? null, value, expiresAt, now)) return change.result;
  }
  throw new AppError('unavailable', 'too many requests are changing the same limit at once; try again in a moment', { 'retry-after': '1' });
}

/** A store's failure (Redis unreachable or too slow), answered 503 rather than skipping the limit. */
export function storeUnavailable(what: string): AppError {
  return new AppError('unavailable', `the registry cannot check its limits right now (${what}); try again in a moment`, { 'retry-after': '5' });
}
