import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMirrorCrateFiles } from '../../src/db/repositories/mirror.repository.js';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { StaticRegistry } from '../helpers/static-registry.js';

/**
 * The mirror judged by the real cargo: a consumer whose crates.io is replaced by Wharf's mirror
 * builds crates that come from a static upstream on 127.0.0.1, then builds again from Wharf alone
 * once the upstream is gone; corrupted files are refused, new versions and yanks show after the
 * TTL, and a private crate may depend on mirrored ones. Once open, once with auth_required.
 */
describe.each([false, true])('cargo through the mirror (auth_required = %s)', (authRequired) => {
  let upstream: StaticRegistry;
  let server: LiveServer;
  let token = '';
  const sandboxes: CargoSandbox[] = [];

  const sandbox = (): CargoSandbox => {
    const cargo = new CargoSandbox(server.indexUrl).replaceCratesIo(`sparse+${server.url}/mirror/index/`);
    sandboxes.push(cargo);
    return cargo;
  };
  const run = (cargo: CargoSandbox, args: string[], cwd: string) =>
    cargo.run(args, { cwd, token, env: authRequired ? { CARGO_REGISTRIES_WHARF_MIRROR_TOKEN: token } : {} });
  const consumer = (cargo: CargoSandbox): string =>
    cargo.writeCrate('consumer', {
      'Cargo.toml': manifest('consumer', '0.1.0', '[dependencies]\nstem = "1"\n'),
      'src/main.rs': 'fn main() { assert_eq!(stem::stem(), 2); }\n',
    });
  const lockedLeaf = (dir: string): string | undefined => /name = "leaf"\nversion = "([^"]+)"/.exec(readFileSync(join(dir, 'Cargo.lock'), 'utf8'))?.[1];

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0', lib: 'pub fn leaf() -> u32 { 1 }\n' });
    await upstream.publish({ name: 'stem', vers: '1.0.0', deps: { leaf: '1' }, lib: 'pub fn stem() -> u32 { leaf::leaf() + 1 }\n' });
    server = await startLiveServer({ mirrorUpstream: upstream.indexUrl, mirrorIndexTtl: 60, authRequired });
    token = (await server.userWithToken('alice')).token;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await upstream?.stop();
  });

  it('builds a consumer whose crates.io is replaced by the mirror, then again from Wharf alone', async () => {
    const first = sandbox();
    const dir = consumer(first);
    const build = await run(first, ['run'], dir);
    expect(build.stderr, build.stderr).not.toMatch(/error/);
    expect(build.code).toBe(0);
    expect(upstream.count('.crate')).toBe(2);

    await upstream.stop();
    // Past the TTL too: the revalidation fails and the cached files are served as stale.
    server.clock.advance(61_000);
    try {
      const fresh = sandbox();
      const again = await run(fresh, ['run'], consumer(fresh));
      expect(again.stderr, again.stderr).not.toMatch(/error/);
      expect(again.code).toBe(0);
      expect(server.logs.join('')).toContain('could not be read (ECONNREFUSED)');
    } finally {
      await upstream.start();
    }
  }, 240_000);

  it('shows a new upstream version after the TTL, refuses a corrupted file, and shows a yank', async () => {
    const cargo = sandbox();
    const dir = consumer(cargo);
    await upstream.publish({ name: 'leaf', vers: '1.0.1', lib: 'pub fn leaf() -> u32 { 1 }\n' });
    expect((await run(cargo, ['generate-lockfile'], dir)).code).toBe(0);
    expect(lockedLeaf(dir)).toBe('1.0.0');
    server.clock.advance(61_000);
    expect((await run(cargo, ['generate-lockfile'], dir)).code).toBe(0);
    expect(lockedLeaf(dir)).toBe('1.0.1');

    upstream.inject('leaf-1.0.1.crate', { kind: 'garbage', body: Buffer.from('tampered bytes') });
    const refused = await run(cargo, ['build'], dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('502');
    expect(refused.stderr).toContain(upstream.crate('leaf', '1.0.1').cksum);
    expect((await listMirrorCrateFiles(server.runtime.ctx.db, 'leaf')).map((r) => r.version)).toEqual(['1.0.0']);
    upstream.clearFaults();
    expect((await run(cargo, ['build'], dir)).code).toBe(0);

    upstream.setYanked('leaf', '1.0.1', true);
    server.clock.advance(61_000);
    expect((await run(cargo, ['generate-lockfile'], dir)).code).toBe(0);
    expect(lockedLeaf(dir)).toBe('1.0.0');
  }, 240_000);

  it('builds a private crate that depends on a mirrored one', async () => {
    const cargo = sandbox();
    const lib = cargo.writeCrate('private-lib', {
      'Cargo.toml': manifest(`inhouse-${authRequired ? 'a' : 'b'}`, '0.1.0', '[dependencies]\nstem = "1"\n'),
      'src/lib.rs': 'pub fn inhouse() -> u32 { stem::stem() * 10 }\n',
    });
    const published = await run(cargo, ['publish', '--registry', 'wharf', '--no-verify'], lib);
    expect(published.stderr, published.stderr).toContain('Published');
    const res = await fetch(`${server.url}/index/in/ho/inhouse-${authRequired ? 'a' : 'b'}`, { headers: { authorization: token } });
    const line = JSON.parse((await res.text()).trim()) as { deps: Array<Record<string, unknown>> };
    expect(line.deps).toEqual([expect.objectContaining({ name: 'stem', req: '^1', registry: 'https://github.com/rust-lang/crates.io-index' })]);

    // A private crate may take a public name, and cargo shows the warning that comes with it.
    const shadow = cargo.writeCrate('private-leaf', { 'Cargo.toml': manifest('leaf', '9.0.0'), 'src/lib.rs': '' });
    const shadowed = await run(cargo, ['publish', '--registry', 'wharf', '--no-verify'], shadow);
    expect(shadowed.code).toBe(0);
    expect(shadowed.stderr).toContain('warning: a crate named `leaf` also exists on the mirrored registry');

    const app = cargo.writeCrate('app', {
      'Cargo.toml': manifest('app', '0.1.0', `[dependencies]\ninhouse = { package = "inhouse-${authRequired ? 'a' : 'b'}", version = "0.1", registry = "wharf" }\n`),
      'src/main.rs': 'fn main() { assert_eq!(inhouse::inhouse(), 20); }\n',
    });
    const build = await run(cargo, ['run'], app);
    expect(build.stderr).not.toMatch(/error/);
    expect(build.code).toBe(0);
  }, 240_000);
});
