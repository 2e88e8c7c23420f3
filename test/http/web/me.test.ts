import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWellFormedToken } from '../../../src/core/token.js';
import { attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, fieldOf, type WebTestApp } from '../../helpers/web.js';

const DAY = 86_400_000;
const TOKEN = /wharf_[0-9A-Za-z]{38}/g;

describe('/me: API tokens in the browser', () => {
  let t: WebTestApp;
  let b: Browser;
  let userId: number;

  beforeEach(async () => {
    t = await createWebApp({ registryName: 'acme' });
    userId = (await t.account('alice')).id;
    b = t.browser();
    await b.login('alice');
  });
  afterEach(() => t.close());

  const createVia = async (form: Record<string, string | string[]>) => {
    const page = await b.get('/me');
    return b.post('/me/tokens', { _csrf: csrfOf(page.body), nonce: fieldOf(page.body, 'nonce'), ...form });
  };
  const useToken = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: token } });
  const tableRows = (html: string) => elements(parseHtml(html)).filter((e) => e.name === 'tr').slice(1).map(textOf);

  it('sends cargo’s users to sign in first, and back to /me after', async () => {
    for (const path of ['/me', '/settings/tokens']) {
      const res = await t.browser().get(path);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    expect(fieldOf((await t.browser().get('/login?next=%2Fsettings%2Ftokens')).body, 'next')).toBe('/settings/tokens');
    expect((await b.get('/settings/tokens')).statusCode).toBe(200);
  });

  it('shows a new token once, in the answer to the POST, never cached, with the cargo login line', async () => {
    const res = await createVia({ name: 'laptop', scopes: ['publish-update', 'yank'], crates: 'foo*, bar', expiry: '30' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.location).toBeUndefined();
    const shown = [...res.body.matchAll(TOKEN)].map((m) => m[0]);
    expect(shown).toHaveLength(1);
    const token = shown[0]!;
    expect(isWellFormedToken(token)).toBe(true);
    const doc = parseHtml(res.body);
    expect(textOf(elements(doc).find((e) => attr(e, 'id') === 'new-token')!)).toBe(token);
    const copy = elements(doc).find((e) => e.name === 'button' && attr(e, 'data-copy') === 'new-token')!;
    expect(attr(copy, 'type')).toBe('button');
    expect(textOf(doc)).toContain('cargo login --registry acme');
    expect(textOf(doc)).toContain('index = "sparse+http://wharf.test/index/"');
    expect(elements(doc).some((e) => e.name === 'script' && /^\/static\/wharf\.[0-9a-f]+\.js$/.test(attr(e, 'src') ?? ''))).toBe(true);

    // It works, with what the form asked for...
    expect((await useToken(token)).statusCode).toBe(200);
    const row = await t.runtime.ctx.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect(JSON.parse(row.scopes)).toEqual(['publish-update', 'yank']);
    expect(JSON.parse(row.crate_patterns)).toEqual(['foo*', 'bar']);
    expect(Date.parse(row.expires_at!) - Date.parse(row.created_at)).toBe(30 * DAY);
    // ...and no later page shows it again.
    const later = await b.get('/me');
    expect(later.body).not.toContain(token);
    expect(later.body).not.toMatch(TOKEN);
    expect(tableRows(later.body)).toEqual([expect.stringMatching(/^laptop publish-update, yank foo\*, bar (\d{4}-\d{2}-\d{2}) \1 \d{4}-\d{2}-\d{2} active Revoke$/)]);
  });

  it('sending the same form again (a reload of the token page) mints nothing and shows nothing', async () => {
    const page = await b.get('/me');
    const form = { _csrf: csrfOf(page.body), nonce: fieldOf(page.body, 'nonce'), name: 'once', scopes: 'read', crates: '*', expiry: 'none' };
    const first = await b.post('/me/tokens', form);
    expect(first.body).toMatch(TOKEN);
    const again = await b.post('/me/tokens', form);
    expect(again.statusCode).toBe(409);
    expect(again.body).not.toMatch(TOKEN);
    expect(textOf(parseHtml(again.body))).toContain('This form was already sent');
    expect(await t.runtime.ctx.db.selectFrom('api_tokens').selectAll().execute()).toHaveLength(1);
  });

  it('offers expiry presets, custom days and none', async () => {
    const options = elements(parseHtml((await b.get('/me')).body)).filter((e) => e.name === 'option').map((o) => attr(o, 'value'));
    expect(options).toEqual(['7', '30', '90', '365', 'custom', 'none']);
    await createVia({ name: 'a', scopes: 'read', crates: '*', expiry: 'custom', custom_days: '12' });
    await createVia({ name: 'b', scopes: 'read', crates: '*', expiry: 'none' });
    await createVia({ name: 'c', scopes: 'read', crates: '*', expiry: '365' });
    const rows = await t.runtime.ctx.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
    expect(rows.map((r) => (r.expires_at ? (Date.parse(r.expires_at) - Date.parse(r.created_at)) / DAY : null))).toEqual([12, null, 365]);
  });

  it('shows what is wrong with a refused form, keeping what was typed, and mints nothing', async () => {
    const cases: Array<[Record<string, string | string[]>, RegExp]> = [
      [{ name: '', scopes: 'read', crates: '*', expiry: '7' }, /a token name must be 1 to 100 characters/],
      [{ name: 'kept name', crates: '*', expiry: '7' }, /choose at least one allowed action/],
      [{ name: 'kept name', scopes: 'read', crates: 'no spaces allowed', expiry: '7' }, /invalid crate pattern/],
      [{ name: 'kept name', scopes: 'read', crates: '*', expiry: 'custom', custom_days: 'soon' }, /custom expiry as a number of days/],
      [{ name: 'kept name', scopes: 'read', crates: '*', expiry: 'custom', custom_days: '9999' }, /from 1 to 3650/],
      [{ name: 'kept name', scopes: ['read', 'root'], crates: '*', expiry: '7' }, /unknown scope `root`/],
    ];
    for (const [form, message] of cases) {
      const res = await createVia(form);
      expect(res.statusCode).toBe(400);
      expect(textOf(parseHtml(res.body))).toMatch(message);
      expect(res.body).not.toMatch(TOKEN);
      if (form.name) expect(fieldOf(res.body, 'name')).toBe('kept name');
    }
    expect(await t.runtime.ctx.db.selectFrom('api_tokens').selectAll().execute()).toEqual([]);
  });

  it('revokes one token, then all, and cargo’s requests with them are refused', async () => {
    const one = await t.tokenFor(userId, { name: 'one' });
    const two = await t.tokenFor(userId, { name: 'two' });
    const three = await t.tokenFor(userId, { name: 'three' });
    const res = await b.submit('/me', `/me/tokens/${one.tokenId}/revoke`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me?notice=revoked');
    const page = await b.get('/me?notice=revoked');
    expect(textOf(parseHtml(page.body))).toContain('The token was revoked.');
    expect(tableRows(page.body)[0]).toMatch(/^one .* revoked revoked by its owner$/);
    const refused = await useToken(one.token);
    expect(refused.statusCode).toBe(401);
    expect((await useToken(two.token)).statusCode).toBe(200);

    await b.submit('/me', '/me/tokens/revoke-all');
    for (const tk of [two, three]) expect((await useToken(tk.token)).statusCode).toBe(401);
    expect(tableRows((await b.get('/me')).body).every((r) => r.includes(' revoked '))).toBe(true);
  });

  it('cannot revoke another user’s token', async () => {
    const bob = await t.account('bob');
    const theirs = await t.tokenFor(bob.id);
    const res = await b.submit('/me', `/me/tokens/${theirs.tokenId}/revoke`);
    expect(res.statusCode).toBe(404);
    expect((await useToken(theirs.token)).statusCode).toBe(200);
  });

  it('escapes what users name their tokens', async () => {
    await createVia({ name: '<img src=x onerror=alert(1)>', scopes: 'read', crates: '*', expiry: '7' });
    const page = await b.get('/me');
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(elements(parseHtml(page.body)).some((e) => e.name === 'img')).toBe(false);
  });
});
