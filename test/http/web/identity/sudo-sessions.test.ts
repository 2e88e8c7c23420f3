import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attr, elements, parseHtml, textOf } from '../../../helpers/html-dom.js';
import { CLIENT_ID, CLIENT_SECRET, TestOidcProvider, throughProvider } from '../../../helpers/oidc-provider.js';
import { type Browser, createWebApp, csrfOf, fieldOf, PASSWORD, type WebTestApp } from '../../../helpers/web.js';

const PUBLIC = 'http://wharf.test';
const WINDOW_PASSED = 16 * 60_000;

/** The hidden fields of the form posting to `action` on a page. */
function formFields(body: string, action: string): Record<string, string[]> {
  const doc = parseHtml(body);
  const form = elements(doc).find((e) => e.name === 'form' && attr(e, 'action') === action);
  if (!form) throw new Error(`no form to ${action}`);
  const out: Record<string, string[]> = {};
  for (const input of elements(form).filter((e) => e.name === 'input' && attr(e, 'type') === 'hidden')) {
    (out[attr(input, 'name')!] ??= []).push(attr(input, 'value') ?? '');
  }
  return out;
}

describe('re-authentication and the sessions list', () => {
  let op: TestOidcProvider;
  let t: WebTestApp;

  beforeAll(async () => {
    op = await TestOidcProvider.start(`${PUBLIC}/login/oidc/callback`);
    op.people.set('sub-hal', { preferred_username: 'hal', email: 'hal@example.com', email_verified: true });
  });
  afterAll(async () => op.close());
  afterEach(async () => t.close());

  const app = async () => {
    t = await createWebApp({ oidcIssuer: op.issuer, oidcClientId: CLIENT_ID, oidcClientSecret: CLIENT_SECRET, oidcAutoCreate: true, oidcName: 'Example SSO' });
    return t;
  };

  const tokenForm = async (b: Browser) => {
    const page = await b.get('/me');
    return { _csrf: csrfOf(page.body), nonce: fieldOf(page.body, 'nonce'), name: 'ci', scopes: 'publish-update', crates: '*', expiry: '30' };
  };

  it('asks for the password again for every protected action once the window has passed, then does it', async () => {
    const w = await app();
    await w.account('root', { admin: true });
    await w.account('other');
    const b = w.browser();
    await b.login('root');
    await w.tokenFor((await w.runtime.ctx.db.selectFrom('users').select('id').where('login', '=', 'root').executeTakeFirstOrThrow()).id);
    const actions: Array<[string, () => Promise<Record<string, string>>]> = [
      ['/me/tokens', () => tokenForm(b)],
      ['/me/tokens/revoke-all', async () => ({ _csrf: csrfOf((await b.get('/me')).body), confirm: 'yes' })],
      ['/login/oidc/link', async () => ({ _csrf: csrfOf((await b.get('/me')).body) })],
      ['/admin/users/other/lock', async () => ({ _csrf: csrfOf((await b.get('/me')).body) })],
    ];
    for (const [action, form] of actions) {
      w.clock.advance(WINDOW_PASSED);
      const refused = await b.post(action, await form());
      expect(refused.statusCode, action).toBe(403);
      expect(textOf(elements(parseHtml(refused.body)).find((e) => e.name === 'h1')!), action).toBe('Confirm your password');
      const carried = formFields(refused.body, action);
      const done = await b.post(action, { ...Object.fromEntries(Object.entries(carried).map(([k, v]) => [k, v])), sudo_password: PASSWORD });
      expect([200, 303], action).toContain(done.statusCode);
    }
    expect((await w.runtime.ctx.db.selectFrom('users').select('locked_at').where('login', '=', 'other').executeTakeFirstOrThrow()).locked_at).not.toBeNull();
    const me = await b.get('/me');
    expect(textOf(parseHtml(me.body))).toMatch(/Sensitive actions confirmed until \d\d:\d\d UTC/);
  });

  it('re-authenticates an account of single sign-on at the provider, and resumes the kept form', async () => {
    const w = await app();
    const b = w.browser();
    op.nextLogin = 'sub-hal';
    await throughProvider(b, await b.get('/login/oidc'), PUBLIC);
    w.clock.advance(WINDOW_PASSED);
    const refused = await b.post('/me/tokens', await tokenForm(b));
    expect(refused.statusCode).toBe(403);
    expect(textOf(parseHtml(refused.body))).toContain('Confirm with Example SSO');
    const kept = formFields(refused.body, '/login/oidc/reauth');
    expect(kept.name).toEqual(['ci']);
    const back = await throughProvider(b, await b.post('/login/oidc/reauth', kept), PUBLIC);
    const asked = op.authorizations.at(-1)!;
    expect(asked.get('prompt')).toBe('login');
    expect(asked.get('max_age')).toBe('0');
    expect(back.statusCode).toBe(200);
    expect(textOf(parseHtml(back.body))).toMatch(/confirmed until \d\d:\d\d UTC/);
    const resumed = formFields(back.body, '/me/tokens');
    expect(resumed.name).toEqual(['ci']);
    const created = await b.post('/me/tokens', resumed);
    expect(created.statusCode).toBe(200);
    expect(created.body).toMatch(/wharf_[0-9A-Za-z]{38}/);
    // The kept form is used once.
    expect(await w.runtime.ctx.db.selectFrom('pending_forms').selectAll().execute()).toHaveLength(0);
  });

  it('refuses a re-authentication with an identity not linked to the account', async () => {
    const w = await app();
    await w.account('ivy');
    const b = w.browser();
    await b.login('ivy');
    op.nextLogin = 'sub-hal';
    // ivy has no linked identity, so the page offers no provider button; a hand-made post still gets nowhere.
    w.clock.advance(WINDOW_PASSED);
    const res = await throughProvider(b, await b.post('/login/oidc/reauth', { _csrf: csrfOf((await b.get('/me')).body), _action: '/me/tokens/revoke-all' }), PUBLIC);
    expect(res.statusCode).toBe(403);
    expect(textOf(parseHtml(res.body))).toContain('not linked to this account');
  });

  it('lists the sessions with their browser, address and method, and ends another one', async () => {
    const w = await app();
    await w.account('jo');
    const laptop = w.browser('10.0.0.5', { 'user-agent': 'Laptop Browser 1.0' });
    const phone = w.browser('10.0.0.9', { 'user-agent': 'Phone Browser 2.0' });
    await laptop.login('jo');
    await phone.login('jo');
    const me = await laptop.get('/me');
    const text = textOf(parseHtml(me.body));
    expect(text).toContain('Laptop Browser 1.0');
    expect(text).toContain('Phone Browser 2.0');
    expect(text).toContain('from 10.0.0.9');
    expect(text).toContain('with password');
    const end = elements(parseHtml(me.body)).find((e) => e.name === 'form' && /^\/me\/sessions\/\d+\/end$/.test(attr(e, 'action') ?? ''))!;
    const ended = await laptop.post(attr(end, 'action')!, { _csrf: csrfOf(me.body) });
    expect(ended.statusCode).toBe(303);
    expect((await phone.get('/me')).headers.location).toBe('/login?next=%2Fme');
    expect((await laptop.get('/me')).statusCode).toBe(200);
    // Someone else's session cannot be ended from here.
    const mine = await laptop.get('/me');
    const other = await laptop.post('/me/sessions/999999/end', { _csrf: csrfOf(mine.body) });
    expect(other.statusCode).toBe(404);
  });
});
