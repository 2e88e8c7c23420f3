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

export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 };

/**
 * Failed sign-ins, counted per account and per client address. An attempt is counted before
 * the password is checked, so parallel guesses cannot slip past the limit; a success takes it back.
 */
export class LoginThrottle {
  private readonly accounts: SlidingWindowLimiter;
  private readonly addresses: SlidingWindowLimiter;

  constructor(clock: Clock, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.accounts = new SlidingWindowLimiter(limits.perAccount, limits.windowMs, clock);
    this.addresses = new SlidingWindowLimiter(limits.perAddress, limits.windowMs, clock);
  }

  /** Throws 429 when either limit is reached; otherwise counts the attempt. */
  begin(login: string, address: string): void {
    const account = login.trim().toLowerCase();
    const byAccount = this.accounts.retryAfter(account);
    if (byAccount > 0) {
      throw rateLimited(`too many failed sign-ins for this account; try again in ${minutes(byAccount)}`, byAccount);
    }
    const byAddress = this.addresses.retryAfter(address);
    if (byAddress > 0) {
      throw rateLimited(`too many failed sign-ins from your address; try again in ${minutes(byAddress)}`, byAddress);
    }
    this.accounts.hit(account);
    this.addresses.hit(address);
  }

  succeeded(login: string, address: string): void {
    this.accounts.reset(login.trim().toLowerCase());
    this.addresses.forgive(address);
  }
}

function minutes(seconds: number): string {
  return seconds < 60 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}
