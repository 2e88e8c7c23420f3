import { describe, expect, it } from 'vitest';
import { pagingNumber, parsePaging } from '../../src/services/paging.js';

describe('paging numbers, one rule for every list', () => {
  it.each(['0', '-1', '1.5', '0x10', '1e1', ' 5', 'ten', '101'])('refuses per_page=%s with a 400 naming it', (v) => {
    expect(() => parsePaging({ per_page: v })).toThrow('`per_page` must be an integer from 1 to 100');
  });

  it('reads plain digits within bounds, and defaults what is absent', () => {
    expect(parsePaging({})).toEqual({ page: 1, perPage: 10 });
    expect(parsePaging({ page: '3', per_page: '100' })).toEqual({ page: 3, perPage: 100 });
    expect(pagingNumber(undefined, 'page', 10)).toBeNull();
    expect(() => pagingNumber('10001', 'page', 10_000)).toThrow('`page` must be an integer from 1 to 10000');
  });
});
