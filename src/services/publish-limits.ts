import type { Config } from '../config/config.js';
import type { RateLimit } from '../config/rate-limits.js';
import type { Actor } from './actor.js';
import type { Clock } from './context.js';
import { rateLimited } from './rate-limiter.js';

export type LimitedAction = 'new-crate' | 'new-version' | 'yank';

const WHAT: Record<LimitedAction, string> = {
  'new-crate': 'new crates',
  'new-version': 'new versions',
  yank: 'yanks and unyanks',
};

/**
 * One token bucket per key. Buckets are kept in memory, per process: several instances behind a
 * balancer each allow the full rate, which is acceptable for limits meant to stop runaway scripts.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token; when none is left takes nothing and returns the milliseconds until one is. */
  take(key: string): number {
    const bucket = this.refill(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) * this.limit.intervalMs);
  }

  /** Gives back a token taken for an action that then failed. */
  giveBack(key: string): void {
    const bucket = this.refill(key);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + 1);
  }

  private refill(key: string): { tokens: number; at: number } {
    const now = this.clock.now().getTime();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.limit.burst, at: now };
      // A full bucket carries no information: forget the oldest when there are too many users.
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    }
    const earned = Math.max(0, now - bucket.at) / this.limit.intervalMs;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + earned);
    bucket.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    return bucket;
  }
}

/**
 * The per-user publish limits. An action is charged before the work starts, so parallel
 * requests cannot overrun the limit, and refunded when it fails, so rejected uploads cost nothing.
 * Administrators are never limited.
 */
export class PublishLimits {
  private readonly buckets: Partial<Record<LimitedAction, TokenBuckets>> = {};

  constructor(config: Pick<Config, 'rateLimitNewCrates' | 'rateLimitNewVersions' | 'rateLimitYanks'>, private readonly clock: Clock) {
    const limits: Record<LimitedAction, RateLimit | null> = {
      'new-crate': config.rateLimitNewCrates,
      'new-version': config.rateLimitNewVersions,
      yank: config.rateLimitYanks,
    };
    for (const [action, limit] of Object.entries(limits) as Array<[LimitedAction, RateLimit | null]>) {
      if (limit) this.buckets[action] = new TokenBuckets(limit, clock);
    }
  }

  /** Charges one action to the actor, or throws 429 with Retry-After. Returns the refund. */
  charge(actor: Actor, action: LimitedAction): () => void {
    const buckets = this.buckets[action];
    if (!buckets || actor.isAdmin) return () => undefined;
    // A trusted publisher has no user: its crates share one budget.
    const key = actor.trustpub ? `trustpub:${[...actor.trustpub.crateIds].sort().join(',')}` : String(actor.userId);
    const waitMs = buckets.take(key);
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
    return () => {
      if (refunded) return;
      refunded = true;
      buckets.giveBack(key);
    };
  }

  /** Runs `work` charged as one action, refunded if it throws. */
  async guard<T>(actor: Actor, action: LimitedAction, work: () => Promise<T>): Promise<T> {
    const refund = this.charge(actor, action);
    try {
      return await work();
    } catch (err) {
      refund();
      throw err;
    }
  }
}

function describeWait(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 120 ? `${minutes} minutes` : `${Math.ceil(minutes / 60)} hours`;
}
