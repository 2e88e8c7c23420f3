import { badRequest } from '../core/errors.js';
import { MAX_PAGE, MAX_PER_PAGE, pagingNumber } from './paging.js';

/**
 * The parameters of `GET /api/v1/crates` as crates.io reads them. `sort` falls back as there: a
 * sort it does not know orders by name, and `relevance` without a query does too.
 */

export const SEARCH_SORTS = ['relevance', 'downloads', 'recent-downloads', 'recent-updates', 'new', 'alpha'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** At most this many names in `ids[]` and keywords in `all_keywords`. */
const MAX_IDS = 100;
const MAX_KEYWORDS = 20;

/** The one filter crates.io applies out of `all_keywords`, `keyword`, `letter`, `user_id`, `team_id` and `ids[]`: the first given. */
export type SearchFilter =
  | { kind: 'all_keywords'; keywords: string[] }
  | { kind: 'keyword'; keyword: string }
  | { kind: 'letter'; letter: string }
  | { kind: 'user_id'; userId: number }
  | { kind: 'team_id'; teamId: number }
  | { kind: 'ids'; names: string[] }
  | { kind: 'none' };

export interface SearchQuery {
  q: string;
  sort: SearchSort;
  page: number;
  perPage: number;
  /** A page number was given: offset paging with prev/next page numbers; otherwise seek paging. */
  explicitPage: boolean;
  seek: string | null;
  category: string | null;
  filter: SearchFilter;
  includeYanked: boolean;
  /** Every parameter as given (repeated ones repeated), for `meta.next_page`. */
  params: Array<[string, string]>;
}

function values(raw: Record<string, unknown>, key: string): string[] {
  const v = raw[key];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

const first = (raw: Record<string, unknown>, key: string): string | undefined => values(raw, key)[0];

function id(v: string, name: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw badRequest(`\`${name}\` must be a whole number`);
  return n;
}

function filterOf(raw: Record<string, unknown>): SearchFilter {
  const allKeywords = first(raw, 'all_keywords');
  if (allKeywords !== undefined) {
    const keywords = [...new Set(allKeywords.split(/\s+/).filter((k) => k !== '').map((k) => k.toLowerCase()))];
    if (keywords.length > MAX_KEYWORDS) throw badRequest(`\`all_keywords\` takes at most ${MAX_KEYWORDS} keywords`);
    return { kind: 'all_keywords', keywords };
  }
  const keyword = first(raw, 'keyword');
  if (keyword !== undefined) return { kind: 'keyword', keyword: keyword.toLowerCase() };
  const letter = first(raw, 'letter');
  if (letter !== undefined) {
    const char = [...letter][0];
    if (char === undefined) throw badRequest('letter value must contain 1 character');
    return { kind: 'letter', letter: char.toLowerCase() };
  }
  const userId = first(raw, 'user_id');
  if (userId !== undefined) return { kind: 'user_id', userId: id(userId, 'user_id') };
  const teamId = first(raw, 'team_id');
  if (teamId !== undefined) return { kind: 'team_id', teamId: id(teamId, 'team_id') };
  const names = values(raw, 'ids[]');
  if (names.length > MAX_IDS) throw badRequest(`\`ids[]\` takes at most ${MAX_IDS} names`);
  return names.length > 0 ? { kind: 'ids', names } : { kind: 'none' };
}

export function parseSearchQuery(raw: Record<string, unknown>): SearchQuery {
  const q = (first(raw, 'q') ?? '').trim();
  if (q.length > 200) throw badRequest('the search query is too long (max 200 characters)');
  const given = first(raw, 'sort');
  const sort: SearchSort = given === undefined || given === '' ? (q !== '' ? 'relevance' : 'alpha') : SEARCH_SORTS.includes(given as SearchSort) ? (given as SearchSort) : 'alpha';
  const pageText = first(raw, 'page');
  const seek = first(raw, 'seek') ?? null;
  const explicitPage = pageText !== undefined && pageText !== '';
  if (explicitPage && seek !== null && seek !== '') throw badRequest('`page` and `seek` cannot be used together');
  const includeYanked = first(raw, 'include_yanked');
  const params: Array<[string, string]> = [];
  for (const key of Object.keys(raw)) for (const v of values(raw, key)) params.push([key, v]);
  return {
    q,
    sort,
    page: pagingNumber(pageText, 'page', MAX_PAGE) ?? 1,
    perPage: pagingNumber(first(raw, 'per_page'), 'per_page', MAX_PER_PAGE) ?? 10,
    explicitPage,
    seek: seek === '' ? null : seek,
    category: first(raw, 'category') ?? null,
    filter: filterOf(raw),
    includeYanked: includeYanked === undefined || includeYanked === 'yes',
    params,
  };
}

/** The query string of another page: every parameter as given, with `page` or `seek` replaced. */
export function pageLink(query: SearchQuery, change: { page: number } | { seek: string }): string {
  const params = new URLSearchParams(query.params.filter(([k]) => k !== 'page' && k !== 'seek'));
  if ('page' in change) params.set('page', String(change.page));
  else params.set('seek', change.seek);
  return `?${params.toString()}`;
}
