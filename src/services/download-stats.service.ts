import { badRequest, crateNotFound } from '../core/errors.js';
import { bySemverDescending } from '../core/version-order.js';
import { findCrateByCanonicalName, listVersionKeys, listVersionsByIds } from '../db/repositories/crate.repository.js';
import { otherVersionDownloadsSince, versionDownloadsSince } from '../db/repositories/download-stats.repository.js';
import type { ServiceContext } from './context.js';
import { loadCrateVersion } from './crate-query.service.js';
import { recentSince } from './crate-summary.js';
import { versionDocs } from './version-doc.js';

/** Download statistics in crates.io's shapes: per version per day, over 90 days. */

/** crates.io shows the five highest versions one by one and adds up the rest. */
const SHOWN_VERSIONS = 5;

const downloadDoc = (r: { version_id: number; date: string; downloads: number }) => ({ version: r.version_id, downloads: r.downloads, date: r.date });

/** `?include=versions` or nothing, as crates.io reads it for the crate's downloads. */
function includesVersions(raw: unknown): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== 'string') throw badRequest('`include` must be given once');
  let versions = false;
  for (const item of raw.split(',')) {
    if (item === 'versions') versions = true;
    else if (item !== '') throw badRequest("invalid component for ?include= (expected 'versions')");
  }
  return versions;
}

/**
 * `GET /crates/{name}/downloads`: the daily downloads of the five highest versions over the last
 * 90 days, and the other versions' daily totals in `meta.extra_downloads`.
 */
export async function crateDownloads(ctx: ServiceContext, name: string, raw: Record<string, unknown>) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const withVersions = includesVersions(raw.include);
  const shown = bySemverDescending(await listVersionKeys(ctx.db, crate.id)).slice(0, SHOWN_VERSIONS);
  const ids = shown.map((v) => v.id);
  const since = recentSince(ctx.clock);
  const [daily, extra] = await Promise.all([versionDownloadsSince(ctx.db, ids, since), otherVersionDownloadsSince(ctx.db, crate.id, ids, since)]);
  // Within a day, crates.io lists the later-published version first.
  daily.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : b.version_id - a.version_id));
  return {
    version_downloads: daily.map(downloadDoc),
    ...(withVersions ? { versions: await versionDocs(ctx, crate, await listVersionsByIds(ctx.db, ids)) } : {}),
    meta: { extra_downloads: extra },
  };
}

/** `GET /crates/{name}/{version}/downloads`: the version's daily downloads over the 90 days up to `before_date` (today by default). */
export async function versionDownloads(ctx: ServiceContext, name: string, num: string, raw: Record<string, unknown>) {
  const { version } = await loadCrateVersion(ctx, name, num);
  const end = beforeDate(raw.before_date) ?? ctx.clock.now();
  const last = end.toISOString().slice(0, 10);
  const rows = await versionDownloadsSince(ctx.db, [version.id], recentSince(ctx.clock, end));
  return { version_downloads: rows.filter((r) => r.date <= last).map(downloadDoc) };
}

function beforeDate(raw: unknown): Date | null {
  if (raw === undefined || raw === '') return null;
  const date = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? new Date(`${raw}T00:00:00Z`) : null;
  if (date === null || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) throw badRequest('`before_date` must be a date like 2024-06-28');
  return date;
}
