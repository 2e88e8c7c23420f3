import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, createWebApp, csrfOf, type WebTestApp } from '../../helpers/web.js';

describe('owner invitations on /me/invitations', () => {
  let t: WebTestApp;
  let bob: Browser;
  let aliceToken: string;
  const invite = (login: string, name = 'web-owned') =>
    t.app.inject({ method: 'PUT', url: `/api/v1/crates/${name}/owners`, headers: { authorization: aliceToken }, payload: { users: [login] } });
  const ownerLogins = async () =>
    ((await t.app.inject(`/api/v1/crates/web-owned/owners`)).json() as { users: Array<{ login: string }> }).users.map((u) => u.login);

  beforeAll(async () => {
    t = await createWebApp();
    const aliceId = (await t.account('alice')).id;
    await t.account('bob');
    aliceToken = (await t.tokenFor(aliceId)).token;
    await t.publish(aliceToken, { name: 'web-owned', vers: '1.0.0' });
    await t.publish(aliceToken, { name: 'web-other', vers: '1.0.0' });
    await t.publish(aliceToken, { name: 'web-late', vers: '1.0.0' });
    bob = t.browser();
    await bob.login('bob');
  });
  afterAll(() => t.close());

  it('is linked from /me and lists pending invitations with who sent them', async () => {
    expect((await bob.get('/me')).body).toContain('href="/me/invitations"');
    expect((await bob.get('/me/invitations')).body).toContain('You have no pending invitations.');
    expect((await invite('bob')).statusCode).toBe(200);
    const page = await bob.get('/me/invitations');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toContain('no-store');
    expect(page.body).toContain('href="/crates/web-owned"');
    expect(page.body).toContain('<td>alice</td>');
  });

  it('accepts by form (with the CSRF token), making bob an owner', async () => {
    const id = /action="\/me\/invitations\/(\d+)\/accept"/.exec((await bob.get('/me/invitations')).body)![1]!;
    expect((await bob.post(`/me/invitations/${id}/accept`, { _csrf: 'nonsense' })).statusCode).toBe(403);
    expect(await ownerLogins()).toEqual(['alice']);
    const res = await bob.submit('/me/invitations', `/me/invitations/${id}/accept`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/me/invitations?notice=accepted');
    expect((await bob.get('/me/invitations?notice=accepted')).body).toContain('You are now an owner of the crate.');
    expect(await ownerLogins()).toEqual(['alice', 'bob']);
    expect((await bob.get('/crates/web-owned')).body).toContain('href="/users/bob"');
  });

  it('declines by form', async () => {
    await invite('bob', 'web-other');
    const id = /action="\/me\/invitations\/(\d+)\/decline"/.exec((await bob.get('/me/invitations')).body)![1]!;
    const res = await bob.submit('/me/invitations', `/me/invitations/${id}/decline`);
    expect(res.headers.location).toBe('/me/invitations?notice=declined');
    const owners = (await t.app.inject('/api/v1/crates/web-other/owners')).json() as { users: Array<{ login: string }> };
    expect(owners.users.map((u) => u.login)).toEqual(['alice']);
  });

  it('refuses an expired invitation with a page saying so', async () => {
    await invite('bob', 'web-late');
    const before = await bob.get('/me/invitations');
    const id = /action="\/me\/invitations\/(\d+)\/accept"/.exec(before.body)![1]!;
    t.clock.advance(31 * 86_400_000);
    await bob.login('bob');
    expect((await bob.get('/me/invitations')).body).toContain('You have no pending invitations.');
    const res = await bob.post(`/me/invitations/${id}/accept`, { _csrf: csrfOf((await bob.get('/me')).body) });
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('expired');
  });

  it("answers through crates.io's API with the session cookie, and its CSRF header for the answer", async () => {
    await invite('bob', 'web-other');
    const cookie = `wharf_session=${bob.session}`;
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/me/crate_owner_invitations', headers: { cookie } });
    const [inv] = (list.json() as { crate_owner_invitations: Array<{ crate_id: number; crate_name: string }> }).crate_owner_invitations;
    expect(inv!.crate_name).toBe('web-other');
    const payload = { crate_owner_invite: { crate_id: inv!.crate_id, accepted: true } };
    const url = `/api/v1/me/crate_owner_invitations/${inv!.crate_id}`;
    expect((await t.app.inject({ method: 'PUT', url, headers: { cookie }, payload })).statusCode).toBe(403);
    const csrf = csrfOf((await bob.get('/me')).body);
    const ok = await t.app.inject({ method: 'PUT', url, headers: { cookie, 'x-csrf-token': csrf }, payload });
    expect(ok.statusCode).toBe(200);
    const owners = (await t.app.inject('/api/v1/crates/web-other/owners')).json() as { users: Array<{ login: string }> };
    expect(owners.users.map((u) => u.login)).toEqual(['alice', 'bob']);
  });

  it('sends a signed-out visitor to sign in', async () => {
    const res = await t.browser().get('/me/invitations');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fme%2Finvitations');
  });
});

describe('the administrators\' teams page', () => {
  let t: WebTestApp;
  let root: Browser;
  let bob: Browser;

  beforeAll(async () => {
    t = await createWebApp();
    await t.account('root', { admin: true });
    await t.account('bob');
    root = t.browser();
    await root.login('root');
    bob = t.browser();
    await bob.login('bob');
  });
  afterAll(() => t.close());

  it('creates a team, adds and removes a member, and removes the team', async () => {
    expect((await root.get('/admin/users')).body).toContain('href="/admin/teams"');
    const created = await root.submit('/admin/teams', '/admin/teams', { name: 'core', description: 'The core team' });
    expect(created.headers.location).toBe('/admin/teams?notice=created');
    expect((await root.get('/admin/teams')).body).toContain('team:core');
    const added = await root.submit('/admin/teams', '/admin/teams/core/members', { login: 'bob' });
    expect(added.headers.location).toBe('/admin/teams?notice=member-added');
    expect((await root.get('/admin/teams')).body).toContain('href="/users/bob"');
    const unknown = await root.submit('/admin/teams', '/admin/teams/core/members', { login: 'nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toMatch(/no user with the login .{1,6}nobody/);
    const dup = await root.submit('/admin/teams', '/admin/teams', { name: 'core' });
    expect(dup.statusCode).toBe(409);
    expect((await root.submit('/admin/teams', '/admin/teams/core/members/bob/remove')).headers.location).toBe('/admin/teams?notice=member-removed');
    expect((await root.get('/admin/teams')).body).toContain('No members.');
    expect((await root.submit('/admin/teams', '/admin/teams/core/remove')).headers.location).toBe('/admin/teams?notice=removed');
    expect((await root.get('/admin/teams')).body).toContain('There are no teams yet.');
  });

  it('is for administrators only', async () => {
    expect((await bob.get('/admin/teams')).statusCode).toBe(403);
    expect((await bob.submit('/me', '/admin/teams', { name: 'sneaky' })).statusCode).toBe(403);
    expect(await t.runtime.ctx.db.selectFrom('teams').selectAll().execute()).toEqual([]);
  });
});
