import { type Expression, type SelectQueryBuilder, type SqlBool, SqliteAdapter, sql } from 'kysely';
import { canonicalCrateName } from '../core/crate-name.js';
import { badRequest } from '../core/errors.js';
import type { Db } from '../db/create-db.js';
import type { CrateRow } from '../db/repositories/crate.repository.js';
import { recentCrateDownloads } from '../db/repositories/download-stats.repository.js';
import type { Database } from '../db/schema.js';
import type { ServiceContext } from './context.js';
import { crateSummary, recentSince } from './crate-summary.js';
import { pageLink, type SearchQuery } from './search-query.js';

/**
 * `GET /api/v1/crates` as crates.io answers it. Every filter and order reads the crate rows alone
 * (the version summary kept on them), never the versions; `recent-downloads` adds the 90-day
 * window of daily counts, summed per crate. Without `page`, pages follow a seek cursor.
 */

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Above this many matches, sorting the full-text candidates costs more than the plain scan does
 * (a query found in nearly every crate), so the page comes from the scan.
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CrateQuery = SelectQueryBuilder<Database & { r: { crate_id: number; n: number } }, 'crates' | 'r', any>;

/** One column of an order: its expression, direction, and whether its values are numbers. */
interface SortKey {
  expr: Expression<unknown>;
  dir: 'asc' | 'desc';
  numeric: boolean;
}

function sortKeys(query: SearchQuery, canon: string): SortKey[] {
  const num = (expr: Expression<unknown>, dir: 'asc' | 'desc' = 'desc'): SortKey => ({ expr, dir, numeric: true });
  const id = num(sql`crates.id`);
  const name: SortKey = { expr: sql`crates.canonical_name`, dir: 'asc', numeric: false };
  const exact = num(sql`case when crates.canonical_name = ${canon} then 0 else 1 end`, 'asc');
  switch (query.q !== '' || query.sort !== 'relevance' ? query.sort : 'alpha') {
    case 'relevance':
      // The exact name, then names that start with the query, then the most downloaded.
      return [num(sql`case when crates.canonical_name = ${canon} then 0 when crates.canonical_name like ${`${escapeLike(canon)}%`} escape '\\' then 1 else 2 end`, 'asc'), num(sql`crates.downloads`), name];
    case 'downloads':
      return [num(sql`crates.downloads`), id];
    case 'recent-downloads':
      return [num(sql`coalesce(r.n, 0)`), id];
    case 'recent-updates':
      return [{ expr: sql`crates.updated_at`, dir: 'desc', numeric: false }, id];
    case 'new':
      return [{ expr: sql`crates.created_at`, dir: 'desc', numeric: false }, id];
    default:
      return query.q !== '' ? [exact, name] : [name];
  }
}

/** Adds each crate's downloads of the last 90 days as `r.n` (null for none): the window's daily rows, summed per crate. */
function withRecentDownloads(ctx: ServiceContext, base: CrateQuery): CrateQuery {
  return base.leftJoin(
    (eb) =>
      eb
        .selectFrom('version_downloads as vd')
        .innerJoin('versions as v', 'v.id', 'vd.version_id')
        .select((e) => ['v.crate_id', e.fn.sum<number>('vd.downloads').as('n')])
        .where('vd.date', '>=', recentSince(ctx.clock))
        .groupBy('v.crate_id')
        .as('r'),
    (join) => join.onRef('r.crate_id', '=', 'crates.id'),
  ) as unknown as CrateQuery;
}

/** Rows strictly after `values` in the order of `keys`. */
function after(keys: SortKey[], values: unknown[]) {
  const branches = keys.map((k, i) => {
    const equal = keys.slice(0, i).map((p, j) => sql`${p.expr} = ${values[j]}`);
    return sql.join([...equal, sql`${k.expr} ${sql.raw(k.dir === 'asc' ? '>' : '<')} ${values[i]}`], sql` and `);
  });
  return sql<SqlBool>`(${sql.join(branches.map((b) => sql`(${b})`), sql` or `)})`;
}

function encodeSeek(sort: string, values: unknown[]): string {
  return Buffer.from(JSON.stringify([sort, ...values])).toString('base64url');
}

function decodeSeek(seek: string, sort: string, keys: SortKey[]): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(seek, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length === keys.length + 1 &&
    parsed[0] === sort &&
    keys.every((k, i) => (k.numeric ? Number.isFinite(parsed[i + 1]) : typeof parsed[i + 1] === 'string'));
  if (!ok) throw badRequest('`seek` is not a cursor this search gave (use meta.next_page as it is)');
  return (parsed as unknown[]).slice(1);
}

