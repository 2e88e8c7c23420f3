import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, staleIndexMirror, startLiveServer } from '../helpers/live-server.js';

/**
 * The core registry judged by the real cargo: publish a small graph of crates that covers
 * every kind of dependency, build a consumer, yank, manage owners and search.
 */
describe('cargo against a fresh Wharf', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let alice: string;
  let bob: string;
  const dirs: Record<string, string> = {};
  const reg = 'registry = "wharf"';

  beforeAll(async () => {
    // Owners added at once (owner_invitations = false); test/e2e/cargo-owners.e2e.test.ts covers invitations.
    server = await startLiveServer({ ownerInvitations: false });
    cargo = new CargoSandbox(server.indexUrl);
    alice = (await server.userWithToken('alice')).token;
    bob = (await server.userWithToken('bob')).token;

    dirs.base = cargo.writeCrate('base', {
      'Cargo.toml': manifest('Wharf_Base', '1.0.0'),
      'src/lib.rs': 'pub fn base() -> u32 { 1 }\n',
    });
    dirs.opt = cargo.writeCrate('opt', { 'Cargo.toml': manifest('opt_helper', '0.1.0'), 'src/lib.rs': 'pub fn opt() -> u32 { 2 }\n' });
    dirs.tool = cargo.writeCrate('tool', { 'Cargo.toml': manifest('tool-helper', '0.1.0'), 'src/lib.rs': 'pub fn tool() -> u32 { 3 }\n' });
    dirs.mid = cargo.writeCrate('mid', {
      'Cargo.toml': manifest(
        'mid-lib',
        '0.1.0',
        [
          '[dependencies]',
          `base = { package = "Wharf_Base", version = "1", ${reg} }`,
          `opt_helper = { version = "0.1", ${reg}, optional = true }`,
          '',
          '[features]',
          'extra = ["dep:opt_helper"]',
          '',
          "[target.'cfg(unix)'.dependencies]",
          `tool-helper = { version = "0.1", ${reg} }`,
          '',
          '[build-dependencies]',
          `tool-helper = { version = "0.1", ${reg} }`,
          '',
          '[dev-dependencies]',
          `tool-helper = { version = "0.1", ${reg} }`,
        ].join('\n'),
      ),
      'build.rs': 'fn main() { assert_eq!(tool_helper::tool(), 3); }\n',
      'src/lib.rs': [
        'pub fn mid() -> u32 { base::base() + extra() }',
        '#[cfg(feature = "extra")] fn extra() -> u32 { opt_helper::opt() }',
        '#[cfg(not(feature = "extra"))] fn extra() -> u32 { 0 }',
      ].join('\n'),
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const publish = (dir: string, token = alice) => cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: dir, token });

  it('publishes crates that depend on each other', async () => {
    for (const dir of [dirs.base, dirs.opt, dirs.tool, dirs.mid]) {
      const r = await publish(dir!);
      expect(r.stderr).toContain('Published');
      expect(r.code).toBe(0);
    }
    // The index line of mid-lib carries the alias, the real name, features2 and every kind.
    const res = await fetch(`${server.url}/index/mi/d-/mid-lib`);
    const line = JSON.parse((await res.text()).trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ name: 'mid-lib', vers: '0.1.0', features2: { extra: ['dep:opt_helper'] }, v: 2 });
    const deps = line.deps as Array<Record<string, unknown>>;
    expect(deps).toContainEqual(expect.objectContaining({ name: 'base', package: 'Wharf_Base', req: '^1', kind: 'normal' }));
    expect(deps).toContainEqual(expect.objectContaining({ name: 'opt_helper', optional: true }));
    expect(deps).toContainEqual(expect.objectContaining({ name: 'tool-helper', target: 'cfg(unix)', kind: 'normal' }));
    expect(deps).toContainEqual(expect.objectContaining({ name: 'tool-helper', kind: 'build' }));
    expect(deps).toContainEqual(expect.objectContaining({ name: 'tool-helper', kind: 'dev' }));
  }, 240_000);

  it('builds a consumer against the published crates', async () => {
    const consumer = cargo.writeCrate('consumer', {
      'Cargo.toml': manifest('consumer', '0.1.0', `[dependencies]\nmid-lib = { version = "0.1", ${reg}, features = ["extra"] }\n`),
      'src/main.rs': 'fn main() { assert_eq!(mid_lib::mid(), 3); }\n',
    });
    const build = await cargo.run(['run'], { cwd: consumer });
    expect(build.stderr).not.toMatch(/error/);
    expect(build.code).toBe(0);
    const lock = readFileSync(join(consumer, 'Cargo.lock'), 'utf8');
    for (const name of ['Wharf_Base', 'opt_helper', 'tool-helper', 'mid-lib']) expect(lock).toContain(`name = "${name}"`);
  }, 240_000);

  it('refuses a second upload of an existing version with the detail shown by cargo', async () => {
    // cargo checks the index before uploading, so the server's own check is only reached when the
    // index cargo sees is stale (a CDN, a race). A mirror that knows no crates stands in for that.
    const mirror = await staleIndexMirror(server.url);
    const stale = new CargoSandbox(mirror.indexUrl);
    try {
      const again = stale.writeCrate('base-again', {
        'Cargo.toml': manifest('Wharf_Base', '1.0.0+rebuild'),
        'src/lib.rs': 'pub fn base() -> u32 { 1 }\n',
      });
      const r = await stale.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: again, token: alice });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('409 Conflict');
      expect(r.stderr).toContain('crate version `Wharf_Base@1.0.0` already exists');
    } finally {
      await mirror.close();
    }
  }, 120_000);

  it("refuses a non-owner's publish with the detail shown by cargo", async () => {
    const next = cargo.writeCrate('base-bob', { 'Cargo.toml': manifest('Wharf_Base', '1.0.5'), 'src/lib.rs': 'pub fn base() -> u32 { 1 }\n' });
    const r = await publish(next, bob);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('you are not an owner of the crate `Wharf_Base`');
  }, 120_000);

  it('refuses a look-alike of an existing crate name', async () => {
    const lookalike = cargo.writeCrate('lookalike', { 'Cargo.toml': manifest('wharf-base', '9.0.0'), 'src/lib.rs': '' });
    const r = await publish(lookalike);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('a crate named `Wharf_Base` already exists');
  }, 120_000);

  it('yanks and unyanks, with the effect visible to a fresh resolution', async () => {
    const v101 = cargo.writeCrate('base-101', { 'Cargo.toml': manifest('Wharf_Base', '1.0.1'), 'src/lib.rs': 'pub fn base() -> u32 { 1 }\n' });
    expect((await publish(v101)).code).toBe(0);
    const app = cargo.writeCrate('resolver', {
      'Cargo.toml': manifest('resolver', '0.1.0', `[dependencies]\nWharf_Base = { version = "1", ${reg} }\n`),
      'src/main.rs': 'fn main() {}\n',
    });
    const resolved = async () => {
      const r = await cargo.run(['generate-lockfile'], { cwd: app });
      expect(r.code).toBe(0);
      const lock = readFileSync(join(app, 'Cargo.lock'), 'utf8');
      return /name = "Wharf_Base"\nversion = "([^"]+)"/.exec(lock)?.[1];
    };
    expect(await resolved()).toBe('1.0.1');

    const yank = await cargo.run(['yank', '--registry', 'wharf', 'Wharf_Base@1.0.1'], { token: alice });
    expect(yank.code).toBe(0);
    expect(await resolved()).toBe('1.0.0');

    const undo = await cargo.run(['yank', '--registry', 'wharf', '--undo', 'Wharf_Base@1.0.1'], { token: alice });
    expect(undo.code).toBe(0);
    expect(await resolved()).toBe('1.0.1');

    const stranger = await cargo.run(['yank', '--registry', 'wharf', 'Wharf_Base@1.0.1'], { token: bob });
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain('you are not an owner');
  }, 240_000);

  it('adds, lists and removes owners', async () => {
    const add = await cargo.run(['owner', '--registry', 'wharf', '--add', 'bob', 'Wharf_Base'], { token: alice });
    expect(add.code).toBe(0);
    expect(add.stderr).toContain('`bob` added as owner(s) of `Wharf_Base`');

    const list = await cargo.run(['owner', '--registry', 'wharf', '--list', 'Wharf_Base'], { token: alice });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^alice\b/m);
    expect(list.stdout).toMatch(/^bob\b/m);

    const remove = await cargo.run(['owner', '--registry', 'wharf', '--remove', 'bob', 'Wharf_Base'], { token: alice });
    expect(remove.code).toBe(0);
    const after = await cargo.run(['owner', '--registry', 'wharf', '--list', 'Wharf_Base'], { token: alice });
    expect(after.stdout).not.toMatch(/^bob\b/m);

    const unknown = await cargo.run(['owner', '--registry', 'wharf', '--add', 'nobody', 'Wharf_Base'], { token: alice });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('could not find a user with the login `nobody`');

    const last = await cargo.run(['owner', '--registry', 'wharf', '--remove', 'alice', 'Wharf_Base'], { token: alice });
    expect(last.code).not.toBe(0);
    expect(last.stderr).toContain('cannot remove the last owner');
  }, 120_000);

  it('searches', async () => {
    const r = await cargo.run(['search', '--registry', 'wharf', 'helper']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^opt_helper = "0\.1\.0"/m);
    expect(r.stdout).toMatch(/^tool-helper = "0\.1\.0"/m);
    expect(r.stdout).not.toContain('mid-lib');
  }, 60_000);
});
