import type { Db } from '../create-db.js';

export interface SharedRow {
  value: string;
  version: string;
}

/** The key's value while it is live at `now`, or null. */
export async function readSharedRow(db: Db, key: string, now: string): Promise<SharedRow | null> {
  const row = await db.selectFrom('shared_state').select(['value', 'version']).where('key', '=', key).where('expires_at', '>', now).executeTakeFirst();
  return row ?? null;
}

/**
 * Writes the key when it holds the version `expected` (still live), or, with `expected` null,
 * when it holds nothing live. One statement, so the database decides a race: on PostgreSQL the
 * losing UPDATE re-reads the row after the winner commits and no longer matches it, on SQLite
 * writers run one at a time.
 */
export async function writeSharedRow(db: Db, key: string, expected: string | null, row: SharedRow & { expires_at: string }, now: string): Promise<boolean> {
  if (expected === null) {
    const result = await db
      .insertInto('shared_state')
      .values({ key, ...row })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ value: row.value, version: row.version, expires_at: row.expires_at })
          .where('shared_state.expires_at', '<=', now),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }
  const result = await db
    .updateTable('shared_state')
    .set(row)
    .where('key', '=', key)
    .where('version', '=', expected)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes rows that expired before `now`; returns how many. */
export async function deleteExpiredSharedRows(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('shared_state').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
