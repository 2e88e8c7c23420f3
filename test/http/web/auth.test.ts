import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { MAX_WAITING_HASHES, setPasswordHashCost } from '../../../src/services/password.service.js';
import { HeldHasher, settle, until, untilWaiting } from '../../helpers/held-hasher.js';
import { createWebApp, csrfOf, FAST_SCRYPT, PASSWORD, type WebTestApp } from '../../helpers/web.js';

const h1 = (html: string) => textOf(elements(parseHtml(html)).find((e) => e.name === 'h1')!);
const alertText = (html: string) => textOf(elements(parseHtml(html)).find((e) => attr(e, 'role') === 'alert') ?? parseHtml(''));

/** Whether a session cookie value opens /me (a signed-in page) on its own. */
async function sessionWorks(t: WebTestApp, cookie: string): Promise<boolean> {
  const res = await t.app.inject({ method: 'GET', url: '/me', headers: { cookie: `wharf_session=${cookie}` } });
  if (res.statusCode === 303) expect(res.headers.location).toBe('/login?next=%2Fme');
  return res.statusCode === 200;
}

describe('signing in and out', () => {
  let t: WebTestApp;
  beforeEach(async () => {
    t = await createWebApp();
    await t.account('alice');
  });
  afterEach(() => t.close());

  it('signs in with the right password and lands on /me', async () => {
    const b = t.browser();
    const res = await b.login('alice');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me');
    const me = await b.get('/me');
    expect(me.statusCode).toBe(200);
    expect(textOf(parseHtml(me.body))).toContain('Signed in as alice');
  });

  it('refuses a wrong password and an unknown login with the same answer, starting no session', async () => {
    for (const [login, password] of [['alice', 'wrong password!!'], ['nobody', PASSWORD], ['ALICE', 'x']]) {
      const b = t.browser();
      const res = await b.login(login!, password);
      expect(res.statusCode).toBe(401);
      expect(alertText(res.body)).toBe('wrong login or password');
      expect(b.session).toBeUndefined();
      // The form keeps the login but never echoes the password.
      expect(res.body).not.toContain(`value="${password}"`);
    }
    expect(await t.runtime.ctx.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/, and not Secure on an http registry', async () => {
    const b = t.browser();
    await b.login('alice');
    const cookie = b.setCookies.find((c) => c.startsWith('wharf_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
    // The login form's own cookie has the same flags.
    expect(b.setCookies.find((c) => c.startsWith('wharf_csrf='))).toMatch(/; HttpOnly; SameSite=Lax$/);
  });

  it('does not adopt a session id chosen before sign-in (session fixation)', async () => {
    // An attacker plants a cookie value of their choosing...
    const b = t.browser();
    b.cookies.set('wharf_session', 'attacker-chosen-value-0123456789abcdef');
    await b.login('alice');
    expect(b.session).toBeDefined();
    expect(b.session).not.toBe('attacker-chosen-value-0123456789abcdef');
    expect(await sessionWorks(t, 'attacker-chosen-value-0123456789abcdef')).toBe(false);
    expect(await sessionWorks(t, b.session!)).toBe(true);

    // ...or a real session of their own, hoping the victim's sign-in upgrades it.
    await t.account('mallory');
    const mallory = t.browser();
    await mallory.login('mallory');
    const planted = mallory.session!;
    const victim = t.browser();
    const form = await victim.get('/login');
    victim.cookies.set('wharf_session', planted);
    await victim.post('/login', { _csrf: csrfOf(form.body), login: 'alice', password: PASSWORD });
    expect(victim.session).not.toBe(planted);
    expect(await sessionWorks(t, planted)).toBe(false);
    const me = await victim.get('/me');
    expect(textOf(parseHtml(me.body))).toContain('Signed in as alice');
  });

  it('logout ends the session on the server: the old cookie no longer works', async () => {
    const b = t.browser();
    await b.login('alice');
    const old = b.session!;
    const out = await b.submit('/me', '/logout');
    expect(out.statusCode).toBe(303);
    expect(b.session).toBeUndefined();
    expect(await sessionWorks(t, old)).toBe(false);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: { cookie: `wharf_session=${old}` } });
    expect(api.statusCode).toBe(401);
    const rows = await t.runtime.ctx.db.selectFrom('sessions').select('ended_at').execute();
    expect(rows.every((r) => r.ended_at !== null)).toBe(true);
  });

  it('a password change ends every other session and keeps this browser signed in', async () => {
    const laptop = t.browser();
    const phone = t.browser();
    await laptop.login('alice');
    await phone.login('alice');
    const before = laptop.session!;
    const res = await laptop.submit('/me', '/me/password', { current: PASSWORD, next: 'a brand new passphrase', confirm: 'a brand new passphrase' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me?notice=password-changed');
    expect((await phone.get('/me')).statusCode).toBe(303);
    expect(await sessionWorks(t, before)).toBe(false);
    expect(laptop.session).not.toBe(before);
    const me = await laptop.get(res.headers.location as string);
    expect(me.statusCode).toBe(200);
    expect(textOf(parseHtml(me.body))).toContain('Your password was changed');
    expect((await t.browser().login('alice')).statusCode).toBe(401);
    expect((await t.browser().login('alice', 'a brand new passphrase')).statusCode).toBe(303);
  });

  it('refuses a password change with a wrong current password, a mismatch, or a short new one', async () => {
    const b = t.browser();
    await b.login('alice');
    const cases: Array<[Record<string, string>, string]> = [
      [{ current: 'not my password', next: 'long enough passphrase', confirm: 'long enough passphrase' }, 'the current password is not right'],
      [{ current: PASSWORD, next: 'long enough passphrase', confirm: 'another passphrase!!' }, 'the new password and its confirmation differ'],
      [{ current: PASSWORD, next: 'short pass', confirm: 'short pass' }, 'a password needs at least 12 characters'],
      [{ current: PASSWORD, next: 'x'.repeat(1025), confirm: 'x'.repeat(1025) }, 'a password may have at most 1024 characters'],
    ];
    for (const [form, message] of cases) {
      const res = await b.submit('/me', '/me/password', form);
      expect(res.statusCode).toBe(400);
      expect(alertText(res.body)).toBe(message);
    }
    expect((await t.browser().login('alice')).statusCode).toBe(303);
  });

  it('counts wrong current passwords against the sign-in limits of that account and address, and a right one clears the count', async () => {
    const b = t.browser('10.9.0.1');
    await b.login('alice');
    const wrong = { current: 'not my password', next: 'long enough passphrase', confirm: 'long enough passphrase' };
    for (let i = 0; i < 3; i++) expect((await b.submit('/me', '/me/password', wrong)).statusCode).toBe(400);
    const held = await b.submit('/me', '/me/password', { current: PASSWORD, next: 'long enough passphrase', confirm: 'long enough passphrase' });
    expect(held.statusCode).toBe(429);
    expect(held.headers['retry-after']).toBe('2');
    expect(alertText(held.body)).toBe('too many failed sign-ins to this account from your address; try again in 2 seconds');
    // Sign-in from the same address shares the count; the owner elsewhere is not held off.
    expect((await t.browser('10.9.0.1').login('alice')).statusCode).toBe(429);
    expect((await t.browser('10.9.0.2').login('alice')).statusCode).toBe(303);
    t.clock.advance(2_000);
    // The right password (with a mismatched confirmation) proves the owner: the count starts over.
    const mismatch = await b.submit('/me', '/me/password', { current: PASSWORD, next: 'long enough passphrase', confirm: 'something else!!' });
    expect(mismatch.statusCode).toBe(400);
    for (let i = 0; i < 3; i++) expect((await b.submit('/me', '/me/password', wrong)).statusCode).toBe(400);
    expect((await b.submit('/me', '/me/password', wrong)).statusCode).toBe(429);
  });

  it('redoes a hash made at a lower cost when its owner signs in', async () => {
    const hash = async () => (await t.runtime.ctx.db.selectFrom('users').select('password_hash').where('login', '=', 'alice').executeTakeFirstOrThrow()).password_hash!;
    expect(await hash()).toMatch(/^\$scrypt\$ln=10,/);
    setPasswordHashCost({ ...FAST_SCRYPT, ln: 11 });
    try {
      expect((await t.browser().login('alice', 'wrong password!')).statusCode).toBe(401);
      expect(await hash()).toMatch(/^\$scrypt\$ln=10,/);
      expect((await t.browser().login('alice')).statusCode).toBe(303);
      expect(await hash()).toMatch(/^\$scrypt\$ln=11,/);
      expect((await t.browser().login('alice')).statusCode).toBe(303);
    } finally {
      setPasswordHashCost(FAST_SCRYPT);
    }
  });

  it('sends a signed-in visitor of /login on, and never to another site', async () => {
    const b = t.browser();
    const page = await b.get('/login?next=/crates/x');
    const res = await b.post('/login', { _csrf: csrfOf(page.body), login: 'alice', password: PASSWORD, next: '//evil.example/x' });
    expect(res.headers.location).toBe('/me');
    expect((await b.get('/login?next=/search')).headers.location).toBe('/search');
    expect((await b.get('/login?next=https://evil.example')).headers.location).toBe('/me');
    expect((await b.get('/login?next=/\\evil.example')).headers.location).toBe('/me');
  });
});

describe('on an https registry', () => {
  it('names the session and form cookies with the __Host- prefix, Secure, Path=/ and no Domain, and reads only those', async () => {
    const t = await createWebApp({ publicUrl: 'https://registry.example' });
    try {
      await t.account('alice');
      const b = t.browser();
      expect((await b.login('alice')).statusCode).toBe(303);
      expect(b.setCookies.find((c) => c.startsWith('__Host-wharf_session='))).toMatch(/^__Host-wharf_session=[^;]+; Path=\/; Max-Age=1209600; HttpOnly; SameSite=Lax; Secure$/);
      expect(b.setCookies.find((c) => c.startsWith('__Host-wharf_csrf='))).toMatch(/^__Host-wharf_csrf=[^;]+; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure$/);
      expect(b.setCookies.filter((c) => c.startsWith('wharf_'))).toEqual([]);
      expect(b.setCookies.join('\n')).not.toMatch(/domain=/i);
      // A cookie without the prefix (which a sibling subdomain or a plain-http page could set) names no session.
      const session = b.session!;
      const plain = await t.app.inject({ method: 'GET', url: '/me', headers: { cookie: `wharf_session=${session}` } });
      expect(plain.statusCode).toBe(303);
      const prefixed = await t.app.inject({ method: 'GET', url: '/me', headers: { cookie: `__Host-wharf_session=${session}` } });
      expect(prefixed.statusCode).toBe(200);
      const api = await t.app.inject({ method: 'GET', url: '/api/v1/me/tokens', headers: { cookie: `__Host-wharf_session=${session}` } });
      expect(api.statusCode).toBe(200);
      const out = await b.submit('/me', '/logout');
      expect(out.headers['set-cookie']).toEqual(['__Host-wharf_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure']);
    } finally {
      await t.close();
    }
  });
});

describe('login rate limits', () => {
  let t: WebTestApp;
  beforeEach(async () => {
    t = await createWebApp();
    await t.account('alice');
    await t.account('bob');
  });
  afterEach(() => t.close());

  it('a stranger’s wrong passwords from other addresses never keep the owner out of their own address', async () => {
    // The old rule locked the account everywhere after 5 failures from anywhere.
    for (let i = 0; i < 8; i++) await t.browser('203.0.113.9').login('alice', 'wrong password!');
    for (let i = 0; i < 5; i++) expect((await t.browser(`203.0.113.${20 + i}`).login('alice', 'wrong password!')).statusCode).toBe(401);
    expect((await t.browser('192.168.1.5').login('alice')).statusCode).toBe(303);
    // The stranger's own address is held off, even with the right password.
    const held = await t.browser('203.0.113.9').login('alice');
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('makes one address wait longer after each further failure on one account: 2 s, 4 s, 8 s ...', async () => {
    const from = () => t.browser('198.51.100.4');
    for (let i = 0; i < 3; i++) expect((await from().login('alice', 'wrong password!')).statusCode).toBe(401);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const held = await from().login('alice', 'wrong password!');
      expect(held.statusCode).toBe(429);
      const wait = Number(held.headers['retry-after']);
      waits.push(wait);
      expect(alertText(held.body)).toMatch(/^too many failed sign-ins to this account from your address; try again in \d+ (seconds|minutes)$/);
      t.clock.advance(wait * 1000 - 1000);
      expect((await from().login('alice', 'wrong password!')).statusCode).toBe(429);
      t.clock.advance(1000);
      expect((await from().login('alice', 'wrong password!')).statusCode).toBe(401);
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 64, 128]);
    // Other accounts from that address, and the account from other addresses, are not held off.
    expect((await from().login('bob')).statusCode).toBe(303);
    expect((await t.browser('198.51.100.5').login('alice')).statusCode).toBe(303);
  });

  it('a success clears the count of that account and address', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) expect((await t.browser().login('alice', 'wrong password!')).statusCode).toBe(401);
      expect((await t.browser().login('alice')).statusCode).toBe(429);
      t.clock.advance(2_000);
      expect((await t.browser().login('alice')).statusCode).toBe(303);
    }
  });

  it('counts successful sign-ins too: 10 per account in 15 minutes', async () => {
    for (let i = 0; i < 10; i++) expect((await t.browser(`10.1.0.${i}`).login('alice')).statusCode).toBe(303);
    const held = await t.browser('10.1.1.1').login('alice');
    expect(held.statusCode).toBe(429);
    expect(alertText(held.body)).toMatch(/^too many sign-ins to this account; try again in 15 minutes$/);
    expect((await t.browser('10.1.1.1').login('bob')).statusCode).toBe(303);
    t.clock.advance(15 * 60_000 + 1000);
    expect((await t.browser('10.1.1.1').login('alice')).statusCode).toBe(303);
  });

  it('holds an account sprayed from 100 networks, except at the network its owner signed in from lately', async () => {
    expect((await t.browser('2001:db8:cafe:1::10').login('alice')).statusCode).toBe(303);
    for (let i = 0; i < 100; i++) {
      const from = i % 2 === 0 ? `2001:db8:${(i + 1).toString(16)}::1` : `198.51.100.${i}`;
      expect((await t.browser(from).login('alice', 'wrong password!')).statusCode).toBe(401);
    }
    // Even the right password from a new network waits...
    const held = await t.browser('203.0.113.77').login('alice');
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(59 * 60);
    expect(alertText(held.body)).toMatch(/^too many failed sign-ins to this account from many addresses; try again in 60 minutes/);
    // ...while the owner's home network (any address of its /64) signs in, and other accounts are untouched.
    expect((await t.browser('2001:db8:cafe:1::beef').login('alice')).statusCode).toBe(303);
    expect((await t.browser('203.0.113.77').login('bob')).statusCode).toBe(303);
  });

  it('allows 20 failures per address, across accounts, then answers 429', async () => {
    for (let i = 0; i < 20; i++) expect((await t.browser('192.0.2.7').login(`guess${i}`, 'wrong password!')).statusCode).toBe(401);
    const blocked = await t.browser('192.0.2.7').login('bob');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(alertText(blocked.body)).toMatch(/too many failed sign-ins from your address/);
    expect((await t.browser('192.0.2.8').login('bob')).statusCode).toBe(303);
  });
});

