import type { Selectable } from 'kysely';
import { canonicalCrateName } from '../../core/crate-name.js';
import { summarizeVersions } from '../../core/version-order.js';
import type { Db } from '../create-db.js';
import type { CratesTable, DependenciesTable, VersionsTable } from '../schema.js';

export type CrateRow = Selectable<CratesTable>;
export type VersionRow = Selectable<VersionsTable>;
export type DependencyRow = Selectable<DependenciesTable>;

/**
 * Finds the crate that `name` collides with (same name after lowercasing and `-` to `_`). The API
 * addresses crates this way, as crates.io does: `foo_bar` finds `foo-bar`.
 */
export async function findCrateByCanonicalName(db: Db, name: string): Promise<CrateRow | undefined> {
  return db.selectFrom('crates').selectAll().where('canonical_name', '=', canonicalCrateName(name)).executeTakeFirst();
}

/** Finds a crate by name as index paths and download URLs address it: case-insensitively, but `-` and `_` distinct. */
export async function findCrateByName(db: Db, name: string): Promise<CrateRow | undefined> {
  const row = await findCrateByCanonicalName(db, name);
  return row && row.name.toLowerCase() === name.toLowerCase() ? row : undefined;
}

export async function listVersions(db: Db, crateId: number): Promise<VersionRow[]> {
  return db.selectFrom('versions').selectAll().where('crate_id', '=', crateId).orderBy('id').execute();
}

/** Each version of a crate with the length of its features (most of its index line), in publish order. */
export async function listVersionSizes(db: Db, crateId: number): Promise<Array<{ id: number; size: number }>> {
  const rows = await db
    .selectFrom('versions')
    .select((eb) => ['id', eb.fn<number>('length', ['features']).as('size')])
    .where('crate_id', '=', crateId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, size: Number(r.size) }));
}

/** What ordering, counting and choosing a crate's versions needs, without the rest of each row. */
export type VersionKey = Pick<VersionRow, 'id' | 'num' | 'yanked'>;

/** Every version of a crate as a key, in publish order: cheap even for crates with thousands of versions. */
export async function listVersionKeys(db: Db, crateId: number): Promise<VersionKey[]> {
  return db.selectFrom('versions').select(['id', 'num', 'yanked']).where('crate_id', '=', crateId).orderBy('id').execute();
}


/** Full rows of the versions with these ids, in the order of `ids`. */
export async function listVersionsByIds(db: Db, ids: readonly number[]): Promise<VersionRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('versions').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r): r is VersionRow => r !== undefined);
}

/** A version by id with its crate's name, in one primary-key look-up: what its file's key is made of. */
export async function findVersionFile(db: Db, versionId: number): Promise<{ crate_name: string; num: string; checksum: string } | undefined> {
  return db
    .selectFrom('versions')
    .innerJoin('crates', 'crates.id', 'versions.crate_id')
    .select(['crates.name as crate_name', 'versions.num', 'versions.checksum'])
    .where('versions.id', '=', versionId)
    .executeTakeFirst();
}

export async function findVersion(db: Db, crateId: number, num: string): Promise<VersionRow | undefined> {
  return db.selectFrom('versions').selectAll().where('crate_id', '=', crateId).where('num', '=', num).executeTakeFirst();
}

export async function listDependencies(db: Db, versionIds: readonly number[]): Promise<DependencyRow[]> {
  if (versionIds.length === 0) return [];
  return db.selectFrom('dependencies').selectAll().where('version_id', 'in', versionIds).orderBy('id').execute();
}

export async function listOwners(db: Db, crateId: number) {
  return db
    .selectFrom('crate_owners')
    .innerJoin('users', 'users.id', 'crate_owners.user_id')
    .select(['users.id', 'users.login', 'users.name'])
    .where('crate_owners.crate_id', '=', crateId)
    .orderBy('crate_owners.created_at')
    .orderBy('users.id')
    .execute();
}

export async function isOwner(db: Db, crateId: number, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('crate_owners')
    .select('user_id')
    .where('crate_id', '=', crateId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Names of the crates among `names` (compared canonically) that exist. */
export async function existingCanonicalNames(db: Db, names: readonly string[]): Promise<Set<string>> {
  const canon = [...new Set(names.map(canonicalCrateName))];
  if (canon.length === 0) return new Set();
  const rows = await db.selectFrom('crates').select('canonical_name').where('canonical_name', 'in', canon).execute();
  return new Set(rows.map((r) => r.canonical_name));
}

/** The highest per-crate overrides of the publish limits (null where no crate has one). */
export async function highestLimitOverrides(db: Db): Promise<{ maxFeatures: number | null; maxUploadSize: number | null }> {
  const row = await db
    .selectFrom('crates')
    .select((eb) => [eb.fn.max('max_features').as('max_features'), eb.fn.max('max_upload_size').as('max_upload_size')])
    .executeTakeFirst();
  const asNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { maxFeatures: asNumber(row?.max_features), maxUploadSize: asNumber(row?.max_upload_size) };
}

/** Every crate's own upload size limit, by canonical name: the few crates an administrator raised or lowered. */
export async function uploadSizeOverrides(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('crates').select(['canonical_name', 'max_upload_size']).where('max_upload_size', 'is not', null).execute();
  return new Map(rows.map((r) => [r.canonical_name, Number(r.max_upload_size)]));
}

export async function updateLimitOverrides(db: Db, crateId: number, limits: { max_features: number | null; max_upload_size: number | null }): Promise<void> {
  await db.updateTable('crates').set(limits).where('id', '=', crateId).execute();
}

/** Recomputes the crate's version summary from its versions; inside the transaction that changed them. */
export async function refreshVersionSummary(db: Db, crateId: number): Promise<void> {
  const s = summarizeVersions(await listVersionKeys(db, crateId));
  await db
    .updateTable('crates')
    .set({
      max_version: s.max_version,
      max_stable_version: s.max_stable_version,
      newest_version: s.newest_version,
      default_version: s.default_version,
      num_versions: s.num_versions,
      all_yanked: s.all_yanked ? 1 : 0,
    })
    .where('id', '=', crateId)
    .execute();
}
