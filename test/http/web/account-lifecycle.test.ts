import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticateToken } from '../../../src/services/token.service.js';
import { createPasswordReset, deleteAccount } from '../../../src/services/account-lifecycle.service.js';
import { findUserByLogin } from '../../../src/db/repositories/user.repository.js';
import { elements, parseHtml, textOf } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, type WebTestApp } from '../../helpers/web.js';

const text = (html: string) => textOf(parseHtml(html));

describe('deleting accounts and resetting passwords', () => {
  let t: WebTestApp;
  let admin: Browser;

  beforeEach(async () => {
    t = await createWebApp();
    await t.account('root', { admin: true });
    admin = t.browser();
    await admin.login('root');
  });
  afterEach(() => t.close());

  const operator = { actor: null, via: 'test' };

  it('refuses to delete an account that owns crates, naming them and what to do', async () => {
    const { token } = await t.userWithToken('owner');
    await t.publish(token, { name: 'kept', vers: '1.0.0' });
    await expect(deleteAccount(t.runtime.ctx, operator, 'owner')).rejects.toMatchObject({
      status: 409,
      detail: expect.stringMatching(/^`owner` owns 1 crate \(`kept`\); add another owner and remove this one first \(`cargo owner --add OTHER --remove owner CRATE`\)/),
    });
    expect(await authenticateToken(t.runtime.ctx, token)).toMatchObject({ login: 'owner' });
  });

  it('deletes an account: tokens refused, sessions ended, personal data gone, login free, audit kept', async () => {
    const bob = await t.account('bob');
    const { token } = await t.tokenFor(bob.id);
    const browser = t.browser();
    await browser.login('bob');
    expect((await browser.get('/me')).statusCode).toBe(200);

    const confirm = await admin.submit('/admin/users', '/admin/users/bob/delete');
    expect(confirm.statusCode).toBe(200);
    expect(text(confirm.body)).toContain('This deletes the account bob');
    expect(await findUserByLogin(t.runtime.ctx.db, 'bob')).toBeDefined();
    const done = await admin.post('/admin/users/bob/delete', { _csrf: csrfOf(confirm.body), confirm: 'yes' });
    expect(done.headers.location).toBe('/admin/users?notice=deleted');

    await expect(authenticateToken(t.runtime.ctx, token)).rejects.toMatchObject({ detail: expect.stringContaining('the account was deleted') });
    expect((await browser.get('/me')).statusCode).toBe(303);
    expect(await findUserByLogin(t.runtime.ctx.db, 'bob')).toBeUndefined();
    const row = await t.runtime.ctx.db.selectFrom('users').selectAll().where('id', '=', bob.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ login: `deleted~${bob.id}`, email: null, name: null, password_hash: null });
    expect(row.deleted_at).not.toBeNull();
    const list = await admin.get('/admin/users');
    expect(elements(parseHtml(list.body)).filter((e) => e.name === 'tr').map(textOf).join('\n')).not.toMatch(/bob|deleted~/);
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.delete').execute();
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ login: 'bob', revoked_tokens: 1 });
    // The login is free for someone new, who gets nothing of the old account.
    const again = await t.account('bob');
    expect(again.id).not.toBe(bob.id);
  });

  it('never deletes the admin doing it', async () => {
    const page = await admin.get('/admin/users');
    const res = await admin.post('/admin/users/root/delete', { _csrf: csrfOf(page.body), confirm: 'yes' });
    expect(res.statusCode).toBe(400);
    expect(text(res.body)).toContain('you cannot delete your own account');
  });

  it('a reset link sets a password once, ends the sessions, and is never logged', async () => {
    await t.account('carol');
    const carol = t.browser();
    await carol.login('carol');
    const shown = await admin.submit('/admin/users', '/admin/users/carol/reset-password');
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['cache-control']).toBe('no-store');
    const url = /value="(http:\/\/wharf\.test\/reset-password\/[A-Za-z0-9_-]{43})"/.exec(shown.body)![1]!;
    const path = new URL(url).pathname;

    const visitor = t.browser();
    const form = await visitor.get(path);
    expect(form.statusCode).toBe(200);
    expect(form.headers['referrer-policy']).toBe('no-referrer');
    expect(text(form.body)).toContain('for the account carol');
    const short = await visitor.post(path, { _csrf: csrfOf(form.body), password: 'short', confirm: 'short' });
    expect(short.statusCode).toBe(400);
    expect(text(short.body)).toContain('a password needs at least 12 characters');
    const set = await visitor.post(path, { _csrf: csrfOf(short.body), password: 'carols brand new secret', confirm: 'carols brand new secret' });
    expect(set.statusCode).toBe(200);
    expect(text(set.body)).toContain('The password of carol is set');

    expect((await carol.get('/me')).statusCode).toBe(303);
    expect((await t.browser().login('carol', 'carols brand new secret')).headers.location).toBe('/me');
    const used = await t.browser().get(path);
    expect(used.statusCode).toBe(404);
    expect(text(used.body)).toContain('this password-reset link is not valid');
    expect(t.logs.join('')).not.toContain(path.split('/').pop()!);
  });

  it('a newer link replaces an older one, and links expire after 24 hours', async () => {
    await t.account('dora');
    const first = await createPasswordReset(t.runtime.ctx, operator, 'dora');
    const second = await createPasswordReset(t.runtime.ctx, operator, 'dora');
    expect((await t.browser().get(new URL(first.url).pathname)).statusCode).toBe(404);
    expect((await t.browser().get(new URL(second.url).pathname)).statusCode).toBe(200);
    t.clock.advance(24 * 3600_000 + 1000);
    expect((await t.browser().get(new URL(second.url).pathname)).statusCode).toBe(404);
    expect((await t.browser().get('/reset-password/not-a-link')).statusCode).toBe(404);
  });
});
