import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/services/actor.js';
import { changeOwners } from '../../../src/services/owner.service.js';
import { addTeamMember, createTeam, removeTeam } from '../../../src/services/owners/team.service.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type User = { userId: number; token: string };
const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail;
const actorOf = (u: User, login: string): Actor => ({ userId: u.userId, login, name: null, isAdmin: false, token: null });

describe('owner invitations (owner_invitations = true, the default)', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  let dave: User;
  let crateId: number;

  const send = (method: 'GET' | 'PUT' | 'DELETE', url: string, token: string | null, payload?: unknown) =>
    t.app.inject({ method, url, headers: token ? { authorization: token } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const owners = async () => ((await send('GET', '/api/v1/crates/invited/owners', null)).json() as { users: Array<{ login: string }> }).users.map((u) => u.login);
  const answer = (u: User, accepted: boolean, id = crateId) =>
    send('PUT', `/api/v1/me/crate_owner_invitations/${id}`, u.token, { crate_owner_invite: { crate_id: id, accepted } });

  beforeAll(async () => {
    t = await createTestApp();
    alice = await t.userWithToken('alice');
    bob = await t.userWithToken('bob');
    carol = await t.userWithToken('carol');
    dave = await t.userWithToken('dave');
    await t.publish(alice.token, { name: 'invited', vers: '1.0.0' });
    crateId = (await t.runtime.ctx.db.selectFrom('crates').select('id').where('name', '=', 'invited').executeTakeFirstOrThrow()).id;
  });
  afterAll(() => t.close());

  it('invites instead of adding, with the answer crates.io gives', async () => {
    const res = await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['bob'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, msg: 'user bob has been invited to be an owner of crate invited' });
    expect(await owners()).toEqual(['alice']);
    const publish = await send('PUT', '/api/v1/crates/invited/1.0.0/unyank', bob.token);
    expect(publish.statusCode).toBe(403);
    const again = await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['bob'] });
    expect(again.json()).toEqual({ ok: true, msg: 'user bob already has a pending invitation to be an owner of crate invited' });
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'owner.invite').execute();
    expect(audit).toHaveLength(1);
  });

  it("lists the invitee's invitations in crates.io's shapes, to the invitee and the crate's owners only", async () => {
    const mine = await send('GET', '/api/v1/me/crate_owner_invitations', bob.token);
    expect(mine.statusCode).toBe(200);
    expect(mine.headers['cache-control']).toBe('no-store');
    const body = mine.json() as { crate_owner_invitations: Array<Record<string, unknown>>; users: Array<{ login: string }> };
    expect(body.crate_owner_invitations).toEqual([
      {
        invitee_id: bob.userId,
        inviter_id: alice.userId,
        invited_by_username: 'alice',
        crate_name: 'invited',
        crate_id: crateId,
        created_at: expect.any(String),
        expires_at: expect.any(String),
      },
    ]);
    const inv = body.crate_owner_invitations[0]!;
    expect(Date.parse(inv.expires_at as string) - Date.parse(inv.created_at as string)).toBe(30 * 86_400_000);
    expect(body.users.map((u) => u.login)).toEqual(['alice', 'bob']);

    const byCrate = await send('GET', '/api/private/crate_owner_invitations?crate_name=invited', alice.token);
    expect(byCrate.statusCode).toBe(200);
    expect(byCrate.json()).toMatchObject({ invitations: [{ invitee_id: bob.userId, crate_name: 'invited' }], meta: { next_page: null } });
    const byInvitee = await send('GET', `/api/private/crate_owner_invitations?invitee_id=${bob.userId}`, bob.token);
    expect((byInvitee.json() as { invitations: unknown[] }).invitations).toHaveLength(1);

    const snoop = await send('GET', `/api/private/crate_owner_invitations?invitee_id=${bob.userId}`, carol.token);
    expect(snoop.statusCode).toBe(403);
    const stranger = await send('GET', '/api/private/crate_owner_invitations?crate_name=invited', carol.token);
    expect(stranger.statusCode).toBe(403);
    expect(detail(stranger)).toMatch(/only user owners of `invited`/);
    expect((await send('GET', '/api/private/crate_owner_invitations', alice.token)).statusCode).toBe(400);
    expect((await send('GET', '/api/v1/me/crate_owner_invitations', null)).statusCode).toBe(401);
  });

  it('pages a crate\'s invitations with a seek cursor', async () => {
    await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['carol', 'dave'] });
    const first = (await send('GET', '/api/private/crate_owner_invitations?crate_name=invited&per_page=2', alice.token)).json() as {
      invitations: Array<{ invitee_id: number }>;
      meta: { next_page: string | null };
    };
    expect(first.invitations.map((i) => i.invitee_id)).toEqual([bob.userId, carol.userId]);
    expect(first.meta.next_page).toMatch(/^\?crate_name=invited&per_page=2&seek=/);
    const second = (await send('GET', `/api/private/crate_owner_invitations${first.meta.next_page}`, alice.token)).json() as typeof first;
    expect(second.invitations.map((i) => i.invitee_id)).toEqual([dave.userId]);
    expect(second.meta.next_page).toBeNull();
    expect((await send('GET', '/api/private/crate_owner_invitations?crate_name=invited&seek=bogus', alice.token)).statusCode).toBe(400);
  });

  it('makes the invitee an owner when they accept, and not when they decline', async () => {
    const accepted = await answer(bob, true);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ crate_owner_invitation: { crate_id: crateId, accepted: true } });
    expect(await owners()).toEqual(['alice', 'bob']);
    expect((await send('PUT', '/api/v1/crates/invited/1.0.0/unyank', bob.token)).statusCode).toBe(200);
    // Answered: there is nothing left to answer.
    expect((await answer(bob, true)).statusCode).toBe(404);

    const declined = await answer(carol, false);
    expect(declined.json()).toEqual({ crate_owner_invitation: { crate_id: crateId, accepted: false } });
    expect(await owners()).toEqual(['alice', 'bob']);
    expect((await send('GET', '/api/v1/me/crate_owner_invitations', carol.token)).json()).toEqual({ crate_owner_invitations: [], users: [] });
    const actions = (await t.runtime.ctx.db.selectFrom('audit_log').select('action').where('action', 'like', 'owner.invite_%').execute()).map((r) => r.action);
    expect(actions.sort()).toEqual(['owner.invite_accept', 'owner.invite_decline']);
  });

  it('refuses a malformed answer and an invitation someone else holds', async () => {
    expect((await send('PUT', `/api/v1/me/crate_owner_invitations/${crateId}`, dave.token, { accepted: true })).statusCode).toBe(400);
    expect((await send('PUT', `/api/v1/me/crate_owner_invitations/${crateId}`, dave.token, { crate_owner_invite: { crate_id: crateId + 1, accepted: true } })).statusCode).toBe(400);
    expect((await answer(carol, true)).statusCode).toBe(404);
    const narrow = await t.tokenFor(dave.userId, { scopes: ['publish-update'] });
    const refused = await answer({ ...dave, token: narrow.token }, true);
    expect(refused.statusCode).toBe(403);
    expect(detail(refused)).toMatch(/change-owners/);
  });

  it('refuses an expired invitation (410) and lists it no more; a new invitation replaces it', async () => {
    t.clock.advance(31 * 86_400_000);
    const late = await answer(dave, true);
    expect(late.statusCode).toBe(410);
    expect(detail(late)).toMatch(/invitation to become an owner of `invited` expired/);
    expect(await owners()).toEqual(['alice', 'bob']);
    expect((await send('GET', '/api/v1/me/crate_owner_invitations', dave.token)).json()).toEqual({ crate_owner_invitations: [], users: [] });
    const again = await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['dave'] });
    expect(again.json()).toEqual({ ok: true, msg: 'user dave has been invited to be an owner of crate invited' });
    expect((await answer(dave, true)).statusCode).toBe(200);
    expect(await owners()).toEqual(['alice', 'bob', 'dave']);
  });

  it('accepts by the link token, once; the token is stored only hashed', async () => {
    const erin = await t.userWithToken('erin');
    const { invitations } = await changeOwners(t.runtime.ctx, actorOf(alice, 'alice'), 'invited', ['erin'], true);
    const token = invitations[0]!.token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await t.runtime.ctx.db.selectFrom('crate_owner_invitations').select('token_hash').execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect((await send('PUT', '/api/v1/me/crate_owner_invitations/accept/not-a-token', null)).statusCode).toBe(404);
    const ok = await send('PUT', `/api/v1/me/crate_owner_invitations/accept/${token}`, null);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ crate_owner_invitation: { crate_id: crateId, accepted: true } });
    expect(await owners()).toContain('erin');
    expect((await send('PUT', `/api/v1/me/crate_owner_invitations/accept/${token}`, null)).statusCode).toBe(404);
    expect(t.logs.join('')).not.toContain(token);
    expect(erin.userId).toBeGreaterThan(0);
  });

  it('answers an acceptance racing a withdrawal with one winner, never a 5xx or a leftover invitation', async () => {
    const gus = await t.userWithToken('gus');
    for (let round = 0; round < 5; round++) {
      await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['gus'] });
      const [accepted, withdrawn] = await Promise.all([
        answer(gus, true),
        send('DELETE', '/api/v1/crates/invited/owners', alice.token, { users: ['gus'] }),
      ]);
      expect([200, 404]).toContain(accepted.statusCode);
      expect(withdrawn.statusCode).toBe(200);
      expect(await t.runtime.ctx.db.selectFrom('crate_owner_invitations').selectAll().where('invited_user_id', '=', gus.userId).execute()).toEqual([]);
      // Whichever ran second decided: a removal after the acceptance, or a refused acceptance after the withdrawal.
      if ((await owners()).includes('gus')) await send('DELETE', '/api/v1/crates/invited/owners', alice.token, { users: ['gus'] });
    }
  });

  it('refuses to invite an owner, and withdraws an invitation when the invitee is removed', async () => {
    const dup = await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['bob'] });
    expect(dup.statusCode).toBe(400);
    expect(detail(dup)).toBe('`bob` is already an owner of `invited`');
    await t.userWithToken('frank');
    await send('PUT', '/api/v1/crates/invited/owners', alice.token, { users: ['frank'] });
    const removed = await send('DELETE', '/api/v1/crates/invited/owners', alice.token, { users: ['frank'] });
    expect(removed.json()).toEqual({ ok: true, msg: '`frank` removed as owner(s) of `invited`' });
    expect((await t.runtime.ctx.db.selectFrom('crate_owner_invitations').selectAll().execute())).toEqual([]);
  });
});

