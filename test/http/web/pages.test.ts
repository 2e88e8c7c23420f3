import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS } from '../../../src/http/web/assets.js';
import type { CrateSpec } from '../../helpers/crate-builder.js';
import { attr, byClass, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { createWebApp, type WebTestApp } from '../../helpers/web.js';

const EXPECTED_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

describe('the public pages', () => {
  let t: WebTestApp;
  let token: string;

  const publish = (spec: CrateSpec) => t.publish(token, spec);

  beforeAll(async () => {
    t = await createWebApp({ registryName: 'acme' });
    const alice = await t.account('alice');
    token = (await t.tokenFor(alice.id)).token;
    await publish({ name: 'serde-lite', vers: '1.0.0', description: 'Serialize things', keywords: ['serde', 'encoding'] });
    const readme = '# Serde lite\n\nUse **it**.\n\n## Usage\n\n```rust\nfn main() {}\n```\n';
    await publish({ name: 'serde-lite', vers: '1.1.0', description: 'Serialize things, lighter', readme, keywords: ['serde'] });
    // The crate's README and description follow its highest version, a pre-release here.
    await publish({ name: 'serde-lite', vers: '2.0.0-beta.1', description: 'Serialize things, lighter', readme, keywords: ['serde', 'encoding'] });
    await publish({
      name: 'app',
      vers: '0.1.0',
      deps: [
        { name: 'serde-lite', version_req: '^1.1', features: ['std'], optional: true, default_features: false, target: null, kind: 'normal' },
        { name: 'serde-lite', version_req: '^1', features: [], optional: false, default_features: true, target: 'cfg(unix)', kind: 'build', explicit_name_in_toml: 'serde_build' },
        { name: 'serde-lite', version_req: '=1.0.0', features: [], optional: false, default_features: true, target: null, kind: 'dev' },
      ],
      features: { default: ['fast'], fast: [] },
      meta: { repository: 'https://example.com/app', documentation: 'https://docs.example.com/app', homepage: 'http://app.example.com' },
    });
    for (let i = 0; i < 25; i++) await publish({ name: `filler-${String(i).padStart(2, '0')}`, vers: '1.0.0', description: 'padding crate' });
    await t.runtime.ctx.db.updateTable('crates').set({ downloads: 999 }).where('name', '=', 'filler-07').execute();
    await t.runtime.ctx.db.updateTable('crates').set({ downloads: 500 }).where('name', '=', 'app').execute();
  });
  afterAll(() => t.close());

  it('home: a search box, recently updated crates, most downloaded (with downloads only), totals and the cargo setup', async () => {
    const res = await t.browser().get('/');
    expect(res.statusCode).toBe(200);
    const doc = parseHtml(res.body);
    const search = elements(doc).find((e) => e.name === 'form' && attr(e, 'action') === '/search');
    expect(search && attr(search, 'method')).toBe('get');
    expect(textOf(elements(doc).find((e) => attr(e, 'aria-label') === 'Totals')!)).toBe('27 crates 29 versions 1,499 downloads');
    const recent = elements(doc).find((e) => attr(e, 'aria-labelledby') === 'recent-heading')!;
    expect(textOf(recent)).toMatch(/^Recently updated filler-24 1\.0\.0/);
    // One line per crate, whatever number of versions it published.
    const recentNames = elements(recent).filter((e) => e.name === 'strong').map(textOf);
    expect(new Set(recentNames).size).toBe(recentNames.length);
    const popular = elements(doc).find((e) => attr(e, 'aria-labelledby') === 'popular-heading')!;
    expect(textOf(popular)).toMatch(/^Most downloaded filler-07 1\.0\.0 padding crate 999 downloads.*app 0\.1\.0/);
    // Crates nobody downloaded are not "most downloaded".
    expect(elements(popular).filter((e) => e.name === 'li')).toHaveLength(2);
    expect(textOf(elements(doc).find((e) => attr(e, 'id') === 'cargo-config')!).replace(/\s+/g, ' ')).toBe(
      `[registries.acme] index = "sparse+${t.runtime.ctx.config.publicUrl}/index/" credential-provider = "cargo:token"`,
    );
  });

  it('search: results, sorting and pagination', async () => {
    const b = t.browser();
    const names = (html: string) => elements(parseHtml(html)).filter((e) => e.name === 'a' && /^\/crates\/[^/]+$/.test(attr(e, 'href') ?? '')).map(textOf);

    const serde = await b.get('/search?q=serde');
    expect(serde.statusCode).toBe(200);
    expect(names(serde.body)).toEqual(['serde-lite']);
    // The version its page shows by default (the highest stable), as the home and user lists show.
    expect(serde.body).toContain('1.1.0');
    expect(serde.body).not.toContain('2.0.0-beta.1');

    const page1 = await b.get('/search?q=filler&sort=downloads');
    expect(names(page1.body)[0]).toBe('filler-07');
    expect(names(page1.body)).toHaveLength(20);
    expect(page1.body).toContain('Page 1 of 2');
    const next = elements(parseHtml(page1.body)).find((e) => attr(e, 'rel') === 'next')!;
    expect(attr(next, 'href')).toBe('/search?q=filler&sort=downloads&page=2');
    const page2 = await b.get(attr(next, 'href')!);
    expect(names(page2.body)).toHaveLength(5);
    expect(page2.body).toContain('Page 2 of 2');

    const recent = await b.get('/search?q=filler&sort=recent-updates');
    expect(names(recent.body)[0]).toBe('filler-24');

    // An unknown sort falls back to names, as on crates.io; a bad page number is refused.
    expect((await b.get('/search?q=x&sort=sideways')).statusCode).toBe(200);
    const bad = await b.get('/search?q=x&page=zero');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('text/html');
    expect(textOf(parseHtml(bad.body))).toContain('`page` must be an integer');
  });

  it('crate page: README, versions with yanked marks, install snippet, owners, downloads', async () => {
    await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/serde-lite/1.0.0/yank', headers: { authorization: token } });
    const res = await t.browser().get('/crates/serde-lite');
    expect(res.statusCode).toBe(200);
    const doc = parseHtml(res.body);
    expect(textOf(elements(doc).find((e) => e.name === 'h1')!)).toBe('serde-lite 1.1.0');
    expect(res.body).toContain('Serialize things, lighter');
    // "Sign in" brings the reader back here.
    expect(elements(doc).find((e) => e.name === 'a' && textOf(e) === 'Sign in')!.attribs.href).toBe('/login?next=%2Fcrates%2Fserde-lite');
    const readme = byClass(doc, 'readme')!;
    expect(elements(readme).map((e) => e.name)).toEqual(['h3', 'a', 'p', 'strong', 'h4', 'a', 'pre', 'code', 'span', 'span']);
    expect(textOf(readme)).toContain('Use it.');
    const rows = elements(doc).filter((e) => e.name === 'tr').map(textOf);
    expect(rows.slice(1)).toEqual([
      '2.0.0-beta.1 just now alice 0',
      '1.1.0 (shown) just now alice 0',
      '1.0.0 just now alice 0 yanked',
    ]);
    // The shown version's row is marked; dates are relative, with the exact time on hover.
    expect(elements(doc).filter((e) => e.name === 'tr' && attr(e, 'class') === 'current').map(textOf)).toEqual(['1.1.0 (shown) just now alice 0']);
    const time = elements(doc).find((e) => e.name === 'time')!;
    expect(attr(time, 'title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(res.body).toContain('cargo add serde-lite --registry acme');
    expect(textOf(doc)).toContain('serde-lite = { version = "1.1.0", registry = "acme" }');
    expect(textOf(elements(doc).find((e) => e.name === 'aside')!)).toMatch(/Owners alice$/);
    expect(res.body).toContain('Keywords: <a href="/crates?keyword=serde">serde</a>');
    const listing = await t.browser().get('/crates?keyword=serde');
    expect(listing.statusCode).toBe(200);
    expect(textOf(parseHtml(listing.body))).toContain('Crates with the keyword “serde” 1 crate found.');
  });

  it('crate page of a version: its dependencies by kind, features and links', async () => {
    const res = await t.browser().get('/crates/app/0.1.0');
    expect(res.statusCode).toBe(200);
    const text = textOf(parseHtml(res.body));
    expect(text).toContain('Normal dependencies serde-lite ^1.1 optional features: std (no default features)');
    expect(text).toContain('Build dependencies serde-lite ^1 as serde_build for cfg(unix)');
    expect(text).toContain('Dev dependencies serde-lite =1.0.0');
    expect(text).toContain('Features default enables fast fast');
    expect(text).toContain('Downloads 500 in all, 0 of 0.1.0');
    const links = elements(parseHtml(res.body)).filter((e) => e.name === 'a' && /^https?:/.test(attr(e, 'href') ?? ''));
    expect(links.map((a) => [attr(a, 'href'), attr(a, 'rel')])).toEqual([
      ['https://example.com/app', 'nofollow noopener noreferrer'],
      ['https://docs.example.com/app', 'nofollow noopener noreferrer'],
      ['http://app.example.com/', 'nofollow noopener noreferrer'],
    ]);

    const older = await t.browser().get('/crates/serde-lite/1.0.0');
    expect(older.statusCode).toBe(200);
    expect(older.body).toContain('cargo add serde-lite@1.0.0 --registry acme');
    expect(older.body).toContain('<span class="badge yanked">yanked</span></h1>');
  });

  it('user page lists their crates', async () => {
    const res = await t.browser().get('/users/alice');
    expect(res.statusCode).toBe(200);
    expect(textOf(parseHtml(res.body))).toContain('app 0.1.0');
    expect((await t.browser().get('/users/nobody')).statusCode).toBe(404);
  });

  it('answers unknown web paths with an HTML 404 page and API paths with JSON', async () => {
    for (const url of ['/crates/nope', '/crates/serde-lite/9.9.9', '/no/such/page', '/users/ghost']) {
      const res = await t.browser().get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(textOf(elements(parseHtml(res.body)).find((e) => e.name === 'h1')!)).toBe('Page not found');
      for (const [name, value] of Object.entries(EXPECTED_HEADERS)) expect(res.headers[name], `${url} ${name}`).toBe(value);
    }
    // Programs (no text/html in Accept) get JSON even outside the API.
    const program = await t.app.inject({ method: 'GET', url: '/no/such/page', headers: { accept: '*/*' } });
    expect(program.statusCode).toBe(404);
    expect(program.headers['content-type']).toContain('application/json');
    for (const url of ['/api/v1/nothing', '/api/v1/crates/nope', '/index/no/su/such', '/api']) {
      const res = await t.browser().get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/json');
      expect((res.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail).toBeTruthy();
    }
  });

  it('sets the security headers on every page and serves its CSS and JS from itself', async () => {
    for (const url of ['/', '/search?q=a', '/crates/app', '/users/alice', '/login']) {
      const res = await t.browser().get(url);
      for (const [name, value] of Object.entries(EXPECTED_HEADERS)) expect(res.headers[name], `${url} ${name}`).toBe(value);
      const doc = parseHtml(res.body);
      for (const e of elements(doc)) {
        for (const a of ['src', 'href']) {
          const v = attr(e, a);
          if (v && (e.name === 'link' || e.name === 'script')) expect(v, `${url}: assets come from this server`).toMatch(/^\/static\//);
        }
        expect(e.name === 'style' || attr(e, 'style') !== undefined, `${url}: no inline style`).toBe(false);
        expect(e.name === 'script' && !attr(e, 'src'), `${url}: no inline script`).toBe(false);
      }
    }
    for (const asset of ASSETS) {
      const res = await t.app.inject({ method: 'GET', url: asset.path });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(asset.type);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toContain('immutable');
    }
  });
});

describe('the 500 page', () => {
  it('is an HTML page for the web and a JSON error for the API, and logs the cause', async () => {
    const t = await createWebApp();
    try {
      // A broken database: every query on crates fails (renamed, so no table depending on it is in the way).
      await sql`alter table crates rename to crates_gone`.execute(t.runtime.ctx.db);
      const page = await t.browser().get('/');
      expect(page.statusCode).toBe(500);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toBe(EXPECTED_HEADERS['content-security-policy']);
      expect(textOf(elements(parseHtml(page.body)).find((e) => e.name === 'h1')!)).toBe('Something went wrong');
      expect(page.body).not.toMatch(/no such table|does not exist|sqlite|relation/i);
      const api = await t.app.inject({ method: 'GET', url: '/api/v1/crates?q=x' });
      expect(api.statusCode).toBe(500);
      expect(api.headers['content-type']).toContain('application/json');
      // The cause is logged (SQLite and PostgreSQL word it differently).
      expect(t.logs.join('')).toMatch(/no such table: crates|relation [^ ]*crates[^ ]* does not exist/);
    } finally {
      await t.close();
    }
  });
});
