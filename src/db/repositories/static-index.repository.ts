import { sql } from 'kysely';
import type { Db } from '../create-db.js';
import type { CrateRow } from './crate.repository.js';

/**
 * A marker of the changes recorded for one crate (its rows in `index_changes`, matched on the
 * lowercased name): it moves whenever a change of that crate commits, whatever the order in
 * which PostgreSQL hands out ids, because the count moves too.
 */
export async function indexChangeMarker(db: Db, lowerName: string): Promise<string> {
  const row = await db
    .selectFrom('index_changes')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('id').as('last')])
    .where(sql<string>`lower(crate_name)`, '=', lowerName)
    .executeTakeFirst();
  return `${Number(row?.n ?? 0)}:${Number(row?.last ?? 0)}`;
}

/** Crates in id order, `limit` at a time after `afterId`. */
export async function crateBatch(db: Db, afterId: number, limit: number): Promise<CrateRow[]> {
  return db.selectFrom('crates').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
}