function filtered(db: Db, query: SearchQuery, canon: string, indexed: string | null): CrateQuery {
  let base = db.selectFrom('crates') as unknown as CrateQuery;
  if (indexed !== null) {
    base = base.where(sql<SqlBool>`crates.id in (select rowid from crate_search where crate_search match ${indexed})`);
  } else if (query.q !== '') {
    const namePattern = `%${escapeLike(canon)}%`;
    const textPattern = `%${escapeLike(query.q.toLowerCase())}%`;
    base = base.where(
      sql<SqlBool>`(crates.canonical_name like ${namePattern} escape '\\' or lower(coalesce(crates.description, '')) like ${textPattern} escape '\\' or lower(crates.keywords) like ${textPattern} escape '\\')`,
    );
  }
  if (query.category !== null) {
    const category = query.category;
    base = base.where(sql<SqlBool>`crates.id in (select crate_id from crate_categories where slug = ${category} or slug like ${`${escapeLike(category)}::%`} escape '\\')`);
  }
  const f = query.filter;
  if (f.kind === 'all_keywords') {
    for (const k of f.keywords) base = base.where(sql<SqlBool>`exists (select 1 from crate_keywords ck where ck.crate_id = crates.id and ck.keyword = ${k})`);
  } else if (f.kind === 'keyword') {
    base = base.where(sql<SqlBool>`crates.id in (select crate_id from crate_keywords where keyword = ${f.keyword})`);
  } else if (f.kind === 'letter') {
    base = base.where(sql<SqlBool>`crates.canonical_name like ${`${escapeLike(f.letter)}%`} escape '\\'`);
  } else if (f.kind === 'user_id') {
    base = base.where(sql<SqlBool>`crates.id in (select crate_id from crate_owners where user_id = ${f.userId})`);
  } else if (f.kind === 'team_id') {
    base = base.where(sql<SqlBool>`crates.id in (select crate_id from crate_owner_teams where team_id = ${f.teamId})`);
  } else if (f.kind === 'ids') {
    base = base.where('crates.canonical_name', 'in', f.names.map(canonicalCrateName));
  }
  if (!query.includeYanked) base = base.where('crates.all_yanked', '=', 0).where('crates.num_versions', '>', 0);
  return base;
}

export async function searchCrates(ctx: ServiceContext, query: SearchQuery) {
  const { db } = ctx;
  const canon = canonicalCrateName(query.q);
  let indexed = query.q !== '' ? searchIndexQuery(db, canon, query.q.toLowerCase()) : null;
  let total: number | null = null;
  if (indexed !== null) {
    const { rows } = await sql<{ n: number }>`select count(*) as n from crate_search where crate_search match ${indexed}`.execute(db);
    total = Number(rows[0]?.n ?? 0);
    if (total > INDEXED_PAGE_LIMIT) indexed = null;
    // The index's count is the answer's unless another filter narrows it.
    if (query.category !== null || query.filter.kind !== 'none' || !query.includeYanked) total = null;
  }
  const base = filtered(db, query, canon, indexed);
  total ??= Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  const keys = sortKeys(query, canon);
  const ordered = query.sort === 'recent-downloads' ? withRecentDownloads(ctx, base) : base;
  let rows = ordered.selectAll('crates').select(keys.map((k, i) => sql`${k.expr}`.as(`sk${i}`)));
  for (const k of keys) rows = rows.orderBy(sql`${k.expr}`, k.dir);
  const seeking = !query.explicitPage;
  if (seeking && query.seek !== null) rows = rows.where(after(keys, decodeSeek(query.seek, query.sort, keys)));
  const found = await rows
    .limit(query.perPage + (seeking ? 1 : 0))
    .offset(seeking ? 0 : (query.page - 1) * query.perPage)
    .execute();
  const page = found.slice(0, query.perPage) as Array<CrateRow & Record<string, unknown>>;
  const recent = await recentCrateDownloads(db, page.map((c) => c.id), recentSince(ctx.clock));

  let nextPage: string | null = null;
  if (seeking && found.length > query.perPage) {
    const last = page[page.length - 1]!;
    nextPage = pageLink(query, { seek: encodeSeek(query.sort, keys.map((k, i) => (k.numeric ? Number(last[`sk${i}`]) : String(last[`sk${i}`])))) });
  } else if (!seeking && query.page * query.perPage < total) {
    nextPage = pageLink(query, { page: query.page + 1 });
  }
  return {
    crates: page.map((c) => crateSummary(c, { exactMatch: c.canonical_name === canon, recentDownloads: recent.get(c.id) ?? 0 })),
    meta: { total, next_page: nextPage, prev_page: !seeking && query.page > 1 ? pageLink(query, { page: query.page - 1 }) : null },
  };
}
