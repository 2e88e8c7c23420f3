import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_UNPAGED_VERSIONS } from '../../../src/services/version-pages.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { addVersionRows } from '../../helpers/many-versions.js';

interface VersionList {
  versions: Array<{ num: string; id: number }>;
  meta: { total: number; next_page: string | null };
}

/** Published in this order, so that publish order and semver order differ. */
const PUBLISHED = ['1.0.3', '1.0.1', '1.0.10', '1.0.2', '0.9.0', '1.0.11', '1.0.0', '1.0.9', '2.0.0-rc.1', '1.0.4', '1.0.5', '1.0.6'];
const BY_DATE = [...PUBLISHED].reverse();
const BY_SEMVER = ['2.0.0-rc.1', '1.0.11', '1.0.10', '1.0.9', '1.0.6', '1.0.5', '1.0.4', '1.0.3', '1.0.2', '1.0.1', '1.0.0', '0.9.0'];

describe('GET /api/v1/crates/{name}/versions, paged as crates.io pages it', () => {
  let t: TestApp;
  const list = async (query: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/crates/paged/versions${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as VersionList;
  };
  /** Every page from `first`, following `next_page`. */
  const walk = async (first: string) => {
    const pages: string[][] = [];
    for (let query: string | null = first; query !== null && pages.length < 50; ) {
      const body = await list(query);
      pages.push(body.versions.map((v) => v.num));
      query = body.meta.next_page;
    }
    return pages;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const { token } = await t.userWithToken('alice');
    for (const vers of PUBLISHED) await t.publish(token, { name: 'paged', vers });
    await t.publish(token, { name: 'huge', vers: '0.0.0' });
    await addVersionRows(t.runtime.ctx.db, 'huge', Array.from({ length: MAX_UNPAGED_VERSIONS }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`));
  });
  afterAll(() => t.close());

  it('without parameters lists every version, newest first, as before', async () => {
    const body = await list('');
    expect(body.versions.map((v) => v.num)).toEqual(BY_DATE);
    expect(body.meta).toEqual({ total: 12, next_page: null });
  });

  it('with per_page gives pages newest first, and next_page (a seek cursor) walks them all once', async () => {
    const pages = await walk('?per_page=5');
    expect(pages).toEqual([BY_DATE.slice(0, 5), BY_DATE.slice(5, 10), BY_DATE.slice(10)]);
    const first = await list('?per_page=5');
    expect(first.meta.total).toBe(12);
    expect(first.meta.next_page).toMatch(/^\?per_page=5&sort=date&seek=[A-Za-z0-9_-]+$/);
  });

  it('sort=semver pages from the highest version down', async () => {
    expect((await walk('?per_page=5&sort=semver')).flat()).toEqual(BY_SEMVER);
    expect((await list('?sort=semver')).versions.map((v) => v.num)).toEqual(BY_SEMVER);
  });

  it('page numbers work too, and next_page then counts pages', async () => {
    const second = await list('?per_page=5&page=2');
    expect(second.versions.map((v) => v.num)).toEqual(BY_DATE.slice(5, 10));
    expect(second.meta.next_page).toBe('?per_page=5&sort=date&page=3');
    const beyond = await list('?per_page=5&page=4');
    expect(beyond).toEqual({ versions: [], meta: { total: 12, next_page: null } });
    // page or seek without per_page: crates.io's default of 10.
    expect((await list('?page=1')).versions).toHaveLength(10);
  });

  it.each([
    ['?per_page=0', '`per_page` must be an integer from 1 to 100'],
    ['?per_page=101', '`per_page` must be an integer from 1 to 100'],
    ['?per_page=ten', '`per_page` must be an integer from 1 to 100'],
    ['?per_page=1.5', '`per_page` must be an integer from 1 to 100'],
    ['?page=0', '`page` must be an integer from 1 to 10000'],
    ['?page=-1&per_page=5', '`page` must be an integer from 1 to 10000'],
    ['?seek=%%%', '`seek` is not a position this API gave out'],
    ['?seek=bm90LWFuLWlk', '`seek` is not a position this API gave out'],
    ['?seek=OTk5OTk5', '`seek` does not point at a version of this crate'],
    ['?page=2&seek=MQ', 'give `page` or `seek`, not both'],
    ['?sort=downloads', '`sort` must be one of date, semver'],
  ])('refuses %s with 400 and a detail', async (query, detail) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/crates/paged/versions${query}` });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail).toContain(detail);
  });

  it('answers a crate with more versions than an unpaged list holds with the newest ones and the way to the rest', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/crates/huge/versions' });
    const unpaged = res.json() as VersionList;
    expect(unpaged.versions).toHaveLength(MAX_UNPAGED_VERSIONS);
    expect(unpaged.meta.total).toBe(MAX_UNPAGED_VERSIONS + 1);
    expect(unpaged.versions.at(-1)!.num).toBe('1.0.0');
    const rest = (await t.app.inject({ method: 'GET', url: `/api/v1/crates/huge/versions${unpaged.meta.next_page}` })).json() as VersionList;
    expect(rest.versions.map((v) => v.num)).toEqual(['0.0.0']);
    expect(rest.meta.next_page).toBeNull();

    // The crate document holds the same newest versions, and counts them all.
    const crate = (await t.app.inject({ method: 'GET', url: '/api/v1/crates/huge' })).json() as {
      crate: { num_versions: number; max_version: string; versions: number[] };
      versions: unknown[];
    };
    expect(crate.versions).toHaveLength(MAX_UNPAGED_VERSIONS);
    expect(crate.crate.versions).toHaveLength(MAX_UNPAGED_VERSIONS);
    expect(crate.crate.num_versions).toBe(MAX_UNPAGED_VERSIONS + 1);
    expect(crate.crate.max_version).toBe('1.9.99');
  });
});
