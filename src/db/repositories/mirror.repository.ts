import { type Insertable, type Selectable, sql } from 'kysely';
import type { Db } from '../create-db.js';
import type { MirrorCrateFilesTable, MirrorIndexFilesTable } from '../schema.js';

export type MirrorIndexRow = Selectable<MirrorIndexFilesTable>;
export type MirrorCrateRow = Selectable<MirrorCrateFilesTable>;
export type NewMirrorCrateRow = Insertable<MirrorCrateFilesTable>;

export async function findMirrorIndexFile(db: Db, name: string): Promise<MirrorIndexRow | undefined> {
  return db.selectFrom('mirror_index_files').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Whether the cache holds a crate's index file, without reading it. */
export async function mirrorIndexFileExists(db: Db, name: string): Promise<boolean> {
  return (await db.selectFrom('mirror_index_files').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

/** Stores a new body for a crate's file, or the first one. */
export async function saveMirrorIndexFile(db: Db, row: MirrorIndexRow): Promise<void> {
  const { name, ...rest } = row;
  await db
    .insertInto('mirror_index_files')
    .values(row)
    .onConflict((oc) => oc.column('name').doUpdateSet(rest))
    .execute();
}

/** The upstream confirmed the file (304), or refused it while it stays served (`status`). */
export async function confirmMirrorIndexFile(
  db: Db,
  name: string,
  fields: { checked_at: string; upstream_status: number | null; upstream_etag?: string | null; upstream_last_modified?: string | null },
): Promise<void> {
  await db.updateTable('mirror_index_files').set(fields).where('name', '=', name).execute();
}

export async function deleteMirrorIndexFile(db: Db, name: string): Promise<void> {
  await db.deleteFrom('mirror_index_files').where('name', '=', name).execute();
}

export async function listMirrorIndexFiles(db: Db): Promise<MirrorIndexRow[]> {
  return db.selectFrom('mirror_index_files').selectAll().orderBy('name').execute();
}

export async function findMirrorCrateFile(db: Db, name: string, version: string): Promise<MirrorCrateRow | undefined> {
  return db.selectFrom('mirror_crate_files').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
}

/** Records a stored file; a concurrent insert of the same version (same verified bytes) wins quietly. */
export async function insertMirrorCrateFile(db: Db, row: NewMirrorCrateRow): Promise<void> {
  await db
    .insertInto('mirror_crate_files')
    .values(row)
    .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
    .execute();
}

/** The rows of one crate's files, or of one version when `version` is given. */
export async function listMirrorCrateFiles(db: Db, name?: string, version?: string): Promise<MirrorCrateRow[]> {
  let query = db.selectFrom('mirror_crate_files').selectAll();
  if (name !== undefined) query = query.where('name', '=', name);
  if (version !== undefined) query = query.where('version', '=', version);
  return query.orderBy('name').orderBy('version').execute();
}

export async function deleteMirrorCrateFile(db: Db, name: string, version: string): Promise<void> {
  await db.deleteFrom('mirror_crate_files').where('name', '=', name).where('version', '=', version).execute();
}

export interface MirrorTotals {
  indexFiles: number;
  crateFiles: number;
  crateBytes: number;
  downloads: number;
  oldestCheck: string | null;
  newestCheck: string | null;
}

export async function mirrorTotals(db: Db): Promise<MirrorTotals> {
  const index = await db
    .selectFrom('mirror_index_files')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('checked_at').as('oldest'), eb.fn.max('checked_at').as('newest')])
    .executeTakeFirstOrThrow();
  const crates = await db
    .selectFrom('mirror_crate_files')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes'), eb.fn.sum<number>('downloads').as('downloads')])
    .executeTakeFirstOrThrow();
  return {
    indexFiles: Number(index.n),
    crateFiles: Number(crates.n),
    crateBytes: Number(crates.bytes ?? 0),
    downloads: Number(crates.downloads ?? 0),
    oldestCheck: index.oldest ?? null,
    newestCheck: index.newest ?? null,
  };
}

/** Cached crates the upstream no longer serves (its last answer was 404, 410 or 451). */
export async function listVanishedMirrorFiles(db: Db): Promise<Array<{ name: string; upstream_status: number | null }>> {
  return db.selectFrom('mirror_index_files').select(['name', 'upstream_status']).where('upstream_status', 'is not', null).orderBy('name').execute();
}

/** Adds counted downloads, in one transaction (counts are increments: instances never overwrite each other). */
export async function addMirrorDownloads(db: Db, counts: ReadonlyMap<string, { name: string; version: string; count: number }>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const { name, version, count } of counts.values()) {
      await tx
        .updateTable('mirror_crate_files')
        .set({ downloads: sql`downloads + ${count}` })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
    }
  });
}

export type MirrorIndexListing = Pick<MirrorIndexRow, 'name' | 'display_name' | 'latest_version' | 'num_versions' | 'checked_at'>;

/** Cached index files whose name contains `fragment` (lowercase letters, digits, `-`, `_`), by name: their summaries, never their bodies. */
export async function searchMirrorIndexFiles(db: Db, fragment: string, limit: number): Promise<MirrorIndexListing[]> {
  const pattern = `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .selectFrom('mirror_index_files')
    .select(['name', 'display_name', 'latest_version', 'num_versions', 'checked_at'])
    .where(sql<boolean>`name like ${pattern} escape '\\'`)
    .orderBy('name')
    .limit(limit)
    .execute();
}

/** A cached file's row without its body: enough to tell whether a parse of it is still current. */
export async function findMirrorIndexState(db: Db, name: string): Promise<Omit<MirrorIndexRow, 'body'> | undefined> {
  return db
    .selectFrom('mirror_index_files')
    .select(['name', 'upstream_etag', 'upstream_last_modified', 'upstream_status', 'checked_at', 'changed_at', 'display_name', 'latest_version', 'num_versions'])
    .where('name', '=', name)
    .executeTakeFirst();
}
