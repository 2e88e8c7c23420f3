import { badRequest, crateNotFound } from '../core/errors.js';
import { listCrateCategories } from '../db/repositories/category.repository.js';
import { findCrateByCanonicalName, findVersion, listVersionKeys, listVersionsByIds } from '../db/repositories/crate.repository.js';
import { recentCrateDownloads } from '../db/repositories/download-stats.repository.js';
import { listCrateKeywords } from '../db/repositories/keyword.repository.js';
import { keywordDoc } from './catalog.service.js';
import { categoryDoc } from './category.service.js';
import type { ServiceContext } from './context.js';
import { crateLinks, crateSummary, recentSince } from './crate-summary.js';
import { versionDocs } from './version-doc.js';
import { MAX_UNPAGED_VERSIONS } from './version-pages.js';

/** `GET /api/v1/crates/{name}`: crates.io's crate document, its parts chosen by `include`. */

const PARTS = ['versions', 'keywords', 'categories', 'badges', 'downloads', 'default_version'] as const;
type Part = (typeof PARTS)[number];

/**
 * crates.io's `include`: a comma-separated list of parts, or `full`; without it, every part.
 * An empty value includes none.
 */
export function parseInclude(raw: unknown): Set<Part> {
  if (raw === undefined) return new Set(PARTS);
  if (typeof raw !== 'string') throw badRequest('`include` must be given once');
  const parts = new Set<Part>();
  for (const item of raw.split(',')) {
    if (item === '') continue;
    if (item === 'full') PARTS.forEach((p) => parts.add(p));
    else if ((PARTS as readonly string[]).includes(item)) parts.add(item as Part);
    else throw badRequest(`invalid component for ?include= (expected ${PARTS.map((p) => `'${p}'`).join(', ')}, or 'full')`);
  }
  return parts;
}

/**
 * The crate and, as asked, its versions (newest first, at most MAX_UNPAGED_VERSIONS of them: the
 * versions endpoint pages through the rest), or its default version alone, its keywords and
 * categories as objects, and its downloads of the last 90 days.
 */
export async function getCrate(ctx: ServiceContext, name: string, include: Set<Part>) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  let versions = null;
  if (include.has('versions')) {
    const newest = (await listVersionKeys(ctx.db, crate.id)).slice(-MAX_UNPAGED_VERSIONS).reverse();
    versions = await versionDocs(ctx, crate, await listVersionsByIds(ctx.db, newest.map((v) => v.id)));
  } else if (include.has('default_version') && crate.default_version !== null) {
    const row = await findVersion(ctx.db, crate.id, crate.default_version);
    versions = row ? await versionDocs(ctx, crate, [row]) : [];
  }
  const keywords = include.has('keywords') ? (await listCrateKeywords(ctx.db, crate.id)).map(keywordDoc) : null;
  const categories = include.has('categories') ? (await listCrateCategories(ctx.db, crate.id)).map(categoryDoc) : null;
  const recent = include.has('downloads') ? ((await recentCrateDownloads(ctx.db, [crate.id], recentSince(ctx.clock))).get(crate.id) ?? 0) : null;
  return {
    crate: {
      ...crateSummary(crate, { recentDownloads: recent }),
      versions: include.has('versions') ? versions!.map((v) => v.id) : null,
      keywords: keywords && keywords.map((k) => k.id),
      categories: categories && categories.map((c) => c.id),
      links: crateLinks(crate.name, include.has('versions')),
    },
    versions,
    keywords,
    categories,
  };
}