describe('teams as owners', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let erin: User;
  let mallory: User;
  const by = { actor: null, via: 'test' };

  const send = (method: 'GET' | 'PUT' | 'DELETE', url: string, token: string | null, payload?: unknown) =>
    t.app.inject({ method, url, headers: token ? { authorization: token } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });

  beforeAll(async () => {
    t = await createTestApp();
    alice = await t.userWithToken('alice');
    bob = await t.userWithToken('bob');
    erin = await t.userWithToken('erin');
    mallory = await t.userWithToken('mallory');
    await t.publish(alice.token, { name: 'teamed', vers: '1.0.0' });
    await createTeam(t.runtime.ctx, by, { name: 'Core', description: 'The core team' });
    await addTeamMember(t.runtime.ctx, by, 'core', 'erin');
  });
  afterAll(() => t.close());

  it('lets only a member of the team add it, at once, with no invitation', async () => {
    const outsider = await send('PUT', '/api/v1/crates/teamed/owners', alice.token, { users: ['team:core'] });
    expect(outsider.statusCode).toBe(403);
    expect(detail(outsider)).toBe('only members of `team:core` may add it as an owner');
    await addTeamMember(t.runtime.ctx, by, 'team:core', 'alice');
    const added = await send('PUT', '/api/v1/crates/teamed/owners', alice.token, { owners: ['team:core'] });
    expect(added.json()).toEqual({ ok: true, msg: 'team team:core has been added as an owner of crate teamed' });
  });

  it("lists the team in crates.io's owner shape", async () => {
    const all = (await send('GET', '/api/v1/crates/teamed/owners', null)).json() as { users: Array<Record<string, unknown>> };
    expect(all.users.map((u) => [u.login, u.kind])).toEqual([['alice', 'user'], ['team:core', 'team']]);
    const team = (await send('GET', '/api/v1/crates/teamed/owner_team', null)).json() as { teams: unknown[] };
    expect(team.teams).toEqual([{ id: expect.any(Number), login: 'team:core', kind: 'team', url: null, name: 'The core team', avatar: null }]);
    const users = (await send('GET', '/api/v1/crates/teamed/owner_user', null)).json() as { users: Array<{ login: string }> };
    expect(users.users.map((u) => u.login)).toEqual(['alice']);
    const teamId = (team.teams[0] as { id: number }).id;
    const search = (await send('GET', `/api/v1/crates?team_id=${teamId}`, null)).json() as { crates: Array<{ name: string }> };
    expect(search.crates.map((c) => c.name)).toEqual(['teamed']);
  });

  it('lets a member publish and yank, but not change owners', async () => {
    await t.publish(erin.token, { name: 'teamed', vers: '1.1.0' });
    expect((await send('DELETE', '/api/v1/crates/teamed/1.1.0/yank', erin.token)).statusCode).toBe(200);
    const change = await send('PUT', '/api/v1/crates/teamed/owners', erin.token, { users: ['mallory'] });
    expect(change.statusCode).toBe(403);
    expect(detail(change)).toMatch(/only its user owners may change its owners/);
    const list = await send('GET', '/api/private/crate_owner_invitations?crate_name=teamed', erin.token);
    expect(list.statusCode).toBe(403);
    const stranger = await send('DELETE', '/api/v1/crates/teamed/1.1.0/yank', mallory.token);
    expect(stranger.statusCode).toBe(403);
    expect(detail(stranger)).toBe('you are not an owner of the crate `teamed`');
  });

  it('keeps one user owner, refuses crates.io team names, and removes teams', async () => {
    const last = await send('DELETE', '/api/v1/crates/teamed/owners', alice.token, { users: ['alice'] });
    expect(last.statusCode).toBe(409);
    expect(detail(last)).toMatch(/last owner of `teamed` who is a user/);
    const github = await send('PUT', '/api/v1/crates/teamed/owners', alice.token, { users: ['github:rust-lang:core'] });
    expect(github.statusCode).toBe(400);
    expect(detail(github)).toMatch(/team:<name>/);
    const unknown = await send('PUT', '/api/v1/crates/teamed/owners', alice.token, { users: ['team:nope'] });
    expect(unknown.statusCode).toBe(400);

    const removed = await send('DELETE', '/api/v1/crates/teamed/owners', alice.token, { users: ['team:core'] });
    expect(removed.json()).toEqual({ ok: true, msg: '`team:core` removed as owner(s) of `teamed`' });
    expect((await send('PUT', '/api/v1/crates/teamed/1.1.0/unyank', erin.token)).statusCode).toBe(403);

    await send('PUT', '/api/v1/crates/teamed/owners', alice.token, { users: ['team:core'] });
    await removeTeam(t.runtime.ctx, by, 'core');
    expect(((await send('GET', '/api/v1/crates/teamed/owner_team', null)).json() as { teams: unknown[] }).teams).toEqual([]);
    expect((await send('PUT', '/api/v1/crates/teamed/1.1.0/unyank', erin.token)).statusCode).toBe(403);
    expect(bob.userId).toBeGreaterThan(0);
    const actions = (await t.runtime.ctx.db.selectFrom('audit_log').select('action').where('action', 'like', 'team.%').execute()).map((r) => r.action);
    expect(actions).toEqual(['team.create', 'team.member_add', 'team.member_add', 'team.remove']);
  });
});
