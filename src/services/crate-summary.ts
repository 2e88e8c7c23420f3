import type { CrateRow } from '../db/repositories/crate.repository.js';
import type { Clock } from './context.js';

/** crates.io's `Crate` object as its lists show one; the version fields come from the summary kept on the row. */

const DAY_MS = 86_400_000;
/** crates.io's "recent downloads" span. */
export const RECENT_DAYS = 90;

/** The first day (`YYYY-MM-DD`) of the RECENT_DAYS days that end with `day` (today by default). */
export const recentSince = (clock: Clock, day: Date = clock.now()) => new Date(day.getTime() - (RECENT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);

/** The API paths of a crate's documents; `versions` is null when the answer carries the versions itself. */
export function crateLinks(name: string, versionsIncluded = false) {
  const base = `/api/v1/crates/${name}`;
  return {
    version_downloads: `${base}/downloads`,
    versions: versionsIncluded ? null : `${base}/versions`,
    owners: `${base}/owners`,
    owner_team: `${base}/owner_team`,
    owner_user: `${base}/owner_user`,
    reverse_dependencies: `${base}/reverse_dependencies`,
  };
}

export interface SummaryOptions {
  exactMatch?: boolean;
  /** Downloads of the last RECENT_DAYS days; null when not asked for. */
  recentDownloads?: number | null;
}

export function crateSummary(c: CrateRow, { exactMatch = false, recentDownloads = null }: SummaryOptions = {}) {
  const downloads = Number(c.downloads);
  return {
    id: c.name,
    name: c.name,
    description: c.description,
    homepage: c.homepage,
    documentation: c.documentation,
    repository: c.repository,
    keywords: JSON.parse(c.keywords) as string[] | null,
    categories: JSON.parse(c.categories) as string[] | null,
    badges: [] as never[],
    versions: null as number[] | null,
    // As on crates.io, a total that lags behind the recent count shows the recent count.
    downloads: recentDownloads !== null && recentDownloads > downloads ? recentDownloads : downloads,
    recent_downloads: recentDownloads,
    created_at: c.created_at,
    updated_at: c.updated_at,
    max_version: c.max_version,
    max_stable_version: c.max_stable_version,
    newest_version: c.newest_version,
    default_version: c.default_version,
    num_versions: c.num_versions,
    yanked: c.all_yanked === 1,
    exact_match: exactMatch,
    trustpub_only: c.trustpub_only === 1,
    links: crateLinks(c.name),
  };
}

export type CrateSummary = ReturnType<typeof crateSummary>;