describe('behind a reverse proxy', () => {
  it('counts sign-in failures per forwarded client when the proxy is trusted, and per peer when not', async () => {
    const trusted = await createWebApp({ trustProxy: ['127.0.0.1'] });
    const untrusted = await createWebApp();
    try {
      for (const t of [trusted, untrusted]) {
        await t.account('bob');
        // One attacker behind the proxy uses up the per-address limit...
        const attacker = { 'x-forwarded-for': '203.0.113.66' };
        for (let i = 0; i < 20; i++) expect((await t.browser('127.0.0.1', attacker).login(`guess${i}`, 'wrong password!')).statusCode).toBe(401);
      }
      // ...which, with the proxy trusted, holds off that client only.
      expect((await trusted.browser('127.0.0.1', { 'x-forwarded-for': '203.0.113.66' }).login('bob')).statusCode).toBe(429);
      expect((await trusted.browser('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }).login('bob')).statusCode).toBe(303);
      // Untrusted, every client behind the proxy is the proxy, and a forged header changes nothing.
      expect((await untrusted.browser('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }).login('bob')).statusCode).toBe(429);
      // A client that is not the proxy cannot pick its address by sending the header itself.
      expect((await trusted.browser('192.0.2.50', { 'x-forwarded-for': '203.0.113.66' }).login('bob')).statusCode).toBe(303);
      for (let i = 0; i < 20; i++) await trusted.browser('192.0.2.50', { 'x-forwarded-for': `198.51.100.${i}` }).login(`guess${i}`, 'wrong password!');
      expect((await trusted.browser('192.0.2.50', { 'x-forwarded-for': '198.51.100.99' }).login('bob')).statusCode).toBe(429);
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });

  it('counts every address of one forwarded IPv6 /64 as one client, and another /64 apart', async () => {
    const t = await createWebApp({ trustProxy: ['127.0.0.1'] });
    try {
      await t.account('bob');
      const from = (net: string, host: number) => t.browser('127.0.0.1', { 'x-forwarded-for': `2001:db8:${net}::${host.toString(16)}` });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await from('a', i + 1).login('bob', 'wrong password!')).statusCode);
      expect(statuses).toEqual([...Array<number>(3).fill(401), ...Array<number>(37).fill(429)]);
      // Even the right password waits at that network; the owner elsewhere signs in.
      expect((await from('a', 0xffff).login('bob')).statusCode).toBe(429);
      expect((await from('b', 1).login('bob')).statusCode).toBe(303);
    } finally {
      await t.close();
    }
  });
});

describe('locked accounts', () => {
  it('cannot sign in, lose their sessions, and their tokens are refused', async () => {
    const t = await createWebApp();
    try {
      await t.account('root', { admin: true });
      const bob = await t.account('bob');
      const { token } = await t.tokenFor(bob.id);
      const bobBrowser = t.browser();
      await bobBrowser.login('bob');

      const admin = t.browser();
      await admin.login('root');
      const lock = await admin.submit('/admin/users', '/admin/users/bob/lock');
      expect(lock.headers.location).toBe('/admin/users?notice=locked');

      expect((await bobBrowser.get('/me')).statusCode).toBe(303);
      const again = await t.browser().login('bob');
      expect(again.statusCode).toBe(403);
      expect(alertText(again.body)).toBe('the account `bob` is locked; ask an administrator');
      const api = await t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: token } });
      expect(api.statusCode).toBe(403);

      await admin.submit('/admin/users', '/admin/users/bob/unlock');
      expect((await t.browser().login('bob')).statusCode).toBe(303);
    } finally {
      await t.close();
    }
  });
});

describe('self-registration', () => {
  it('is off by default: no page, no account, no link', async () => {
    const t = await createWebApp();
    try {
      const b = t.browser();
      const page = await b.get('/signup');
      expect(page.statusCode).toBe(404);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('ask whoever runs this registry for an account');
      // Once there are administrators, the page names them.
      await t.account('root', { admin: true });
      expect((await b.get('/signup')).body).toContain('ask an administrator for an account (root)');
      await t.runtime.ctx.db.deleteFrom('users').execute();
      const login = await b.get('/login');
      const res = await b.post('/signup', { _csrf: csrfOf(login.body), login: 'eve', password: PASSWORD, confirm: PASSWORD });
      expect(res.statusCode).toBe(404);
      expect(await t.runtime.ctx.db.selectFrom('users').selectAll().execute()).toEqual([]);
      expect(login.body).not.toContain('/signup');
    } finally {
      await t.close();
    }
  });

  it('when allowed, creates a non-admin account with a valid password and signs it in', async () => {
    const t = await createWebApp({ allowSignup: true });
    try {
      const b = t.browser();
      expect((await b.get('/login')).body).toContain('href="/signup"');
      const short = await b.submit('/signup', '/signup', { login: 'eve', password: 'too short', confirm: 'too short' });
      expect(short.statusCode).toBe(400);
      expect(alertText(short.body)).toBe('a password needs at least 12 characters');
      const res = await b.submit('/signup', '/signup', { login: 'eve', password: PASSWORD, confirm: PASSWORD, admin: 'yes' });
      expect(res.statusCode).toBe(303);
      expect(h1((await b.get('/me')).body)).toBe('API tokens');
      const eve = await t.runtime.ctx.db.selectFrom('users').selectAll().where('login', '=', 'eve').executeTakeFirstOrThrow();
      expect(eve.is_admin).toBe(0);
      expect(eve.password_hash).toMatch(/^\$scrypt\$/);
    } finally {
      await t.close();
    }
  });

  it('allows 10 sign-up attempts per address in an hour, then answers 429 with Retry-After', async () => {
    const t = await createWebApp({ allowSignup: true });
    try {
      for (let i = 0; i < 10; i++) {
        const res = await t.browser('198.51.100.9').submit('/signup', '/signup', { login: `user${i}`, password: 'too short', confirm: 'too short' });
        expect(res.statusCode).toBe(400);
      }
      const blocked = await t.browser('198.51.100.9').submit('/signup', '/signup', { login: 'late', password: PASSWORD, confirm: PASSWORD });
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(3000);
      expect(alertText(blocked.body)).toMatch(/^too many sign-ups from your address; try again in \d+ minutes$/);
      expect(await t.runtime.ctx.db.selectFrom('users').selectAll().where('login', '=', 'late').execute()).toEqual([]);
      expect((await t.browser('198.51.100.10').submit('/signup', '/signup', { login: 'late', password: PASSWORD, confirm: PASSWORD })).statusCode).toBe(303);
      t.clock.advance(60 * 60_000 + 1000);
      expect((await t.browser('198.51.100.9').submit('/signup', '/signup', { login: 'later', password: PASSWORD, confirm: PASSWORD })).statusCode).toBe(303);
    } finally {
      await t.close();
    }
  });

  it('counts sign-ups from one IPv6 /64 together, whichever of its addresses they come from', async () => {
    const t = await createWebApp({ allowSignup: true });
    try {
      const attempt = (address: string, login: string) => t.browser(address).submit('/signup', '/signup', { login, password: 'too short', confirm: 'too short' });
      for (let i = 0; i < 10; i++) expect((await attempt(`2001:db8:7:7::${i + 1}`, `user${i}`)).statusCode).toBe(400);
      expect((await attempt('2001:db8:7:7:abcd::99', 'late')).statusCode).toBe(429);
      expect((await attempt('2001:db8:7:8::1', 'late')).statusCode).toBe(400);
    } finally {
      await t.close();
    }
  });
});

describe('a private registry', () => {
  it('sends visitors of crate pages to sign in first', async () => {
    const t = await createWebApp({ authRequired: true });
    try {
      await t.account('alice');
      const b = t.browser();
      for (const url of ['/', '/search?q=x', '/crates/anything', '/users/alice']) {
        const res = await b.get(url);
        expect(res.statusCode, url).toBe(303);
        expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
      }
      await b.login('alice');
      expect((await b.get('/')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('sign-in under load', () => {
  let t: WebTestApp;
  let hasher: HeldHasher;
  beforeEach(async () => {
    t = await createWebApp();
    await t.account('alice');
    await t.account('bob');
    hasher = new HeldHasher().install();
  });
  afterEach(async () => {
    hasher.uninstall();
    await t.close();
  });

  /** Posts the sign-in form `count` times at once from one browser, as a script would. */
  const burst = async (b: ReturnType<WebTestApp['browser']>, count: number, password = PASSWORD) => {
    const page = await b.get('/login');
    const form = { _csrf: csrfOf(page.body), login: 'alice', password, next: '/me' };
    return Array.from({ length: count }, () => b.post('/login', form));
  };

  it('one address signing in 20 times at once gets two checks; the rest are refused at once and nobody else waits behind them', async () => {
    const answered: number[] = [];
    const requests = (await burst(t.browser('10.3.0.1'), 20)).map((p) => p.then((res) => (answered.push(res.statusCode), res)));
    await hasher.whenStarted(2);
    await until(() => answered.length === 18, '18 answers');
    await settle();
    expect(answered).toEqual(Array(18).fill(429));
    expect(hasher.started).toHaveLength(2);
    // Bob, elsewhere, is next in line: behind two hashes, not twenty.
    const bob = t.browser('10.3.0.2').login('bob');
    await settle();
    expect(hasher.started).toHaveLength(2);
    hasher.releaseOne();
    await hasher.whenStarted(3);
    expect(hasher.started[2]).toBe(PASSWORD);
    hasher.releaseAll();
    const all = await Promise.all(requests);
    expect(all.filter((r) => r.statusCode === 303)).toHaveLength(2);
    const refused = all.find((r) => r.statusCode === 429)!;
    expect(refused.headers['retry-after']).toBe('1');
    expect(alertText(refused.body)).toBe('a sign-in from your address is already being checked; try again in a moment');
    expect((await bob).statusCode).toBe(303);
  });

  it('answers 503 with Retry-After when the queue of hashes is full, without counting it as a failure', async () => {
    // Two running and sixteen waiting, each from its own address (one address gets two at most).
    const waiting = Array.from({ length: 2 + MAX_WAITING_HASHES }, (_, i) => t.browser(`10.4.0.${i}`).login('bob', 'wrong password!'));
    await hasher.whenStarted(2);
    await untilWaiting(MAX_WAITING_HASHES);
    const b = t.browser('10.4.1.1');
    for (let i = 0; i < 5; i++) {
      const busy = await b.login('alice');
      expect(busy.statusCode).toBe(503);
      expect(busy.headers['retry-after']).toBe('2');
      expect(alertText(busy.body)).toMatch(/^the server is checking too many passwords at the moment; try again in a few seconds$/);
      expect(b.session).toBeUndefined();
    }
    hasher.releaseAll();
    for (let i = 2; i < waiting.length; i += 2) {
      await hasher.whenStarted(i + 2);
      hasher.releaseAll();
    }
    for (const res of await Promise.all(waiting)) expect(res.statusCode).toBe(401);
    // The refusals cost that address nothing: it signs in at once.
    const ok = b.login('alice');
    await hasher.whenStarted(2 + MAX_WAITING_HASHES + 1);
    hasher.releaseAll();
    expect((await ok).statusCode).toBe(303);
  });
});
