import { randomBytes } from 'node:crypto';
import type { Clock } from '../../services/context.js';
import { SharedRecords } from '../../services/shared-state/shared-limits.js';
import type { SharedStore } from '../../services/shared-state/shared-store.js';

const isTime = (v: unknown): v is number => typeof v === 'number';

/**
 * One-time form ids for the token form: reloading the page that shows a new token makes the
 * browser post the form again, which must not mint (and show) a second token. The ids used are
 * kept in the shared store, so a repeat is refused whichever instance it reaches.
 */
export class FormNonces {
  private readonly used: SharedRecords<number>;

  constructor(
    store: SharedStore,
    clock: Clock,
    private readonly ttlMs = 24 * 3600_000,
  ) {
    this.used = new SharedRecords(store, clock, 'form-nonce', isTime);
  }

  issue(): string {
    return randomBytes(16).toString('base64url');
  }

  /** True the first time a nonce is presented; false for a repeat (or a malformed nonce). */
  async consume(nonce: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(nonce)) return false;
    return this.used.update(nonce, this.ttlMs, (seen, now) => (seen === null ? { value: now, result: true } : { result: false }));
  }
}
