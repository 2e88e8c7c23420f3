import { type SqlBool, SqliteAdapter, sql } from 'kysely';
import { canonicalCrateName } from '../core/crate-name.js';
import { badRequest, crateNotFound, notFound, versionNotFound } from '../core/errors.js';
import type { Db } from '../db/create-db.js';
import {
  findCrateByCanonicalName,
  findVersion,
  listVersionKeys,
  listVersionsByIds,
  type CrateRow,
  type VersionRow,
} from '../db/repositories/crate.repository.js';
import { findReadme } from '../db/repositories/readme.repository.js';
import type { ServiceContext } from './context.js';
import { crateSummary } from './crate-summary.js';
import { versionDocs } from './version-doc.js';
import { type VersionPageQuery, sliceVersions } from './version-pages.js';

/** The read side of the API in crates.io's shapes: search, crate and version documents. */

export const SEARCH_SORTS = ['relevance', 'downloads', 'recent-updates', 'alpha'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export interface SearchQuery {
  q: string;
  page: number;
  perPage: number;
  sort: SearchSort;
}

export function parseSearchQuery(raw: Record<string, unknown>): SearchQuery {
  const int = (v: unknown, name: string, def: number, max: number) => {
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`\`${name}\` must be an integer from 1 to ${max}`);
    return n;
  };
  const q = typeof raw.q === 'string' ? raw.q.trim() : '';
  if (q.length > 200) throw badRequest('the search query is too long (max 200 characters)');
  const sort = (typeof raw.sort === 'string' && raw.sort !== '' ? raw.sort : 'relevance') as SearchSort;
  if (!SEARCH_SORTS.includes(sort)) throw badRequest(`\`sort\` must be one of ${SEARCH_SORTS.join(', ')}`);
  return { q, page: int(raw.page, 'page', 1, 10_000), perPage: int(raw.per_page, 'per_page', 10, 100), sort };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Above this many matches, sorting the full-text candidates costs more than the plain scan does
 * (a query found in nearly every crate), so the page comes from the scan; the count still comes
 * from the index.
 */
const INDEXED_PAGE_LIMIT = 20_000;

/**
 * The SQLite trigram index (migration 004) answers substring queries of 3 characters or more,
 * with the same meaning as the LIKE patterns below: the canonical name contains the canonical
 * query, or the description or keywords contain the lowercased query, case-insensitively.
 */
function searchIndexQuery(db: Db, canon: string, text: string): string | null {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return null;
  if ([...canon].length < 3 || [...text].length < 3) return null;
  const phrase = (s: string) => `"${s.replaceAll('"', '""')}"`;
  return `name : ${phrase(canon)} OR {description keywords} : ${phrase(text)}`;
}

export async function searchCrates(ctx: ServiceContext, query: SearchQuery) {
  const { db } = ctx;
  const canon = canonicalCrateName(query.q);
  const text = query.q.toLowerCase();
  let base = db.selectFrom('crates');
  let total: number | null = null;
  const indexed = query.q !== '' ? searchIndexQuery(db, canon, text) : null;
  if (indexed !== null) {
    const { rows } = await sql<{ n: number }>`select count(*) as n from crate_search where crate_search match ${indexed}`.execute(db);
    total = Number(rows[0]?.n ?? 0);
  }
  if (indexed !== null && total !== null && total <= INDEXED_PAGE_LIMIT) {
    base = base.where(sql<SqlBool>`id in (select rowid from crate_search where crate_search match ${indexed})`);
  } else if (query.q !== '') {
    const namePattern = `%${escapeLike(canon)}%`;
    const textPattern = `%${escapeLike(text)}%`;
    base = base.where((eb) =>
      eb.or([
        eb(sql`canonical_name`, 'like', sql`${namePattern} escape '\\'`),
        eb(sql`lower(coalesce(description, ''))`, 'like', sql`${textPattern} escape '\\'`),
        eb(sql`lower(keywords)`, 'like', sql`${textPattern} escape '\\'`),
      ]),
    );
  }
  total ??= Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  let rows = base.selectAll();
  switch (query.sort) {
    case 'relevance':
      // Exact name first, then names starting with the query, then by downloads.
      rows = rows
        .orderBy(sql`case when canonical_name = ${canon} then 0 when canonical_name like ${`${escapeLike(canon)}%`} escape '\\' then 1 else 2 end`)
        .orderBy('downloads', 'desc');
      break;
    case 'downloads':
      rows = rows.orderBy('downloads', 'desc');
      break;
    case 'recent-updates':
      rows = rows.orderBy('updated_at', 'desc');
      break;
    case 'alpha':
      break;
  }
  const crates = await rows
    .orderBy('canonical_name')
    .limit(query.perPage)
    .offset((query.page - 1) * query.perPage)
    .execute();
  return {
    crates: crates.map((c) => crateSummary(c, { exactMatch: c.canonical_name === canon })),
    meta: {
      total,
      next_page: query.page * query.perPage < total ? `?q=${encodeURIComponent(query.q)}&page=${query.page + 1}&per_page=${query.perPage}` : null,
      prev_page: query.page > 1 ? `?q=${encodeURIComponent(query.q)}&page=${query.page - 1}&per_page=${query.perPage}` : null,
    },
  };
}

/** One version's document, as the version routes answer it. */
export async function describeVersion(ctx: ServiceContext, crate: CrateRow, version: VersionRow) {
  const [doc] = await versionDocs(ctx, crate, [version]);
  return doc;
}

/**
 * GET /crates/{name}/versions, as crates.io answers it: newest first (`sort=date`) or highest
 * first (`sort=semver`); with `per_page` (at most 100), one page, reached by `seek` (the
 * `next_page` given) or `page`. Without any of them, every version, up to
 * MAX_UNPAGED_VERSIONS; `meta.next_page` then says where the rest is.
 */
export async function getCrateVersions(ctx: ServiceContext, name: string, query: VersionPageQuery) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const slice = sliceVersions(await listVersionKeys(ctx.db, crate.id), query);
  const rows = await listVersionsByIds(ctx.db, slice.versions.map((v) => v.id));
  return { versions: await versionDocs(ctx, crate, rows), meta: { total: slice.total, next_page: slice.nextPage } };
}

/** The crate a route names, by either spelling; 404 when there is none. */
export async function loadCrate(ctx: ServiceContext, name: string): Promise<CrateRow> {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  return crate;
}

/** The crate and the version a version route names; 404 for either missing. */
export async function loadCrateVersion(ctx: ServiceContext, name: string, num: string): Promise<{ crate: CrateRow; version: VersionRow }> {
  const crate = await loadCrate(ctx, name);
  const version = await findVersion(ctx.db, crate.id, num);
  if (!version) throw versionNotFound(crate.name, num);
  return { crate, version };
}

/** `GET /crates/{name}/{version}`: the version alone, as on crates.io (its dependencies have their own route). */
export async function getVersion(ctx: ServiceContext, name: string, num: string) {
  const { crate, version } = await loadCrateVersion(ctx, name, num);
  return { version: await describeVersion(ctx, crate, version) };
}

/** `GET /crates/{name}/{version}/readme`: the README rendered when the version was published or first shown. */
export async function getVersionReadme(ctx: ServiceContext, name: string, num: string): Promise<string> {
  const { crate, version } = await loadCrateVersion(ctx, name, num);
  const readme = await findReadme(ctx.db, version.id);
  if (!readme) throw notFound(`\`${crate.name}@${version.num}\` has no rendered README`);
  return readme.html;
}
