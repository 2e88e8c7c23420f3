import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, elements, parseHtml } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, PASSWORD, type WebTestApp } from '../../helpers/web.js';

const MINUTE = 60_000;
const hiddenFields = (html: string) =>
  Object.fromEntries(elements(parseHtml(html)).filter((e) => e.name === 'input' && attr(e, 'type') === 'hidden').map((e) => [attr(e, 'name'), attr(e, 'value')]));
const h1 = (html: string) => /<h1>(.*?)<\/h1>/s.exec(html)?.[1]?.replace(/<[^>]+>/g, '');

describe("a crate's delete page and the admin crates page", () => {
  let t: WebTestApp;
  let alice: Browser;
  let bob: Browser;
  let root: Browser;
  let token: string;
  const crateNames = async () => (await t.runtime.ctx.db.selectFrom('crates').select('name').orderBy('name').execute()).map((r) => r.name);

  beforeAll(async () => {
    t = await createWebApp();
    const aliceId = (await t.account('alice')).id;
    await t.account('bob');
    await t.account('root', { admin: true });
    token = (await t.tokenFor(aliceId)).token;
    for (const [name, vers] of [['mine', '1.0.0'], ['kept', '1.0.0'], ['kept', '1.1.0'], ['kept', '2.0.0'], ['old', '1.0.0']]) await t.publish(token, { name: name!, vers: vers! });
    alice = t.browser();
    await alice.login('alice');
    bob = t.browser();
    await bob.login('bob');
    root = t.browser();
    await root.login('root');
  });
  afterAll(() => t.close());

  it('is linked from the crate page for owners, and refuses a stranger with the reason', async () => {
    expect((await alice.get('/crates/mine')).body).toContain('href="/crates/mine/settings/delete"');
    const page = await bob.get('/crates/mine/settings/delete');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('only owners may delete the crate &#96;mine&#96;');
    expect(page.body).not.toContain('name="confirm_name"');
    const post = await bob.submit('/me', '/crates/mine/settings/delete', { confirm_name: 'mine' });
    expect(post.statusCode).toBe(403);
    expect(await crateNames()).toContain('mine');
  });

  it('needs the typed name, then a recent password, then deletes the crate', async () => {
    const wrong = await alice.submit('/crates/mine/settings/delete', '/crates/mine/settings/delete', { confirm_name: 'min' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain("type the crate&#39;s name, mine, to confirm");
    t.clock.advance(20 * MINUTE);
    const asked = await alice.submit('/crates/mine/settings/delete', '/crates/mine/settings/delete', { confirm_name: 'mine', message: 'a test' });
    expect(asked.statusCode).toBe(403);
    expect(h1(asked.body)).toBe('Confirm your password');
    expect(await crateNames()).toContain('mine');
    const done = await alice.post('/crates/mine/settings/delete', { ...hiddenFields(asked.body), sudo_password: PASSWORD });
    expect(done.statusCode).toBe(200);
    expect(h1(done.body)).toBe('mine was deleted');
    expect(await crateNames()).not.toContain('mine');
    expect((await alice.get('/crates/mine')).statusCode).toBe(404);
  });

  it('refuses an owner under RFC 3660 once the crate is old and much downloaded, showing why', async () => {
    t.clock.advance(5 * 24 * 60 * MINUTE);
    await t.runtime.ctx.db.updateTable('crates').set({ downloads: 5000 }).where('name', '=', 'old').execute();
    alice = t.browser();
    await alice.login('alice');
    const page = await alice.get('/crates/old/settings/delete');
    expect(page.body).toMatch(/You cannot delete this crate: only crates with at most 1000 downloads per month/);
    const post = await alice.submit('/crates/old/settings/delete', '/crates/old/settings/delete', { confirm_name: 'old' });
    expect(post.statusCode).toBe(422);
    expect(await crateNames()).toContain('old');
  });

  it('lets an admin view and set a crate\'s limits, audited, and refuses bad values', async () => {
    root = t.browser();
    await root.login('root');
    bob = t.browser();
    await bob.login('bob');
    expect((await bob.get('/admin/crates?name=kept')).statusCode).toBe(403);
    const page = await root.get('/admin/crates?name=KEPT');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("in force: 32767 (the registry&#39;s setting)");
    const set = await root.submit('/admin/crates?name=kept', '/admin/crates/kept/limits', { max_features: '40', max_upload_size: '2MB' });
    expect(set.statusCode).toBe(303);
    expect(set.headers.location).toBe('/admin/crates?name=kept&notice=limits');
    const row = await t.runtime.ctx.db.selectFrom('crates').select(['max_features', 'max_upload_size']).where('name', '=', 'kept').executeTakeFirstOrThrow();
    expect(row).toEqual({ max_features: 40, max_upload_size: 2 * 1024 * 1024 });
    expect((await root.get('/admin/crates?name=kept')).body).toContain('in force: 40 (set for this crate)');
    const bad = await root.submit('/admin/crates?name=kept', '/admin/crates/kept/limits', { max_features: 'lots', max_upload_size: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('is not a whole number');
    const cleared = await root.submit('/admin/crates?name=kept', '/admin/crates/kept/limits', { max_features: '', max_upload_size: '' });
    expect(cleared.statusCode).toBe(303);
    const after = await t.runtime.ctx.db.selectFrom('crates').select(['max_features', 'max_upload_size']).where('name', '=', 'kept').executeTakeFirstOrThrow();
    expect(after).toEqual({ max_features: null, max_upload_size: null });
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select('action').where('action', '=', 'crate.limits').execute();
    expect(audit).toHaveLength(2);
    expect((await root.get('/admin/crates?name=nothing')).statusCode).toBe(404);
  });

  it('lets an admin delete one version, then the whole crate, with the typed name; lists the deletion', async () => {
    const wrong = await root.submit('/admin/crates?name=kept', '/admin/crates/kept/delete', { version: '2.0.0', confirm_name: 'nope' });
    expect(wrong.statusCode).toBe(400);
    const one = await root.submit('/admin/crates?name=kept', '/admin/crates/kept/delete', { version: '2.0.0', confirm_name: 'kept' });
    expect(one.headers.location).toBe('/admin/crates?name=kept&notice=version-deleted');
    const index = await t.app.inject({ method: 'GET', url: '/index/ke/pt/kept' });
    expect(index.body.trim().split('\n').map((l) => (JSON.parse(l) as { vers: string }).vers)).toEqual(['1.0.0', '1.1.0']);
    const doc = await t.app.inject({ method: 'GET', url: '/api/v1/crates/kept' });
    expect((doc.json() as { crate: { max_version: string } }).crate.max_version).toBe('1.1.0');
    const all = await root.submit('/admin/crates?name=kept', '/admin/crates/kept/delete', { version: '', confirm_name: 'kept', message: 'cleanup' });
    expect(all.headers.location).toBe('/admin/crates?notice=deleted');
    expect(await crateNames()).toEqual(['old']);
    const listed = await root.get('/admin/crates?notice=deleted');
    expect(listed.body).toContain('The crate was deleted.');
    expect(listed.body).toMatch(/<td>kept<\/td>.*<td>cleanup<\/td>/s);
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select(['action', 'user_id']).where('crate_name', '=', 'kept').where('action', 'like', 'crate.delete%').orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['crate.delete_version', 'crate.delete']);
  });
});
