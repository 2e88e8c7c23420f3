import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVersionRows } from '../../helpers/many-versions.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Doc = Record<string, unknown> & { links: Record<string, string>; audit_actions: Array<{ action: string; user: { login: string }; time: string }> };

describe("version objects in crates.io's `Version` shape", () => {
  let t: TestApp;
  let alice: string;
  let bob: { token: string; userId: number };

  beforeAll(async () => {
    // bob becomes an owner at once (no invitation to accept) to publish the second version.
    t = await createTestApp({ ownerInvitations: false });
    alice = (await t.userWithToken('alice')).token;
    bob = await t.userWithToken('bob');
    await t.publish(alice, {
      name: 'tool-kit',
      vers: '1.0.0',
      meta: { links: 'z', rust_version: '1.70', homepage: 'https://one.example', documentation: 'https://docs.example/1', repository: 'https://git.example/one' },
      files: { 'src/main.rs': 'fn main() {}\n', 'src/bin/helper.rs': 'fn main() {}\n' },
    });
    await t.app.inject({ method: 'PUT', url: '/api/v1/crates/tool-kit/owners', payload: { users: ['bob'] }, headers: { authorization: alice } });
    t.clock.advance(60_000);
    await t.publish(bob.token, {
      name: 'tool-kit',
      vers: '2.0.0',
      meta: { homepage: 'https://two.example' },
      manifest: '[package]\nname = "tool-kit"\nversion = "2.0.0"\n',
    });
    t.clock.advance(60_000);
    await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/tool-kit/1.0.0/yank', headers: { authorization: bob.token } });
    t.clock.advance(60_000);
    await t.app.inject({ method: 'PUT', url: '/api/v1/crates/tool-kit/1.0.0/unyank', headers: { authorization: alice } });
    await addVersionRows(t.runtime.ctx.db, 'tool-kit', ['0.1.0']);
  });
  afterAll(() => t.close());

  const version = async (num: string) => {
    const res = await t.app.inject({ url: `/api/v1/crates/tool_kit/${num}` });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { version: Doc }).version;
  };

  it('links to the version\'s own documents and moves the manifest\'s `links` to `lib_links`', async () => {
    const v = await version('1.0.0');
    expect(v.links).toEqual({
      dependencies: '/api/v1/crates/tool-kit/1.0.0/dependencies',
      version_downloads: '/api/v1/crates/tool-kit/1.0.0/downloads',
      authors: '/api/v1/crates/tool-kit/1.0.0/authors',
    });
    expect(v.lib_links).toBe('z');
    expect(v).toMatchObject({ rust_version: '1.70', license: 'MIT', description: 'The tool-kit crate', dl_path: '/api/v1/crates/tool-kit/1.0.0/download' });
    expect(v.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(v.crate_size).toBeGreaterThan(0);
  });

  it('names the publisher as a crates.io user, with a profile url and no avatar', async () => {
    const v = await version('2.0.0');
    expect(v.published_by).toEqual({
      id: bob.userId,
      login: 'bob',
      name: null,
      avatar: null,
      url: `${t.config.publicUrl}/users/bob`,
      created_at: expect.any(String),
      github_username_matches: false,
    });
  });

  it('lists the publish, yank and unyank of a version with who did them and when', async () => {
    const v = await version('1.0.0');
    expect(v.audit_actions.map((a) => [a.action, a.user.login])).toEqual([['publish', 'alice'], ['yank', 'bob'], ['unyank', 'alice']]);
    const times = v.audit_actions.map((a) => a.time);
    expect([...times].sort()).toEqual(times);
    expect((await version('2.0.0')).audit_actions.map((a) => a.action)).toEqual(['publish']);
  });

  it('keeps the edition, the targets and the links of each version as it was uploaded', async () => {
    expect(await version('1.0.0')).toMatchObject({
      edition: '2021',
      has_lib: true,
      bin_names: ['tool-kit', 'helper'],
      homepage: 'https://one.example',
      documentation: 'https://docs.example/1',
      repository: 'https://git.example/one',
    });
    expect(await version('2.0.0')).toMatchObject({ edition: null, has_lib: true, bin_names: [], homepage: 'https://two.example', documentation: null });
  });

  it('says null for what a version published before these fields were kept does not know', async () => {
    expect(await version('0.1.0')).toMatchObject({ edition: null, has_lib: null, bin_names: null, homepage: null, published_by: null, audit_actions: [] });
  });

  it('answers the same objects in the version list and the crate document', async () => {
    const list = (await t.app.inject({ url: '/api/v1/crates/tool-kit/versions' })).json() as { versions: Doc[] };
    const one = await version('1.0.0');
    expect(list.versions.find((v) => v.num === '1.0.0')).toEqual(one);
    const crate = (await t.app.inject({ url: '/api/v1/crates/tool-kit' })).json() as { versions: Doc[] };
    expect(crate.versions.find((v) => v.num === '1.0.0')).toEqual(one);
  });
});
