import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSIONS_PER_PAGE } from '../../../src/services/browse.service.js';
import { accessibilityProblems, attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { addVersionRows } from '../../helpers/many-versions.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/** 0.1.0 .. 0.1.119 besides the published 1.0.0: 121 versions, three pages of the table. */
const ADDED = Array.from({ length: 120 }, (_, i) => `0.1.${i}`);
const HIGHEST_FIRST = ['1.0.0', ...[...ADDED].reverse()];

describe('the versions table of a crate with many versions', () => {
  let t: TestApp;
  const page = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    return { status: res.statusCode, body: res.body };
  };
  const tableVersions = (body: string) =>
    elements(parseHtml(body))
      .filter((e) => e.name === 'tbody')
      .flatMap((tbody) => elements(tbody).filter((e) => e.name === 'tr'))
      .map((tr) => textOf(elements(tr).find((e) => e.name === 'a')!));
  const pageLinks = (body: string) =>
    elements(parseHtml(body))
      .filter((e) => e.name === 'a' && (attr(e, 'rel') === 'next' || attr(e, 'rel') === 'prev'))
      .map((e) => [attr(e, 'rel'), attr(e, 'href')]);

  beforeAll(async () => {
    t = await createTestApp();
    const { token } = await t.userWithToken('alice');
    await t.publish(token, { name: 'many', vers: '1.0.0', readme: '# Many' });
    await addVersionRows(t.runtime.ctx.db, 'many', ADDED);
  });
  afterAll(() => t.close());

  it('shows one page of versions, highest first, with links to the others', async () => {
    const first = await page('/crates/many');
    expect(first.status).toBe(200);
    expect(tableVersions(first.body)).toEqual(HIGHEST_FIRST.slice(0, VERSIONS_PER_PAGE));
    expect(first.body).toContain('Page 1 of 3 (121 versions)');
    expect(pageLinks(first.body)).toEqual([['next', '/crates/many?page=2']]);
    expect(accessibilityProblems(first.body)).toEqual([]);

    const last = await page('/crates/many?page=3');
    expect(tableVersions(last.body)).toEqual(HIGHEST_FIRST.slice(2 * VERSIONS_PER_PAGE));
    expect(pageLinks(last.body)).toEqual([['prev', '/crates/many?page=2']]);
    // The README and the shown version stay those of the crate's default version on every page.
    expect(last.body).toContain('<h3 id="user-content-many">Many<a class="heading-anchor" href="#user-content-many" title="Link to this section" rel="nofollow noopener noreferrer"></a></h3>');
  });

  it('keeps the version in the URL when paging the table of an older version', async () => {
    const res = await page('/crates/many/0.1.7?page=2');
    expect(res.status).toBe(200);
    expect(res.body).toContain('This is many 0.1.7');
    expect(tableVersions(res.body)).toEqual(HIGHEST_FIRST.slice(VERSIONS_PER_PAGE, 2 * VERSIONS_PER_PAGE));
    expect(pageLinks(res.body)).toEqual([
      ['prev', '/crates/many/0.1.7?page=1'],
      ['next', '/crates/many/0.1.7?page=3'],
    ]);
  });

  it.each([
    ['/crates/many?page=4', '`page` must be from 1 to 3: many has 121 versions, 50 to a page'],
    ['/crates/many?page=0', '`page` must be an integer from 1 to 10000'],
    ['/crates/many?page=two', '`page` must be an integer from 1 to 10000'],
  ])('answers %s with a 400 page that says why', async (url, detail) => {
    const res = await page(url);
    expect(res.status).toBe(400);
    expect(textOf(parseHtml(res.body))).toContain(detail);
  });
});
