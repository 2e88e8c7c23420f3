import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, TestOidcProvider, throughProvider } from '../../../helpers/oidc-provider.js';
import { textOf, parseHtml } from '../../../helpers/html-dom.js';
import { createWebApp, csrfOf, type WebTestApp } from '../../../helpers/web.js';
import type { Config } from '../../../../src/config/config.js';

const PUBLIC = 'http://wharf.test';

describe('single sign-on with a real OpenID Connect provider', () => {
  let op: TestOidcProvider;
  let t: WebTestApp | null = null;

  beforeAll(async () => {
    op = await TestOidcProvider.start(`${PUBLIC}/login/oidc/callback`);
  });
  afterAll(async () => op.close());
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  const app = async (overrides: Partial<Config> = {}) => {
    t = await createWebApp({ oidcIssuer: op.issuer, oidcClientId: CLIENT_ID, oidcClientSecret: CLIENT_SECRET, oidcAutoCreate: true, oidcName: 'Example SSO', ...overrides });
    return t;
  };
  const signIn = async (w: WebTestApp, who: string, b = w.browser()) => {
    op.nextLogin = who;
    const res = await throughProvider(b, await b.get('/login/oidc?next=/me'), PUBLIC);
    return { b, res };
  };
  const user = (w: WebTestApp, login: string) => w.runtime.ctx.db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst();

  it('shows the button, signs in with PKCE, state and nonce, and creates the account at the first sign-in', async () => {
    const w = await app();
    op.people.set('sub-ada', { preferred_username: 'ada', email: 'ada@example.com', email_verified: true, name: 'Ada L' });
    const login = await w.browser().get('/login');
    expect(textOf(parseHtml(login.body))).toContain('Sign in with Example SSO');
    const { b, res } = await signIn(w, 'sub-ada');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me');
    const me = await b.get('/me');
    expect(me.statusCode).toBe(200);
    expect(textOf(parseHtml(me.body))).toContain('Signed in as ada');
    const asked = op.authorizations.at(-1)!;
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('state')).toMatch(/.{20,}/);
    expect(asked.get('nonce')).toMatch(/.{20,}/);
    expect(asked.get('scope')).toBe('openid profile email');
    const row = await user(w, 'ada');
    expect(row).toMatchObject({ email: 'ada@example.com', name: 'Ada L', is_admin: 0 });
    const identity = await w.runtime.ctx.db.selectFrom('oidc_identities').selectAll().executeTakeFirstOrThrow();
    expect(identity).toMatchObject({ user_id: row!.id, issuer: op.issuer, subject: 'sub-ada' });
    // The refresh token is kept sealed, never as the provider sent it.
    expect(identity.refresh_token).not.toBeNull();
    const audit = await w.runtime.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.login').execute();
    expect(JSON.parse(audit.at(-1)!.detail!)).toEqual({ via: 'oidc' });
    // A second sign-in opens the same account.
    await signIn(w, 'sub-ada');
    expect(await w.runtime.ctx.db.selectFrom('users').selectAll().execute()).toHaveLength(1);
  });

  it('never merges two people whose names collide: the second gets a suffix', async () => {
    const w = await app();
    await w.account('bob');
    op.people.set('sub-bob', { preferred_username: 'Bob', email: 'bob@example.com', email_verified: true });
    op.people.set('sub-bob-2', { preferred_username: 'bob@elsewhere', email: 'bob2@example.com', email_verified: true });
    await signIn(w, 'sub-bob');
    await signIn(w, 'sub-bob-2');
    const logins = (await w.runtime.ctx.db.selectFrom('users').select('login').orderBy('id').execute()).map((u) => u.login);
    expect(logins).toEqual(['bob', 'Bob-2', 'bob-3']);
  });

  it('grants and removes admin rights as the admin group changes, and locks a person removed from the allowed group', async () => {
    const w = await app({ oidcAllowedGroups: ['staff'], oidcAdminGroups: ['registry-admins'] });
    op.people.set('sub-cy', { preferred_username: 'cy', email: 'cy@example.com', email_verified: true, groups: ['staff', 'registry-admins'] });
    const first = await signIn(w, 'sub-cy');
    expect((await user(w, 'cy'))!.is_admin).toBe(1);
    op.people.set('sub-cy', { preferred_username: 'cy', email: 'cy@example.com', email_verified: true, groups: ['staff'] });
    await signIn(w, 'sub-cy');
    expect((await user(w, 'cy'))!.is_admin).toBe(0);
    const token = await w.tokenFor((await user(w, 'cy'))!.id);
    op.people.set('sub-cy', { preferred_username: 'cy', email: 'cy@example.com', email_verified: true, groups: [] });
    const { res } = await signIn(w, 'sub-cy');
    expect(res.statusCode).toBe(403);
    expect(textOf(parseHtml(res.body))).toContain('you are not in a group allowed on this registry');
    expect((await user(w, 'cy'))!.locked_at).not.toBeNull();
    // Locked as `wharf user lock` locks: the earlier session ended, the token is refused.
    expect((await first.b.get('/me')).statusCode).toBe(303);
    const api = await w.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: token.token } });
    expect(api.statusCode).toBe(403);
  });

  it('refuses a person outside the allowed domains with a clear page, creating nothing', async () => {
    const w = await app({ oidcAllowedDomains: ['example.com'] });
    op.people.set('sub-eve', { preferred_username: 'eve', email: 'eve@evil.test', email_verified: true });
    op.people.set('sub-unverified', { preferred_username: 'uv', email: 'uv@example.com', email_verified: false });
    const { res } = await signIn(w, 'sub-eve');
    expect(res.statusCode).toBe(403);
    expect(textOf(parseHtml(res.body))).toContain('e-mail addresses at evil.test are not allowed on this registry');
    const second = await signIn(w, 'sub-unverified');
    expect(second.res.statusCode).toBe(403);
    expect(textOf(parseHtml(second.res.body))).toContain('has not verified your e-mail address');
    expect(await w.runtime.ctx.db.selectFrom('users').selectAll().execute()).toHaveLength(0);
    expect(w.logs.join('')).toContain('single sign-on refused');
  });

  it('refuses a tampered state and a replayed code', async () => {
    const w = await app();
    op.people.set('sub-fay', { preferred_username: 'fay' });
    const b = w.browser();
    op.nextLogin = 'sub-fay';
    const start = await b.get('/login/oidc');
    // Follow the provider by hand up to the callback, to tamper with it.
    let location = start.headers.location as string;
    const jar = new Map<string, string>();
    for (;;) {
      const res = await fetch(location, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
      }
      location = new URL(res.headers.get('location')!, location).href;
      if (location.startsWith(PUBLIC)) break;
    }
    const callback = new URL(location);
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'forged-state-value-forged-state-value');
    const saved = new Map(b.cookies);
    const refused = await b.get(tampered.pathname + tampered.search);
    expect(refused.statusCode).toBe(401);
    expect(textOf(parseHtml(refused.body))).toContain('not valid');
    expect(b.session).toBeUndefined();
    // The state cookie is gone with that attempt; replaying the real code with it restored is refused by the provider.
    for (const [k, v] of saved) b.cookies.set(k, v);
    const good = await b.get(callback.pathname + callback.search);
    expect(good.statusCode).toBe(303);
    // Without the state cookie (another browser), the callback is refused before the provider is asked.
    const replay = await w.browser().get(callback.pathname + callback.search);
    expect(replay.statusCode).toBe(400);
    const other = w.browser();
    for (const [k, v] of saved) other.cookies.set(k, v);
    const replayed = await other.get(callback.pathname + callback.search);
    expect(replayed.statusCode).toBe(401);
    expect(textOf(parseHtml(replayed.body))).toContain('invalid_grant');
  });

  it('answers a provider that cannot be reached with a clear 502 page', async () => {
    const w = await app({ oidcIssuer: 'http://127.0.0.1:1' });
    const res = await w.browser().get('/login/oidc');
    expect(res.statusCode).toBe(502);
    expect(textOf(parseHtml(res.body))).toContain('the identity provider could not be reached');
  });

  it('with oidc_only, refuses passwords except for break-glass admins and sends everyone to the provider', async () => {
    const w = await app({ oidcOnly: true, oidcBreakGlassAdmins: ['root'] });
    await w.account('root', { admin: true });
    await w.account('dave');
    const b = w.browser();
    const page = await b.get('/login');
    expect(page.statusCode).toBe(200);
    expect(textOf(parseHtml(page.body))).toContain('Passwords are turned off on this registry');
    const refused = await b.post('/login', { _csrf: csrfOf(page.body), login: 'dave', password: 'correct horse battery staple', next: '/me' });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/login/oidc?next=%2Fme');
    expect(b.session).toBeUndefined();
    const root = w.browser();
    const ok = await root.post('/login', { _csrf: csrfOf((await root.get('/login')).body), login: 'root', password: 'correct horse battery staple', next: '/me' });
    expect(ok.statusCode).toBe(303);
    expect(root.session).toBeDefined();
  });
});
