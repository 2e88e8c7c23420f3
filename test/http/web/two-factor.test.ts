import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findUserByLogin } from '../../../src/db/repositories/user.repository.js';
import { secretFromBase32, totpCode } from '../../../src/services/factors/totp.js';
import { attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, PASSWORD, type WebTestApp } from '../../helpers/web.js';

const h1 = (html: string) => textOf(elements(parseHtml(html)).find((e) => e.name === 'h1')!);
const alertText = (html: string) => textOf(elements(parseHtml(html)).find((e) => attr(e, 'role') === 'alert') ?? parseHtml(''));
const MINUTE = 60_000;

describe('two-factor authentication on the web', () => {
  let t: WebTestApp;

  const setUp = async (overrides = {}) => {
    t = await createWebApp(overrides);
    t.clock.freeze(new Date('2026-06-01T12:00:05Z'));
    await t.account('alice');
  };
  afterEach(() => t.close());

  const code = (secret: string) => totpCode({ secret: secretFromBase32(secret) }, t.clock.now().getTime());

  /** Signs in, sets up an app on /me/two-factor; returns the secret and the recovery codes shown. */
  async function enrol(b: Browser): Promise<{ secret: string; recovery: string[] }> {
    await b.login('alice');
    const start = await b.submit('/me/two-factor', '/me/two-factor/totp');
    expect(start.statusCode).toBe(200);
    expect(h1(start.body)).toBe('Set up an authenticator app');
    // The QR code is inline SVG, rendered on the server: no script, no image from elsewhere.
    const svg = elements(parseHtml(start.body)).find((e) => e.name === 'svg');
    expect(svg).toBeDefined();
    expect(start.body).not.toMatch(/<script(?![^>]*src="\/static\/)/);
    const secret = textOf(elements(parseHtml(start.body)).find((e) => attr(e, 'id') === 'totp-secret')!).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const wrong = await b.post('/me/two-factor/totp/confirm', { _csrf: csrfOf(start.body), code: '123456' === code(secret) ? '654321' : '123456' });
    expect(wrong.statusCode).toBe(400);
    expect(h1(wrong.body)).toBe('Set up an authenticator app');
    const done = await b.post('/me/two-factor/totp/confirm', { _csrf: csrfOf(start.body), code: code(secret) });
    expect(done.statusCode).toBe(200);
    expect(done.headers['cache-control']).toBe('no-store');
    const recovery = elements(parseHtml(done.body))
      .filter((e) => e.name === 'code')
      .map((e) => textOf(e));
    expect(recovery).toHaveLength(10);
    t.clock.advance(30_000);
    return { secret, recovery };
  }

  it('signs in with the password and then a code of the app; the session starts only after both', async () => {
    await setUp();
    const { secret } = await enrol(t.browser());

    const b = t.browser();
    const first = await b.login('alice');
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/login/two-factor');
    expect(b.session).toBeUndefined();
    expect((await b.get('/me')).statusCode).toBe(303);

    const step = await b.get('/login/two-factor');
    expect(h1(step.body)).toBe('Second factor');
    const wrong = await b.post('/login/two-factor', { _csrf: csrfOf(step.body), code: '000000' === code(secret) ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(401);
    expect(alertText(wrong.body)).toBe('that code is not right, or was used already');
    expect(b.session).toBeUndefined();

    const used = code(secret);
    const ok = await b.post('/login/two-factor', { _csrf: csrfOf(step.body), code: used });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/me');
    expect(b.session).toBeDefined();
    expect((await b.get('/me')).statusCode).toBe(200);

    // The same code cannot open a second session (replay), even with a fresh password step.
    const other = t.browser();
    await other.login('alice');
    const again = await other.post('/login/two-factor', { _csrf: csrfOf((await other.get('/login/two-factor')).body), code: used });
    expect(again.statusCode).toBe(401);
    expect(other.session).toBeUndefined();

    const logins = await t.runtime.ctx.db.selectFrom('audit_log').select('detail').where('action', '=', 'user.login').execute();
    expect(logins.map((l) => JSON.parse(l.detail!).via)).toEqual(['password', 'password+totp']);
    // The secret is never in the logs.
    expect(t.logs.join('')).not.toContain(secret);
  });

  it('takes a recovery code once instead of the app', async () => {
    await setUp();
    const { recovery } = await enrol(t.browser());
    const b = t.browser();
    await b.login('alice');
    const step = await b.get('/login/two-factor');
    expect((await b.post('/login/two-factor', { _csrf: csrfOf(step.body), code: recovery[0]! })).headers.location).toBe('/me');
    const c = t.browser();
    await c.login('alice');
    const reuse = await c.post('/login/two-factor', { _csrf: csrfOf((await c.get('/login/two-factor')).body), code: recovery[0]! });
    expect(reuse.statusCode).toBe(401);
  });

  it('limits guesses of codes like passwords', async () => {
    await setUp();
    const { secret } = await enrol(t.browser());
    // From another address than enrolment's (whose one wrong code counts there).
    const b = t.browser('10.0.0.2');
    await b.login('alice');
    const csrf = csrfOf((await b.get('/login/two-factor')).body);
    const wrongCode = code(secret) === '999999' ? '999998' : '999999';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await b.post('/login/two-factor', { _csrf: csrfOf((await b.get('/login/two-factor')).body), code: wrongCode })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Even the right code waits out the delay.
    expect((await b.post('/login/two-factor', { _csrf: csrf, code: code(secret) })).statusCode).toBe(429);
  });

  it('lets a pending sign-in expire', async () => {
    await setUp();
    const { secret } = await enrol(t.browser());
    const b = t.browser();
    await b.login('alice');
    const csrf = csrfOf((await b.get('/login/two-factor')).body);
    t.clock.advance(6 * MINUTE);
    const late = await b.post('/login/two-factor', { _csrf: csrf, code: code(secret) });
    expect(late.statusCode).toBe(303);
    expect(late.headers.location).toBe('/login');
    expect(b.session).toBeUndefined();
  });

  it('re-authenticates an account with an authenticator app by its password and a code, never one alone', async () => {
    await setUp();
    const b = t.browser();
    const { secret } = await enrol(b);
    t.clock.advance(20 * MINUTE);
    const me = await b.get('/me');
    const nonce = elements(parseHtml(me.body)).find((e) => e.name === 'input' && attr(e, 'name') === 'nonce');
    const form = { _csrf: csrfOf(me.body), nonce: attr(nonce!, 'value')!, name: 'ci', scopes: 'yank', crates: '*', expiry: '30' };
    const refused = await b.post('/me/tokens', form);
    expect(refused.statusCode).toBe(403);
    expect(h1(refused.body)).toBe('Confirm your password');
    expect(elements(parseHtml(refused.body)).some((e) => attr(e, 'name') === 'sudo_code')).toBe(true);
    const codeAlone = await b.post('/me/tokens', { ...form, sudo_code: code(secret) });
    expect(codeAlone.statusCode).toBe(403);
    const passwordAlone = await b.post('/me/tokens', { ...form, sudo_password: PASSWORD });
    expect(passwordAlone.statusCode).toBe(401);
    expect(alertText(passwordAlone.body)).toContain('enter the code of your authenticator app as well as the password');
    t.clock.advance(MINUTE);
    const done = await b.post('/me/tokens', { ...form, sudo_password: PASSWORD, sudo_code: code(secret) });
    expect(alertText(done.body)).toBe('');
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('wharf_');
  });

  it('require_2fa = publishers refuses a publish-scoped token to an account without a factor', async () => {
    await setUp({ require2fa: 'publishers' });
    const b = t.browser();
    await b.login('alice');
    const tokenForm = async (scopes: string[]) => {
      const me = await b.get('/me');
      const nonce = elements(parseHtml(me.body)).find((e) => e.name === 'input' && attr(e, 'name') === 'nonce');
      return b.post('/me/tokens', { _csrf: csrfOf(me.body), nonce: attr(nonce!, 'value')!, name: 'ci', scopes, crates: '*', expiry: '30' });
    };
    const refused = await tokenForm(['publish-update']);
    expect(refused.statusCode).toBe(403);
    expect(alertText(refused.body)).toMatch(/requires a second factor for tokens that may publish/);
    expect((await tokenForm(['yank'])).statusCode).toBe(200);
    // The API refuses the same.
    const alice = (await findUserByLogin(t.runtime.ctx.db, 'alice'))!;
    const { createToken } = await import('../../../src/services/token.service.js');
    const actor = { userId: alice.id, login: 'alice', name: null, isAdmin: false, token: null };
    await expect(createToken(t.runtime.ctx, alice.id, { name: 'x', scopes: ['publish-new'] }, actor)).rejects.toThrow(/second factor/);
    // With a factor, the token is made.
    const { secret } = await enrol(t.browser());
    expect(secret).toBeTruthy();
    const done = await tokenForm(['publish-update']);
    expect(done.statusCode).toBe(200);
  });

  it('require_2fa = everyone sends a sign-in without a factor to enrolment', async () => {
    await setUp({ require2fa: 'everyone' });
    const res = await t.browser().login('alice');
    expect(res.headers.location).toBe('/me/two-factor?notice=required');
  });

  it('lets an admin see and reset the factors of a user, who is told at the next sign-in', async () => {
    await setUp();
    await t.account('root', { admin: true });
    await enrol(t.browser());
    const admin = t.browser();
    await admin.login('root');
    const users = await admin.get('/admin/users');
    const row = elements(parseHtml(users.body)).find((e) => e.name === 'tr' && textOf(e).includes('alice'))!;
    expect(textOf(row)).toContain('app');
    const reset = await admin.post('/admin/users/alice/reset-factors', { _csrf: csrfOf(users.body) });
    expect(reset.statusCode).toBe(303);
    expect(reset.headers.location).toBe('/admin/users?notice=factors-reset');
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select('detail').where('action', '=', 'user.factor_reset').execute();
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ login: 'alice', method: 'all', via: 'web' });

    const b = t.browser();
    const signIn = await b.login('alice', PASSWORD);
    expect(signIn.headers.location).toBe('/me/two-factor?notice=reset');
    const page = await b.get('/me/two-factor?notice=reset');
    expect(textOf(parseHtml(page.body))).toContain('An administrator removed every second factor');
    // Told once.
    const later = await t.browser().login('alice');
    expect(later.headers.location).toBe('/me');
  });
});
