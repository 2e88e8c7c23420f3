import { badRequest } from '../core/errors.js';

export interface Paging {
  page: number;
  perPage: number;
}

/** `page` and `per_page` of a list, as crates.io reads them: whole numbers within bounds, else 400. */
export function parsePaging(raw: Record<string, unknown>, defaults = { perPage: 10, maxPerPage: 100 }): Paging {
  const int = (v: unknown, name: string, def: number, max: number) => {
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`\`${name}\` must be an integer from 1 to ${max}`);
    return n;
  };
  return { page: int(raw.page, 'page', 1, 100_000), perPage: int(raw.per_page, 'per_page', defaults.perPage, defaults.maxPerPage) };
}
