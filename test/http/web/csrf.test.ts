import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser as CookieJar } from '../../helpers/web.js';
import { buildApp } from '../../../src/app.js';
import { createRuntime } from '../../../src/services/runtime.js';
import { csrfTokenFor } from '../../../src/services/session.service.js';
import { attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, fieldOf, PASSWORD, type WebTestApp } from '../../helpers/web.js';

/**
 * Every form that changes something, posted by a signed-in admin's browser without the CSRF
 * token, with a wrong one, and with the token of another (the attacker's own) session: each is
 * refused with 403 and nothing in the database changes.
 */
describe('CSRF protection of the forms', () => {
  let t: WebTestApp;
  let victim: Browser;
  let attacker: Browser;
  let tokenId: number;

  const snapshot = async () => {
    const db = t.runtime.ctx.db;
    return {
      users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
      tokens: await db.selectFrom('api_tokens').selectAll().orderBy('id').execute(),
      sessions: await db.selectFrom('sessions').select(['id', 'ended_at']).orderBy('id').execute(),
      audit: await db.selectFrom('audit_log').select('id').execute(),
    };
  };

  beforeAll(async () => {
    t = await createWebApp();
    const root = await t.account('root', { admin: true });
    await t.account('bob');
    await t.account('mallory');
    tokenId = (await t.tokenFor(root.id, { name: 'laptop' })).tokenId;
    victim = t.browser();
    await victim.login('root');
    attacker = t.browser();
    await attacker.login('mallory');
  });
  afterAll(() => t.close());

  const forms: Array<[string, () => Record<string, string>]> = [
    ['/me/tokens', () => ({ name: 'evil', scopes: 'publish-new', crates: '*', expiry: 'none', nonce: 'A'.repeat(22) })],
    [`/me/tokens/1/revoke`, () => ({})],
    ['/me/tokens/revoke-all', () => ({})],
    ['/me/password', () => ({ current: PASSWORD, next: 'attacker knows this', confirm: 'attacker knows this' })],
    ['/logout', () => ({})],
    ['/admin/users', () => ({ login: 'backdoor', password: 'attacker knows this', admin: 'yes' })],
    ['/admin/users/bob/admin', () => ({})],
    ['/admin/users/bob/lock', () => ({})],
    ['/admin/tokens/revoke-all', () => ({ reason: 'owned', confirm: 'yes' })],
  ];

  it.each(forms)('refuses POST %s without the token, with a wrong one, or with another session’s', async (action, form) => {
    expect(tokenId).toBe(1);
    const before = await snapshot();
    const tokens: Array<string | undefined> = [undefined, '', 'x'.repeat(43), csrfTokenFor(attacker.session!)];
    for (const token of tokens) {
      const res = await victim.post(action, { ...form(), ...(token === undefined ? {} : { _csrf: token }) });
      expect(res.statusCode, `${action} with ${token === undefined ? 'no token' : JSON.stringify(token.slice(0, 8))}`).toBe(403);
      expect(res.headers['content-type']).toContain('text/html');
      expect(textOf(parseHtml(res.body))).toContain('missing or wrong CSRF token');
    }
    expect(await snapshot()).toEqual(before);
    // The victim is still signed in as before.
    expect((await victim.get('/me')).statusCode).toBe(200);
  });

  it('accepts the same form with the page’s own token (the check is not refusing everything)', async () => {
    const page = await victim.get('/me');
    const res = await victim.post('/me/tokens', { _csrf: csrfOf(page.body), nonce: fieldOf(page.body, 'nonce'), name: 'ok', scopes: 'read', crates: '*', expiry: '7' });
    expect(res.statusCode).toBe(200);
  });

  it('refuses a sign-in form that does not carry this browser’s pre-session token (login CSRF)', async () => {
    const before = await snapshot();
    const fresh = t.browser();
    const other = t.browser();
    const otherPage = await other.get('/login');
    await fresh.get('/login');
    for (const token of [undefined, csrfOf(otherPage.body)]) {
      const res = await fresh.post('/login', { login: 'mallory', password: PASSWORD, ...(token ? { _csrf: token } : {}) });
      expect(res.statusCode).toBe(403);
      expect(fresh.session).toBeUndefined();
    }
    expect(await snapshot()).toEqual(before);
  });

  it('derives the sign-in form’s token from its cookie and a server key: knowing or choosing the cookie is not enough', async () => {
    const planted = 'chosen-by-the-attacker-0123456789';
    const victim = t.browser();
    victim.cookies.set('wharf_csrf', planted);
    const page = await victim.get('/login');
    expect(victim.cookies.get('wharf_csrf')).toBe(planted);
    const token = csrfOf(page.body);
    // What the cookie alone yields (the old derivation) is refused; the page's own token is not.
    const guessed = await victim.post('/login', { _csrf: csrfTokenFor(`pre-session:${planted}`), login: 'mallory', password: PASSWORD });
    expect(guessed.statusCode).toBe(403);
    expect(victim.session).toBeUndefined();
    // Another registry (another key) gives another token for the same cookie...
    const other = await createWebApp();
    try {
      const elsewhere = other.browser();
      elsewhere.cookies.set('wharf_csrf', planted);
      expect(csrfOf((await elsewhere.get('/login')).body)).not.toBe(token);
    } finally {
      await other.close();
    }
    // ...while a second instance on the same database reads the same key from it.
    const second = await buildApp(createRuntime(t.runtime.ctx));
    try {
      const jar = new CookieJar(second, '127.0.0.1');
      jar.cookies.set('wharf_csrf', planted);
      expect(csrfOf((await jar.get('/login')).body)).toBe(token);
      expect((await jar.post('/login', { _csrf: token, login: 'mallory', password: PASSWORD })).statusCode).toBe(303);
    } finally {
      await second.close();
    }
    const secrets = await t.runtime.ctx.db.selectFrom('server_secrets').select('name').execute();
    expect(secrets).toEqual([{ name: 'pre-session-csrf' }]);
  });

  it('refuses a cookie-authenticated API write without the X-CSRF-Token header', async () => {
    const before = await snapshot();
    const headers = { cookie: `wharf_session=${victim.session}`, 'content-type': 'application/json' };
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/me/tokens', headers, payload: { api_token: { name: 'evil' } } });
    expect(res.statusCode).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('puts the CSRF token in every form that posts', async () => {
    for (const url of ['/me', '/admin/users', '/admin/tokens', '/login']) {
      const page = url === '/login' ? await t.browser().get(url) : await victim.get(url);
      const posting = elements(parseHtml(page.body)).filter((e) => e.name === 'form' && attr(e, 'method') === 'post');
      expect(posting.length, url).toBeGreaterThan(0);
      for (const form of posting) {
        expect(elements(form).some((e) => e.name === 'input' && attr(e, 'name') === '_csrf' && (attr(e, 'value') ?? '').length >= 40), `${url} ${attr(form, 'action')}`).toBe(true);
      }
    }
  });
});
