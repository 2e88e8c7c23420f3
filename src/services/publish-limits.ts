import type { Config } from '../config/config.js';
import type { RateLimit } from '../config/rate-limits.js';
import type { Actor } from './actor.js';
import type { Clock } from './context.js';
import { rateLimited } from './rate-limiter.js';
import { SharedRecords } from './shared-state/shared-limits.js';
import type { SharedStore } from './shared-state/shared-store.js';

export type LimitedAction = 'new-crate' | 'new-version' | 'yank';

const WHAT: Record<LimitedAction, string> = {
  'new-crate': 'new crates',
  'new-version': 'new versions',
  yank: 'yanks and unyanks',
};

interface Bucket {
  tokens: number;
  at: number;
}

const isBucket = (v: unknown): v is Bucket =>
  typeof v === 'object' && v !== null && typeof (v as Bucket).tokens === 'number' && typeof (v as Bucket).at === 'number';

/**
 * One token bucket per key, shared by every instance (`SharedStore`): a take or a give-back is
 * one compare-and-set of the key's bucket, so N instances allow the rate once, not N times. A
 * full bucket is not stored at all: it expires once it would have refilled.
 */
export class TokenBuckets {
  private readonly records: SharedRecords<Bucket>;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock,
    store: SharedStore,
    name: string,
  ) {
    this.records = new SharedRecords(store, clock, `bucket:${name}`, isBucket);
  }

  /** Takes one token; when none is left takes nothing and returns the milliseconds until one is. */
  take(key: string): Promise<number> {
    return this.records.update(key, this.refillMs(), (held, now) => {
      const tokens = this.refilled(held, now);
      if (tokens >= 1) return { value: { tokens: tokens - 1, at: now }, result: 0 };
      return { result: Math.ceil((1 - tokens) * this.limit.intervalMs) };
    });
  }

  /** Gives back a token taken for an action that then failed. */
  async giveBack(key: string): Promise<void> {
    await this.records.update(key, this.refillMs(), (held, now) => {
      const tokens = Math.min(this.limit.burst, this.refilled(held, now) + 1);
      return { value: tokens >= this.limit.burst ? null : { tokens, at: now }, result: undefined };
    });
  }

  private refilled(held: Bucket | null, now: number): number {
    if (!held) return this.limit.burst;
    return Math.min(this.limit.burst, held.tokens + Math.max(0, now - held.at) / this.limit.intervalMs);
  }

  /** How long an empty bucket takes to fill: a bucket older than that is full, so need not be kept. */
  private refillMs(): number {
    return this.limit.burst * this.limit.intervalMs;
  }
}

/**
 * The per-user publish limits. An action is charged before the work starts, so parallel
 * requests cannot overrun the limit, and refunded when it fails, so rejected uploads cost nothing.
 * Administrators are never limited.
 */
export class PublishLimits {
  private readonly buckets: Partial<Record<LimitedAction, TokenBuckets>> = {};

  constructor(
    config: Pick<Config, 'rateLimitNewCrates' | 'rateLimitNewVersions' | 'rateLimitYanks'>,
    private readonly clock: Clock,
    store: SharedStore,
  ) {
    const limits: Record<LimitedAction, RateLimit | null> = {
      'new-crate': config.rateLimitNewCrates,
      'new-version': config.rateLimitNewVersions,
      yank: config.rateLimitYanks,
    };
    for (const [action, limit] of Object.entries(limits) as Array<[LimitedAction, RateLimit | null]>) {
      if (limit) this.buckets[action] = new TokenBuckets(limit, clock, store, action);
    }
  }

  /** Charges one action to the actor, or throws 429 with Retry-After. Returns the refund. */
  async charge(actor: Actor, action: LimitedAction): Promise<() => Promise<void>> {
    const buckets = this.buckets[action];
    if (!buckets || actor.isAdmin) return async () => undefined;
    // A trusted publisher has no user: its crates share one budget.
    const key = actor.trustpub ? `trustpub:${[...actor.trustpub.crateIds].sort().join(',')}` : String(actor.userId);
    const waitMs = await buckets.take(key);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      const at = new Date(this.clock.now().getTime() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      throw rateLimited(
        `you have done too many ${WHAT[action]} in a short time (this registry allows ${buckets.limit.text}); ` +
          `try again in ${describeWait(seconds)} (after ${at})`,
        seconds,
      );
    }
    let refunded = false;
    return async () => {
      if (refunded) return;
      refunded = true;
      await buckets.giveBack(key);
    };
  }

  /** Runs `work` charged as one action, refunded if it throws. */
  async guard<T>(actor: Actor, action: LimitedAction, work: () => Promise<T>): Promise<T> {
    const refund = await this.charge(actor, action);
    try {
      return await work();
    } catch (err) {
      // The refusal the user must see is `err`; a refund that cannot be stored only costs a token.
      await refund().catch(() => undefined);
      throw err;
    }
  }
}

function describeWait(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 120 ? `${minutes} minutes` : `${Math.ceil(minutes / 60)} hours`;
}
