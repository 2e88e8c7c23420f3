import type { ServiceContext } from '../../services/context.js';
import { reverseDependencies } from '../../services/dependency-query.service.js';
import { crateDownloads } from '../../services/download-stats.service.js';
import { type DownloadSeries, lastDays } from './views/downloads-graph.view.js';

export const DEPENDENTS_PER_PAGE = 20;
const GRAPH_DAYS = 90;

export interface Dependent {
  name: string;
  num: string;
  req: string;
  kind: string;
  optional: boolean;
}

/** What the crate page shows beside the version: who depends on the crate, and its downloads. */
export interface CrateExtras {
  dependents: { rows: Dependent[]; page: number; pages: number; total: number };
  downloads: DownloadSeries[];
  days: string[];
}

/** Reads them through the API's own services, so the page and `/api/v1` always agree. */
export async function crateExtras(ctx: ServiceContext, name: string, dependentsPage: number): Promise<CrateExtras> {
  const [reverse, downloads] = await Promise.all([
    reverseDependencies(ctx, name, { page: String(dependentsPage), per_page: String(DEPENDENTS_PER_PAGE) }),
    crateDownloads(ctx, name, { include: 'versions' }),
  ]);
  const dependentVersions = new Map(reverse.versions.map((v) => [v.id, v]));
  const rows = reverse.dependencies.flatMap((d) => {
    const v = dependentVersions.get(d.version_id);
    return v ? [{ name: v.crate, num: v.num, req: d.req, kind: d.kind, optional: d.optional }] : [];
  });
  const series: DownloadSeries[] = (downloads.versions ?? []).map((v) => ({
    label: v.num,
    byDay: new Map(downloads.version_downloads.filter((r) => r.version === v.id).map((r) => [r.date, r.downloads])),
  }));
  const extra = new Map(downloads.meta.extra_downloads.map((r: { date: string; downloads: number }) => [r.date, r.downloads]));
  if ([...extra.values()].some((n) => n > 0)) series.push({ label: 'other versions', byDay: extra });
  return {
    dependents: { rows, page: dependentsPage, pages: Math.max(1, Math.ceil(reverse.meta.total / DEPENDENTS_PER_PAGE)), total: reverse.meta.total },
    downloads: series,
    days: lastDays(ctx.clock.now(), GRAPH_DAYS),
  };
}
