import { sql } from 'kysely';
import type { Db } from '../create-db.js';
import type { DependencyRow } from './crate.repository.js';

/**
 * The crates whose default version depends on `crateName` (from this registry), one dependency
 * each (the first that version declares), most downloaded crate first, as crates.io ranks them.
 */
function reverseDependencyRows(db: Db, crateName: string) {
  return db
    .selectFrom('dependencies as d')
    .innerJoin('versions as v', 'v.id', 'd.version_id')
    .innerJoin('crates as c', (join) => join.onRef('c.id', '=', 'v.crate_id').onRef('c.default_version', '=', 'v.num'))
    .where('d.name', '=', crateName)
    .where('d.registry', 'is', null)
    .where('d.id', '=', sql<number>`(select min(d2.id) from dependencies d2 where d2.version_id = d.version_id and d2.name = d.name and d2.registry is null)`);
}

export async function listReverseDependencies(db: Db, crateName: string, limit: number, offset: number): Promise<Array<DependencyRow & { crate_downloads: number }>> {
  const rows = await reverseDependencyRows(db, crateName)
    .selectAll('d')
    .select('c.downloads as crate_downloads')
    .orderBy('c.downloads', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((r) => ({ ...r, crate_downloads: Number(r.crate_downloads) }));
}

export async function countReverseDependencies(db: Db, crateName: string): Promise<number> {
  const row = await reverseDependencyRows(db, crateName).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
