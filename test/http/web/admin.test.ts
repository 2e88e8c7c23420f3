import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attr, elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, PASSWORD, type WebTestApp } from '../../helpers/web.js';

const h1 = (html: string) => textOf(elements(parseHtml(html)).find((e) => e.name === 'h1')!);

describe('the admin pages', () => {
  let t: WebTestApp;
  let admin: Browser;
  let rootId: number;

  beforeEach(async () => {
    t = await createWebApp();
    rootId = (await t.account('root', { admin: true })).id;
    admin = t.browser();
    await admin.login('root');
  });
  afterEach(() => t.close());

  const user = (login: string) => t.runtime.ctx.db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst();

  it('are for admins only', async () => {
    await t.account('bob');
    const bob = t.browser();
    await bob.login('bob');
    for (const url of ['/admin/users', '/admin/tokens', '/admin/audit']) {
      const res = await bob.get(url);
      expect(res.statusCode, url).toBe(403);
      expect(h1(res.body)).toBe('Not allowed');
      const anon = await t.browser().get(url);
      expect(anon.statusCode).toBe(303);
      expect(anon.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    const page = await bob.get('/me');
    const post = await bob.post('/admin/users/bob/admin', { _csrf: csrfOf(page.body) });
    expect(post.statusCode).toBe(403);
    expect((await user('bob'))!.is_admin).toBe(0);
  });

  it('create users with a password that then signs in', async () => {
    const res = await admin.submit('/admin/users', '/admin/users', { login: 'carol', name: 'Carol', email: 'carol@example.com', password: 'carols own passphrase' });
    expect(res.headers.location).toBe('/admin/users?notice=created');
    const list = await admin.get('/admin/users?notice=created');
    expect(textOf(parseHtml(list.body))).toContain('The user was created.');
    expect(elements(parseHtml(list.body)).filter((e) => e.name === 'tr').map(textOf)).toContainEqual(expect.stringMatching(/^carol Carol user active set none \d{4}-\d{2}-\d{2} Lock Make admin Reset password Delete$/));
    expect((await t.browser().login('carol', 'carols own passphrase')).statusCode).toBe(303);

    const dup = await admin.submit('/admin/users', '/admin/users', { login: 'Carol', password: PASSWORD });
    expect(dup.statusCode).toBe(409);
    const short = await admin.submit('/admin/users', '/admin/users', { login: 'dave', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(textOf(parseHtml(short.body))).toContain('a password needs at least 12 characters');
    expect(await user('dave')).toBeUndefined();
  });

  it('make and unmake admins, but never lock or demote themselves', async () => {
    await t.account('bob');
    await admin.submit('/admin/users', '/admin/users/bob/admin');
    expect((await user('bob'))!.is_admin).toBe(1);
    await admin.submit('/admin/users', '/admin/users/bob/unadmin');
    expect((await user('bob'))!.is_admin).toBe(0);
    const self = await admin.submit('/admin/users', '/admin/users/root/lock');
    expect(self.statusCode).toBe(400);
    expect(textOf(parseHtml(self.body))).toContain('you cannot lock your own account');
    expect((await admin.submit('/admin/users', '/admin/users/root/unadmin')).statusCode).toBe(400);
    expect((await user('root'))!.locked_at).toBeNull();
    expect((await admin.submit('/admin/users', '/admin/users/ghost/lock')).statusCode).toBe(404);
  });

  it('revoke every token only after a reason and a confirmation', async () => {
    const bob = await t.account('bob');
    const tokens = [await t.tokenFor(bob.id), await t.tokenFor(rootId), await t.tokenFor(bob.id)];
    const use = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: token } });
    const page = await admin.get('/admin/tokens');
    expect(textOf(parseHtml(page.body))).toContain('There are 3 live tokens.');

    const noReason = await admin.post('/admin/tokens/revoke-all', { _csrf: csrfOf(page.body), reason: ' ' });
    expect(noReason.statusCode).toBe(400);
    const step1 = await admin.post('/admin/tokens/revoke-all', { _csrf: csrfOf(page.body), reason: 'server copied <b>' });
    expect(step1.statusCode).toBe(200);
    expect(h1(step1.body)).toBe('Confirm: revoke every token');
    expect(textOf(parseHtml(step1.body))).toContain('This revokes all 3 live tokens');
    for (const tk of tokens) expect((await use(tk.token)).statusCode).toBe(200);

    const confirm = elements(parseHtml(step1.body)).find((e) => e.name === 'input' && attr(e, 'name') === 'confirm')!;
    expect(attr(confirm, 'type')).toBe('checkbox');
    const step2 = await admin.post('/admin/tokens/revoke-all', { _csrf: csrfOf(step1.body), reason: 'server copied <b>', confirm: 'yes' });
    expect(step2.statusCode).toBe(303);
    expect(step2.headers.location).toBe('/admin/tokens?revoked=3');
    expect(textOf(parseHtml((await admin.get(step2.headers.location as string)).body))).toContain('Revoked 3 tokens.');
    for (const tk of tokens) {
      const res = await use(tk.token);
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('server copied <b>');
    }
  });

  it('show the audit log with filters', async () => {
    await t.account('bob');
    await admin.submit('/admin/users', '/admin/users/bob/lock');
    await admin.submit('/admin/users', '/admin/users/bob/unlock');
    const all = await admin.get('/admin/audit');
    const actions = (html: string) => elements(parseHtml(html)).filter((e) => e.name === 'tr').slice(1).map((tr) => textOf(elements(tr).filter((e) => e.name === 'td')[1]!));
    expect(actions(all.body)).toEqual(['user.unlock', 'user.lock', 'user.create', 'user.login', 'user.create']);
    expect(actions((await admin.get('/admin/audit?action=user.lock')).body)).toEqual(['user.lock']);
    expect(actions((await admin.get('/admin/audit?user=root&action=user.create')).body)).toEqual([]);
    expect(actions((await admin.get('/admin/audit?user=root')).body)).toEqual(['user.unlock', 'user.lock', 'user.login']);
    expect(actions((await admin.get('/admin/audit?since=2999-01-01')).body)).toEqual([]);
    const unknown = await admin.get('/admin/audit?user=ghost');
    expect(unknown.statusCode).toBe(400);
    expect(textOf(parseHtml(unknown.body))).toContain('no user with the login “ghost”');
  });
});

describe('admin actions need a recent password', () => {
  let t: WebTestApp;
  let admin: Browser;
  beforeEach(async () => {
    t = await createWebApp();
    await t.account('root', { admin: true });
    await t.account('bob');
    admin = t.browser();
    await admin.login('root');
    t.clock.advance(16 * 60_000);
  });
  afterEach(() => t.close());

  const user = (login: string) => t.runtime.ctx.db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirstOrThrow();
  const hiddenFields = (html: string) =>
    Object.fromEntries(elements(parseHtml(html)).filter((e) => e.name === 'input' && attr(e, 'type') === 'hidden').map((e) => [attr(e, 'name'), attr(e, 'value')]));

  it('refuses every admin action outside the window, changing nothing, and does it after the password', async () => {
    const before = { bob: await user('bob'), users: (await t.runtime.ctx.db.selectFrom('users').selectAll().execute()).length };
    const { tokenId, token } = await t.tokenFor(before.bob.id);
    const actions: Array<[string, string, Record<string, string>]> = [
      ['/admin/users', '/admin/users/bob/lock', {}],
      ['/admin/users', '/admin/users/bob/admin', {}],
      ['/admin/users', '/admin/users', { login: 'carol', password: 'carols own passphrase' }],
      ['/admin/tokens', '/admin/tokens/revoke-all', { reason: 'incident', confirm: 'yes' }],
    ];
    for (const [from, action, form] of actions) {
      const res = await admin.submit(from, action, form);
      expect(res.statusCode, action).toBe(403);
      expect(h1(res.body)).toBe('Confirm your password');
    }
    expect(await user('bob')).toEqual(before.bob);
    expect((await t.runtime.ctx.db.selectFrom('users').selectAll().execute()).length).toBe(before.users);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: token } })).statusCode).toBe(200);

    // The confirmation page sends the refused action again with the password: it is done.
    const asked = await admin.submit('/admin/users', '/admin/users/bob/lock');
    const locked = await admin.post('/admin/users/bob/lock', { ...hiddenFields(asked.body), sudo_password: PASSWORD });
    expect(locked.statusCode).toBe(303);
    expect((await user('bob')).locked_at).not.toBeNull();
    // And the window is open for the next actions.
    expect((await admin.submit('/admin/users', '/admin/users/bob/unlock')).statusCode).toBe(303);
    expect((await admin.submit('/admin/tokens', '/admin/tokens/revoke-all', { reason: 'incident', confirm: 'yes' })).statusCode).toBe(303);
    const row = await t.runtime.ctx.db.selectFrom('api_tokens').select('revoked_at').where('id', '=', tokenId).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
  });

  it('takes the password in the create-user form itself', async () => {
    const page = await admin.get('/admin/users');
    expect(elements(parseHtml(page.body)).some((e) => e.name === 'input' && attr(e, 'name') === 'sudo_password')).toBe(true);
    const wrong = await admin.post('/admin/users', { _csrf: csrfOf(page.body), login: 'carol', password: 'carols own passphrase', sudo_password: 'not it at all' });
    expect(wrong.statusCode).toBe(401);
    await expect(user('carol')).rejects.toThrow();
    const res = await admin.post('/admin/users', { _csrf: csrfOf(page.body), login: 'carol', password: 'carols own passphrase', sudo_password: PASSWORD });
    expect(res.headers.location).toBe('/admin/users?notice=created');
    expect((await user('carol')).is_admin).toBe(0);
  });
});
