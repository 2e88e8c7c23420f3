import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWellFormedToken } from '../../../src/core/token.js';
import { attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, fieldOf, PASSWORD, type WebTestApp } from '../../helpers/web.js';

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
      // Two expiries that disagree are the user's to settle, not Wharf's to pick.
      [{ name: 'kept name', scopes: 'read', crates: '*', expiry: '30', custom_days: '12' }, /the expiry says 30 days but 12 custom days were also entered/],
      [{ name: 'kept name', scopes: 'read', crates: '*', expiry: 'none', custom_days: '5' }, /the expiry says “Never” but 5 custom days/],
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

    // The button leads to a confirmation; a post without it revokes nothing.
    const asked = await b.submit('/me', '/me/tokens/revoke-all');
    expect(asked.statusCode).toBe(200);
    expect(textOf(parseHtml(asked.body))).toContain('This revokes your 2 live tokens.');
    expect((await useToken(two.token)).statusCode).toBe(200);
    expect((await b.get('/me/tokens/revoke-all')).statusCode).toBe(200);
    await b.submit('/me/tokens/revoke-all', '/me/tokens/revoke-all', { confirm: 'yes' });
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

describe('/me: a stolen session cannot mint lasting access', () => {
  let t: WebTestApp;
  let b: Browser;
  let userId: number;
  const MINUTE = 60_000;

  beforeEach(async () => {
    t = await createWebApp();
    userId = (await t.account('alice')).id;
    b = t.browser();
    await b.login('alice');
  });
  afterEach(() => t.close());

  const tokenRows = () => t.runtime.ctx.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).execute();
  const useToken = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: token } });
  const inputs = (html: string) => elements(parseHtml(html)).filter((e) => e.name === 'input');
  const hidden = (html: string) => Object.fromEntries(inputs(html).filter((e) => attr(e, 'type') === 'hidden').map((e) => [attr(e, 'name'), attr(e, 'value')]));
  const tokenForm = async (extra: Record<string, string> = {}) => {
    const page = await b.get('/me');
    return { _csrf: csrfOf(page.body), nonce: fieldOf(page.body, 'nonce'), name: 'ci', scopes: 'publish-update', crates: '*', expiry: 'none', ...extra };
  };

  it('creates a token right after sign-in, and asks for the password again once the window has closed', async () => {
    expect(inputs((await b.get('/me')).body).some((e) => attr(e, 'name') === 'sudo_password')).toBe(false);
    expect((await b.post('/me/tokens', await tokenForm())).statusCode).toBe(200);
    t.clock.advance(15 * MINUTE + 1000);
    // The form now has a password field; without it, the answer is the confirmation page and nothing is minted.
    const page = await b.get('/me');
    const field = inputs(page.body).find((e) => attr(e, 'name') === 'sudo_password')!;
    expect(attr(field, 'type')).toBe('password');
    const form = await tokenForm({ name: 'never expires' });
    const asked = await b.post('/me/tokens', form);
    expect(asked.statusCode).toBe(403);
    expect(asked.body).not.toMatch(TOKEN);
    const doc = parseHtml(asked.body);
    expect(textOf(elements(doc).find((e) => e.name === 'h1')!)).toBe('Confirm your password');
    expect(attr(elements(doc).find((e) => e.name === 'form' && attr(e, 'method') === 'post' && attr(e, 'action') === '/me/tokens')!, 'action')).toBe('/me/tokens');
    // The page carries the form as it was, to send it again with the password.
    const carried = hidden(asked.body);
    expect(carried).toMatchObject({ nonce: form.nonce, name: 'never expires', scopes: 'publish-update', crates: '*', expiry: 'none' });
    expect(await tokenRows()).toHaveLength(1);

    const wrong = await b.post('/me/tokens', { ...carried, sudo_password: 'not my password' });
    expect(wrong.statusCode).toBe(401);
    expect(textOf(parseHtml(wrong.body))).toContain('the password is not right');
    expect(hidden(wrong.body)).toMatchObject({ nonce: form.nonce, name: 'never expires' });
    expect(await tokenRows()).toHaveLength(1);

    const done = await b.post('/me/tokens', { ...hidden(wrong.body), sudo_password: PASSWORD });
    expect(done.statusCode).toBe(200);
    const token = [...done.body.matchAll(TOKEN)].map((m) => m[0])[0]!;
    expect((await useToken(token)).statusCode).toBe(200);
    expect((await tokenRows()).map((r) => r.name)).toEqual(['ci', 'never expires']);
    // The window is open again for the next 15 minutes: no password asked.
    t.clock.advance(14 * MINUTE);
    expect((await b.post('/me/tokens', await tokenForm({ name: 'third' }))).statusCode).toBe(200);
    t.clock.advance(2 * MINUTE);
    expect((await b.post('/me/tokens', await tokenForm({ name: 'fourth' }))).statusCode).toBe(403);
  });

  it('puts the password check under the sign-in limits', async () => {
    t.clock.advance(20 * MINUTE);
    const form = await tokenForm();
    for (let i = 0; i < 3; i++) expect((await b.post('/me/tokens', { ...form, sudo_password: 'not my password' })).statusCode).toBe(401);
    const held = await b.post('/me/tokens', { ...form, sudo_password: PASSWORD });
    expect(held.statusCode).toBe(429);
    expect(held.headers['retry-after']).toBe('2');
    expect(await tokenRows()).toHaveLength(0);
  });

  it('revokes all tokens only within the window, or with the password', async () => {
    const tokens = [await t.tokenFor(userId), await t.tokenFor(userId)];
    t.clock.advance(16 * MINUTE);
    const asked = await b.submit('/me', '/me/tokens/revoke-all', { confirm: 'yes' });
    expect(asked.statusCode).toBe(403);
    expect(attr(elements(parseHtml(asked.body)).find((e) => e.name === 'form' && attr(e, 'action') === '/me/tokens/revoke-all')!, 'method')).toBe('post');
    for (const tk of tokens) expect((await useToken(tk.token)).statusCode).toBe(200);
    const done = await b.post('/me/tokens/revoke-all', { ...hidden(asked.body), _csrf: csrfOf(asked.body), sudo_password: PASSWORD });
    expect(done.statusCode).toBe(303);
    for (const tk of tokens) expect((await useToken(tk.token)).statusCode).toBe(401);
  });

  it('re-authenticates on its own page, and returns to where the user was going', async () => {
    t.clock.advance(16 * MINUTE);
    const page = await b.get('/confirm-password?next=/me');
    expect(page.statusCode).toBe(200);
    const res = await b.post('/confirm-password', { ...hidden(page.body), sudo_password: PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me');
    expect((await b.post('/me/tokens', await tokenForm())).statusCode).toBe(200);
  });

  it('offers to revoke every token with a password change, checked by default', async () => {
    const box = inputs((await b.get('/me')).body).find((e) => attr(e, 'name') === 'revoke_tokens')!;
    expect(attr(box, 'type')).toBe('checkbox');
    expect(attr(box, 'checked')).not.toBeUndefined();
    const kept = await t.tokenFor(userId);
    const change = (next: string, extra: Record<string, string>) => b.submit('/me', '/me/password', { current: PASSWORD, next, confirm: next, ...extra });
    // Unchecked: the tokens stay.
    const first = await change('first new passphrase', {});
    expect(first.headers.location).toBe('/me?notice=password-changed');
    expect((await useToken(kept.token)).statusCode).toBe(200);
    // Checked: every token of the account is revoked in the same step.
    const res = await b.submit('/me', '/me/password', { current: 'first new passphrase', next: 'second new passphrase', confirm: 'second new passphrase', revoke_tokens: 'yes' });
    expect(res.headers.location).toBe('/me?notice=password-changed-tokens-revoked');
    const refused = await useToken(kept.token);
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('revoked at a password change');
    expect(textOf(parseHtml((await b.get(res.headers.location as string)).body))).toContain('all your API tokens were revoked');
  });
});
