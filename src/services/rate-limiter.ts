import { AppError } from '../core/errors.js';
import type { Clock } from './context.js';

/**
 * An in-memory sliding-window counter: at most `limit` hits per key within `windowMs`. It lives
 * in one process, which is what a single-machine registry needs; several processes behind a
 * balancer would each count on their own.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
    private readonly maxKeys = 50_000,
  ) {}

  /** How many keys are held. */
  get size(): number {
    return this.hits.size;
  }

  /** Seconds until the key may be hit again, or 0 when it may be now. */
  retryAfter(key: string): number {
    const times = this.live(key);
    if (times.length < this.limit) return 0;
    const oldest = times[times.length - this.limit]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.clock.now().getTime()) / 1000));
  }

  hit(key: string): void {
    const times = this.live(key);
    times.push(this.clock.now().getTime());
    // Re-insert so the map's order is least recently hit first, and forget the stalest keys
    // when an attacker sprays addresses or logins.
    this.hits.delete(key);
    this.hits.set(key, times);
    while (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
  }

  /** Takes back the most recent hit (an attempt that turned out to succeed). */
  forgive(key: string): void {
    this.hits.get(key)?.pop();
  }

  reset(key: string): void {
    this.hits.delete(key);
  }

  private live(key: string): number[] {
    const since = this.clock.now().getTime() - this.windowMs;
    const times = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.hits.delete(key);
    else this.hits.set(key, times);
    return times;
  }
}

export const rateLimited = (detail: string, retryAfterSeconds: number): AppError =>
  new AppError('rate_limited', detail, { 'retry-after': String(retryAfterSeconds) });

/** "N seconds" or "N minutes", for the details of 429 answers. */
export function waitText(seconds: number): string {
  return seconds < 60 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${Math.ceil(seconds / 60)} minutes`;
}
