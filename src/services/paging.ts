import { badRequest } from '../core/errors.js';

/** The bounds of every paged list, as crates.io's: 100 a page at most, and 10,000 pages. */
export const MAX_PER_PAGE = 100;
export const MAX_PAGE = 10_000;

export interface Paging {
  page: number;
  perPage: number;
}

/**
 * One paging number (`page`, `per_page`): absent is null; anything but plain digits from 1 to
 * `max` is a 400 naming the parameter. Every list reads its paging numbers with this one rule.
 */
export function pagingNumber(v: unknown, name: string, max: number): number | null {
  if (v === undefined || v === '') return null;
  const n = typeof v === 'string' && /^[0-9]{1,6}$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`\`${name}\` must be an integer from 1 to ${max}`);
  return n;
}

/** `page` and `per_page` of a list, as crates.io reads them. */
export function parsePaging(raw: Record<string, unknown>): Paging {
  return {
    page: pagingNumber(raw.page, 'page', MAX_PAGE) ?? 1,
    perPage: pagingNumber(raw.per_page, 'per_page', MAX_PER_PAGE) ?? 10,
  };
}
