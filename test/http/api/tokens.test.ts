import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWellFormedToken } from '../../../src/core/token.js';
import { createSession, csrfTokenFor, endSession, markReauthenticated, SESSION_COOKIE } from '../../../src/services/session.service.js';
import { revokeToken, type TokenView } from '../../../src/services/token.service.js';
import { createUser } from '../../../src/services/user.service.js';
import { publishBody } from '../../helpers/crate-builder.js';
import { createTestApp } from '../../helpers/test-app.js';

type Res = { statusCode: number; body: string; json(): unknown };
const detail = (res: Res) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const DAY = 86_400_000;

/** The listed shape is the service's TokenView, serialized as JSON. */
type TokenJson = TokenView;
interface AuditJson {
  id: number;
  action: string;
  token_id: number | null;
  crate: string | null;
  version: string | null;
  detail: unknown;
}

/** A registry with a signed-in user, and helpers that speak for the browser (cookie + CSRF) or for cargo (token). */
async function registry(overrides: Parameters<typeof createTestApp>[0] = {}) {
  const t = await createTestApp(overrides);
  const ctx = t.runtime.ctx;
  const signIn = async (login: string) => {
    const user = await createUser(ctx, { login });
    const session = await createSession(ctx, user.id);
    return { userId: user.id, session };
  };
  const browser = (session: string, csrf: string | null = csrfTokenFor(session)): Record<string, string> => ({
    cookie: `${SESSION_COOKIE}=${session}`,
    ...(csrf === null ? {} : { 'x-csrf-token': csrf }),
  });
  const createVia = (headers: Record<string, string>, apiToken: unknown = { name: 'ci' }) =>
    t.app.inject({ method: 'PUT', url: '/api/v1/me/tokens', headers, payload: apiToken === undefined ? undefined : { api_token: apiToken } });
  const list = async (session: string): Promise<TokenJson[]> => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: browser(session, null) });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { api_tokens: TokenJson[] }).api_tokens;
  };
  /** Makes a token through the API as the signed-in user, as the /me page would. */
  const mint = async (session: string, apiToken: Record<string, unknown> = { name: 'ci' }) => {
    const res = await createVia(browser(session), apiToken);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { api_token: TokenJson & { token: string } }).api_token;
  };
  /** An authenticated request any token can make: the caller's own audit log. */
  const useToken = (authorization: string) => t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization } });
  const tokenRows = () => ctx.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
  return { t, ctx, signIn, browser, createVia, list, mint, useToken, tokenRows };
}

