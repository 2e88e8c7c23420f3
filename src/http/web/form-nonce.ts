import { randomBytes } from 'node:crypto';
import type { Clock } from '../../services/context.js';

/**
 * One-time form ids for the token form: reloading the page that shows a new token makes the
 * browser post the form again, which must not mint (and show) a second token.
 */
export class FormNonces {
  private readonly used = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 24 * 3600_000,
    private readonly maxEntries = 100_000,
  ) {}

  issue(): string {
    return randomBytes(16).toString('base64url');
  }

  /** True the first time a nonce is presented; false for a repeat (or a malformed nonce). */
  consume(nonce: string): boolean {
    if (!/^[A-Za-z0-9_-]{22}$/.test(nonce)) return false;
    const now = this.clock.now().getTime();
    const seen = this.used.get(nonce);
    if (seen !== undefined && seen > now - this.ttlMs) return false;
    this.used.set(nonce, now);
    while (this.used.size > this.maxEntries) this.used.delete(this.used.keys().next().value!);
    return true;
  }
}
