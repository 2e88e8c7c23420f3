import type { Clock } from '../context.js';
import { changeShared, type SharedStore } from './shared-store.js';

/** Parses a stored JSON value, or gives `empty` for none (or one this version cannot read). */
function parsed<T>(value: string | null, valid: (v: unknown) => v is T, empty: T): T {
  if (value === null) return empty;
  try {
    const v: unknown = JSON.parse(value);
    return valid(v) ? v : empty;
  } catch {
    return empty;
  }
}

const isTimes = (v: unknown): v is number[] => Array.isArray(v) && v.every((t) => typeof t === 'number');

/**
 * At most `limit` hits per key within `windowMs`, counted by every instance together: the hit
 * times of a key are one value, and each change of it is a compare-and-set (`changeShared`). Only
 * the latest `limit` times are kept: the oldest of them says when the next hit is allowed.
 */
export class SharedWindow {
  constructor(
    private readonly store: SharedStore,
    private readonly clock: Clock,
    /** Keeps these counts apart from every other limit's. */
    private readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Seconds until the key may be hit again, or 0 when it may be now. */
  async retryAfter(key: string): Promise<number> {
    return changeShared(this.store, this.clock, this.key(key), (value, now) => ({ result: this.wait(this.live(value, now), now) }));
  }

  /** Counts a hit when the window has room (returns 0); otherwise counts nothing and returns the seconds to wait. */
  async take(key: string): Promise<number> {
    return changeShared(this.store, this.clock, this.key(key), (value, now) => {
      const times = this.live(value, now);
      const wait = this.wait(times, now);
      return wait > 0 ? { result: wait } : { result: 0, write: this.written([...times, now]) };
    });
  }

  /** Counts a hit whatever the count. */
  async hit(key: string): Promise<void> {
    await changeShared(this.store, this.clock, this.key(key), (value, now) => ({ result: undefined, write: this.written([...this.live(value, now), now]) }));
  }

  /** Takes back the most recent hit (an attempt that turned out to succeed, or never ran). */
  async forgive(key: string): Promise<void> {
    await changeShared(this.store, this.clock, this.key(key), (value, now) => {
      const times = this.live(value, now);
      if (times.length === 0) return { result: undefined };
      times.pop();
      return { result: undefined, write: times.length === 0 ? 'delete' : this.written(times) };
    });
  }

  private key(key: string): string {
    return `window:${this.name}:${key}`;
  }

  private live(value: string | null, now: number): number[] {
    return parsed(value, isTimes, []).filter((t) => t > now - this.windowMs);
  }

  private wait(times: number[], now: number): number {
    if (times.length < this.limit) return 0;
    const oldest = times[times.length - this.limit]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }

  private written(times: number[]): { value: string; ttlMs: number } {
    const kept = times.slice(-this.limit);
    return { value: JSON.stringify(kept), ttlMs: kept[kept.length - 1]! + this.windowMs - this.clock.now().getTime() };
  }
}

/** A shared record of one JSON value per key that lapses `ttlMs` after its last write. */
export class SharedRecords<T> {
  constructor(
    private readonly store: SharedStore,
    private readonly clock: Clock,
    private readonly name: string,
    private readonly valid: (v: unknown) => v is T,
  ) {}

  async get(key: string): Promise<T | null> {
    return changeShared(this.store, this.clock, this.key(key), (value) => ({ result: parsed<T | null>(value, this.valid, null) }));
  }

  /**
   * Replaces the key's value with what `next` makes of the current one (null: absent), in one
   * atomic step; a `value` left undefined writes nothing.
   */
  async update<R>(key: string, ttlMs: number, next: (current: T | null, now: number) => { value?: T | null; result: R }): Promise<R> {
    return changeShared(this.store, this.clock, this.key(key), (value, now) => {
      const made = next(parsed<T | null>(value, this.valid, null), now);
      if (made.value === undefined) return { result: made.result };
      return { result: made.result, write: made.value === null ? 'delete' : { value: JSON.stringify(made.value), ttlMs } };
    });
  }

  async set(key: string, value: T, ttlMs: number): Promise<void> {
    await this.update(key, ttlMs, () => ({ value, result: undefined }));
  }

  async delete(key: string): Promise<void> {
    await this.update(key, 1, () => ({ value: null, result: undefined }));
  }

  private key(key: string): string {
    return `record:${this.name}:${key}`;
  }
}