describe('/api/v1/me/tokens with a browser session', () => {
  let r: Awaited<ReturnType<typeof registry>>;
  let alice: { userId: number; session: string };

  beforeEach(async () => {
    r = await registry();
    alice = await r.signIn('alice');
  });
  afterEach(() => r.t.close());

  it('shows a new token once, then lists it without the secret and stores only its hash', async () => {
    const res = await r.createVia(r.browser(alice.session), {
      name: 'ci',
      endpoint_scopes: ['publish-update'],
      crate_scopes: ['alpha*'],
      expires_in_days: 30,
    });
    expect(res.statusCode, res.body).toBe(200);
    const created = (res.json() as { api_token: TokenJson & { token: string } }).api_token;
    expect(created.token).toMatch(/^wharf_[0-9A-Za-z]{38}$/);
    expect(isWellFormedToken(created.token)).toBe(true);
    expect((await r.useToken(created.token)).statusCode).toBe(200);

    const listed = await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: r.browser(alice.session, null) });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(created.token);
    const tokens = (listed.json() as { api_tokens: TokenJson[] }).api_tokens;
    expect(tokens).toHaveLength(1);
    const [only] = tokens;
    expect(only).toMatchObject({
      id: created.id,
      name: 'ci',
      endpoint_scopes: ['publish-update'],
      crate_scopes: ['alpha*'],
      state: 'active',
      revoked_at: null,
    });
    expect(only).not.toHaveProperty('token');
    expect(Math.abs(Date.parse(only!.expires_at!) - (r.t.clock.now().getTime() + 30 * DAY))).toBeLessThan(60_000);

    const rows = await r.tokenRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(sha256Hex(created.token));
    for (const value of Object.values(rows[0]!)) expect(String(value)).not.toContain(created.token);
  });

  it('refuses writes without the right CSRF token, changing nothing, but lets a list through without one', async () => {
    const existing = await r.mint(alice.session, { name: 'keep' });
    const other = await createSession(r.ctx, alice.userId);
    for (const csrf of [null, 'nonsense', csrfTokenFor(other)]) {
      const put = await r.createVia(r.browser(alice.session, csrf), { name: 'sneaky' });
      expect(put.statusCode).toBe(403);
      expect(detail(put)).toMatch(/CSRF/);
      const del = await r.t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${existing.id}`, headers: r.browser(alice.session, csrf) });
      expect(del.statusCode).toBe(403);
      expect(detail(del)).toMatch(/CSRF/);
      const delAll = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/me/tokens', headers: r.browser(alice.session, csrf) });
      expect(delAll.statusCode).toBe(403);
      expect(detail(delAll)).toMatch(/CSRF/);
    }
    const tokens = await r.list(alice.session);
    expect(tokens.map((x) => [x.name, x.state])).toEqual([['keep', 'active']]);
    expect((await r.useToken(existing.token)).statusCode).toBe(200);
  });

  it('refuses an API token with 403, and a request with no credentials with 401', async () => {
    const { token } = await r.t.tokenFor(alice.userId);
    const before = await r.tokenRows();
    for (const authorization of [token, `Bearer ${token}`]) {
      const res = await r.createVia({ authorization }, { name: 'minted-by-token' });
      expect(res.statusCode).toBe(403);
      expect(detail(res)).toMatch(/API tokens cannot manage tokens/);
    }
    const listed = await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: { authorization: token } });
    expect(listed.statusCode).toBe(403);
    expect(listed.body).not.toContain(token);
    const anonymous = await r.createVia({}, { name: 'anon' });
    expect(anonymous.statusCode).toBe(401);
    expect((await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens' })).statusCode).toBe(401);
    expect(await r.tokenRows()).toEqual(before);
  });

  it('refuses an ended session with 401', async () => {
    expect((await r.createVia(r.browser(alice.session))).statusCode).toBe(200);
    await endSession(r.ctx, alice.session);
    expect((await r.createVia(r.browser(alice.session))).statusCode).toBe(401);
    expect((await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: r.browser(alice.session) })).statusCode).toBe(401);
    expect(await r.tokenRows()).toHaveLength(1);
  });

  it('answers a cookie that names no session, even a malformed one, with 401 rather than a server error', async () => {
    for (const value of ['not-a-session', '%E0%A4%A', '%']) {
      const res = await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: { cookie: `${SESSION_COOKIE}=${value}` } });
      expect(res.statusCode, value).toBe(401);
      expect(detail(res)).toMatch(/sign in/);
    }
    expect(r.t.logs.join('')).not.toContain('unexpected error');
  });

  it('refuses a session after its 14 days with 401', async () => {
    r.t.clock.advance(13 * DAY);
    expect((await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: r.browser(alice.session) })).statusCode).toBe(200);
    r.t.clock.advance(2 * DAY);
    expect((await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: r.browser(alice.session) })).statusCode).toBe(401);
    expect((await r.createVia(r.browser(alice.session))).statusCode).toBe(401);
    expect(await r.tokenRows()).toHaveLength(0);
  });

  it('writes every endpoint scope and the * crate pattern out explicitly when none are given', async () => {
    const created = await r.mint(alice.session, { name: 'everything' });
    const all = ['change-owners', 'publish-new', 'publish-update', 'read', 'trusted-publishing', 'yank'];
    expect([...created.endpoint_scopes].sort()).toEqual(all);
    expect(created.crate_scopes).toEqual(['*']);
    expect(created.expires_at).toBeNull();
    const [row] = await r.tokenRows();
    expect(([...JSON.parse(row!.scopes)] as string[]).sort()).toEqual(all);
    expect(JSON.parse(row!.crate_patterns)).toEqual(['*']);
  });

  it('accepts a name of exactly 100 characters', async () => {
    expect((await r.mint(alice.session, { name: 'n'.repeat(100) })).name).toBe('n'.repeat(100));
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['an unknown scope', { name: 'x', endpoint_scopes: ['publish-update', 'publish'] }, /unknown scope `publish`/],
    ['no scopes at all', { name: 'x', endpoint_scopes: [] }, /at least one scope/],
    ['a crate pattern with a leading *', { name: 'x', crate_scopes: ['*foo'] }, /invalid crate pattern `\*foo`/],
    ['no crate patterns at all', { name: 'x', crate_scopes: [] }, /at least one crate pattern/],
    ['scopes that are not an array', { name: 'x', endpoint_scopes: 'read' }, /endpoint_scopes.*array of strings/],
    ['an expiry of 0 days', { name: 'x', expires_in_days: 0 }, /expiry must be a whole number of days from 1 to 3650/],
    ['an expiry of 5000 days', { name: 'x', expires_in_days: 5000 }, /expiry must be a whole number of days from 1 to 3650/],
    ['a fractional expiry', { name: 'x', expires_in_days: 1.5 }, /expiry must be a whole number/],
    ['an expiry that is not a number', { name: 'x', expires_in_days: 'x' }, /expires_in_days.*must be a number/],
    ['an empty name', { name: '' }, /name must be 1 to 100 characters/],
    ['a blank name', { name: '   ' }, /name must be 1 to 100 characters/],
    ['a 101-character name', { name: 'n'.repeat(101) }, /name must be 1 to 100 characters/],
    ['a missing name', { endpoint_scopes: ['read'] }, /api_token\.name.*string/],
  ];

  it.each(invalid)('refuses %s with 400, creating nothing', async (_label, apiToken, pattern) => {
    const res = await r.createVia(r.browser(alice.session), apiToken);
    expect(res.statusCode, res.body).toBe(400);
    expect(detail(res)).toMatch(pattern);
    expect(await r.tokenRows()).toHaveLength(0);
  });

  it.each<[string, string | undefined]>([
    ['no body', undefined],
    ['a body without api_token', '{"name":"ci"}'],
    ['api_token as a string', '{"api_token":"ci"}'],
    ['a JSON array', '[{"name":"ci"}]'],
    ['a body that is not JSON', '{"api_token":'],
  ])('refuses %s with 400, creating nothing', async (_label, payload) => {
    const res = await r.t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/tokens',
      headers: { ...r.browser(alice.session), 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(detail(res)).not.toBe('');
    expect(await r.tokenRows()).toHaveLength(0);
  });

  it('revokes one of my tokens; the revoked token is then refused with the date, the reason and where to get a new one', async () => {
    const doomed = await r.mint(alice.session, { name: 'doomed' });
    const kept = await r.mint(alice.session, { name: 'kept' });
    const res = await r.t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${doomed.id}`, headers: r.browser(alice.session) });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { api_token: TokenJson }).api_token).toMatchObject({ id: doomed.id, state: 'revoked', revoked_reason: 'revoked by its owner' });

    const refused = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/crates/x/1.0.0/yank', headers: { authorization: doomed.token } });
    expect(refused.statusCode).toBe(401);
    expect(detail(refused)).toMatch(/revoked on \d{4}-\d{2}-\d{2}: revoked by its owner; create a new one at http:\/\/wharf\.test\/me/);
    expect((await r.useToken(kept.token)).statusCode).toBe(200);
    expect((await r.list(alice.session)).map((x) => [x.name, x.state])).toEqual([
      ['doomed', 'revoked'],
      ['kept', 'active'],
    ]);
  });

  it("answers 404 for another user's token id and leaves that token alone", async () => {
    const bob = await r.signIn('bob');
    const bobs = await r.mint(bob.session, { name: 'bobs' });
    const res = await r.t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${bobs.id}`, headers: r.browser(alice.session) });
    expect(res.statusCode).toBe(404);
    expect(detail(res)).toBe(`no token with id ${bobs.id}`);
    expect((await r.useToken(bobs.token)).statusCode).toBe(200);
    expect((await r.list(bob.session))[0]!.state).toBe('active');
    const missing = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/me/tokens/99999', headers: r.browser(alice.session) });
    expect(missing.statusCode).toBe(404);
    expect(detail(missing)).toBe(detail(res).replace(String(bobs.id), '99999'));
  });

  it('revokes all of my tokens and none of anyone else', async () => {
    const bob = await r.signIn('bob');
    const mine = [await r.mint(alice.session, { name: 'a1' }), await r.mint(alice.session, { name: 'a2' })];
    const bobs = await r.mint(bob.session, { name: 'b1' });
    const res = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/me/tokens', headers: r.browser(alice.session) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ ok: true, revoked: 2 });
    for (const m of mine) {
      const refused = await r.useToken(m.token);
      expect(refused.statusCode).toBe(401);
      expect(detail(refused)).toMatch(/revoked on \d{4}-\d{2}-\d{2}/);
    }
    expect((await r.useToken(bobs.token)).statusCode).toBe(200);
    expect((await r.list(bob.session)).map((x) => x.state)).toEqual(['active']);
  });

  it('creates tokens and revokes them all only within the window after sign-in or a re-entered password', async () => {
    const kept = await r.mint(alice.session, { name: 'kept' });
    r.t.clock.advance(15 * 60_000 + 1000);
    const put = await r.createVia(r.browser(alice.session), { name: 'lasting' });
    expect(put.statusCode).toBe(403);
    expect(detail(put)).toBe(
      'this action needs your password again (you signed in or confirmed it more than 15 minutes ago): re-enter your password at http://wharf.test/confirm-password, then try again',
    );
    const delAll = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/me/tokens', headers: r.browser(alice.session) });
    expect(delAll.statusCode).toBe(403);
    expect(detail(delAll)).toMatch(/re-enter your password/);
    expect((await r.tokenRows()).map((row) => [row.name, row.revoked_at])).toEqual([['kept', null]]);
    // Listing and revoking one token stay open: neither mints access.
    expect(await r.list(alice.session)).toHaveLength(1);
    await markReauthenticated(r.ctx, alice.session);
    expect((await r.mint(alice.session, { name: 'lasting' })).name).toBe('lasting');
    const res = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/me/tokens', headers: r.browser(alice.session) });
    expect(res.json()).toEqual({ ok: true, revoked: 2 });
    expect((await r.useToken(kept.token)).statusCode).toBe(401);
  });

  it('counts the window per session: another session of the same user has its own', async () => {
    r.t.clock.advance(20 * 60_000);
    const fresh = await createSession(r.ctx, alice.userId);
    expect((await r.createVia(r.browser(alice.session))).statusCode).toBe(403);
    expect((await r.createVia(r.browser(fresh))).statusCode).toBe(200);
  });
});

describe('DELETE /api/v1/tokens/current', () => {
  let r: Awaited<ReturnType<typeof registry>>;
  beforeEach(async () => {
    r = await registry();
  });
  afterEach(() => r.t.close());

  it('lets a read-only token revoke itself, and only itself', async () => {
    const { userId, token } = await r.t.userWithToken('alice', { scopes: ['read'] });
    const other = await r.t.tokenFor(userId, { name: 'other' });
    expect((await r.useToken(token)).statusCode).toBe(200);
    const res = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/current', headers: { authorization: token } });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const after = await r.useToken(token);
    expect(after.statusCode).toBe(401);
    expect(detail(after)).toMatch(/revoked on \d{4}-\d{2}-\d{2}: revoked by its own holder/);
    expect((await r.useToken(other.token)).statusCode).toBe(200);
  });

  it('answers 401 without a token', async () => {
    const res = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/current' });
    expect(res.statusCode).toBe(401);
    expect(detail(res)).toContain('http://wharf.test/me');
  });
});

describe('/api/v1/me/tokens/{id}, as crates.io serves it', () => {
  let r: Awaited<ReturnType<typeof registry>>;
  beforeEach(async () => {
    r = await registry();
  });
  afterEach(() => r.t.close());

  const byId = (method: 'GET' | 'DELETE', id: number, headers: Record<string, string>) =>
    r.t.app.inject({ method, url: `/api/v1/me/tokens/${id}`, headers });

  it("reads one of the signed-in user's tokens, with crates.io's `expired_at`", async () => {
    const alice = await r.signIn('alice');
    const minted = await r.mint(alice.session, { name: 'ci', expires_in_days: 30 });
    const res = await byId('GET', minted.id, r.browser(alice.session, null));
    expect(res.statusCode, res.body).toBe(200);
    const view = (res.json() as { api_token: TokenJson }).api_token;
    expect(view).toMatchObject({ id: minted.id, name: 'ci', state: 'active' });
    expect(view.expired_at).toBe(minted.expires_at);
    expect(view.expired_at).toMatch(/^\d{4}-/);
    expect(res.body).not.toContain(minted.token);
    const bob = await r.signIn('bob');
    expect((await byId('GET', minted.id, r.browser(bob.session, null))).statusCode).toBe(404);
  });

  it('lets an API token read and revoke itself by id, and no other token', async () => {
    const { userId, token, tokenId } = await r.t.userWithToken('alice', { scopes: ['read'] });
    const other = await r.t.tokenFor(userId, { name: 'other' });
    const read = await byId('GET', tokenId, { authorization: token });
    expect(read.statusCode, read.body).toBe(200);
    expect((read.json() as { api_token: TokenJson }).api_token.id).toBe(tokenId);
    for (const method of ['GET', 'DELETE'] as const) {
      const refused = await byId(method, other.tokenId, { authorization: token });
      expect(refused.statusCode).toBe(403);
      expect(detail(refused)).toMatch(/an API token can only read or revoke itself/);
    }
    expect((await r.useToken(other.token)).statusCode).toBe(200);
    const revoked = await byId('DELETE', tokenId, { authorization: `Bearer ${token}` });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((revoked.json() as { api_token: TokenJson }).api_token).toMatchObject({ id: tokenId, state: 'revoked', revoked_reason: 'revoked by its own holder' });
    expect((await r.useToken(token)).statusCode).toBe(401);
    expect((await r.useToken(other.token)).statusCode).toBe(200);
  });

  it('refuses a malformed id with 400 and no credentials with 401', async () => {
    expect((await r.t.app.inject({ method: 'GET', url: '/api/v1/me/tokens/abc' })).statusCode).toBe(400);
    expect((await byId('GET', 1, {})).statusCode).toBe(401);
  });
});

describe('token rules', () => {
  it('caps live tokens per user, and revoking one frees a slot', async () => {
    const r = await registry({ maxTokensPerUser: 3 });
    try {
      const alice = await r.signIn('alice');
      const first = await r.mint(alice.session, { name: 't1' });
      await r.mint(alice.session, { name: 't2' });
      await r.mint(alice.session, { name: 't3' });
      const fourth = await r.createVia(r.browser(alice.session), { name: 't4' });
      expect(fourth.statusCode).toBe(409);
      expect(detail(fourth)).toMatch(/already have 3 live tokens/);
      expect(await r.tokenRows()).toHaveLength(3);

      // Another user has their own allowance.
      const bob = await r.signIn('bob');
      await r.mint(bob.session, { name: 'b1' });

      const revoke = await r.t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${first.id}`, headers: r.browser(alice.session) });
      expect(revoke.statusCode).toBe(200);
      expect((await r.mint(alice.session, { name: 't4' })).name).toBe('t4');
      expect((await r.createVia(r.browser(alice.session), { name: 't5' })).statusCode).toBe(409);
    } finally {
      await r.t.close();
    }
  });

  it('keeps the re-authentication window as long as reauth_minutes says', async () => {
    const r = await registry({ reauthMinutes: 60 });
    try {
      const alice = await r.signIn('alice');
      r.t.clock.advance(59 * 60_000);
      expect((await r.createVia(r.browser(alice.session))).statusCode).toBe(200);
      r.t.clock.advance(2 * 60_000);
      const refused = await r.createVia(r.browser(alice.session));
      expect(refused.statusCode).toBe(403);
      expect(detail(refused)).toMatch(/more than 60 minutes ago/);
    } finally {
      await r.t.close();
    }
  });

  it('refuses an expired token with the date it expired', async () => {
    const r = await registry();
    try {
      const { token } = await r.t.userWithToken('alice', { expiresInDays: 1 });
      expect((await r.useToken(token)).statusCode).toBe(200);
      r.t.clock.advance(2 * DAY);
      const res = await r.useToken(token);
      expect(res.statusCode).toBe(401);
      expect(detail(res)).toMatch(/expired on \d{4}-\d{2}-\d{2}; create a new one at http:\/\/wharf\.test\/me/);
    } finally {
      await r.t.close();
    }
  });

  it('records last_used_at on first use and then at most once a minute', async () => {
    const r = await registry();
    try {
      const alice = await r.signIn('alice');
      const { token } = await r.t.tokenFor(alice.userId);
      const lastUsed = async () => (await r.list(alice.session))[0]!.last_used_at;
      expect(await lastUsed()).toBeNull();

      expect((await r.useToken(token)).statusCode).toBe(200);
      const first = await lastUsed();
      expect(first).not.toBeNull();
      expect(Math.abs(Date.parse(first!) - r.t.clock.now().getTime())).toBeLessThan(5_000);

      r.t.clock.advance(10_000);
      expect((await r.useToken(token)).statusCode).toBe(200);
      expect(await lastUsed()).toBe(first);

      r.t.clock.advance(51_000);
      expect((await r.useToken(token)).statusCode).toBe(200);
      const moved = await lastUsed();
      expect(Date.parse(moved!) - Date.parse(first!)).toBeGreaterThanOrEqual(61_000);
    } finally {
      await r.t.close();
    }
  });

  it('accepts the token raw or in the Bearer form, alike', async () => {
    const r = await registry();
    try {
      const { token } = await r.t.userWithToken('alice');
      const raw = await r.useToken(token);
      const bearer = await r.useToken(`Bearer ${token}`);
      expect(raw.statusCode).toBe(200);
      expect(bearer.statusCode).toBe(200);
      expect(bearer.json()).toEqual(raw.json());
      const wrong = await r.useToken(`Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
      expect(wrong.statusCode).toBe(401);
      expect(detail(wrong)).toMatch(/checksum/);
    } finally {
      await r.t.close();
    }
  });
});

describe('GET /api/v1/me/audit', () => {
  it("shows the caller's own events with the token used, never another user's, never a secret", async () => {
    const r = await registry();
    try {
      const alice = await r.signIn('alice');
      const bob = await r.signIn('bob');
      const aliceToken = await r.mint(alice.session, { name: 'alice-ci' });
      const bobToken = await r.mint(bob.session, { name: 'bob-ci' });
      const publish = async (name: string, token: string) => {
        const res = await r.t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers: '1.0.0' }), headers: { authorization: token } });
        expect(res.statusCode, res.body).toBe(200);
      };
      await publish('alpha', aliceToken.token);
      await publish('beta', bobToken.token);
      const yank = await r.t.app.inject({ method: 'DELETE', url: '/api/v1/crates/alpha/1.0.0/yank', headers: { authorization: aliceToken.token } });
      expect(yank.statusCode, yank.body).toBe(200);

      const res = await r.useToken(aliceToken.token);
      expect(res.statusCode).toBe(200);
      const events = (res.json() as { events: AuditJson[] }).events;
      expect(events.map((e) => [e.action, e.crate])).toEqual([
        ['crate.yank', 'alpha'],
        ['crate.publish', 'alpha'],
        ['token.create', null],
      ]);
      for (const e of events) expect(e.token_id).toBe(aliceToken.id);
      expect(res.body).not.toContain(aliceToken.token);
      expect(res.body).not.toContain(bobToken.token);
      expect(res.body).not.toContain('beta');

      const bobs = (await r.useToken(bobToken.token)).json() as { events: AuditJson[] };
      expect(bobs.events.map((e) => [e.action, e.crate])).toEqual([
        ['crate.publish', 'beta'],
        ['token.create', null],
      ]);
    } finally {
      await r.t.close();
    }
  });

  it("includes what an administrator or a leak report did to the caller's tokens", async () => {
    const r = await registry();
    try {
      const alice = await r.signIn('alice');
      const kept = await r.mint(alice.session, { name: 'kept' });
      const lost = await r.mint(alice.session, { name: 'lost' });
      await revokeToken(r.ctx, { actor: null, via: 'cli:ops' }, lost.id, 'laptop stolen');
      const events = ((await r.useToken(kept.token)).json() as { events: AuditJson[] }).events;
      expect(events[0]).toMatchObject({ action: 'token.revoke', token_id: lost.id, detail: { reason: 'laptop stolen', via: 'cli:ops' } });
    } finally {
      await r.t.close();
    }
  });

  it('needs a token', async () => {
    const r = await registry();
    try {
      expect((await r.t.app.inject({ method: 'GET', url: '/api/v1/me/audit' })).statusCode).toBe(401);
    } finally {
      await r.t.close();
    }
  });
});
