import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBody } from '../helpers/crate-builder.js';
import { onPostgres } from '../helpers/test-db.js';
import { createWebApp, csrfOf, encodeForm, type WebTestApp } from '../helpers/web.js';

/**
 * Text the database cannot store (NUL, which PostgreSQL refuses, and unpaired UTF-16 surrogates,
 * which have no UTF-8 form) is refused with 400 where it enters: URL paths and queries, form and
 * JSON bodies, publish metadata. Before, on PostgreSQL, each of these was a 500 with an error-level
 * stack trace, for anyone.
 */
describe(`input the database cannot store (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let t: WebTestApp;
  let token: string;
  beforeAll(async () => {
    t = await createWebApp();
    token = (await t.userWithToken('owner')).token;
    await t.publish(token, { name: 'present', vers: '1.0.0' });
  });
  afterAll(() => t.close());

  /** Log lines at error level or above written since `from`. */
  const errorLines = (from: number) =>
    t.logs
      .slice(from)
      .join('')
      .split('\n')
      .filter((l) => l !== '' && (JSON.parse(l) as { level: number }).level >= 50);

  const detailOf = (body: string) => (JSON.parse(body) as { errors: Array<{ detail: string }> }).errors[0]!.detail;

  it.each([
    ['a crate path', '/api/v1/crates/present%00', 'the URL path contains a NUL character'],
    ['a version path', '/api/v1/crates/present/1.0.0%00/download', 'the URL path contains a NUL character'],
    ['a search query', '/api/v1/crates?q=pre%00sent', 'the query parameter `q` contains a NUL character'],
    ['a second query value', '/api/v1/crates?q=a&q=%00', 'the query parameter `q` contains a NUL character'],
    ['an index path', '/index/pr/es/present%00', 'the URL path contains a NUL character'],
  ])('refuses NUL in %s with a JSON 400', async (_label, url, detail) => {
    const from = t.logs.length;
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(detailOf(res.body)).toContain(detail);
    expect(errorLines(from)).toEqual([]);
  });

  it.each([
    ['a search', '/search?q=%00'],
    ['a crate page', '/crates/present%00'],
    ['a user page', '/users/owner%00'],
  ])('refuses NUL in %s with a 400 page', async (_label, url) => {
    const from = t.logs.length;
    const res = await t.browser().get(url);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('contains a NUL character');
    expect(errorLines(from)).toEqual([]);
  });

  it('refuses NUL in a sign-in or sign-up form field, before any lookup', async () => {
    const from = t.logs.length;
    const browser = t.browser();
    const page = await browser.get('/login');
    const login = await browser.post('/login', { _csrf: csrfOf(page.body), login: 'own\u0000er', password: 'whatever it is', next: '/me' });
    expect(login.statusCode).toBe(400);
    expect(login.body).toContain('the form field &#96;login&#96; contains a NUL character');
    const signup = await t.app.inject({
      method: 'POST',
      url: '/signup',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: encodeForm({ login: 'x', email: 'a\u0000@b.c', password: 'p' }),
    });
    expect(signup.statusCode).toBe(400);
    expect(errorLines(from)).toEqual([]);
  });

  it.each([
    ['NUL', 'a\u0000b', 'contains a NUL character'],
    ['an unpaired surrogate', 'a\ud800b', 'contains an unpaired UTF-16 surrogate'],
  ])('refuses %s in a JSON body, unauthenticated', async (_label, name, detail) => {
    const from = t.logs.length;
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/tokens',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ api_token: { name } }),
    });
    expect(res.statusCode).toBe(400);
    expect(detailOf(res.body)).toContain(`the request body: \`api_token.name\` ${detail}`);
    expect(errorLines(from)).toEqual([]);
  });

  it.each([
    ['NUL in the description', { description: 'a\u0000b' }, '`description` contains a NUL character'],
    ['an unpaired surrogate in the readme', { readme: 'x\udc00' }, '`readme` contains an unpaired UTF-16 surrogate'],
    ['NUL in a keyword', { meta: { keywords: ['ok', 'b\u0000'] } }, '`keywords[1]` contains a NUL character'],
    ['NUL in a feature name', { features: { 'f\u0000': [] } }, '`features` has a key that contains a NUL character'],
    ['NUL in an author', { meta: { authors: ['\u0000'] } }, '`authors[0]` contains a NUL character'],
  ])('refuses a publish with %s', async (_label, spec, detail) => {
    const from = t.logs.length;
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/crates/new',
      payload: await publishBody({ name: 'nul-publish', vers: '1.0.0', ...spec }),
      headers: { authorization: token },
    });
    expect(res.statusCode).toBe(400);
    expect(detailOf(res.body)).toContain(`invalid upload metadata: ${detail}`);
    expect(errorLines(from)).toEqual([]);
  });

  it('still serves ordinary requests', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates?q=pres' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/present' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/n%C3%A9' })).statusCode).toBe(404);
  });
});
