import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { DeletedCratesTable } from '../schema.js';

export type DeletedCrateRow = Selectable<DeletedCratesTable>;

/** The deletion that still reserves a name (compared canonically), if any: the one reserved longest. */
export async function findNameReservation(db: Db, canonicalName: string, nowIso: string): Promise<DeletedCrateRow | undefined> {
  return db
    .selectFrom('deleted_crates')
    .selectAll()
    .where('canonical_name', '=', canonicalName)
    .where('available_at', '>', nowIso)
    .orderBy('available_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertDeletedCrate(db: Db, row: Insertable<DeletedCratesTable>): Promise<void> {
  await db.insertInto('deleted_crates').values(row).execute();
}

export async function listDeletedCrates(db: Db, limit: number): Promise<DeletedCrateRow[]> {
  return db.selectFrom('deleted_crates').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/**
 * One version of another crate that depends on this one (from this registry, under either
 * spelling of the name), the newest first; undefined when none does.
 */
export async function findDependent(db: Db, crateId: number, canonicalName: string): Promise<{ name: string; num: string } | undefined> {
  return db
    .selectFrom('dependencies as d')
    .innerJoin('versions as v', 'v.id', 'd.version_id')
    .innerJoin('crates as c', 'c.id', 'v.crate_id')
    .select(['c.name', 'v.num'])
    .where('d.registry', 'is', null)
    .where(sql<string>`lower(replace(d.name, '-', '_'))`, '=', canonicalName)
    .where('v.crate_id', '<>', crateId)
    .orderBy('v.id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function countOwners(db: Db, crateId: number): Promise<number> {
  const row = await db.selectFrom('crate_owners').select((eb) => eb.fn.countAll<number>().as('n')).where('crate_id', '=', crateId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function crateCategorySlugs(db: Db, crateId: number): Promise<string[]> {
  return (await db.selectFrom('crate_categories').select('slug').where('crate_id', '=', crateId).execute()).map((r) => r.slug);
}

/** Removes the crate; its versions, dependencies, owners, keywords, categories, READMEs, download days and trusted publishers go with it (ON DELETE CASCADE). */
export async function deleteCrateRow(db: Db, crateId: number): Promise<void> {
  await db.deleteFrom('crates').where('id', '=', crateId).execute();
}

/** Removes one version (its dependencies, README and download days cascade) and takes its downloads off the crate's total. */
export async function deleteVersionRow(db: Db, crateId: number, versionId: number): Promise<void> {
  const row = await db.selectFrom('versions').select('downloads').where('id', '=', versionId).executeTakeFirst();
  if (!row) return;
  await db.deleteFrom('versions').where('id', '=', versionId).execute();
  await db
    .updateTable('crates')
    .set({ downloads: sql<number>`case when downloads > ${Number(row.downloads)} then downloads - ${Number(row.downloads)} else 0 end` })
    .where('id', '=', crateId)
    .execute();
}

/** Whether a version row (of any crate) still names this checksum: its file must stay. */
export async function checksumInUse(db: Db, checksum: string): Promise<boolean> {
  return (await db.selectFrom('versions').select('id').where('checksum', '=', checksum).limit(1).executeTakeFirst()) !== undefined;
}
