import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findUserByLogin } from '../../src/db/repositories/user.repository.js';
import { confirmTotpEnrolment, startTotpEnrolment } from '../../src/services/factors/totp.service.js';
import { secretFromBase32, totpCode } from '../../src/services/factors/totp.js';
import { CLIENT_ID, CLIENT_SECRET, TestOidcProvider, throughProvider } from '../helpers/oidc-provider.js';
import { createWebApp, csrfOf, type WebTestApp } from '../helpers/web.js';

const PUBLIC = 'http://wharf.test';

/**
 * Signing in through the identity provider replaces the password, not the account's own second
 * factor: a person who set up an app on Wharf is asked for its code after the provider too.
 */
describe('single sign-on and second factors', () => {
  let op: TestOidcProvider;
  let t: WebTestApp | null = null;

  beforeAll(async () => {
    op = await TestOidcProvider.start(`${PUBLIC}/login/oidc/callback`);
    op.people.set('sub-ada', { preferred_username: 'ada', email: 'ada@example.com', email_verified: true });
  });
  afterAll(async () => op.close());
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  const app = async (overrides = {}) => {
    t = await createWebApp({ oidcIssuer: op.issuer, oidcClientId: CLIENT_ID, oidcClientSecret: CLIENT_SECRET, oidcAutoCreate: true, ...overrides });
    return t;
  };
  const viaProvider = async (w: WebTestApp) => {
    const b = w.browser();
    op.nextLogin = 'sub-ada';
    return { b, res: await throughProvider(b, await b.get('/login/oidc?next=/me/tokens'), PUBLIC) };
  };

  it('asks an account with an authenticator app for a code after the provider, and starts the session only then', async () => {
    const w = await app();
    await viaProvider(w);
    const ada = (await findUserByLogin(w.runtime.ctx.db, 'ada'))!;
    const actor = { userId: ada.id, login: ada.login, name: null, isAdmin: false, token: null };
    const { secret } = await startTotpEnrolment(w.runtime.ctx, actor);
    const code = () => totpCode({ secret: secretFromBase32(secret) }, w.runtime.ctx.clock.now().getTime());
    await confirmTotpEnrolment(w.runtime.ctx, actor, code());

    const { b, res } = await viaProvider(w);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login/two-factor');
    expect((await b.get('/me')).statusCode).toBe(303);

    const step = await b.get('/login/two-factor');
    w.clock.advance(30_000);
    const ok = await b.post('/login/two-factor', { _csrf: csrfOf(step.body), code: code() });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/me/tokens');
    expect((await b.get('/me')).statusCode).toBe(200);
    const logins = await w.runtime.ctx.db.selectFrom('audit_log').select('detail').where('action', '=', 'user.login').execute();
    expect(JSON.parse(logins.at(-1)!.detail!)).toEqual({ via: 'oidc+totp' });
  });

  it('sends a sign-in without a factor to enrolment when require_2fa = everyone', async () => {
    const w = await app({ require2fa: 'everyone' });
    const { res } = await viaProvider(w);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me/two-factor?notice=required');
  });
});
