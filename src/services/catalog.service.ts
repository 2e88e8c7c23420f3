import { sql } from 'kysely';
import { notFound } from '../core/errors.js';
import { countKeywords, findKeyword, type KeywordRow, listKeywords } from '../db/repositories/keyword.repository.js';
import { findUserByLogin } from '../db/repositories/user.repository.js';
import type { CrateRow } from '../db/repositories/crate.repository.js';
import type { Actor } from './actor.js';
import { popularCategories } from './category.service.js';
import { parsePaging } from './paging.js';
import type { ServiceContext } from './context.js';
import { recentCrateDownloads } from '../db/repositories/download-stats.repository.js';
import { crateSummary, recentSince } from './crate-summary.js';
import { userDoc } from './user-doc.js';

/**
 * Registry-wide documents in crates.io's shapes: keywords, users, the caller, the front page's
 * summary and the site metadata. Lists are paged with bounded `per_page`, like every list here.
 */

export const keywordDoc = (k: KeywordRow) => ({ id: k.keyword, keyword: k.keyword, created_at: k.created_at, crates_cnt: k.crates_cnt });

export async function keywordList(ctx: ServiceContext, raw: Record<string, unknown>) {
  const paging = parsePaging(raw);
  const sort = raw.sort === 'crates' ? 'crates' : 'alpha';
  const rows = await listKeywords(ctx.db, { sort, limit: paging.perPage, offset: (paging.page - 1) * paging.perPage });
  return { keywords: rows.map(keywordDoc), meta: { total: await countKeywords(ctx.db) } };
}

export async function keywordDocument(ctx: ServiceContext, keyword: string) {
  const row = await findKeyword(ctx.db, keyword);
  if (!row) throw notFound(`no crate has the keyword \`${keyword}\``);
  return { keyword: keywordDoc(row) };
}

export async function userDocument(ctx: ServiceContext, login: string) {
  const user = await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user with the login \`${login}\``);
  return { user: userDoc(ctx, user) };
}

/** `GET /api/v1/me`: the caller's account and the crates they own. */
export async function meDocument(ctx: ServiceContext, actor: Actor) {
  const user = await ctx.db.selectFrom('users').selectAll().where('id', '=', actor.userId).executeTakeFirstOrThrow();
  const owned = await ctx.db
    .selectFrom('crates')
    .innerJoin('crate_owners', 'crate_owners.crate_id', 'crates.id')
    .select(['crates.id', 'crates.name'])
    .where('crate_owners.user_id', '=', actor.userId)
    .orderBy('crates.canonical_name')
    .execute();
  return {
    user: {
      ...userDoc(ctx, user),
      email: user.email,
      // Wharf does not verify addresses yet: an address given is not claimed as verified.
      email_verified: false,
      email_verification_sent: false,
      is_admin: user.is_admin === 1,
      publish_notifications: false,
    },
    owned_crates: owned.map((c) => ({ id: c.id, name: c.name, email_notifications: false })),
  };
}

/** `GET /api/v1/me/updates`: the newest versions of the crates the caller owns, paged. */
export async function myUpdates(ctx: ServiceContext, actor: Actor, raw: Record<string, unknown>) {
  const paging = parsePaging(raw);
  const rows = await ctx.db
    .selectFrom('versions')
    .innerJoin('crate_owners', 'crate_owners.crate_id', 'versions.crate_id')
    .innerJoin('crates', 'crates.id', 'versions.crate_id')
    .select(['versions.id', 'versions.num', 'versions.created_at', 'versions.yanked', 'versions.checksum', 'versions.crate_size', 'crates.name as crate'])
    .where('crate_owners.user_id', '=', actor.userId)
    .orderBy('versions.id', 'desc')
    .limit(paging.perPage + 1)
    .offset((paging.page - 1) * paging.perPage)
    .execute();
  return {
    versions: rows.slice(0, paging.perPage).map((v) => ({
      id: v.id,
      crate: v.crate,
      num: v.num,
      created_at: v.created_at,
      yanked: v.yanked === 1,
      checksum: v.checksum,
      crate_size: v.crate_size,
      dl_path: `/api/v1/crates/${v.crate}/${v.num}/download`,
    })),
    meta: { more: rows.length > paging.perPage },
  };
}

async function crateDocs(ctx: ServiceContext, crates: CrateRow[], since: string) {
  const ids = crates.map((c) => c.id);
  const recent = await recentCrateDownloads(ctx.db, ids, since);
  return crates.map((c) => crateSummary(c, { recentDownloads: recent.get(c.id) ?? 0 }));
}

/** `GET /api/v1/summary`: what crates.io's front page shows, ten of each. */
export async function summary(ctx: ServiceContext) {
  const { db } = ctx;
  const since = recentSince(ctx.clock);
  const top = (order: 'created_at' | 'downloads' | 'updated_at') =>
    db.selectFrom('crates').selectAll().where('num_versions', '>', 0).orderBy(order, 'desc').orderBy('canonical_name').limit(10).execute();
  const recentIds = await db
    .selectFrom('version_downloads')
    .innerJoin('versions', 'versions.id', 'version_downloads.version_id')
    .select((eb) => ['versions.crate_id', eb.fn.sum<number>('version_downloads.downloads').as('n')])
    .where('version_downloads.date', '>=', since)
    .groupBy('versions.crate_id')
    .orderBy('n', 'desc')
    .orderBy('versions.crate_id')
    .limit(10)
    .execute();
  const recentRows = recentIds.length > 0 ? await db.selectFrom('crates').selectAll().where('id', 'in', recentIds.map((r) => r.crate_id)).execute() : [];
  const byId = new Map(recentRows.map((c) => [c.id, c]));
  const totals = await db
    .selectFrom('crates')
    .select((eb) => [eb.fn.countAll<number>().as('crates'), eb.fn.sum<number>('downloads').as('downloads')])
    .executeTakeFirstOrThrow();
  const [newCrates, mostDownloaded, justUpdated] = await Promise.all([top('created_at'), top('downloads'), top('updated_at')]);
  return {
    num_crates: Number(totals.crates),
    num_downloads: Number(totals.downloads ?? 0),
    new_crates: await crateDocs(ctx, newCrates, since),
    most_downloaded: await crateDocs(ctx, mostDownloaded.filter((c) => Number(c.downloads) > 0), since),
    most_recently_downloaded: await crateDocs(ctx, recentIds.map((r) => byId.get(r.crate_id)).filter((c): c is CrateRow => c !== undefined), since),
    just_updated: await crateDocs(ctx, justUpdated, since),
    popular_keywords: (await listKeywords(db, { sort: 'crates', limit: 10, offset: 0 })).map(keywordDoc),
    popular_categories: await popularCategories(db, 10),
  };
}

/** `GET /api/v1/site_metadata`. Crate files are served by Wharf itself, so its public URL is the "CDN". */
export function siteMetadata(ctx: ServiceContext, version: string) {
  return { deployed_sha: version, commit: version, cdn_base: ctx.config.publicUrl, read_only: false, banner_message: null };
}
