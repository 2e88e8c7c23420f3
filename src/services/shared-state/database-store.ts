import type { Db } from '../../db/create-db.js';
import { deleteExpiredSharedRows, readSharedRow, writeSharedRow } from '../../db/repositories/shared-state.repository.js';
import { newVersion, type SharedStore, type StoredValue } from './shared-store.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The shared counts in the registry's own database (`shared_state`, migration 026): the default. */
export class DatabaseStore implements SharedStore {
  readonly kind = 'database';

  constructor(private readonly db: Db) {}

  read(key: string, now: number): Promise<StoredValue | null> {
    return readSharedRow(this.db, key, iso(now));
  }

  write(key: string, expected: string | null, value: string, expiresAt: number, now: number): Promise<boolean> {
    return writeSharedRow(this.db, key, expected, { value, version: newVersion(), expires_at: iso(expiresAt) }, iso(now));
  }

  useLog(): void {
    // Its failures are the database's, which every request meets and logs already.
  }

  sweep(now: number): Promise<number> {
    return deleteExpiredSharedRows(this.db, iso(now));
  }

  async close(): Promise<void> {
    // The database belongs to the context, which closes it.
  }
}
