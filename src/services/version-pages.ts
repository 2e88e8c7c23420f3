import { badRequest } from '../core/errors.js';
import { bySemverDescending } from '../core/version-order.js';
import type { VersionKey } from '../db/repositories/crate.repository.js';
import { MAX_PAGE, MAX_PER_PAGE, pagingNumber } from './paging.js';

/**
 * Pages of a crate's versions, for the API's version list and the crate page's table: only the
 * versions of one page are read in full and rendered, however many the crate has. Ordering works
 * on keys (id, number, yanked), which every version costs a few bytes of.
 */

export const VERSION_SORTS = ['date', 'semver'] as const;
export type VersionSort = (typeof VERSION_SORTS)[number];

/** A list asked for with no paging parameters holds at most this many versions, then offers the next page. */
export const MAX_UNPAGED_VERSIONS = 1000;

export interface VersionPageQuery {
  sort: VersionSort;
  /** Null: no paging parameter was given (all versions, up to MAX_UNPAGED_VERSIONS). */
  perPage: number | null;
  page: number | null;
  /** The id of the last version of the previous page. */
  seek: number | null;
}

export const encodeSeek = (id: number): string => Buffer.from(String(id)).toString('base64url');

function decodeSeek(v: unknown): number | null {
  if (v === undefined || v === '') return null;
  const text = typeof v === 'string' && /^[A-Za-z0-9_-]{1,24}$/.test(v) ? Buffer.from(v, 'base64url').toString() : '';
  if (!/^[1-9][0-9]{0,14}$/.test(text)) throw badRequest('`seek` is not a position this API gave out: use the `next_page` of the previous answer');
  return Number(text);
}

/** Reads `sort`, `per_page`, `page` and `seek`; refuses bad values with 400. */
export function parseVersionPageQuery(raw: Record<string, unknown>): VersionPageQuery {
  const sort = (raw.sort === undefined || raw.sort === '' ? 'date' : raw.sort) as VersionSort;
  if (!VERSION_SORTS.includes(sort)) throw badRequest(`\`sort\` must be one of ${VERSION_SORTS.join(', ')}`);
  const perPage = pagingNumber(raw.per_page, 'per_page', MAX_PER_PAGE);
  const page = pagingNumber(raw.page, 'page', MAX_PAGE);
  const seek = decodeSeek(raw.seek);
  if (page !== null && seek !== null) throw badRequest('give `page` or `seek`, not both');
  return { sort, perPage, page, seek };
}

/** The page of the crate page's versions table: 1 when absent. */
export function parseTablePage(v: unknown): number {
  return pagingNumber(v, 'page', MAX_PAGE) ?? 1;
}

export function ordered<V extends VersionKey>(keys: readonly V[], sort: VersionSort): V[] {
  return sort === 'semver' ? bySemverDescending(keys) : [...keys].sort((a, b) => b.id - a.id);
}

export interface VersionSlice<V> {
  versions: V[];
  total: number;
  /** The query string of the next page, or null on the last. */
  nextPage: string | null;
}

/** The page `query` asks for out of `keys` (all of one crate's versions). */
export function sliceVersions<V extends VersionKey>(keys: readonly V[], query: VersionPageQuery): VersionSlice<V> {
  const all = ordered(keys, query.sort);
  const perPage = query.perPage ?? (query.page !== null || query.seek !== null ? 10 : MAX_UNPAGED_VERSIONS);
  let start = 0;
  if (query.seek !== null) {
    const at = all.findIndex((v) => v.id === query.seek);
    if (at < 0) throw badRequest('`seek` does not point at a version of this crate: use the `next_page` of the previous answer');
    start = at + 1;
  } else if (query.page !== null) {
    start = (query.page - 1) * perPage;
  }
  const versions = all.slice(start, start + perPage);
  const more = start + perPage < all.length && versions.length > 0;
  const nextPerPage = Math.min(perPage, MAX_PER_PAGE);
  const nextPage = !more
    ? null
    : query.page !== null
      ? `?per_page=${perPage}&sort=${query.sort}&page=${query.page + 1}`
      : `?per_page=${nextPerPage}&sort=${query.sort}&seek=${encodeSeek(versions.at(-1)!.id)}`;
  return { versions, total: all.length, nextPage };
}
