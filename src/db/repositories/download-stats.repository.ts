import type { Db } from '../create-db.js';

/** Each crate's downloads on `since` (a `YYYY-MM-DD` date) and after; crates without any are absent. */
export async function recentCrateDownloads(db: Db, crateIds: readonly number[], since: string): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  if (crateIds.length === 0) return map;
  const rows = await db
    .selectFrom('version_downloads')
    .innerJoin('versions', 'versions.id', 'version_downloads.version_id')
    .select((eb) => ['versions.crate_id', eb.fn.sum<number>('version_downloads.downloads').as('n')])
    .where('versions.crate_id', 'in', crateIds)
    .where('version_downloads.date', '>=', since)
    .groupBy('versions.crate_id')
    .execute();
  for (const r of rows) map.set(r.crate_id, Number(r.n));
  return map;
}

/** The daily counts of these versions on `since` and after, by date then version. */
export async function versionDownloadsSince(db: Db, versionIds: readonly number[], since: string) {
  if (versionIds.length === 0) return [];
  const rows = await db
    .selectFrom('version_downloads')
    .select(['version_id', 'date', 'downloads'])
    .where('version_id', 'in', versionIds)
    .where('date', '>=', since)
    .orderBy('date')
    .orderBy('version_id')
    .execute();
  return rows.map((r) => ({ ...r, downloads: Number(r.downloads) }));
}

/** The daily totals of a crate's versions other than `exceptIds`, on `since` and after, by date. */
export async function otherVersionDownloadsSince(db: Db, crateId: number, exceptIds: readonly number[], since: string) {
  let query = db
    .selectFrom('version_downloads')
    .innerJoin('versions', 'versions.id', 'version_downloads.version_id')
    .select((eb) => ['version_downloads.date', eb.fn.sum<number>('version_downloads.downloads').as('downloads')])
    .where('versions.crate_id', '=', crateId)
    .where('version_downloads.date', '>=', since);
  if (exceptIds.length > 0) query = query.where('versions.id', 'not in', exceptIds);
  const rows = await query.groupBy('version_downloads.date').orderBy('version_downloads.date').execute();
  return rows.map((r) => ({ date: r.date, downloads: Number(r.downloads) }));
}
