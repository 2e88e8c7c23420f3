import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamMember, createTeam } from '../../src/services/owners/team.service.js';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';

/**
 * Owners as the real cargo manages them on a registry with invitations (the default): the
 * invitee becomes an owner only by accepting, and a team's members publish once it owns a crate.
 */
describe('cargo owner with invitations and teams', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let alice: string;
  let bob: string;
  let carol: string;
  const versionDir = (vers: string) =>
    cargo.writeCrate(`shared-${vers}`, { 'Cargo.toml': manifest('shared-owned', vers), 'src/lib.rs': 'pub fn shared() -> u32 { 1 }\n' });
  const publish = (vers: string, token: string) => cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: versionDir(vers), token });
  const owner = (args: string[], token: string) => cargo.run(['owner', '--registry', 'wharf', ...args, 'shared-owned'], { token });
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: token, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startLiveServer();
    cargo = new CargoSandbox(server.indexUrl);
    alice = (await server.userWithToken('alice')).token;
    bob = (await server.userWithToken('bob')).token;
    carol = (await server.userWithToken('carol')).token;
    const by = { actor: null, via: 'test' };
    await createTeam(server.runtime.ctx, by, { name: 'core', description: 'Core maintainers' });
    await addTeamMember(server.runtime.ctx, by, 'core', 'alice');
    await addTeamMember(server.runtime.ctx, by, 'core', 'carol');
    const first = await publish('1.0.0', alice);
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('invites with cargo owner --add; the invitee publishes only after accepting through the API', async () => {
    const add = await owner(['--add', 'bob'], alice);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain('user bob has been invited to be an owner of crate shared-owned');
    const list = await owner(['--list'], alice);
    expect(list.stdout).toMatch(/^alice\b/m);
    expect(list.stdout).not.toMatch(/^bob\b/m);

    const early = await publish('1.0.1', bob);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('you are not an owner of the crate `shared-owned`');

    const mine = await api('GET', '/api/v1/me/crate_owner_invitations', bob);
    const [invitation] = mine.json.crate_owner_invitations as Array<{ crate_id: number; crate_name: string; invited_by_username: string }>;
    expect(invitation).toMatchObject({ crate_name: 'shared-owned', invited_by_username: 'alice' });
    const accepted = await api('PUT', `/api/v1/me/crate_owner_invitations/${invitation!.crate_id}`, bob, {
      crate_owner_invite: { crate_id: invitation!.crate_id, accepted: true },
    });
    expect(accepted).toEqual({ status: 200, json: { crate_owner_invitation: { crate_id: invitation!.crate_id, accepted: true } } });

    const after = await owner(['--list'], alice);
    expect(after.stdout).toMatch(/^bob\b/m);
    const late = await publish('1.0.1', bob);
    expect(late.code, late.stderr).toBe(0);
  }, 240_000);

  it('adds a team with team:NAME; a member of it publishes but cannot change owners', async () => {
    const add = await owner(['--add', 'team:core'], alice);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain('team team:core has been added as an owner of crate shared-owned');
    const list = await owner(['--list'], alice);
    expect(list.stdout).toMatch(/^team:core \(Core maintainers\)/m);

    const published = await publish('1.0.2', carol);
    expect(published.code, published.stderr).toBe(0);
    const yank = await cargo.run(['yank', '--registry', 'wharf', 'shared-owned@1.0.2'], { token: carol });
    expect(yank.code, yank.stderr).toBe(0);
    const change = await owner(['--add', 'bob'], carol);
    expect(change.code).not.toBe(0);
    expect(change.stderr).toContain('only its user owners may change its owners');
  }, 240_000);
});
